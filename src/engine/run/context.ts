/**
 * One run of the engine (apply, resume or rollback) on one session: what it is given (deps, options) and
 * what it ends with (an outcome), and the context it runs in: the deps with auditing wrapped around them, the
 * open journal, the lock, the interrupt signals and the event sink, guarded host and API access, probes.
 * Only the engine talks to hosts, through here (files: host-files.ts; failures: errors.ts).
 */
import { ExitCode } from '../../exit-codes.js';
import type { Action, Probe } from '../model/actions.js';
import { auditedHosts } from '../records/audit-log.js';
import type { EngineEvent, EventSink, Phase } from '../model/events.js';
import { Journal, type NewRecord } from '../records/journal.js';
import { acquireLock, type Lock } from '../records/lock.js';
import type { Plan } from '../model/plan.js';
import type { EngineDeps, Hosts, KubeApi, ProbeResult } from '../model/ports.js';
import { redactArgv, showArgv } from '../model/secrets.js';
import type { Session } from '../records/session.js';
import { foldJournal, type JournalState } from '../records/state.js';
import type { RemoteHost } from '../model/remote-host.js';
import { ActionError, HardStop, tail } from './errors.js';

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
        // What the check said last, in its own words (probe scripts print their answer on stderr), else its exit.
        const said = lastWords(r.stderr) || lastWords(r.stdout);
        if (r.code !== 0) {
          return { ok: false, detail: `\`${showArgv(redactArgv(probe.argv))}\` exited with ${r.code ?? r.signal}${r.stderr.trim() ? `: ${tail(r.stderr)}` : ''}`, answer: said || `not yet (the check exited with ${r.code ?? r.signal})` };
        }
        if (probe.stdoutIncludes !== undefined && !r.stdout.includes(probe.stdoutIncludes)) {
          return { ok: false, detail: `output of \`${showArgv(redactArgv(probe.argv))}\` does not contain "${probe.stdoutIncludes}"`, answer: said ? `not yet: ${said}` : 'not yet' };
        }
        return { ok: true, detail: 'ok' };
      }
      case 'file': {
        const h = await this.host(probe.host);
        const sum = await this.guard(h.sha256(probe.path));
        const ok = probe.absent ? sum === null : sum !== null && (probe.sha256 === undefined || sum === probe.sha256);
        const detail = sum === null ? `${probe.path} does not exist` : probe.sha256 && sum !== probe.sha256 ? `${probe.path} has sha256 ${sum}, not ${probe.sha256}` : `${probe.path} exists`;
        return { ok, detail: ok ? 'ok' : detail, answer: detail };
      }
      case 'https': {
        const r = await this.guard(this.deps.prober.https(probe, this.hosts));
        return r.answer ? r : { ...r, answer: httpsAnswer(r.detail) };
      }
    }
  }
}

/** The last non-empty line of a command's output, cut to one screen line. */
function lastWords(text: string): string {
  const line = text.trim().split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** An HTTPS probe's detail without the URL that asked: the status (and the failing readyz checks) or the error. */
export function httpsAnswer(detail: string): string {
  const body = detail.replace(/^GET \S+(?: \([^)]*\))?: /, '');
  if (/x509|certificate/i.test(body)) return body.split('\n')[0]!.slice(0, 200);
  if (/connection refused|ECONNREFUSED/i.test(body)) return 'not answering yet (connection refused)';
  if (/timed out|ETIMEDOUT|no response/i.test(body)) return 'no answer yet (timed out)';
  if (/ECONNRESET|socket hang up|reset/i.test(body)) return 'not answering yet (connection reset)';
  const failing = [...body.matchAll(/\[-\]([\w/-]+) failed/g)].map((m) => m[1]);
  const first = body.split('\n')[0] ?? body;
  const head = first.replace(/, want \d+:.*$/, '').replace(/, want \d+$/, '');
  return failing.length ? `${head}: not ready (${failing.join(', ')})` : head.length > 200 ? `${head.slice(0, 199)}…` : head;
}
