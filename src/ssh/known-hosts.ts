/**
 * OpenSSH known_hosts: parsing, host key verification and recording accepted keys.
 * No maintained npm parser exists (research/cli-ux.md §3.1), and ssh2 accepts any key unless told otherwise,
 * so this module is the whole of host key trust for the transport.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { SettledFileCache } from './file-cache.js';
import { dirname } from 'node:path';

export type HostField =
  | { type: 'patterns'; patterns: string[] }
  /** `|1|base64(salt)|base64(HMAC-SHA1(salt, name))` as written by `ssh-keygen -H` / HashKnownHosts. */
  | { type: 'hashed'; salt: Buffer; hash: Buffer };

export interface KnownHostEntry {
  path: string;
  /** 1-based line number, as editors and `ssh-keygen -R` report it. */
  line: number;
  lineText: string;
  marker: 'revoked' | 'cert-authority' | null;
  hosts: HostField;
  keyType: string;
  keyBlob: Buffer;
}

export type HostKeyStatus =
  | { status: 'known'; path: string; line: number }
  | {
      status: 'unknown';
      fingerprint: string;
      /** Set when known_hosts says something about this host that ha-wizard cannot use (e.g. @cert-authority). */
      note?: string;
    }
  | { status: 'changed'; path: string; line: number; lineText: string; expected: string; got: string }
  /** The offered key is listed with `@revoked`: refused like a changed key. */
  | { status: 'revoked'; path: string; line: number; fingerprint: string };

/** `SHA256:<base64 without padding>`, byte for byte what `ssh-keygen -lf` prints. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type embedded in an SSH wire-format public key blob (its first string). */
export function keyTypeOfBlob(keyBlob: Buffer): string | null {
  if (keyBlob.length < 4) return null;
  const len = keyBlob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > keyBlob.length) return null;
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}

/** The name known_hosts stores for a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Parses a known_hosts file. Lines that cannot be parsed are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string, path: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineText = (lines[i] ?? '').replace(/\r$/, '');
    const trimmed = lineText.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const fields = trimmed.split(/[ \t]+/);
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue;
    }
    const [hostsText, keyType, keyBase64] = fields;
    if (!hostsText || !keyType || !keyBase64) continue;
    const hosts = parseHostField(hostsText);
    if (!hosts) continue;
    const keyBlob = Buffer.from(keyBase64, 'base64');
    if (keyBlob.length === 0) continue;
    entries.push({ path, line: i + 1, lineText, marker, hosts, keyType, keyBlob });
  }
  return entries;
}

function parseHostField(text: string): HostField | null {
  if (text.startsWith('|1|')) {
    const [, , salt, hash] = text.split('|');
    if (!salt || !hash) return null;
    return { type: 'hashed', salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
  }
  if (text.startsWith('|')) return null; // an unknown hash format
  return { type: 'patterns', patterns: text.split(',').filter((p) => p !== '') };
}

const globCache = new Map<string, RegExp | null>();

/** OpenSSH pattern match: `*` and `?` wildcards, case-insensitive, whole string. */
function globMatch(pattern: string, name: string): boolean {
  // Most patterns are plain names or addresses: no regular expression needed (one was compiled per entry per check).
  let re = globCache.get(pattern);
  if (re === undefined) {
    re = /[*?]/.test(pattern) ? new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i') : null;
    if (globCache.size > 10_000) globCache.clear();
    globCache.set(pattern, re);
  }
  return re ? re.test(name) : pattern.toLowerCase() === name.toLowerCase();
}

/** Whether an entry's host field names `host`:`port` (negated patterns veto, as in OpenSSH's match_hostname). */
export function entryMatches(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (entry.hosts.type === 'hashed') {
    const digest = createHmac('sha1', entry.hosts.salt).update(name).digest();
    return digest.length === entry.hosts.hash.length && timingSafeEqual(digest, entry.hosts.hash);
  }
  let matched = false;
  for (const p of entry.hosts.patterns) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) matched = true;
  }
  return matched;
}

