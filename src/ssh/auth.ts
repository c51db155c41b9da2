/**
 * Authentication: which keys to offer (ssh-agent first, then the identity files, each parsed once per pool),
 * and the error that says why none was accepted. For fan-outs the first publickey request is signed at once
 * (signFirstRequest) instead of asking first whether the server would take the key.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, ParsedKey } from 'ssh2';
import { SettledFileCache } from './file-cache.js';
import type { SshTarget } from './ssh-config.js';
import { RemoteError } from '../engine/model/remote-host.js';

const { utils } = ssh2;

export interface AuthPlan {
  attempts: Array<{ label: string; method: AnyAuthMethod }>;
  missing: string[];
  encrypted: string[];
  unreadable: string[];
}

type Identity = { kind: 'key'; key: ParsedKey } | { kind: 'encrypted' } | { kind: 'unreadable' };

function parseIdentity(pem: Buffer): Identity {
  const parsed = utils.parseKey(pem);
  if (parsed instanceof Error) {
    // ssh2 says "Encrypted private OpenSSH key detected, but no passphrase given" (or similar for PEM).
    return /encrypt|passphrase/i.test(parsed.message) ? { kind: 'encrypted' } : { kind: 'unreadable' };
  }
  return parsed.isPrivateKey() ? { kind: 'key', key: withKeyObject(parsed) } : { kind: 'unreadable' };
}

/**
 * ssh2 keeps a parsed private key as a PEM string and hands it to crypto.sign, which decodes the PEM again for
 * every signature (OpenSSL 3 decoders: ~1 ms for ed25519, ten times the signature itself). The key shared by
 * the pool's connections gets a decoded KeyObject in its place. Same key, same signatures; if this ssh2 does not
 * keep the PEM where expected, the key is used as ssh2 parsed it.
 */
function withKeyObject(parsed: ParsedKey): ParsedKey {
  const slot = Object.getOwnPropertySymbols(parsed).find((s) => s.description === 'Private key PEM');
  const pem: unknown = slot ? (parsed as unknown as Record<symbol, unknown>)[slot] : undefined;
  if (!slot || typeof pem !== 'string') return parsed;
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    return parsed;
  }
  const fast = Object.create(parsed) as ParsedKey & Record<symbol, unknown>;
  fast[slot] = key;
  return fast;
}

/**
 * Identity files read and parsed once, shared by every connection made with it (the pool holds one per run);
 * reread when the file changes (see file-cache.ts). ssh2 gets the parsed key and does not parse it again.
 */
export class IdentityCache {
  private readonly files = new SettledFileCache(parseIdentity);

  get(path: string): Promise<Identity | null> {
    return this.files.get(path);
  }

  clear(): void {
    this.files.clear();
  }
}

export async function planAuth(target: SshTarget, agentSocket: string | null, identities: IdentityCache): Promise<AuthPlan> {
  const plan: AuthPlan = { attempts: [], missing: [], encrypted: [], unreadable: [] };
  const username = target.user;
  if (agentSocket) plan.attempts.push({ label: 'ssh-agent keys', method: { type: 'agent', username, agent: agentSocket } });
  const loaded = await Promise.all(target.identityFiles.map((file) => identities.get(file).catch(() => ({ kind: 'unreadable' }) as const)));
  for (const [i, file] of target.identityFiles.entries()) {
    const id = loaded[i];
    if (!id) plan.missing.push(file);
    else if (id.kind === 'encrypted') plan.encrypted.push(file);
    else if (id.kind === 'unreadable') plan.unreadable.push(file);
    else plan.attempts.push({ label: file, method: { type: 'publickey', username, key: id.key } });
  }
  return plan;
}

export function authError(label: string, target: SshTarget, plan: AuthPlan, tried: readonly string[]): RemoteError {
  const hints: string[] = [];
  if (plan.encrypted.length) hints.push(`${plan.encrypted.join(', ')} ${plan.encrypted.length > 1 ? 'are' : 'is'} encrypted: load it into ssh-agent (ssh-add ${plan.encrypted[0]}) and make sure SSH_AUTH_SOCK is set`);
  if (plan.unreadable.length) hints.push(`could not use ${plan.unreadable.join(', ')}`);
  const msg = tried.length
    ? `${label}: user ${target.user} was rejected with the key(s) [${tried.join(', ')}]; check ssh.user and identityFiles`
    : `${label}: no usable SSH key for user ${target.user}: no ssh-agent (SSH_AUTH_SOCK) and none of [${target.identityFiles.join(', ')}] could be used; check identityFiles`;
  return new RemoteError([msg, ...hints].join('; '), label, 'EAUTH');
}

const RSA_SIGNATURE_HASH: Record<string, string> = { 'rsa-sha2-256': 'sha256', 'rsa-sha2-512': 'sha512', 'ssh-rsa': 'sha1' };

/**
 * ssh2 first asks whether the server would accept a key (USERAUTH_REQUEST without a signature, answered by
 * PK_OK) and signs only then: one round trip per key. For a key file whose private key is loaded here, the
 * signed request goes at once, as OpenSSH does for keys it holds privately. The signature covers this
 * session's id, as always; a server that refuses the key answers with a failure and the next key is tried.
 * Agent keys are untouched (signing needs the agent).
 */
export function signFirstRequest(client: InstanceType<typeof ssh2.Client>, ownKeys: ReadonlySet<object>): void {
  const proto = (client as unknown as { _protocol?: { authPK?: unknown } })._protocol;
  const authPK = proto?.authPK;
  if (!proto || typeof authPK !== 'function' || ownKeys.size === 0) return;
  type Sign = (data: Buffer, done: (signature: Buffer) => void) => void;
  proto.authPK = function (this: unknown, username: string, key: ParsedKey, keyAlgo?: string, cbSign?: Sign) {
    if (cbSign !== undefined || typeof keyAlgo === 'function' || !ownKeys.has(key)) return authPK.call(this, username, key, keyAlgo, cbSign);
    const hash = keyAlgo ? RSA_SIGNATURE_HASH[keyAlgo] : undefined;
    const sign: Sign = (data, done) => {
      const signature = key.sign(data, hash);
      if (signature instanceof Error) {
        client.emit('error', Object.assign(new Error(`Error signing data with key: ${signature.message}`), { level: 'client-authentication' }));
        return;
      }
      done(signature);
    };
    return authPK.call(this, username, key, keyAlgo, sign);
  };
}

