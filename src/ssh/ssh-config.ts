/**
 * Resolves how to reach a host: ~/.ssh/config (through the `ssh-config` package) overlaid by the cluster
 * config's own ssh settings, which win the way OpenSSH's command-line options beat its config file.
 * The package leaves three things to us (research/cli-ux.md §3.8): Include is not followed, `~` and
 * `%` tokens are not expanded, and `Match exec` would run commands unless matchExec is false.
 */
import { readFile, readdir } from 'node:fs/promises';
import { homedir, hostname, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import SSHConfig from 'ssh-config';

/** SSH settings from the cluster config. Each one set here overrides ~/.ssh/config. */
export interface SshOverrides {
  user?: string;
  port?: number;
  /** Tried before the IdentityFile entries of ~/.ssh/config (like `ssh -i`). */
  identityFiles?: string[];
  /** `[user@]host[:port][,…]`, or `none`. */
  proxyJump?: string;
  /** Replaces UserKnownHostsFile. */
  knownHostsFiles?: string[];
}

export interface ResolveOptions {
  /** Defaults to ~/.ssh/config; `null` reads no file (like `ssh -F none`). */
  configPath?: string | null;
  homeDir?: string;
  localUser?: string;
}

export interface SshTarget {
  /** The name looked up (the node's address in the cluster config, or a ProxyJump hop). */
  alias: string;
  /** What is dialled; also the name looked up in known_hosts (no HostKeyAlias support). */
  hostName: string;
  port: number;
  user: string;
  identityFiles: string[];
  identitiesOnly: boolean;
  /** User files first (the first one receives accepted keys), then the global ones. */
  knownHostsFiles: string[];
  hashKnownHosts: boolean;
  connectTimeoutMs?: number;
  /** The hop that must be connected first (ProxyJump), itself fully resolved. */
  jump?: SshTarget;
}

const MAX_INCLUDE_DEPTH = 16;
const MAX_JUMP_DEPTH = 8;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function all(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Space-separated lists (UserKnownHostsFile), unlike IdentityFile which is one path per directive. */
function list(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(/\s+/)).filter((s) => s !== '');
}

function yes(v: string | string[] | undefined): boolean {
  return first(v)?.toLowerCase() === 'yes';
}

/** Expands `~` and the tokens OpenSSH allows in IdentityFile / UserKnownHostsFile / HostName. */
export function expandTokens(value: string, t: { home: string; hostName: string; alias: string; port: number; user: string; localUser: string }): string {
  let v = value;
  if (v === '~' || v.startsWith('~/')) v = t.home + v.slice(1);
  return v.replace(/%(.)/g, (whole, c: string) => {
    switch (c) {
      case '%': return '%';
      case 'h': return t.hostName;
      case 'n': return t.alias;
      case 'p': return String(t.port);
      case 'r': return t.user;
      case 'u': return t.localUser;
      case 'd': return t.home;
      case 'l': return hostname().split('.')[0] ?? '';
      case 'L': return hostname();
      default: throw new Error(`ssh config: unsupported token ${whole} in "${value}"`);
    }
  });
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/** Config text with Include directives inlined (OpenSSH processes an included file in place). */
async function loadConfigText(path: string, home: string, depth: number): Promise<string> {
  if (depth > MAX_INCLUDE_DEPTH) throw new Error(`ssh config: Include nested deeper than ${MAX_INCLUDE_DEPTH} levels at ${path}`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new Error(`ssh config: cannot read ${path}: ${(err as Error).message}`);
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*include\s*[=\s]\s*(.+?)\s*$/i.exec(line);
    if (!m?.[1]) {
      out.push(line);
      continue;
    }
    for (const raw of m[1].split(/\s+/)) {
      const pattern = raw.replace(/^"(.*)"$/, '$1');
      let p = pattern === '~' || pattern.startsWith('~/') ? home + pattern.slice(1) : pattern;
      // Relative includes are relative to ~/.ssh for user configs (ssh_config(5)).
      if (!isAbsolute(p)) p = join(home, '.ssh', p);
      for (const file of await globFiles(p)) out.push(await loadConfigText(file, home, depth + 1));
    }
  }
  return out.join('\n');
}

/** Glob with `*` / `?` in the last path component only (what Include lines use in practice). */
async function globFiles(p: string): Promise<string[]> {
  const base = basename(p);
  if (!/[*?]/.test(base)) return [p];
  let names: string[];
  try {
    names = await readdir(dirname(p));
  } catch {
    return [];
  }
  const re = globToRegExp(base);
  return names.filter((n) => re.test(n)).sort().map((n) => join(dirname(p), n));
}

/** Splits one ProxyJump hop `[user@]host[:port]` (IPv6 as `[addr]:port`). */
export function parseJumpHop(hop: string): { user?: string; host: string; port?: number } {
  let rest = hop;
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let host = rest;
  let port: number | undefined;
  const bracket = /^\[(.+)\](?::(\d+))?$/.exec(rest);
  const colon = /^([^:]+):(\d+)$/.exec(rest);
  if (bracket?.[1]) {
    host = bracket[1];
    if (bracket[2]) port = Number(bracket[2]);
  } else if (colon?.[1] && colon[2]) {
    host = colon[1];
    port = Number(colon[2]);
  }
  if (host === '' || (port !== undefined && !(port > 0 && port < 65536))) throw new Error(`ssh config: invalid ProxyJump hop "${hop}"`);
  return { ...(user ? { user } : {}), host, ...(port ? { port } : {}) };
}

export async function resolveSshTarget(alias: string, overrides: SshOverrides = {}, opts: ResolveOptions = {}): Promise<SshTarget> {
  return new SshConfigResolver(opts).resolve(alias, overrides);
}

/**
 * Reads and parses the config once (on first use) and resolves any number of hosts against it, the way one
 * `ssh` invocation reads its config once. The pool keeps one per run: parsing a config with a Host block per
 * node for every node was quadratic (50 nodes: ~3 ms of parsing per host, all before the first dial).
 */
export class SshConfigResolver {
  private loaded: Promise<{ config: SSHConfig; home: string; localUser: string }> | null = null;

  constructor(private readonly opts: ResolveOptions = {}) {}

  private load(): Promise<{ config: SSHConfig; home: string; localUser: string }> {
    if (!this.loaded) {
      const p = (async () => {
        const home = this.opts.homeDir ?? homedir();
        const configPath = this.opts.configPath === undefined ? join(home, '.ssh', 'config') : this.opts.configPath;
        const config = SSHConfig.parse(configPath === null ? '' : await loadConfigText(configPath, home, 0));
        return { config, home, localUser: this.opts.localUser ?? userInfo().username };
      })();
      this.loaded = p;
      // A failed read is not cached: the next resolve() reads again.
      p.catch(() => this.loaded === p && (this.loaded = null));
    }
    return this.loaded;
  }

  async resolve(alias: string, overrides: SshOverrides = {}): Promise<SshTarget> {
    const { config, home, localUser } = await this.load();
    return resolveWith(config, alias, overrides, home, localUser, 0);
  }
}

function resolveWith(config: SSHConfig, alias: string, o: SshOverrides, home: string, localUser: string, depth: number): SshTarget {
  // ssh lowercases the host name given on its command line before matching Host patterns.
  const name = alias.toLowerCase();
  const c = config.compute(name, { ignoreCase: true, matchExec: false });
  const port = o.port ?? (first(c.port) ? Number(first(c.port)) : 22);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`ssh config: invalid Port for ${alias}: ${first(c.port)}`);
  const user = o.user ?? first(c.user) ?? localUser;
  const tokens0 = { home, hostName: name, alias, port, user, localUser };
  const hostName = expandTokens(first(c.hostname) ?? alias, tokens0);
  const tokens = { ...tokens0, hostName };
  const fromConfig = all(c.identityfile).filter((f) => f.toLowerCase() !== 'none');
  let identityFiles = [...(o.identityFiles ?? []), ...fromConfig].map((f) => expandTokens(f, tokens));
  if (identityFiles.length === 0) identityFiles = ['id_rsa', 'id_ecdsa', 'id_ed25519'].map((f) => join(home, '.ssh', f));
  const userKnown = o.knownHostsFiles ?? (c.userknownhostsfile ? list(c.userknownhostsfile) : ['~/.ssh/known_hosts', '~/.ssh/known_hosts2']);
  const globalKnown = c.globalknownhostsfile ? list(c.globalknownhostsfile) : ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
  const knownHostsFiles = [...userKnown, ...globalKnown].filter((f) => f.toLowerCase() !== 'none').map((f) => expandTokens(f, tokens));
  const connectTimeout = first(c.connecttimeout);

  const target: SshTarget = {
    alias,
    hostName,
    port,
    user,
    identityFiles: [...new Set(identityFiles)],
    identitiesOnly: yes(c.identitiesonly),
    knownHostsFiles,
    hashKnownHosts: yes(c.hashknownhosts),
    ...(connectTimeout && Number(connectTimeout) > 0 ? { connectTimeoutMs: Number(connectTimeout) * 1000 } : {}),
  };

  const jumpSpec = o.proxyJump ?? first(c.proxyjump);
  if (jumpSpec === undefined || jumpSpec.toLowerCase() === 'none') {
    if (first(c.proxycommand) && first(c.proxycommand)?.toLowerCase() !== 'none') {
      throw new Error(`ssh config: ${alias} uses ProxyCommand, which ha-wizard does not run; use ProxyJump instead`);
    }
    return target;
  }
  if (depth >= MAX_JUMP_DEPTH) throw new Error(`ssh config: ProxyJump chain for ${alias} is longer than ${MAX_JUMP_DEPTH} hops (a loop?)`);
  // `-J a,b` means: reach a (resolved with its own config, including its own ProxyJump), then b through a, then the target.
  const hops = jumpSpec.split(',').map((h) => parseJumpHop(h.trim()));
  let previous: SshTarget | undefined;
  for (const [i, hop] of hops.entries()) {
    // The cluster config's keys and known_hosts serve the bastion too; its user and port do not.
    const hopOverrides: SshOverrides = {
      ...(o.identityFiles ? { identityFiles: o.identityFiles } : {}),
      ...(o.knownHostsFiles ? { knownHostsFiles: o.knownHostsFiles } : {}),
      ...(hop.user ? { user: hop.user } : {}),
      ...(hop.port ? { port: hop.port } : {}),
    };
    if (i > 0) hopOverrides.proxyJump = 'none';
    const resolved = resolveWith(config, hop.host, hopOverrides, home, localUser, depth + 1);
    previous = previous ? { ...resolved, jump: previous } : resolved;
  }
  return previous ? { ...target, jump: previous } : target;
}
