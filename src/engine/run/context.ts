/**
 * One run of the engine (apply, resume or rollback) on one session: the deps with auditing wrapped
 * around them, the open journal, the lock, the interrupt signals and the event sink, plus the
 * host-facing primitives every action kind is built from. Only the engine talks to hosts, through here.
 */
import { createHash } from 'node:crypto';
import { ExitCode, BadInputError } from '../../exit-codes.js';
import type { Action, Probe } from '../model/actions.js';
import { auditedHosts } from '../records/audit-log.js';
import type { EngineEvent, EventSink, Phase } from '../model/events.js';
import { Journal, type FileState, type NewRecord } from '../records/journal.js';
import { acquireLock, type Lock } from '../records/lock.js';
import type { Plan } from '../model/plan.js';
import type { Hosts, KubeApi, KubeApiFactory, Materializer, Prober, ProbeResult } from '../model/ports.js';
import { redactArgv, redactText, showArgv } from '../model/secrets.js';
import type { Session } from '../records/session.js';
import { foldJournal, type JournalState } from '../records/state.js';
import { RemoteError, type RemoteHost } from '../model/remote-host.js';

export interface EngineDeps {
  hosts: Hosts;
  materializer: Materializer;
  kube: KubeApiFactory;
  prober: Prober;
}

/** An answer to "did this interrupted action take effect?": done (record it), redo (run it again). */
export type Resolution = 'done' | 'redo';

export interface Question {
  phase: Phase;
  action: Action;
  /** What was checked and why it is inconclusive. */
  question: string;
}

export interface RunOptions {
  /** First interrupt: finish the action in flight, journal it, stop (exit 3, resumable). */
  signal?: AbortSignal;
  /** Second interrupt: stop now; the action in flight stays "started" and resume checks it. */
  hardSignal?: AbortSignal;
  onEvent?: EventSink;
  /** Break a lock with exactly this id. */
  forceUnlock?: string;
  /** Interactive answer when an interrupted action's state cannot be told; without it, the run fails with the flags to pass. */
  decide?: (q: Question) => Promise<Resolution>;
  /** Non-interactive answers (`--assume-done ID`, `--redo ID`). */
  resolutions?: Record<string, Resolution>;
  /**
   * Failed actions to skip instead of retrying (`--skip ID`): each must have failed in the apply being resumed
   * and change nothing (actions.ts isSkippable); it is journaled done with outcome 'skipped'. Anything else is refused.
   */
  skip?: string[];
  env?: NodeJS.ProcessEnv;
  /** Caps a step's `parallelHosts` (default DEFAULT_MAX_PARALLEL_HOSTS); 1 runs every step one action at a time. */
  maxParallelHosts?: number;
}

/** Hosts worked on at once when a step allows it: one SSH connection each, like `parallel-ssh -p 50`. */
export const DEFAULT_MAX_PARALLEL_HOSTS = 50;

export type Outcome =
  | { status: 'finished'; changed: number; unchanged: number }
  | { status: 'stopped'; hard: boolean; resumeCommand: string }
  /** `host`: where the failing action ran (the first failure when hosts failed in parallel; the others are in `error`). */
  | { status: 'failed'; action: string | null; error: string; host?: string };

export function exitCodeOf(outcome: Outcome): ExitCode {
  return outcome.status === 'finished' ? ExitCode.Ok : outcome.status === 'stopped' ? ExitCode.Stopped : ExitCode.Failure;
}

/** Thrown (internally) when the hard signal fires; the run ends as 'stopped' with the action left started. */
export class HardStop extends Error {
  override readonly name = 'HardStop';
}

/** A failure of one action, already described for the operator (host, command, stderr). */
export class ActionError extends Error {
  override readonly name = 'ActionError';
}

/** A command that ran to its end and exited non-zero: its effect is known (it failed), unlike a dropped one. */
export class CommandFailed extends ActionError {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function backupRoot(session: string): string {
  return `/etc/kubernetes/tmp/ha-wizard-backup-${session}`;
}

export class RunContext {
  readonly hosts: Hosts;
  readonly journal: Journal;
  private readonly kubes = new Map<string, Promise<KubeApi>>();
  changed = 0;
  unchanged = 0;

  private constructor(
    readonly plan: Plan,
    readonly session: Session,
    readonly deps: EngineDeps,
    readonly opts: RunOptions,
    readonly lock: Lock,
  ) {
    this.hosts = auditedHosts(deps.hosts, session.auditPath);
    this.journal = Journal.open(session.journalPath);
  }

