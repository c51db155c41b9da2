/**
 * RemoteHost over one SshConnection: every operation as root, directly when the login user is root,
 * otherwise through sudo (probed once per host: `sudo -n true`, else a password asked once and fed with `-S`).
 * Reconnects lazily when the connection was lost between operations.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { Duplex } from 'node:stream';
import { type RawExecResult, type SshConnection } from './connection.js';
import { connectSsh, describeTarget, type ConnectOptions } from './handshake.js';
import { shJoin } from '../shell/quote.js';
import { redact } from './redact.js';
import type { GuardedSftp } from './sftp.js';
import { RemoteError, type ExecOptions, type ExecResult, type FileStat, type RemoteHost, type WriteOptions } from '../engine/model/remote-host.js';

/** What the audit log records for every command (argv with secrets replaced by `***`). */
export interface ExecAuditRecord {
  host: string;
  argv: string[];
  code: number | null;
  signal: string | null;
  durationMs: number;
  /** Set when the command did not run to an exit status (timeout, abort, lost connection). */
  error?: string;
}

export interface RemoteHostOptions extends Omit<ConnectOptions, 'name' | 'target'> {
  /** Asked when sudo needs a password; the pool shares one answer across hosts. Kept in memory only. */
  sudoPassword?: () => Promise<string>;
  onExec?: (record: ExecAuditRecord) => void;
  /** Default cap on each of stdout/stderr kept in memory. */
  maxOutputBytes?: number;
}

type Privilege = { kind: 'root' } | { kind: 'sudo' } | { kind: 'sudo-password'; password: string };

/** Exit status our helper scripts use for "the path does not exist" (distinct from the tools' own failures). */
const MISSING = 44;
const IF_EXISTS = '[ -e "$1" ] || [ -L "$1" ] || exit 44; ';

const OWNER = /^([A-Za-z0-9_][A-Za-z0-9._-]*):([A-Za-z0-9_][A-Za-z0-9._-]*)$/;

/** ssh2 SFTP errors carry the protocol status in `code` (2 = no such file, 3 = permission denied). */
function sftpErrno(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | undefined)?.code;
  if (c === 2) return 'ENOENT';
  if (c === 3) return 'EACCES';
  return typeof c === 'string' ? c : undefined;
}

function errnoFromStderr(stderr: string): string | undefined {
  if (/No such file or directory/i.test(stderr)) return 'ENOENT';
  if (/Permission denied|Operation not permitted/i.test(stderr)) return 'EACCES';
  if (/Read-only file system/i.test(stderr)) return 'EROFS';
  if (/No space left/i.test(stderr)) return 'ENOSPC';
  return undefined;
}

export class SshRemoteHost implements RemoteHost {
  readonly address: string;
  private conn: Promise<SshConnection> | null = null;
  private privilege: Promise<Privilege> | null = null;
  private readonly label: string;

  constructor(
    readonly name: string,
    private readonly target: ConnectOptions['target'],
    private readonly opts: RemoteHostOptions = {},
  ) {
    this.address = target.hostName;
    this.label = describeTarget(name, target);
  }

  private connection(): Promise<SshConnection> {
    const current = this.conn;
    if (current) {
      return current.then((c) => {
        if (c.isOpen) return c;
        if (this.conn === current) this.conn = null;
        return this.connection();
      });
    }
    const next = connectSsh({ ...this.opts, name: this.name, target: this.target });
    this.conn = next;
    next.catch(() => {
      if (this.conn === next) this.conn = null;
    });
    return next;
  }

  /** Connects now (the pool uses it to surface connection errors early). */
  async connect(): Promise<void> {
    await this.connection();
    await this.ensurePrivilege();
  }

  private ensurePrivilege(): Promise<Privilege> {
    if (!this.privilege) {
      const p = this.probePrivilege();
      this.privilege = p;
      p.catch(() => {
        if (this.privilege === p) this.privilege = null;
      });
    }
    return this.privilege;
  }

