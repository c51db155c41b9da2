/**
 * One authenticated ssh2 connection to one host: TCP with TCP_NODELAY from the first byte, host key checked
 * against known_hosts (bastions too), agent and key-file auth, at most `maxChannels` exec/sftp channels open
 * at once (OpenSSH's MaxSessions is 10), one SFTP session reused. Knows nothing of sudo: see remote-host.ts.
 * For fan-outs (one handshake per node, all at once on a few cores) the handshake does no more than it must:
 * key files parsed once per pool, the first publickey request already signed, the writes made for one server
 * chunk coalesced, and OpenSSH's host key announcement declined instead of proven (see the functions below).
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { connect as netConnect, Socket as NetSocket, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, AuthenticationType, ClientChannel, ParsedKey, SFTPWrapper } from 'ssh2';
import { appendKnownHost, checkHostKey, keyTypeOfBlob, knownKeyTypes, readKnownHosts } from './known-hosts.js';
import { SettledFileCache } from './file-cache.js';
import { Semaphore } from './semaphore.js';
import { GuardedSftp } from './sftp.js';
import type { SshTarget } from './ssh-config.js';
import { RemoteError } from '../engine/model/remote-host.js';

const { Client, utils } = ssh2;

export interface HostKeyPolicy {
  /** Record unknown host keys without asking (OpenSSH's StrictHostKeyChecking=accept-new). */
  acceptNewHostKeys?: boolean;
  /** Asked for an unknown host key (the interactive UI shows the fingerprint); true = trust and record it. */
  onUnknownHost?: (host: string, fingerprint: string, detail: { keyType: string; note?: string }) => Promise<boolean>;
}

export interface ConnectOptions extends HostKeyPolicy {
  /** The node name, used in every message. */
  name: string;
  target: SshTarget;
  /** TCP connect plus SSH handshake and auth (not the time an operator spends on a host key prompt). Default: ConnectTimeout or 10 s. */
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** ssh-agent socket; defaults to SSH_AUTH_SOCK, null disables the agent. */
  agentSocket?: string | null;
  /** exec + sftp channels open at once on this connection. */
  maxChannels?: number;
  /**
   * Backstop for one SFTP request or channel open that gets no answer (default 120 s). Losing the
   * connection rejects at once; this only catches a peer that is silent while the TCP connection stays up.
   */
  operationTimeoutMs?: number;
  /** Parsed identity files to share across connections (the pool keeps one). Default: read for this connection only. */
  identities?: IdentityCache;
  /** Supplies the connection to `target.jump` (the pool shares one per bastion). Default: a private one, closed with this. */
  jumpVia?: (jump: SshTarget) => Promise<SshConnection>;
}

export interface RawExecOptions {
  stdin?: Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Per stream; the rest is read and dropped. */
  maxOutputBytes?: number;
  /**
   * How a timed-out or aborted command is killed on the host. Set, the command must print its process group id
   * (`echo $$; exec ...`: sshd makes a session's process a group leader) as the first line of stdout; that line is
   * taken off the output and the id handed to this on timeout or abort (over another channel), and the channel is
   * closed once it settles. Unset, the channel is only closed, which leaves the remote command running (sshd keeps
   * a session's child when the client closes the channel). A channel 'signal' request is no way out: ssh2 drops it
   * once the channel's input has ended (exec ends it at once), and sshd would deliver it as the login user, who
   * cannot signal a command run by sudo.
   */
  killGroup?: (pgid: number) => Promise<unknown>;
}