/** Parsed known_hosts files, shared by every connection and reused while unchanged (see file-cache.ts). */
const knownHostsFiles = new SettledFileCache((data, path) => parseKnownHosts(data.toString('utf8'), path));

/** Every entry of the given files, in order; missing files are skipped. Never stale: each file is stat'ed on every call. */
export async function readKnownHosts(paths: readonly string[]): Promise<KnownHostEntry[]> {
  const files = await Promise.all(paths.map((p) => knownHostsFiles.get(p)));
  return files.flatMap((f) => f ?? []);
}

/**
 * Decides whether `keyBlob` is the right key for host:port, the way OpenSSH's check_host_in_hostfile does:
 * revoked beats everything; a line with this exact key means known; a line with another key of the same
 * type means changed; anything else is unknown (the caller asks the operator or refuses).
 */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, keyType: string, keyBlob: Buffer): HostKeyStatus {
  const type = keyTypeOfBlob(keyBlob) ?? keyType;
  const got = fingerprintSha256(keyBlob);
  const matching = entries.filter((e) => entryMatches(e, host, port));
  const revoked = entries.find((e) => e.marker === 'revoked' && e.keyBlob.equals(keyBlob));
  if (revoked) return { status: 'revoked', path: revoked.path, line: revoked.line, fingerprint: got };
  const plain = matching.filter((e) => e.marker === null);
  const exact = plain.find((e) => e.keyBlob.equals(keyBlob));
  if (exact) return { status: 'known', path: exact.path, line: exact.line };
  const sameType = plain.find((e) => (keyTypeOfBlob(e.keyBlob) ?? e.keyType) === type);
  if (sameType) {
    return {
      status: 'changed',
      path: sameType.path,
      line: sameType.line,
      lineText: sameType.lineText,
      expected: fingerprintSha256(sameType.keyBlob),
      got,
    };
  }
  const ca = matching.find((e) => e.marker === 'cert-authority');
  if (ca) {
    return {
      status: 'unknown',
      fingerprint: got,
      note: `${ca.path}:${ca.line} trusts a host certificate authority for this host; ha-wizard does not support host certificates and checks plain host keys only`,
    };
  }
  return { status: 'unknown', fingerprint: got };
}

export async function verifyHostKey(knownHostsPaths: readonly string[], host: string, port: number, keyType: string, keyBlob: Buffer): Promise<HostKeyStatus> {
  return checkHostKey(await readKnownHosts(knownHostsPaths), host, port, keyType, keyBlob);
}

/** Key types known for host:port, so the handshake can prefer them (otherwise a host known only by
 *  its ECDSA key may negotiate ed25519 and look unknown). */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const types = entries.filter((e) => e.marker === null && entryMatches(e, host, port)).map((e) => keyTypeOfBlob(e.keyBlob) ?? e.keyType);
  return [...new Set(types)];
}

function hashedName(name: string): string {
  const salt = randomBytes(20);
  const hash = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
}

/**
 * Records an accepted key. The entry is hashed when the file already holds hashed entries (or `hash` is
 * true, from HashKnownHosts), so accepting a key does not leak host names into a file that hides them.
 */
export async function appendKnownHost(path: string, host: string, port: number, keyBlob: Buffer, opts: { hash?: boolean } = {}): Promise<void> {
  let existing = '';
  try {
    existing = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  }
  const useHash = opts.hash ?? parseKnownHosts(existing, path).some((e) => e.hosts.type === 'hashed');
  const name = knownHostsName(host, port);
  const type = keyTypeOfBlob(keyBlob);
  if (!type) throw new Error(`not an SSH public key blob (host ${name})`);
  const sep = existing === '' || existing.endsWith('\n') ? '' : '\n';
  await appendFile(path, `${sep}${useHash ? hashedName(name) : name} ${type} ${keyBlob.toString('base64')}\n`, { mode: 0o600 });
}
