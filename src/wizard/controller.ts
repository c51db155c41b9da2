/**
 * The wizard controller: holds the state, runs the pure reducer on every event and executes the
 * effects it asks for against a WizardRuntime. Prompts from deep inside a connection or a run (host
 * keys, the sudo password, "did this take effect?") become events; the operator's answer comes back as
 * an effect that settles the waiting promise. The ink UI subscribes to it; tests drive it directly.
 */
import type { Phase } from '../engine/model/events.js';
import type { Effect, Intent, WizardEvent, WizardState } from './model.js';
import { initialEffects, initialState, reduce, type InitialOptions } from './reducer.js';
import type { Prompts, RunHooks, RunOutcome, WizardRuntime } from './runtime.js';

export interface ControllerOptions extends InitialOptions {
  now?: () => number;
}

type Listener = () => void;

export class WizardController {
  private state: WizardState;
  private readonly listeners = new Set<Listener>();
  private readonly waiting = new Map<number, (answer: unknown) => void>();
  private nextId = 1;
  private graceful: AbortController | null = null;
  private hard: AbortController | null = null;
  private readonly now: () => number;
  private exitResolve!: (v: { code: number; message: string }) => void;
  /** Settles when the operator (or the flow) ends the wizard. */
  readonly exited: Promise<{ code: number; message: string }>;

  constructor(
    private readonly runtime: WizardRuntime,
    opts: ControllerOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.state = initialState({ ...opts, canSkip: opts.canSkip ?? runtime.canSkip });
    this.exited = new Promise((resolve) => (this.exitResolve = resolve));
  }

  start(): void {
    for (const e of initialEffects()) this.run(e);
  }

  getState = (): WizardState => this.state;

  subscribe = (l: Listener): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  intent = (intent: Intent): void => this.dispatch({ type: 'intent', intent });

  dispatch = (event: WizardEvent): void => {
    const { state, effects } = reduce(this.state, event);
    if (state !== this.state) {
      this.state = state;
      for (const l of this.listeners) l();
    }
    for (const e of effects) this.run(e);
  };