  private async probePrivilege(): Promise<Privilege> {
    const conn = await this.connection();
    // A root login is uid 0: asking costs a round trip per host, which dominated a one-command fan-out.
    if (this.target.user === 'root') return { kind: 'root' };
    const probe =
      'u=$(id -u); echo "uid=$u"; if [ "$u" != 0 ]; then if ! command -v sudo >/dev/null 2>&1; then echo sudo=missing; ' +
      'elif sudo -n true >/dev/null 2>&1; then echo sudo=nopasswd; else echo sudo=password; fi; fi';
    const r = await conn.exec(probe, { timeoutMs: 30_000 }, 'privilege probe');
    const out = r.stdout.toString();
    if (/^uid=0$/m.test(out)) return { kind: 'root' };
    const user = this.target.user;
    if (/^sudo=nopasswd$/m.test(out)) return { kind: 'sudo' };
    if (/^sudo=missing$/m.test(out)) throw new RemoteError(`${this.label}: user ${user} is not root and sudo is not installed; log in as root or install sudo`, this.name, 'ESUDO');
    if (!/^sudo=password$/m.test(out)) throw new RemoteError(`${this.label}: cannot tell whether ${user} is root (probe said ${JSON.stringify(out.slice(0, 200))})`, this.name, 'ESUDO');
    if (!this.opts.sudoPassword) {
      throw new RemoteError(`${this.label}: sudo for ${user} needs a password; run interactively to be asked for it, or allow ${user} NOPASSWD in sudoers`, this.name, 'ESUDO');
    }
    const password = await this.opts.sudoPassword();
    // -k ignores cached credentials, so sudo always reads the password line and never passes it on to the command.
    const check = await conn.exec("sudo -k -S -p '' -- true", { stdin: Buffer.from(`${password}\n`), timeoutMs: 30_000 }, 'sudo password check');
    if (check.code !== 0) {
      const why = redact(check.stderr.toString().trim(), [password]).split('\n').slice(-1)[0] ?? '';
      throw new RemoteError(`${this.label}: sudo rejected the password for ${user}${why ? ` (${why})` : ''}`, this.name, 'ESUDO');
    }
    return { kind: 'sudo-password', password };
  }

  /** Runs argv, as root unless `privileged` is false; resolves with raw bytes. Emits the audit record. */
  private async run(argv: readonly string[], opts: ExecOptions & { privileged?: boolean; maxOutputBytes?: number; unkillable?: boolean } = {}): Promise<RawExecResult & { secrets: string[] }> {
    const started = performance.now();
    const secrets = [...(opts.redact ?? [])];
    const shown = () => argv.map((a) => redact(a, secrets));
    let record: Omit<ExecAuditRecord, 'durationMs'> = { host: this.name, argv: [], code: null, signal: null };
    try {
      const quoted = shJoin(argv);
      const conn = await this.connection();
      const priv = opts.privileged === false ? ({ kind: 'root' } as const) : await this.ensurePrivilege();
      let command = quoted;
      let stdin = opts.stdin === undefined ? undefined : Buffer.from(opts.stdin);
      if (priv.kind === 'sudo') command = `sudo -n -- ${quoted}`;
      if (priv.kind === 'sudo-password') {
        secrets.push(priv.password);
        command = `sudo -k -S -p '' -- ${quoted}`;
        stdin = Buffer.concat([Buffer.from(`${priv.password}\n`), stdin ?? Buffer.alloc(0)]);
      }
      const killable = !opts.unkillable && (!!opts.timeoutMs || opts.signal !== undefined);
      const r = await conn.exec(
        // The login shell is the session's process group leader (sshd runs it under setsid): it prints its pid,
        // the group id, and becomes the command. exec keeps the command's exit status or signal as it was.
        killable ? `echo $$; exec ${command}` : command,
        {
          ...(killable ? { killGroup: (pgid: number) => this.killGroup(pgid, priv) } : {}),
          ...(stdin ? { stdin } : {}),
          ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
          maxOutputBytes: opts.maxOutputBytes ?? this.opts.maxOutputBytes ?? 16 * 1024 * 1024,
        },
        shown().join(' '),
      );
      record = { host: this.name, argv: shown(), code: r.code, signal: r.signal };
      return { ...r, secrets };
    } catch (err) {
      const message = redact((err as Error).message, secrets);
      record = { host: this.name, argv: shown(), code: null, signal: null, error: message };
      if (err instanceof RemoteError) throw new RemoteError(message, err.host, err.code, err.stderr === undefined ? undefined : redact(err.stderr, secrets));
      throw new RemoteError(message, this.name);
    } finally {
      this.opts.onExec?.({ ...record, durationMs: Math.round(performance.now() - started) });
    }
  }