export interface RawExecResult {
  code: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
  truncated: boolean;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;
const DEFAULT_OPERATION_TIMEOUT_MS = 120_000;
/** After a timeout or abort, how long the command's kill and the channel's close may take before the caller is answered anyway. */
const KILL_GRACE_MS = 15_000;
/** ssh2's default host key algorithms, in its order; reordered so types on file come first. */
const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** `cp2 (10.0.0.12:22)` or `cp2 (10.0.0.12:22 via bastion)`: how every message names the host. */
export function describeTarget(name: string, t: SshTarget): string {
  const addr = t.hostName.includes(':') ? `[${t.hostName}]:${t.port}` : `${t.hostName}:${t.port}`;
  return `${name} (${addr}${t.jump ? ` via ${t.jump.alias}` : ''})`;
}

function hostKeyAlgorithms(knownTypes: readonly string[]): string[] {
  const preferred = knownTypes.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t])).filter((a) => HOST_KEY_ALGORITHMS.includes(a));
  return [...new Set([...preferred, ...HOST_KEY_ALGORITHMS])];
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function dial(label: string, host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = netConnect({ host, port });
    // Without it every handshake round trip waits ~40 ms on Nagle + delayed ACK (research/lab.md §1).
    sock.setNoDelay(true);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new RemoteError(`${label}: connection timed out after ${timeoutMs / 1000} s; check the address and that sshd runs`, label, 'ETIMEDOUT'));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.setNoDelay(true);
      resolve(sock);
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      sock.destroy();
      reject(socketError(label, err));
    });
  });
}

function socketError(label: string, err: Error): RemoteError {
  const code = errno(err);
  switch (code) {
    case 'ECONNREFUSED':
      return new RemoteError(`${label}: connection refused; check the port and that sshd runs`, label, code);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new RemoteError(`${label}: cannot resolve the host name (${code}); check the address and DNS`, label, 'ENOTFOUND');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new RemoteError(`${label}: no route to host (${code}); check the address and the network`, label, code);
    case 'ECONNRESET':
      return new RemoteError(`${label}: connection reset by the server during the SSH handshake (sshd MaxStartups, a firewall, or not an SSH port)`, label, code);
    default:
      return new RemoteError(`${label}: ${err.message}`, label, code);
  }
}