  /** The answer to a prompt that an effect is waiting on. */
  private ask<T>(post: (id: number) => void): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve) => {
      this.waiting.set(id, resolve as (a: unknown) => void);
      post(id);
    });
  }

  private answer(id: number, value: unknown): void {
    const r = this.waiting.get(id);
    this.waiting.delete(id);
    r?.(value);
  }

  private prompts(): Prompts {
    return {
      hostState: (host, state, detail) => this.dispatch({ type: 'host-state', host, state, detail }),
      unknownHost: (host, fingerprint, keyType, note) =>
        this.ask<boolean>((id) => this.dispatch({ type: 'host-key-prompt', prompt: { id, host, fingerprint, keyType, ...(note ? { note } : {}) } })),
      password: (host, user) => this.ask<string | null>((id) => this.dispatch({ type: 'password-prompt', id, host, user })),
    };
  }

  private hooks(): RunHooks {
    this.graceful = new AbortController();
    this.hard = new AbortController();
    return {
      started: (phase, session, planned, target) => this.dispatch({ type: 'run-started', phase, session, at: this.now(), ...(planned ? { planned } : {}), ...(target ? { target } : {}) }),
      event: (event) => this.dispatch({ type: 'engine', event, at: this.now() }),
      decide: (q) => this.ask<'done' | 'redo'>((id) => this.dispatch({ type: 'question', question: { id, ...q } })),
      signal: this.graceful.signal,
      hardSignal: this.hard.signal,
    };
  }

  private ended(phase: Phase, outcome: RunOutcome): void {
    const at = this.now();
    if (outcome.status === 'refused') {
      this.dispatch({ type: 'run-refused', error: outcome.error, ...(outcome.hint ? { hint: outcome.hint } : {}) });
      return;
    }
    const after = {
      ...(outcome.session ? { session: outcome.session } : {}),
      ...(outcome.changedNothing ? { changedNothing: true } : {}),
      ...(outcome.rollbackCrossesPointOfNoReturn ? { rollbackCrossesPointOfNoReturn: true } : {}),
    };
    if (outcome.status === 'stopped') this.dispatch({ type: 'run-ended', status: 'stopped', phase, resumeCommand: outcome.resumeCommand, at, ...after });
    else if (outcome.status === 'failed') this.dispatch({ type: 'run-ended', status: 'failed', phase, error: outcome.error, at, ...after });
    else this.dispatch({ type: 'run-ended', status: 'finished', phase, at, ...after });
  }

  private fail(what: string, err: unknown): string {
    return `${what}: ${err instanceof Error ? err.message : String(err)}`;
  }

  /** Runs one effect; never throws (every failure becomes an event the screen shows). */
  private run(e: Effect): void {
    const rt = this.runtime;
    const guard = (p: Promise<void>) => p.catch((err: unknown) => this.dispatch({ type: 'run-refused', error: this.fail('unexpected error', err) }));
    switch (e.type) {
      case 'find-sessions':
        void guard(rt.findSessions().then((sessions) => this.dispatch({ type: 'sessions-found', sessions }), () => this.dispatch({ type: 'sessions-found', sessions: [] })));
        return;
      case 'load-config':
        void guard(
          rt.loadConfig(e.path).then(
            (c) => this.dispatch({ type: 'config-loaded', path: e.path, text: c.text, config: c.config, warnings: c.warnings }),
            (err: unknown) => this.dispatch({ type: 'config-invalid', path: e.path, report: err instanceof Error ? err.message : String(err) }),
          ),
        );
        return;
      case 'save-config':
        void guard(
          rt.saveConfig(e.path, e.text).then(
            () => this.dispatch({ type: 'config-saved', path: e.path }),
            (err: unknown) => this.dispatch({ type: 'config-invalid', path: e.path, report: this.fail(`cannot save ${e.path}`, err) }),
          ),
        );
        return;
      case 'connect':
        void guard(rt.connect(this.prompts()).then((ok) => this.dispatch({ type: 'connect-done', ok }), () => this.dispatch({ type: 'connect-done', ok: false })));
        return;
      case 'answer-host-key':
        this.answer(e.id, e.accept);
        return;
      case 'answer-password':
        this.answer(e.id, e.password);
        return;
      case 'answer-question':
        this.answer(e.id, e.resolution);
        return;
      case 'discover':
        void guard(rt.discover((host, what) => this.dispatch({ type: 'discovery-reading', host, what })).then((r) => this.dispatch({ type: 'discovered', facts: r.facts, checks: r.checks }), (err: unknown) => this.dispatch({ type: 'discover-failed', error: this.fail('discovery failed', err) })));
        return;
      case 'make-plan':
        void guard(
          rt.makePlan(e.failoverDrill === undefined ? {} : { failoverDrill: e.failoverDrill }).then(
            (r) => this.dispatch({ type: 'planned', summary: r.summary, preview: r.preview, ...(r.references ? { references: r.references } : {}), ...(r.drill ? { drill: r.drill } : {}) }),
            (err: unknown) => this.dispatch({ type: 'plan-failed', error: err instanceof Error ? err.message : String(err) }),
          ),
        );
        return;
      case 'apply':
        void guard(rt.apply(this.hooks()).then((o) => this.ended('apply', o)));
        return;
      case 'resume':
        void guard(rt.resume(e.session, this.hooks(), this.prompts(), e.skip).then((o) => this.ended(this.state.run?.phase ?? 'apply', o)));
        return;
      case 'preview-rollback':
        void guard(
          rt.previewRollback(e.session, e.to, this.prompts()).then(
            (preview) => this.dispatch({ type: 'rollback-previewed', session: e.session, ...(e.to ? { to: e.to } : {}), preview }),
            (err: unknown) => this.dispatch({ type: 'rollback-preview-failed', error: err instanceof Error ? err.message : String(err), ...((err as { hint?: string }).hint ? { hint: (err as { hint: string }).hint } : {}) }),
          ),
        );
        return;
      case 'rollback':
        void guard(rt.rollback(e.session, e.to, this.hooks(), this.prompts(), e.pastPointOfNoReturn ? { pastPointOfNoReturn: true } : {}).then((o) => this.ended('rollback', o)));
        return;
      case 'interrupt':
        if (this.graceful && !this.graceful.signal.aborted) this.graceful.abort('graceful');
        else this.hard?.abort('hard');
        return;
      case 'exit':
        // Anything still waiting on the operator is declined, so no connection hangs on a prompt.
        for (const id of [...this.waiting.keys()]) this.answer(id, null);
        this.exitResolve(this.state.exit ?? { code: e.code, message: '' });
        return;
    }
  }
}