  /**
   * Kills what a timed-out or aborted command left running: its process group (sudo and the command under it
   * included) and every descendant of a process in it (a command started by sudo in a session of its own on a pty,
   * with `use_pty`, is not in the group). Stopped first so nothing forks away meanwhile. `kill -s SIG --`: dash's
   * builtin rejects `kill -SIG -- -PGID`. Run as root, over a
   * channel of its own: sshd does not deliver the channel's own 'signal' request here (see RawExecOptions.killGroup).
   */
  private async killGroup(pgid: number, priv: Privilege): Promise<void> {
    if (!Number.isSafeInteger(pgid) || pgid <= 1) return;
    const script =
      'g=$1; [ "$g" -gt 1 ] || exit 0; kill -s STOP -- "-$g" 2>/dev/null; ' +
      'd=$(ps -e -o pid= -o ppid= -o pgid= 2>/dev/null | awk -v g="$g" \'{ p[$1] = $2; q[$1] = $3 } ' +
      'END { for (i in p) { j = i; for (n = 0; n < 64 && j > 1; n++) { if (q[j] == g || j == g) { print i; break } j = p[j] } } }\'); ' +
      'kill -s KILL -- "-$g" $d 2>/dev/null; exit 0';
    // As whoever ran the command: root through the same sudo, or the login user for an unprivileged command.
    await this.run(['sh', '-c', script, 'ha-wizard-kill', String(pgid)], { privileged: priv.kind !== 'root', timeoutMs: 10_000, unkillable: true });
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.run(argv, opts);
    return {
      code: r.code,
      signal: r.signal,
      stdout: redact(r.stdout.toString(), r.secrets.slice(opts.redact?.length ?? 0)),
      stderr: redact(r.stderr.toString(), r.secrets),
    };
  }

  /** Runs a privileged helper script; MISSING becomes ENOENT, other failures name the operation and path. */
  private async script(op: string, path: string, body: string, args: readonly string[], opts: { stdin?: Buffer; maxOutputBytes?: number } = {}): Promise<Buffer> {
    const r = await this.run(['sh', '-c', body, 'sh', ...args], opts);
    if (r.code === 0) {
      if (r.truncated) throw new RemoteError(`${this.name}: ${op} ${path}: output larger than ${opts.maxOutputBytes ?? 'the limit'} bytes`, this.name, 'E2BIG');
      return r.stdout;
    }
    const stderr = redact(r.stderr.toString().trim(), r.secrets);
    if (r.code === MISSING) throw new RemoteError(`${this.name}: ${op} ${path}: No such file or directory`, this.name, 'ENOENT', stderr);
    const why = stderr.split('\n').filter(Boolean).slice(-1)[0]?.replace(/^[^:]+: /, '') ?? `exit ${r.code ?? r.signal}`;
    throw new RemoteError(`${this.name}: ${op} ${path}: ${why}`, this.name, errnoFromStderr(stderr) ?? 'EREMOTE', stderr);
  }

  private async asRoot(): Promise<GuardedSftp | null> {
    return (await this.ensurePrivilege()).kind === 'root' ? (await this.connection()).sftp() : null;
  }

  private sftpError(op: string, path: string, err: unknown): RemoteError {
    if (err instanceof RemoteError) return err;
    const code = sftpErrno(err);
    const why = code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : (err as Error).message;
    return new RemoteError(`${this.name}: ${op} ${path}: ${why}`, this.name, code ?? 'ESFTP');
  }

  async readFile(path: string): Promise<Buffer> {
    checkPath(path);
    const sftp = await this.asRoot();
    if (!sftp) return this.script('reading', path, `${IF_EXISTS}exec cat -- "$1"`, [path], { maxOutputBytes: 1024 * 1024 * 1024 });
    try {
      return await sftp.call<Buffer>(`reading ${path}`, (cb) => sftp.raw.readFile(path, cb));
    } catch (err) {
      throw this.sftpError('reading', path, err);
    }
  }

  async stat(path: string): Promise<FileStat> {
    checkPath(path);
    const sftp = await this.asRoot();
    if (sftp) {
      try {
        const s = await sftp.call<import('ssh2').Stats>(`stat ${path}`, (cb) => sftp.raw.stat(path, cb));
        return { exists: true, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, size: s.size };
      } catch (err) {
        if (sftpErrno(err) === 'ENOENT') return { exists: false };
        throw this.sftpError('stat', path, err);
      }
    }
    try {
      const out = (await this.script('stat', path, `${IF_EXISTS}exec stat -L -c '%f %u %g %s' -- "$1"`, [path])).toString().trim();
      const [mode, uid, gid, size] = out.split(' ');
      return { exists: true, mode: parseInt(mode ?? '', 16) & 0o7777, uid: Number(uid), gid: Number(gid), size: Number(size) };
    } catch (err) {
      if (err instanceof RemoteError && err.code === 'ENOENT') return { exists: false };
      throw err;
    }
  }