  /** Takes the cluster lock and opens the journal (strictly: a damaged journal refuses the run). */
  static open(session: Session, deps: EngineDeps, opts: RunOptions, operation: string): RunContext {
    const lock = acquireLock({ cluster: session.plan.cluster, session: session.id, operation, forceUnlock: opts.forceUnlock, env: opts.env });
    try {
      const ctx = new RunContext(session.plan, session, deps, opts, lock);
      if (lock.tookOver) {
        ctx.emit({ type: 'notice', text: `took over the lock ${lock.tookOver.id} left by pid ${lock.tookOver.pid} (${lock.tookOver.operation}, session ${lock.tookOver.session}), which is no longer running` });
      }
      return ctx;
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  close(): void {
    this.journal.close();
    this.lock.release();
  }

  state(): JournalState {
    return foldJournal(this.plan, this.journal.records);
  }

  emit(event: EngineEvent): void {
    this.opts.onEvent?.(event);
  }

  /** Appends a journal record; resolves once it is fsync'd (concurrent lanes share fsyncs). */
  async record(rec: NewRecord): Promise<void> {
    await this.journal.appendDurable(rec);
  }

  private queue: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every earlier call has settled: questions to the operator come one at a time, even from parallel lanes. */
  oneAtATime<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  get resumeCommand(): string {
    return `ha-wizard resume ${this.session.id}`;
  }

  gracefulRequested(): boolean {
    return this.opts.signal?.aborted === true || this.hardRequested();
  }

  hardRequested(): boolean {
    return this.opts.hardSignal?.aborted === true;
  }

  /** Races an operation against the hard interrupt, so a second Ctrl-C does not wait for a slow host. */
  async guard<T>(p: Promise<T>): Promise<T> {
    const hard = this.opts.hardSignal;
    if (!hard) return p;
    if (hard.aborted) throw new HardStop('stopped immediately');
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new HardStop('stopped immediately'));
      hard.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => {
          hard.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e: unknown) => {
          hard.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  /** Sleeps; a graceful interrupt ends the sleep early (returns false), a hard one throws. */
  async sleep(ms: number, interruptible: boolean): Promise<boolean> {
    const signals = [this.opts.hardSignal, interruptible ? this.opts.signal : undefined].filter((s): s is AbortSignal => s !== undefined);
    if (signals.some((s) => s.aborted)) {
      if (this.hardRequested()) throw new HardStop('stopped immediately');
      return false;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        for (const s of signals) s.removeEventListener('abort', done);
        resolve();
      }
      for (const s of signals) s.addEventListener('abort', done, { once: true });
    });
    if (this.hardRequested()) throw new HardStop('stopped immediately');
    return !signals.some((s) => s.aborted);
  }

  host(name: string): Promise<RemoteHost> {
    return this.guard(this.hosts.get(name));
  }

  kube(hostName: string): Promise<KubeApi> {
    let k = this.kubes.get(hostName);
    if (!k) {
      k = this.host(hostName).then((h) => this.deps.kube.forHost(h));
      this.kubes.set(hostName, k);
      k.catch(() => this.kubes.delete(hostName));
    }
    return this.guard(k);
  }

  // ---- host primitives -------------------------------------------------------------------------

  async fileState(hostName: string, path: string): Promise<FileState | null> {
    const h = await this.host(hostName);
    const st = await this.guard(h.stat(path));
    if (!st.exists) return null;
    const sum = await this.hashOf(h, path, st.size);
    if (sum === null) return null;
    return { sha256: sum, mode: (st.mode ?? 0) & 0o7777, uid: st.uid ?? 0, gid: st.gid ?? 0 };
  }

  /**
   * sha256 of a remote file (null: absent). A small file (configs, certificates, manifests: nearly all this tool
   * touches) is read over the open connection and hashed here, so no process is started on the host, which adds
   * up over a fleet; a large or unknown-size one is hashed on the host, so it never crosses the network.
   */
  private async hashOf(h: RemoteHost, path: string, size: number | undefined): Promise<string | null> {
    if (size === undefined || size > LOCAL_HASH_MAX_BYTES) return this.guard(h.sha256(path));
    const data = await this.guard(readOrNull(h, path));
    return data ? sha256(data) : null;
  }

  /** `host:path` of backups chooseBackup found absent, so makeBackup need not hash them again. */
  private readonly freeBackups = new Set<string>();

  /**
   * Where the original of `path` is (or will be) saved on its host. Read-only, so it can be journaled
   * before the backup is made. A backup already holding exactly `before` is reused; a different one
   * (an earlier action of this session replaced the same file) gets a numbered sibling.
   */
  async chooseBackup(hostName: string, path: string, before: FileState): Promise<string> {
    const h = await this.host(hostName);
    const base = `${backupRoot(this.session.id)}${path}`;
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? base : `${base}.${n}`;
      const st = await this.guard(h.stat(candidate));
      const sum = st.exists ? await this.hashOf(h, candidate, st.size) : null;
      if (sum === null) this.freeBackups.add(`${hostName}:${candidate}`);
      if (sum === null || sum === before.sha256) return candidate;
    }
  }

