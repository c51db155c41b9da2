/**
 * Connecting: TCP with TCP_NODELAY from the first byte (or a channel through a bastion), the SSH handshake,
 * the host key checked against known_hosts (bastions too; unknown keys put to the operator or refused),
 * authentication (auth.ts). Every failure is a RemoteError whose message says what to check. For fan-outs
 * (one handshake per node, all at once on a few cores) the handshake does no more than it must: key files
 * parsed once per pool, the first publickey request already signed, the writes made for one server chunk
 * coalesced, and OpenSSH's host key announcement declined instead of proven (see the functions below).
 */
import { connect as netConnect, Socket as NetSocket, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, AuthenticationType } from 'ssh2';
import { IdentityCache, authError, planAuth, signFirstRequest } from './auth.js';
import { SshConnection } from './connection.js';
import { appendKnownHost, checkHostKey, keyTypeOfBlob, knownKeyTypes, readKnownHosts } from './known-hosts.js';
import type { SshTarget } from './ssh-config.js';
import { hostPort } from '../pki/hosts.js';
import { RemoteError } from '../engine/model/remote-host.js';

const { Client } = ssh2;

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

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** ssh2's default host key algorithms, in its order; reordered so types on file come first. */
const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** `cp2 (10.0.0.12:22)` or `cp2 (10.0.0.12:22 via bastion)`: how every message names the host. */
export function describeTarget(name: string, t: SshTarget): string {
  return `${name} (${hostPort(t.hostName, t.port)}${t.jump ? ` via ${t.jump.alias}` : ''})`;
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
      reject(unreachable(label, hostPort(host, port), `no answer within ${timeoutMs / 1000} s`, 'check the address, that this machine is on a network that reaches the nodes (VPN, network namespace), and that sshd runs', 'ETIMEDOUT'));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.setNoDelay(true);
      resolve(sock);
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      sock.destroy();
      reject(socketError(label, err, hostPort(host, port)));
    });
  });
}

/**
 * A connection that never reached an SSH server, in the operator's words: `cannot reach HOST:PORT (why)` and what to
 * check. Running outside the network that reaches the nodes (another VPN, or outside a lab's namespace) ends here.
 */
export function unreachable(label: string, where: string, why: string, check: string, code: string): RemoteError {
  // The label names the node and its address; the address is said once, where it could not be reached.
  return new RemoteError(`${label.replace(/ \([^()]*\)$/, '')}: cannot reach ${where} (${why}); ${check}`, label, code);
}

function socketError(label: string, err: Error, where = label): RemoteError {
  const code = errno(err);
  switch (code) {
    case 'ECONNREFUSED':
      return unreachable(label, where, 'connection refused: nothing listens there', 'check the port and that sshd runs', code);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return unreachable(label, where, `the name does not resolve, ${code}`, 'check the address and DNS', 'ENOTFOUND');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return unreachable(label, where, `no route to it from this machine, ${code}`, 'check the address, and that this machine is on a network that reaches the nodes (VPN, network namespace)', code);
    case 'ECONNRESET':
      return new RemoteError(`${label}: connection reset by the server during the SSH handshake (sshd MaxStartups, a firewall, or not an SSH port)`, label, code);
    default:
      return new RemoteError(`${label}: ${err.message}`, label, code);
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
      if (errno(err)) return fail(socketError(label, err, hostPort(target.hostName, target.port)));
      // The TCP connection opened but closed before any SSH server spoke: something else answers at that address.
      if (/Connection lost before handshake/i.test(err.message)) {
        return fail(
          unreachable(label, hostPort(target.hostName, target.port), 'the connection closed before an SSH server answered', 'check the address, and that this machine is on a network that reaches the nodes (VPN, network namespace): something else, a firewall or a proxy, answers there', 'ECONNRESET'),
        );
      }
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