  async sha256(path: string): Promise<string | null> {
    checkPath(path);
    try {
      // From stdin: sha256sum escapes odd file names in its output, the digest line for `-` is plain.
      const out = (await this.script('hashing', path, `${IF_EXISTS}exec sha256sum < "$1"`, [path])).toString();
      const m = /^([0-9a-f]{64})\b/.exec(out);
      if (!m?.[1]) throw new RemoteError(`${this.name}: hashing ${path}: unexpected sha256sum output`, this.name, 'EREMOTE');
      return m[1];
    } catch (err) {
      if (err instanceof RemoteError && err.code === 'ENOENT') return null;
      throw err;
    }
  }

  async writeFileAtomic(path: string, data: Buffer | string, opts: WriteOptions): Promise<void> {
    checkPath(path);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (!Number.isInteger(opts.mode) || opts.mode < 0 || opts.mode > 0o7777) throw new RemoteError(`${this.name}: writing ${path}: invalid mode ${opts.mode}`, this.name, 'EINVAL');
    const owner = OWNER.exec(opts.owner ?? 'root:root');
    if (!owner?.[1] || !owner[2]) throw new RemoteError(`${this.name}: writing ${path}: owner must be user:group, got ${JSON.stringify(opts.owner)}`, this.name, 'EINVAL');
    const [user, group] = [owner[1], owner[2]];
    const dir = posix.dirname(path);
    const tmp = posix.join(dir, `.${posix.basename(path)}.ha-wizard-tmp-${randomBytes(6).toString('hex')}`);
    const mode = opts.mode.toString(8).padStart(4, '0');
    const sftp = await this.asRoot();
    if (sftp) {
      await this.writeAsRoot(sftp, path, dir, tmp, bytes, opts.mode, user, group);
      if (opts.removeStaleTemps) await this.removeStaleTemps(sftp, path);
      return;
    }

    // Not root: SFTP (as the login user) into a private directory, then sudo install + mv into place.
    const made = await this.run(['mktemp', '-d'], { privileged: false });
    const privateDir = made.stdout.toString().trim();
    if (made.code !== 0 || !/^\/[^\n]+$/.test(privateDir)) throw new RemoteError(`${this.name}: writing ${path}: mktemp -d failed: ${made.stderr.toString().trim()}`, this.name, 'EREMOTE');
    const staged = `${privateDir}/data`;
    try {
      const userSftp = await (await this.connection()).sftp();
      await writeAll(userSftp, staged, bytes, 0o600, `writing ${path} (staging ${staged})`);
    } catch (err) {
      await this.run(['rm', '-rf', '--', privateDir], { privileged: false }).catch(() => undefined);
      throw this.sftpError(`writing ${path}: staging`, staged, err);
    }
    await this.script(
      'writing',
      path,
      // The EXIT trap removes the staging dir and, on failure, the temp file; mv within one directory is an atomic rename.
      // $9 = 1: also the temp files of earlier writes of this path that a lost connection left (see WriteOptions).
      'trap \'rm -f -- "$3"; rm -rf -- "$7"\' EXIT; mkdir -p -- "$2" && install -m "$4" -o "$5" -g "$6" -- "$1" "$3" && sync -- "$3" && mv -f -- "$3" "$8" || exit 1; ' +
        'if [ "$9" = 1 ]; then for f in "$2"/."${8##*/}".ha-wizard-tmp-*; do if [ -f "$f" ]; then rm -f -- "$f"; fi; done; fi',
      [staged, dir, tmp, mode, user, group, privateDir, path, opts.removeStaleTemps ? '1' : '0'],
    );
  }