  /** Saves the original (byte for byte, mode and owner) unless the backup already holds it. */
  async makeBackup(hostName: string, path: string, backup: string, before: FileState): Promise<void> {
    const h = await this.host(hostName);
    const free = this.freeBackups.delete(`${hostName}:${backup}`);
    if (!free && (await this.guard(h.sha256(backup))) === before.sha256) return;
    // Read once and hash here: the bytes saved are exactly the bytes checked.
    const data = await this.guard(readOrNull(h, path));
    const current = data ? sha256(data) : null;
    if (!data || current !== before.sha256) {
      throw new ActionError(`${hostName}: ${path} changed (sha256 ${current ?? 'absent'}) before its original could be saved; the original (sha256 ${before.sha256}) is not in ${backup}`);
    }
    await this.run(hostName, ['mkdir', '-p', '-m', '0700', backupRoot(this.session.id)]);
    await this.guard(h.writeFileAtomic(backup, data, { mode: before.mode, owner: `${before.uid}:${before.gid}` }));
    const saved = await this.hashOf(h, backup, data.length);
    if (saved !== before.sha256) throw new ActionError(`${hostName}: backup ${backup} does not match the original (sha256 ${saved ?? 'absent'}, expected ${before.sha256})`);
  }

  /** Puts a file back exactly as it was, from its backup. */
  async restoreFromBackup(hostName: string, path: string, backup: string, before: FileState): Promise<void> {
    const h = await this.host(hostName);
    const saved = await this.guard(h.sha256(backup));
    if (saved !== before.sha256) {
      throw new ActionError(`${hostName}: cannot restore ${path}: its backup ${backup} is ${saved === null ? 'missing' : `different (sha256 ${saved})`}; the original had sha256 ${before.sha256}`);
    }
    const data = await this.guard(h.readFile(backup));
    await this.guard(h.writeFileAtomic(path, data, { mode: before.mode, owner: `${before.uid}:${before.gid}`, removeStaleTemps: true }));
    const now = await this.fileState(hostName, path);
    if (now?.sha256 !== before.sha256 || now.mode !== before.mode) {
      throw new ActionError(`${hostName}: ${path} after restore is sha256 ${now?.sha256 ?? 'absent'} mode ${now ? `0${now.mode.toString(8)}` : '-'}, expected ${before.sha256} mode 0${before.mode.toString(8)}`);
    }
  }

  async removeFile(hostName: string, path: string): Promise<void> {
    await this.run(hostName, ['rm', '-f', '--', path]);
  }

  /** Runs a command that must succeed (engine housekeeping). */
  async run(hostName: string, argv: string[]): Promise<void> {
    const h = await this.host(hostName);
    const r = await this.guard(h.exec(argv, { signal: this.opts.hardSignal }));
    if (r.code !== 0) throw new ActionError(`${hostName}: \`${showArgv(redactArgv(argv))}\` exited with ${r.code ?? r.signal}: ${tail(r.stderr)}`);
  }

  async probe(probe: Probe): Promise<ProbeResult> {
    switch (probe.type) {
      case 'command': {
        const h = await this.host(probe.host);
        const r = await this.guard(h.exec(probe.argv, { signal: this.opts.hardSignal, timeoutMs: 30_000 }));
        if (r.code !== 0) return { ok: false, detail: `\`${showArgv(redactArgv(probe.argv))}\` exited with ${r.code ?? r.signal}${r.stderr.trim() ? `: ${tail(r.stderr)}` : ''}` };
        if (probe.stdoutIncludes !== undefined && !r.stdout.includes(probe.stdoutIncludes)) {
          return { ok: false, detail: `output of \`${showArgv(redactArgv(probe.argv))}\` does not contain "${probe.stdoutIncludes}"` };
        }
        return { ok: true, detail: 'ok' };
      }
      case 'file': {
        const h = await this.host(probe.host);
        const sum = await this.guard(h.sha256(probe.path));
        const ok = probe.absent ? sum === null : sum !== null && (probe.sha256 === undefined || sum === probe.sha256);
        const detail = sum === null ? `${probe.path} does not exist` : probe.sha256 && sum !== probe.sha256 ? `${probe.path} has sha256 ${sum}, not ${probe.sha256}` : `${probe.path} exists`;
        return { ok, detail: ok ? 'ok' : detail };
      }
      case 'https':
        return this.guard(this.deps.prober.https(probe, this.hosts));
    }
  }
}

/** Files up to this size are hashed on the workstation (read over SFTP) rather than by sha256sum on the host. */
const LOCAL_HASH_MAX_BYTES = 256 * 1024;

function readOrNull(h: RemoteHost, path: string): Promise<Buffer | null> {
  return h.readFile(path).catch((err: unknown) => {
    if (err instanceof RemoteError && err.code === 'ENOENT') return null;
    throw err;
  });
}

/** The last lines of a command's output, redacted, for an error message. */
export function tail(text: string, lines = 5): string {
  const t = redactText(text.trim()).split('\n').slice(-lines).join('\n');
  return t || '(no output)';
}

export function isConflict(err: unknown): boolean {
  const e = err as { status?: unknown; statusCode?: unknown; code?: unknown; message?: unknown };
  return e?.status === 409 || e?.statusCode === 409 || e?.code === 409 || e?.code === 'Conflict' || (typeof e?.message === 'string' && /\b409\b|conflict/i.test(e.message));
}

export function describeError(err: unknown): string {
  return redactText(err instanceof Error ? err.message : String(err));
}

export function badInput(msg: string, hint?: string): never {
  throw new BadInputError(msg, hint);
}
