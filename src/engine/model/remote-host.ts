/**
 * The contract between the engine (and discovery) and the SSH transport.
 * Everything that touches a host goes through a RemoteHost; nothing else opens connections.
 * Every operation runs with root privileges on the host: directly when the login user is root,
 * otherwise through sudo (probed with `sudo -n true`, or with a password asked once).
 */
import type { Duplex } from 'node:stream';

export interface ExecOptions {
  /** Bytes written to the command's stdin, then stdin is closed. */
  stdin?: string | Buffer;
  /** Kill the remote command and reject after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Strings (secrets) that must never reach a log or an error message; replaced by `***`. */
  redact?: string[];
}

export interface ExecResult {
  /** Exit code, or null when the command was killed by a signal. */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface FileStat {
  exists: boolean;
  /** Permission bits, e.g. 0o600. */
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
}

export interface WriteOptions {
  /** Permission bits of the written file, e.g. 0o600 for keys. */
  mode: number;
  /** `user:group` (names or ids); root:root when omitted. */
  owner?: string;
  /**
   * Also remove the temp files that earlier writes of this path left when their connection was lost
   * (`.NAME.ha-wizard-tmp-*` beside it). For redoing an interrupted write and for rollback: it costs a directory
   * listing, so a first write does without.
   */
  removeStaleTemps?: boolean;
}

export interface RemoteHost {
  /** The node name from the cluster config (used in every message). */
  readonly name: string;
  /** The address dialled (IP or DNS name). */
  readonly address: string;
  /** Run argv on the host as root. argv is quoted safely; no shell interprets the elements. */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Read a whole file as root. Rejects with RemoteError code ENOENT when missing. */
  readFile(path: string): Promise<Buffer>;
  stat(path: string): Promise<FileStat>;
  /** Hex sha256 of the file, or null when it does not exist. */
  sha256(path: string): Promise<string | null>;
  /**
   * Replace (or create) a file atomically: temp file in the same directory, fsync, chmod/chown, rename.
   * A concurrent reader sees either the old or the new content, never a mix. Creates missing parent directories (0755).
   */
  writeFileAtomic(path: string, data: Buffer | string, opts: WriteOptions): Promise<void>;
  /** A TCP stream to host:port as seen from this host (ssh direct-tcpip), e.g. to 127.0.0.1:6443. */
  forwardOut(host: string, port: number): Promise<Duplex>;
  close(): Promise<void>;
}

/** Any failure of a remote operation; the message names the host, the operation and the path or command. */
export class RemoteError extends Error {
  override readonly name = 'RemoteError';
  constructor(
    message: string,
    readonly host: string,
    readonly code?: string,
    readonly stderr?: string,
  ) {
    super(message);
  }
}