  /** Removes `.NAME.ha-wizard-tmp-*` beside path (regular files only); best effort: the write itself is done. */
  private async removeStaleTemps(sftp: GuardedSftp, path: string): Promise<void> {
    const dir = posix.dirname(path);
    const prefix = `.${posix.basename(path)}.ha-wizard-tmp-`;
    const entries = await sftp.call<Array<{ filename: string; attrs: { mode: number } }>>(`writing ${path}: listing ${dir}`, (cb) => sftp.raw.readdir(dir, cb)).catch(() => []);
    for (const e of entries) {
      // 0o170000 = S_IFMT, 0o100000 = S_IFREG.
      if (!e.filename.startsWith(prefix) || (e.attrs.mode & 0o170000) !== 0o100000) continue;
      const stale = posix.join(dir, e.filename);
      await sftp.call<void>(`writing ${path}: removing the stale temp file ${e.filename}`, (cb) => sftp.raw.unlink(stale, (err) => cb(err))).catch(() => undefined);
    }
  }

  private async writeAsRoot(sftp: GuardedSftp, path: string, dir: string, tmp: string, bytes: Buffer, mode: number, user: string, group: string): Promise<void> {
    const what = `writing ${path}`;
    const dirStat = await sftp.call(`${what}: stat ${dir}`, (cb) => sftp.raw.stat(dir, cb)).catch((err: unknown) => (sftpErrno(err) === 'ENOENT' ? null : Promise.reject(this.sftpError('writing', path, err))));
    if (dirStat === null) await this.script('writing', path, 'mkdir -p -- "$1"', [dir]);
    try {
      await writeAll(sftp, tmp, bytes, mode, `${what} (temp ${posix.basename(tmp)})`);
      if (!((user === 'root' || user === '0') && (group === 'root' || group === '0'))) {
        await this.script('writing', path, 'exec chown -- "$2" "$1"', [tmp, `${user}:${group}`]);
      }
      await sftp.call<void>(`${what}: renaming the temp file into place`, (cb) => sftp.raw.ext_openssh_rename(tmp, path, (err) => cb(err)));
    } catch (err) {
      // On a lost connection this rejects at once; the temp file (mode as planned, never the target) is then left behind.
      await sftp.call<void>(`${what}: removing the temp file`, (cb) => sftp.raw.unlink(tmp, (e) => cb(e))).catch(() => undefined);
      throw this.sftpError('writing', path, err);
    }
  }

  async forwardOut(host: string, port: number): Promise<Duplex> {
    return (await this.connection()).forwardOut(host, port);
  }

  async close(): Promise<void> {
    const c = this.conn;
    this.conn = null;
    this.privilege = null;
    if (c) await c.then((conn) => conn.close(), () => undefined);
  }
}

function checkPath(path: string): void {
  if (!path.startsWith('/') || path.includes('\0')) throw new RemoteError(`invalid remote path ${JSON.stringify(path)}: must be absolute`, '', 'EINVAL');
}

const CHUNK = 256 * 1024;

/** Waits for every request (none is left running unobserved), then rejects with the first failure, if any. */
async function settleAll(requests: Array<Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(requests);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Creates `path` exclusively with `mode`, writes all bytes, fsyncs and sets the exact mode (umask-proof). `what` names the operation in errors. */
async function writeAll(sftp: GuardedSftp, path: string, bytes: Buffer, mode: number, what: string): Promise<void> {
  const handle = await sftp.call<Buffer>(`${what}: creating the temp file`, (cb) => sftp.raw.open(path, 'wx', { mode }, cb));
  try {
    // Pipelined: every write, the chmod and the fsync are sent at once, one round trip instead of one each. The SFTP
    // draft (filexfer-02, "request synchronization") requires results as if each request had waited for the one
    // before, and OpenSSH's sftp-server handles them in order: the fsync still comes after the last byte. Any
    // failure rejects, and the caller removes the temp file.
    const requests: Array<Promise<void>> = [];
    for (let off = 0; off < bytes.length; off += CHUNK) {
      const len = Math.min(CHUNK, bytes.length - off);
      requests.push(sftp.call<void>(`${what}: writing bytes ${off}-${off + len}`, (cb) => sftp.raw.write(handle, bytes, off, len, off, (err) => cb(err))));
    }
    requests.push(sftp.call<void>(`${what}: chmod`, (cb) => sftp.raw.fchmod(handle, mode, (err) => cb(err))));
    requests.push(sftp.call<void>(`${what}: fsync`, (cb) => sftp.raw.ext_openssh_fsync(handle, (err) => cb(err))));
    await settleAll(requests);
  } finally {
    await sftp.call<void>(`${what}: closing the temp file`, (cb) => sftp.raw.close(handle, (err) => cb(err))).catch(() => undefined);
  }
}