interface AuthPlan {
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

async function planAuth(target: SshTarget, agentSocket: string | null, identities: IdentityCache): Promise<AuthPlan> {
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

function authError(label: string, target: SshTarget, plan: AuthPlan, tried: readonly string[]): RemoteError {
  const hints: string[] = [];
  if (plan.encrypted.length) hints.push(`${plan.encrypted.join(', ')} ${plan.encrypted.length > 1 ? 'are' : 'is'} encrypted: load it into ssh-agent (ssh-add ${plan.encrypted[0]}) and make sure SSH_AUTH_SOCK is set`);
  if (plan.unreadable.length) hints.push(`could not use ${plan.unreadable.join(', ')}`);
  const msg = tried.length
    ? `${label}: user ${target.user} was rejected with the key(s) [${tried.join(', ')}]; check ssh.user and identityFiles`
    : `${label}: no usable SSH key for user ${target.user}: no ssh-agent (SSH_AUTH_SOCK) and none of [${target.identityFiles.join(', ')}] could be used; check identityFiles`;
  return new RemoteError([msg, ...hints].join('; '), label, 'EAUTH');
}

export class SshConnection {
  private closed = false;
  private sftpSession: Promise<GuardedSftp> | null = null;
  private readonly channels: Semaphore;
  private readonly closeListeners = new Set<() => void>();

  constructor(
    readonly label: string,
    private readonly client: InstanceType<typeof Client>,
    maxChannels: number,
    private readonly ownedJump: SshConnection | null,
    private readonly operationTimeoutMs = DEFAULT_OPERATION_TIMEOUT_MS,
    /** The TCP socket when dialled directly (not through a jump host's channel). */
    private readonly sock: Socket | null = null,
  ) {
    this.channels = new Semaphore(maxChannels);
    client.on('close', () => this.markClosed());
    client.on('end', () => this.markClosed());
    // Late errors (keepalive timeout, socket reset) surface through failing operations and `isOpen`.
    // ssh2 ends the connection gracefully after a keepalive timeout; reset it first (see `reset`).
    client.on('error', () => {
      this.reset();
      this.markClosed();
    });
  }

  /**
   * A connection given up must not deliver what it still holds: a plain close lets the kernel retransmit
   * unsent bytes, so behind a dropped link a command we reported as failed would run on the host once the
   * link returns (seen in the network-fault suite: an apiserver manifest moved away after resume had
   * restored it). A TCP reset discards them.
   */
  private reset(): void {
    const sock = this.sock;
    if (!sock || sock.destroyed) return;
    try {
      sock.resetAndDestroy();
    } catch {
      sock.destroy();
    }
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Calls fn once the connection is lost (at once if it is); the returned function unregisters it. */
  onClose(fn: () => void): () => void {
    if (this.closed) {
      fn();
      return () => undefined;
    }
    this.closeListeners.add(fn);
    return () => this.closeListeners.delete(fn);
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    for (const fn of listeners) fn();
    void this.ownedJump?.close();
  }

  /** Gives the connection up at once (an operation got no answer): everything in flight rejects, the next operation reconnects. */
  destroy(): void {
    this.reset();
    this.client.destroy();
    this.markClosed();
  }

  /**
   * A callback-style ssh2 request that settles: it rejects when the connection is lost before the callback
   * runs, or after the operation timeout (which also gives the connection up).
   */
  private request<T>(what: string, start: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closed) return reject(this.lost(what));
      let settled = false;
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unlisten();
        settle();
      };
      const unlisten = this.onClose(() => finish(() => reject(this.lost(what))));
      const timer = setTimeout(() => {
        finish(() => reject(new RemoteError(`${this.label}: ${what}: no answer after ${this.operationTimeoutMs / 1000} s; the connection is given up`, this.label, 'ETIMEDOUT')));
        this.destroy();
      }, this.operationTimeoutMs);
      try {
        start((err, value) => finish(() => (err ? reject(err) : resolve(value as T))));
      } catch (err) {
        finish(() => reject(err instanceof Error ? err : new Error(String(err))));
      }
    });
  }

  private lost(what: string): RemoteError {
    return new RemoteError(`${this.label}: ${what}: the SSH connection is closed`, this.label, 'ECONNLOST');
  }

  /** Opens an exec channel, retrying briefly if the server refuses the channel (another client's sessions, MaxSessions below ours). */
  private async openExec(command: string, describe: string): Promise<ClientChannel> {
    // Messages name the command as the caller shows it (redacted, without sudo or kill wrappers).
    const what = `running ${describe}`;
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw this.lost(what);
      try {
        return await this.request<ClientChannel>(what, (cb) => this.client.exec(command, (err, ch) => cb(err, ch)));
      } catch (err) {
        if (err instanceof RemoteError) throw err;
        if (attempt < 4 && /open failed|Channel open failure/i.test((err as Error).message)) {
          await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
          continue;
        }
        throw new RemoteError(`${this.label}: cannot open a channel: ${(err as Error).message}`, this.label, 'ECHANNEL');
      }
    }
  }

  /** Runs one command string (already quoted). Resolves with the exit status; rejects only on transport failure, timeout or abort. */
  exec(command: string, opts: RawExecOptions = {}, shown = command): Promise<RawExecResult> {
    const describe = oneLine(shown);
    return this.channels.use(async () => {
      opts.signal?.throwIfAborted();
      const ch = await this.openExec(command, describe);
      const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
      return new Promise<RawExecResult>((resolve, reject) => {
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const size = { out: 0, err: 0 };
        let truncated = false;
        const collect = (bufs: Buffer[], key: 'out' | 'err') => (chunk: Buffer) => {
          if (size[key] + chunk.length > max) {
            truncated = true;
            const room = max - size[key];
            if (room > 0) bufs.push(chunk.subarray(0, room));
            size[key] = max;
            return;
          }
          size[key] += chunk.length;
          bufs.push(chunk);
        };
        const collectOut = collect(out, 'out');
        // With killGroup the first stdout line is the process group id (see RawExecOptions.killGroup).
        let header: Buffer | null = opts.killGroup ? Buffer.alloc(0) : null;
        let pgid: number | null = null;
        let killWhenKnown = false;
        const onOut = (chunk: Buffer) => {
          if (!header) return collectOut(chunk);
          const all = Buffer.concat([header, chunk]);
          const nl = all.indexOf(0x0a);
          if (nl < 0 && all.length < 32) return void (header = all);
          header = null;
          const id = nl > 0 ? /^[0-9]+$/.exec(all.subarray(0, nl).toString('latin1'))?.[0] : undefined;
          // Never a broadcast: `kill -- -1` or `-0` would signal far more than this command.
          if (id !== undefined && Number(id) > 1 && Number.isSafeInteger(Number(id))) {
            pgid = Number(id);
            if (all.length > nl + 1) collectOut(all.subarray(nl + 1));
            if (killWhenKnown) killGroup();
          } else {
            // Not the wrapper's line: keep it as output, and fall back to closing the channel.
            collectOut(all);
            if (killWhenKnown) closeChannel();
          }
        };
        // Both streams must be drained or 'close' may never come (mscdex/ssh2#498).
        ch.on('data', onOut);
        ch.stderr.on('data', collect(err, 'err'));
        let failure: RemoteError | null = null;
        let backstop: NodeJS.Timeout | null = null;
        const closeChannel = () => {
          try {
            ch.close();
          } catch {
            /* the channel may already be closing */
          }
        };
        const killGroup = () => {
          const id = pgid;
          if (id === null || !opts.killGroup) return closeChannel();
          // The channel closes by itself once the command is gone; closing it is the fallback if the kill failed.
          void opts.killGroup(id).then(closeChannel, closeChannel);
        };
        const kill = (e: RemoteError) => {
          if (failure) return;
          failure = e;
          // Without a reply the channel is closed and, after a grace period, the caller is answered anyway.
          backstop = setTimeout(() => settle(() => reject(e)), KILL_GRACE_MS);
          backstop.unref();
          if (header) killWhenKnown = true;
          else killGroup();
        };
        const timer = opts.timeoutMs ? setTimeout(() => kill(new RemoteError(`${this.label}: timed out after ${opts.timeoutMs} ms: ${describe}`, this.label, 'ETIMEDOUT')), opts.timeoutMs) : null;
        const onAbort = () => kill(new RemoteError(`${this.label}: aborted: ${describe}`, this.label, 'ABORT_ERR'));
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        let gone = false;
        const settle = (fn: () => void) => {
          if (gone) return;
          gone = true;
          unlisten();
          if (timer) clearTimeout(timer);
          if (backstop) clearTimeout(backstop);
          opts.signal?.removeEventListener('abort', onAbort);
          fn();
        };
        // ssh2 closes the channels of a lost connection itself; this is the backstop should it not.
        const unlisten = this.onClose(() => {
          const t = setTimeout(() => settle(() => reject(this.lost(describe))), 1000);
          t.unref();
        });
        // The exit status comes with 'close', not from an 'exit' listener: a fast command's exit-status can be parsed
        // in the same chunk as the exec reply, before any listener attached after the open callback could see it.
        ch.on('close', (code?: number | null, signal?: string) =>
          settle(() => {
            if (failure) return reject(failure);
            if (header?.length) collectOut(header);
            if (typeof code === 'number') return resolve({ code, signal: null, stdout: Buffer.concat(out), stderr: Buffer.concat(err), truncated });
            if (code === null && signal) return resolve({ code: null, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err), truncated });
            reject(this.closed ? this.lost(describe) : new RemoteError(`${this.label}: no exit status for: ${describe}`, this.label, 'ENOEXIT'));
          }),
        );
        ch.end(opts.stdin ?? undefined);
      });
    });
  }

  /** The connection's one SFTP session; it holds one channel slot for as long as it lives. Every request on it settles (see sftp.ts). */
  sftp(): Promise<GuardedSftp> {
    const cached = this.sftpSession;
    if (cached) {
      return cached.then(
        (s) => {
          if (s.isOpen) return s;
          if (this.sftpSession === cached) this.sftpSession = null;
          return this.sftp();
        },
        () => this.sftp(),
      );
    }
    const forget = () => {
      if (this.sftpSession === session) this.sftpSession = null;
    };
    const session: Promise<GuardedSftp> = (async () => {
      const release = await this.channels.acquire();
      try {
        const raw = await this.request<SFTPWrapper>('opening SFTP', (cb) => this.client.sftp((err, s) => cb(err, s)));
        const sftp = new GuardedSftp(this.label, raw, this.operationTimeoutMs, () => this.destroy());
        let released = false;
        const done = () => {
          if (released) return;
          released = true;
          sftp.lose('the SSH connection closed');
          release();
          forget();
        };
        raw.once('close', done);
        const unlisten = this.onClose(done);
        raw.once('close', unlisten);
        return sftp;
      } catch (err) {
        release();
        forget();
        throw err instanceof RemoteError ? err : new RemoteError(`${this.label}: cannot start SFTP: ${(err as Error).message}`, this.label, 'ESFTP');
      }
    })();
    this.sftpSession = session;
    return session;
  }

  /** A direct-tcpip stream to host:port as seen from this host. Not counted against the channel cap: sshd's MaxSessions counts sessions only. */
  forwardOut(host: string, port: number): Promise<Duplex> {
    if (this.closed) return Promise.reject(this.lost(`forwarding to ${host}:${port}`));
    return new Promise((resolve, reject) =>
      this.client.forwardOut('127.0.0.1', 0, host, port, (err, stream) =>
        err ? reject(new RemoteError(`${this.label}: forwarding to ${host}:${port} failed: ${err.message}`, this.label, 'EFORWARD')) : resolve(stream),
      ),
    );
  }

  async close(): Promise<void> {
    if (!this.closed) {
      await new Promise<void>((resolve) => {
        this.client.once('close', () => resolve());
        this.client.end();
        // A dead peer never answers the disconnect.
        setTimeout(() => {
          this.client.destroy();
          resolve();
        }, 2000).unref();
      });
    }
    this.markClosed();
    await this.ownedJump?.close();
  }
}

