/**
 * One authenticated SSH connection to one host and its channels: exec (with output limits, timeouts and the
 * kill of a command's process group), one SFTP session reused, TCP forwarding; at most `maxChannels` open at
 * once (OpenSSH's MaxSessions is 10). Knows nothing of sudo: see remote-host.ts. Connecting (TCP, host key,
 * authentication) is handshake.ts and auth.ts.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type ssh2 from 'ssh2';
import type { ClientChannel, SFTPWrapper } from 'ssh2';
import { Semaphore } from './semaphore.js';
import { GuardedSftp } from './sftp.js';
import { RemoteError } from '../engine/model/remote-host.js';

type Client = InstanceType<typeof ssh2.Client>;

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

const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;
const DEFAULT_OPERATION_TIMEOUT_MS = 120_000;
/** After a timeout or abort, how long the command's kill and the channel's close may take before the caller is answered anyway. */
const KILL_GRACE_MS = 15_000;

export class SshConnection {
  private closed = false;
  private sftpSession: Promise<GuardedSftp> | null = null;
  private readonly channels: Semaphore;
  private readonly closeListeners = new Set<() => void>();

  constructor(
    readonly label: string,
    private readonly client: Client,
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

/** A command as one line for messages: a multi-line script's lines joined, long ones cut. */
export function oneLine(command: string, max = 160): string {
  const line = command.replace(/\s*\n\s*/g, '; ').replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
