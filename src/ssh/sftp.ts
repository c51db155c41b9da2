/**
 * An SFTP session whose every request settles. ssh2 answers the requests in flight with an error when the
 * channel or the connection goes, but a request sent *after* that (the unlink that cleans up a failed write,
 * the close of a handle) is queued on a dead channel and its callback never runs: the run hangs with no
 * error. Here each request rejects as soon as the session or its connection is lost, and after a per-request
 * timeout as a backstop (a timeout also gives the connection up, so the next operation reconnects).
 */
import type { SFTPWrapper } from 'ssh2';
import { RemoteError } from '../engine/model/remote-host.js';

export type SftpCallback<T> = (err: Error | null | undefined, value?: T) => void;

export class GuardedSftp {
  private lostReason: string | null = null;
  private readonly pending = new Set<(why: string) => void>();

  constructor(
    /** How messages name the host (`cp2 (10.0.0.12:22)`). */
    private readonly label: string,
    readonly raw: SFTPWrapper,
    private readonly timeoutMs: number,
    /** Called when a request timed out: the connection is no longer trusted. */
    private readonly onTimeout: () => void,
  ) {
    raw.on('close', () => this.lose('the SFTP session closed'));
    raw.on('end', () => this.lose('the SFTP session ended'));
    raw.on('error', (err: Error) => this.lose(`the SFTP session failed (${err.message})`));
  }

  get isOpen(): boolean {
    return this.lostReason === null;
  }

  /** Rejects every request in flight and every later one with `why`. */
  lose(why: string): void {
    if (this.lostReason !== null) return;
    this.lostReason = why;
    for (const fail of [...this.pending]) fail(why);
    this.pending.clear();
  }

  /**
   * One SFTP request. `what` names the operation and the path for the error (`writing /etc/x`); errors the
   * server answered (no such file, permission denied) are passed through unchanged for the caller to map.
   */
  call<T>(what: string, start: (cb: SftpCallback<T>) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.lostReason !== null) return reject(this.lostError(what, this.lostReason));
      let settled = false;
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.pending.delete(onLost);
        settle();
      };
      const onLost = (why: string) => finish(() => reject(this.lostError(what, why)));
      const timer = setTimeout(() => {
        finish(() => reject(new RemoteError(`${this.label}: ${what}: no answer from the SFTP server after ${this.timeoutMs / 1000} s; the connection is given up`, this.label, 'ETIMEDOUT')));
        this.lose('an earlier SFTP request timed out');
        this.onTimeout();
      }, this.timeoutMs);
      this.pending.add(onLost);
      try {
        start((err, value) =>
          finish(() => {
            if (!err) return resolve(value as T);
            // ssh2's own answer to the requests in flight when the channel goes.
            if (err.message === 'No response from server' && (err as { code?: unknown }).code === undefined) {
              this.lose('the SFTP session was lost (no response from the server)');
              return reject(this.lostError(what, this.lostReason ?? 'the SFTP session was lost'));
            }
            reject(err);
          }),
        );
      } catch (err) {
        finish(() => reject(err instanceof Error ? err : new Error(String(err))));
      }
    });
  }

  private lostError(what: string, why: string): RemoteError {
    return new RemoteError(`${this.label}: ${what}: ${why}; the SSH connection to this host is reopened on the next operation`, this.label, 'ECONNLOST');
  }

  /** Closes the session's channel (the connection stays). */
  end(): void {
    this.lose('the SFTP session was closed');
    try {
      this.raw.end();
    } catch {
      /* already gone */
    }
  }
}