/** Connects and authenticates; every failure is a RemoteError whose message says what to check. */
export async function connectSsh(opts: ConnectOptions): Promise<SshConnection> {
  const { target, name } = opts;
  const label = describeTarget(name, target);
  const timeoutMs = opts.connectTimeoutMs ?? target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;

  let jump: SshConnection | null = null;
  let ownedJump: SshConnection | null = null;
  if (target.jump) {
    if (opts.jumpVia) jump = await opts.jumpVia(target.jump);
    else jump = ownedJump = await connectSsh({ ...opts, name: target.jump.alias, target: target.jump });
  }

  try {
    let sock: Socket | Duplex;
    if (jump) {
      try {
        sock = await jump.forwardOut(target.hostName, target.port);
      } catch (err) {
        throw new RemoteError(`${label}: the bastion could not open a connection: ${(err as Error).message.replace(/^.*?failed: /, '')}; check the address and that sshd runs`, label, 'EFORWARD');
      }
    } else {
      sock = await dial(label, target.hostName, target.port, timeoutMs);
    }
    const conn = await handshake(opts, label, sock, timeoutMs, ownedJump);
    return conn;
  } catch (err) {
    await ownedJump?.close();
    throw err;
  }
}

async function handshake(opts: ConnectOptions, label: string, sock: Socket | Duplex, timeoutMs: number, ownedJump: SshConnection | null): Promise<SshConnection> {
  const { target } = opts;
  const entries = await readKnownHosts(target.knownHostsFiles);
  const knownTypes = knownKeyTypes(entries, target.hostName, target.port);
  const agentSocket = opts.agentSocket === undefined ? (process.env.SSH_AUTH_SOCK ?? null) : opts.agentSocket;
  const plan = await planAuth(target, agentSocket, opts.identities ?? new IdentityCache());
  if (plan.attempts.length === 0) {
    sock.destroy();
    throw authError(label, target, plan, []);
  }

  const client = new Client();
  return new Promise<SshConnection>((resolve, reject) => {
    let settled = false;
    let hostKeyFailure: RemoteError | null = null;
    const tried: string[] = [];
    let timer: NodeJS.Timeout | null = null;
    const fail = (e: RemoteError) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      client.destroy();
      sock.destroy();
      reject(e);
    };
    // Our own handshake timer (ssh2's readyTimeout would also run while the operator reads a host key prompt).
    const arm = () => {
      timer = setTimeout(() => fail(new RemoteError(`${label}: SSH handshake timed out after ${timeoutMs / 1000} s; sshd is overloaded, or this port is not an SSH server`, label, 'ETIMEDOUT')), timeoutMs);
    };
    const disarm = () => {
      if (timer) clearTimeout(timer);
      timer = null;
    };
    arm();

    const verify = async (key: Buffer): Promise<boolean> => {
      const keyType = keyTypeOfBlob(key) ?? 'unknown';
      const status = checkHostKey(entries, target.hostName, target.port, keyType, key);
      switch (status.status) {
        case 'known':
          return true;
        case 'revoked':
          hostKeyFailure = new RemoteError(`${label}: the host key ${status.fingerprint} is marked @revoked in ${status.path}:${status.line}; refusing to connect`, label, 'EHOSTKEY_REVOKED');
          return false;
        case 'changed':
          hostKeyFailure = new RemoteError(
            `${label}: HOST KEY CHANGED: ${status.path}:${status.line} expects ${status.expected} but the host offered ${keyType} ${status.got}. ` +
              `This is either a reinstalled host or a man-in-the-middle. Inspect ${status.path}:${status.line}; if the host was really reinstalled, ` +
              `remove the old entry (ssh-keygen -R ${target.port === 22 ? target.hostName : `'[${target.hostName}]:${target.port}'`} -f ${status.path}) and verify the new fingerprint out of band`,
            label,
            'EHOSTKEY_CHANGED',
          );
          return false;
        case 'unknown': {
          const fp = `${keyType} ${status.fingerprint}`;
          let accept = false;
          if (opts.acceptNewHostKeys) accept = true;
          else if (opts.onUnknownHost) {
            disarm();
            try {
              accept = await opts.onUnknownHost(target.hostName, status.fingerprint, { keyType, ...(status.note ? { note: status.note } : {}) });
            } finally {
              if (!settled) arm();
            }
          }
          if (!accept) {
            hostKeyFailure = new RemoteError(
              `${label}: unknown host key ${fp}${status.note ? ` (${status.note})` : ''}; not in ${target.knownHostsFiles.join(', ') || 'any known_hosts file'}. ` +
                `Verify the fingerprint out of band, then accept it interactively, add it to known_hosts, or set ssh.acceptNewHostKeys: true (--accept-new-host-keys)`,
              label,
              'EHOSTKEY_UNKNOWN',
            );
            return false;
          }
          const file = target.knownHostsFiles[0];
          if (!file) {
            hostKeyFailure = new RemoteError(`${label}: cannot record host key ${fp}: no UserKnownHostsFile`, label, 'EHOSTKEY_UNKNOWN');
            return false;
          }
          await appendKnownHost(file, target.hostName, target.port, key, target.hashKnownHosts ? { hash: true } : {});
          return true;
        }
      }
    };

    let nextAttempt = 0;
    client.on('ready', () => {
      if (settled) return;
      settled = true;
      disarm();
      resolve(new SshConnection(label, client, opts.maxChannels ?? 8, ownedJump, opts.operationTimeoutMs, sock instanceof NetSocket ? sock : null));
    });
    client.on('error', (err: Error & { level?: string }) => {
      if (hostKeyFailure) return fail(hostKeyFailure);
      if (err.level === 'client-authentication') return fail(authError(label, target, plan, tried));
      if (errno(err)) return fail(socketError(label, err));
      fail(new RemoteError(`${label}: SSH handshake failed: ${err.message}`, label, 'EHANDSHAKE'));
    });
    client.on('close', () => fail(hostKeyFailure ?? new RemoteError(`${label}: the server closed the connection during the SSH handshake`, label, 'ECONNRESET')));

    if (sock instanceof NetSocket) coalesceWrites(sock);
    client.connect({
      sock: sock as Socket,
      username: target.user,
      readyTimeout: 0,
      keepaliveInterval: opts.keepaliveIntervalMs ?? 5000,
      keepaliveCountMax: opts.keepaliveCountMax ?? 3,
      algorithms: { serverHostKey: hostKeyAlgorithms(knownTypes) as never },
      hostVerifier: (key: Buffer, callback: (ok: boolean) => void) => {
        verify(key).then(callback, (err: Error) => {
          hostKeyFailure = new RemoteError(`${label}: checking the host key failed: ${err.message}`, label, 'EHOSTKEY');
          callback(false);
        });
      },
      authHandler: (methodsLeft: AuthenticationType[] | null, _partial: boolean, next: (m: AnyAuthMethod | false) => void) => {
        while (nextAttempt < plan.attempts.length) {
          const a = plan.attempts[nextAttempt++]!;
          if (methodsLeft && !methodsLeft.includes('publickey')) continue;
          tried.push(a.label);
          return next(a.method);
        }
        next(false);
      },
    } as never);
    declineHostKeysAnnouncement(client);
    signFirstRequest(client, new Set(plan.attempts.flatMap((a) => (a.method.type === 'publickey' && typeof a.method.key === 'object' && !Buffer.isBuffer(a.method.key) ? [a.method.key] : []))));
  });
}

const RSA_SIGNATURE_HASH: Record<string, string> = { 'rsa-sha2-256': 'sha256', 'rsa-sha2-512': 'sha512', 'ssh-rsa': 'sha1' };

/**
 * ssh2 first asks whether the server would accept a key (USERAUTH_REQUEST without a signature, answered by
 * PK_OK) and signs only then: one round trip per key. For a key file whose private key is loaded here, the
 * signed request goes at once, as OpenSSH does for keys it holds privately. The signature covers this
 * session's id, as always; a server that refuses the key answers with a failure and the next key is tried.
 * Agent keys are untouched (signing needs the agent).
 */
function signFirstRequest(client: InstanceType<typeof Client>, ownKeys: ReadonlySet<object>): void {
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

/**
 * Every write ssh2 makes while handling one chunk from the server (and the promise callbacks it runs) leaves in
 * one writev: NEWKEYS and the service request, a channel close and the next open, and so on. Each separate
 * write wakes the server once more, and on a busy machine each wakeup can preempt this process.
 */
function coalesceWrites(sock: Socket): void {
  let corked = false;
  const cork = () => {
    if (corked) return;
    corked = true;
    sock.cork();
    setImmediate(() => {
      corked = false;
      sock.uncork();
    });
  };
  // Before ssh2's own 'data' listener, which parses and answers.
  sock.prependListener('data', cork);
  // The identification string and KEXINIT, written when the client starts.
  cork();
}

/**
 * After authentication OpenSSH announces all its host keys (hostkeys-00@openssh.com, UpdateHostKeys), and ssh2
 * answers every announcement by asking the server to prove it holds each key: one more request, a signature per
 * host key on the server and a verification here, all for a 'hostkeys' event nothing here listens to. Host keys
 * are only ever trusted from known_hosts, so the announcement is declined instead, as OpenSSH's client does when
 * UpdateHostKeys is off. It is declined with a REQUEST_FAILURE at once, which sshd takes as a keepalive answer:
 * sent nothing, the announcement stays unacknowledged until the delayed ACK (40 ms), and sshd, which does not
 * set TCP_NODELAY for a session without a terminal, holds its channel-open confirmation back behind it (Nagle).
 * Only the no-reply form is handled here; anything else still goes to ssh2.
 */
function declineHostKeysAnnouncement(client: InstanceType<typeof Client>): void {
  const proto = (client as unknown as { _protocol?: { _handlers?: Record<string, unknown>; requestFailure?: () => void } })._protocol;
  const handlers = proto?._handlers;
  const original = handlers?.GLOBAL_REQUEST;
  if (!proto || !handlers || typeof original !== 'function' || typeof proto.requestFailure !== 'function') return;
  handlers.GLOBAL_REQUEST = (p: unknown, name: string, wantReply: boolean, data: unknown) => {
    if (name === 'hostkeys-00@openssh.com' && !wantReply) return proto.requestFailure!();
    return (original as (...args: unknown[]) => unknown).call(handlers, p, name, wantReply, data);
  };
}

/** A command as one line for messages: a multi-line script's lines joined, long ones cut. */
export function oneLine(command: string, max = 160): string {
  const line = command.replace(/\s*\n\s*/g, '; ').replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
