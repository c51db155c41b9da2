/**
 * The wizard controller's brain: a pure function from (state, event) to the next state and the effects
 * it needs. Screens hold no logic: they render a WizardState and turn keys into intents.
 */
import type { Phase } from '../engine/model/events.js';
import { isSkippable } from '../engine/model/actions.js';
import { approvalWord } from '../engine/model/plan.js';
import { checkForm, EMPTY_FORM, FIELDS, formFromConfig, formYaml } from './form.js';
import type { Effect, FailureChoice, Intent, OldAddressReport, ResultEvent, Screen, Transition, WizardEvent, WizardState } from './model.js';
import { foldEvent, startRun } from './progress.js';
import { asInvoked } from '../reporters/invocation.js';

/** The spinner while an approved apply opens its session: from here on q does not leave (Ctrl-C stops). */
const STARTING = 'Starting the session…';

export const EXIT = { ok: 0, failure: 1, badInput: 2, stopped: 3 } as const;

export interface InitialOptions {
  configPath?: string | null;
  /** Whether the engine can skip a failed read-only action (offered on the failure screen). */
  canSkip?: boolean;
  /** How the operator runs ha-wizard (`npx ha-wizard`, …), for the commands the screens suggest. */
  command?: string;
}

export function initialState(opts: InitialOptions = {}): WizardState {
  return {
    screen: 'welcome',
    help: false,
    message: null,
    busy: opts.configPath ? 'Reading the config file…' : 'Looking for sessions in progress…',
    options: { configPath: opts.configPath ?? null, canSkip: opts.canSkip ?? false, command: opts.command ?? 'ha-wizard' },
    resumable: [],
    menu: 0,
    welcome: { mode: 'menu', path: opts.configPath ?? 'cluster.yaml', report: null },
    config: null,
    form: { values: EMPTY_FORM, field: 0, check: checkForm(EMPTY_FORM) },
    connect: { hosts: [], hostKey: null, password: null, done: false },
    discovery: { facts: null, checks: [], scroll: 0, error: null },
    plan: null,
    planOptions: {},
    session: null,
    target: null,
    run: null,
    question: null,
    interrupts: 0,
    failure: null,
    outcome: null,
    exit: null,
  };
}

/** The first effects: look for a session to resume (then load -c FILE, if given). */
export function initialEffects(): Effect[] {
  return [{ type: 'find-sessions' }];
}

export const WELCOME_CHOICES = ['Load a config file', 'Enter the cluster step by step', 'Quit'] as const;
export const RESUME_CHOICES = ['Resume it', 'Roll it back', 'Start a new conversion', 'Quit'] as const;

export function failureChoices(s: WizardState): FailureChoice[] {
  const f = s.run?.failure;
  const out: FailureChoice[] = ['retry'];
  if (s.options.canSkip && f && f.phase === 'apply' && skippable(s, f.action)) out.push('skip');
  if (f?.phase === 'apply') out.push('rollback-step', 'rollback-all');
  out.push('quit');
  return out;
}

/** The engine's rule (actions.ts isSkippable), asked of the failed action's preview entry. */
function skippable(s: WizardState, action: string): boolean {
  for (const step of s.plan?.preview.steps ?? []) {
    for (const e of step.entries) {
      if (e.action !== action) continue;
      if (e.kind === 'wait') return isSkippable({ type: 'wait' });
      if (e.kind === 'run') return isSkippable({ type: 'run', risk: e.risk });
      return false;
    }
  }
  return false;
}

export const FAILURE_LABEL: Record<FailureChoice, string> = {
  retry: 'Retry: check what the failed action left, then continue',
  skip: 'Skip it (read-only, changes nothing) and continue',
  'rollback-step': 'Roll back this step (keep the steps before it)',
  'rollback-all': 'Roll back everything',
  quit: 'Quit and resume later',
};

/** Whether the focused element takes typed text (the keymap sends printable keys as `type`). */
export function textInputActive(s: WizardState): boolean {
  if (s.help) return false;
  if (s.screen === 'welcome') return s.welcome.mode === 'path';
  if (s.screen === 'form') return !FIELDS[s.form.field]?.choices && s.form.field < FIELDS.length;
  if (s.screen === 'connect') return s.connect.password !== null;
  if (s.screen === 'plan') return s.plan?.confirm !== null && s.plan?.confirm !== undefined;
  return false;
}

/** The words that approve the plan under review: the engine's approvalWord (`apply` asks the same), `y` for `yes`. */
export function approvalWords(s: WizardState): string[] {
  if (!s.plan) return [];
  const word = approvalWord(s.plan.summary);
  return word === 'yes' ? ['yes', 'y'] : [word];
}

const go = (state: WizardState, screen: Screen, extra: Partial<WizardState> = {}): WizardState => ({ ...state, screen, menu: 0, message: null, ...extra });
const t = (state: WizardState, ...effects: Effect[]): Transition => ({ state, effects });
const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

export function reduce(s: WizardState, e: WizardEvent): Transition {
  if (e.type === 'intent') return reduceIntent(s, e.intent);
  return reduceResult(s, e);
}

// ---------------------------------------------------------------------------------------------------
// Results from the effects runner

function reduceResult(s: WizardState, e: ResultEvent): Transition {
  switch (e.type) {
    case 'sessions-found': {
      const next = { ...s, resumable: e.sessions, busy: null };
      if (e.sessions.length) return t(go(next, 'resume'));
      if (s.options.configPath) return t({ ...next, busy: 'Reading the config file…' }, { type: 'load-config', path: s.options.configPath });
      return t(next);
    }
    case 'config-loaded': {
      const endpoint = `${e.config.endpoint.host}:${e.config.endpoint.port}`;
      const values = formFromConfig(e.config, e.path);
      const next: WizardState = {
        ...s,
        busy: null,
        config: { path: e.path, text: e.text, name: e.config.name, endpoint, warnings: e.warnings },
        target: { cluster: e.config.name, endpoint, master: e.config.controlPlane.existing.name },
        form: { ...s.form, values, check: checkForm(values) },
        welcome: { ...s.welcome, mode: 'menu', report: null },
        connect: { hosts: hostRows(e.config), hostKey: null, password: null, done: false },
        // A new config file: its own verify.failoverDrill decides again.
        planOptions: {},
      };
      return t({ ...go(next, 'connect'), busy: 'Connecting…' }, { type: 'connect' });
    }
    case 'config-invalid':
      return t({ ...s, busy: null, screen: s.screen === 'form' ? 'form' : 'welcome', welcome: { ...s.welcome, mode: s.screen === 'form' ? s.welcome.mode : 'path', report: e.report }, message: { kind: 'error', text: `${e.path} cannot be used; see below` } });
    case 'config-saved':
      return t({ ...s, message: { kind: 'info', text: `Saved ${e.path}` }, busy: 'Reading the config file…' }, { type: 'load-config', path: e.path });
    case 'host-state':
      return t({ ...s, connect: { ...s.connect, hosts: s.connect.hosts.map((h) => (h.name === e.host ? { ...h, state: e.state, detail: e.detail } : h)) } });
    case 'host-key-prompt':
      return t({ ...s, connect: { ...s.connect, hostKey: e.prompt } });
    case 'password-prompt':
      return t({ ...s, connect: { ...s.connect, password: { id: e.id, host: e.host, user: e.user, value: '' } } });
    case 'connect-done': {
      const next = { ...s, busy: null, connect: { ...s.connect, done: true, hostKey: null, password: null } };
      if (!e.ok) return t({ ...next, message: { kind: 'error', text: 'Some hosts could not be reached: r to retry, Esc to change the config' } });
      return t({ ...go(next, 'discovery'), busy: 'Discovering the cluster and running preflight checks…', discovery: { facts: null, checks: [], scroll: 0, error: null } }, { type: 'discover' });
    }
    case 'discovered':
      return t({ ...s, busy: null, discovery: { facts: e.facts, checks: e.checks, scroll: 0, error: null } });
    case 'discover-failed':
      return t({ ...s, busy: null, discovery: { ...s.discovery, error: e.error } });
    case 'planned': {
      const extras = { ...(e.references ? { references: e.references } : {}), ...(e.drill ? { drill: e.drill } : {}) };
      const plan = { summary: e.summary, preview: e.preview, cursor: 0, expanded: null, scroll: 0, confirm: null, error: null, ...extras };
      const replanned = s.screen === 'plan' && s.plan !== null;
      if (!replanned) return t({ ...go({ ...s, busy: null }, 'plan'), plan });
      // Re-planned from the review (the drill toggled): stay here, on the drill step when it was added.
      const drillAt = e.preview.steps.findIndex((x) => x.id === DRILL_STEP);
      const cursor = e.drill?.on && drillAt >= 0 ? drillAt : clamp(s.plan!.cursor, 0, Math.max(0, e.preview.steps.length - 1));
      const text = e.drill?.on
        ? `Failover drill added as the last step (stops ${e.drill.node ?? 'one'}'s apiserver, then starts it).`
        : 'Failover drill removed: the last step only reads.';
      return t({ ...s, busy: null, message: { kind: 'info', text }, plan: { ...plan, cursor } });
    }
    case 'plan-failed':
      return t({ ...s, busy: null, message: { kind: 'error', text: `Could not make the plan: ${e.error}` } });
    case 'run-started':
      return t({
        ...go(s, 'execute'),
        busy: null,
        session: e.session,
        target: e.target ?? s.target,
        run: startRun(e.phase, e.at),
        interrupts: 0,
        failure: null,
        outcome: null,
        question: null,
        plan: s.plan ?? null,
        ...(e.planned && s.plan ? { plan: { ...s.plan, summary: { ...s.plan.summary, planned: e.planned } } } : {}),
      });
    case 'engine':
      if (!s.run) return t(s);
      return t({ ...s, run: foldEvent(s.run, e.event, e.at, s.plan?.summary.planned ?? {}) });
    case 'question':
      return t({ ...s, question: e.question });
    case 'run-ended': {
      const outcome = { status: e.status, phase: e.phase, ...(e.resumeCommand ? { resumeCommand: e.resumeCommand } : {}), ...(e.error ? { error: e.error } : {}) };
      const run = s.run ? { ...s.run, endedAt: s.run.endedAt ?? e.at } : s.run;
      const base = { ...s, run, outcome, question: null, busy: null };
      if (e.status === 'failed') {
        // A failure without an action event (lost connection before the first action…) still gets the failure screen.
        const withFailure = run && !run.failure ? { ...run, failure: { phase: e.phase, step: run.steps.at(-1)?.id ?? null, action: '(none)', host: '-', error: e.error ?? 'unknown error' } } : run;
        return t(go({ ...base, run: withFailure }, 'failure', { failure: { choice: 0 } }));
      }
      return t(go(base, 'done'));
    }
    case 'run-refused': {
      const message = { kind: 'error' as const, text: `${e.error}${e.hint ? `\n${e.hint}` : ''}` };
      if (s.screen !== 'execute' || !s.run) return t({ ...s, busy: null, message });
      // Refused before changing anything (e.g. rollback across the point of no easy return): back to the choices.
      const run = { ...s.run, failure: s.run.failure ?? { phase: s.run.phase, step: s.run.steps.at(-1)?.id ?? null, action: '(refused)', host: '-', error: e.error } };
      return t({ ...go({ ...s, busy: null, run }, 'failure', { failure: { choice: 0 } }), message });
    }
  }
}

function hostRows(c: import('../config/schema.js').ClusterConfig): WizardState['connect']['hosts'] {
  const row = (n: { name: string; address: string }, role: string) => ({ name: n.name, address: n.address, role, state: 'waiting' as const, detail: '' });
  return [
    row(c.controlPlane.existing, 'control plane'),
    ...c.controlPlane.promote.map((n) => row(n, 'to promote')),
    ...(c.proxy.host ? [row(c.proxy.host, 'proxy')] : []),
    ...(c.workers ?? []).map((n) => row(n, 'worker')),
  ];
}

// ---------------------------------------------------------------------------------------------------
// Operator intents

function reduceIntent(s: WizardState, i: Intent): Transition {
  if (i.type === 'interrupt') return interrupt(s);
  if (s.help) return i.type === 'help' || i.type === 'back' || i.type === 'quit' ? t({ ...s, help: false }) : t(s);
  if (i.type === 'help' && !textInputActive(s)) return t({ ...s, help: true });
  // q leaves at once while the wizard only reads (sessions, the config, discovery, the plan): nothing has
  // changed and nothing is starting. Ignoring it made a q pressed before a slow load finished look lost.
  if (s.busy && s.busy !== STARTING && i.type === 'quit' && s.session === null && s.screen !== 'execute') {
    return quit(s, EXIT.ok, 'Nothing was changed.');
  }
  if (s.busy && s.screen !== 'execute' && s.screen !== 'connect') return t(s);
  switch (s.screen) {
    case 'resume':
      return resumeMenu(s, i);
    case 'welcome':
      return welcome(s, i);
    case 'form':
      return form(s, i);
    case 'connect':
      return connect(s, i);
    case 'discovery':
      return discovery(s, i);
    case 'plan':
      return plan(s, i);
    case 'execute':
      return execute(s, i);
    case 'failure':
      return failure(s, i);
    case 'done':
      return done(s, i);
  }
}

function quit(s: WizardState, code: number, message: string): Transition {
  return t({ ...s, exit: { code, message } }, { type: 'exit', code });
}

/** Ctrl-C: while the engine runs, first = stop after this action, second = stop now; elsewhere it quits (nothing changed). */
function interrupt(s: WizardState): Transition {
  if (s.screen === 'execute' && !s.outcome) {
    const n = s.interrupts + 1;
    if (n > 2) return t(s);
    return t(
      {
        ...s,
        interrupts: n,
        message: {
          kind: 'info',
          text: n === 1 ? 'Interrupt received: finishing the current action, then stopping safely (Ctrl-C again to stop immediately).' : 'Two interrupts received: stopping immediately; the action in flight will be checked on resume.',
        },
      },
      { type: 'interrupt' },
    );
  }
  if (s.connect.password) return t({ ...s, connect: { ...s.connect, password: null } }, { type: 'answer-password', id: s.connect.password.id, password: null });
  return quit(s, s.session && s.outcome?.status !== 'finished' ? EXIT.stopped : EXIT.ok, s.session ? resumeHint(s) : 'Nothing was changed.');
}

function resumeHint(s: WizardState): string {
  return s.outcome?.status === 'finished' ? `Session ${s.session} finished.` : `Continue later with: ${s.options.command} resume ${s.session}`;
}

/** The command that continues the session, as the operator can run it. */
export function resumeCommand(s: WizardState): string {
  const given = s.outcome?.resumeCommand;
  return given ? asInvoked(given, s.options.command) : `${s.options.command} resume ${s.session}`;
}

function menuMove(s: WizardState, i: Intent, count: number): WizardState | null {
  if (i.type === 'up') return { ...s, menu: (s.menu + count - 1) % count };
  if (i.type === 'down') return { ...s, menu: (s.menu + 1) % count };
  return null;
}

function resumeMenu(s: WizardState, i: Intent): Transition {
  const moved = menuMove(s, i, RESUME_CHOICES.length);
  if (moved) return t(moved);
  const session = s.resumable.at(-1);
  if (i.type === 'quit' || i.type === 'back') return quit(s, EXIT.ok, 'Nothing was changed.');
  if (i.type !== 'select' || !session) return t(s);
  switch (s.menu) {
    case 0:
      return t({ ...s, session: session.id, busy: 'Reconnecting…' }, { type: 'resume', session: session.id });
    case 1:
      return t({ ...s, session: session.id, busy: 'Reconnecting…' }, { type: 'rollback', session: session.id });
    case 2: {
      const next = go(s, 'welcome');
      if (s.options.configPath) return t({ ...next, busy: 'Reading the config file…' }, { type: 'load-config', path: s.options.configPath });
      return t(next);
    }
    default:
      return quit(s, EXIT.ok, 'Nothing was changed.');
  }
}

function welcome(s: WizardState, i: Intent): Transition {
  if (s.welcome.mode === 'path') {
    switch (i.type) {
      case 'type':
        return t({ ...s, welcome: { ...s.welcome, path: s.welcome.path + i.text } });
      case 'erase':
        return t({ ...s, welcome: { ...s.welcome, path: s.welcome.path.slice(0, -1) } });
      case 'back':
        return t({ ...s, welcome: { ...s.welcome, mode: 'menu', report: null }, message: null });
      case 'select':
        if (!s.welcome.path.trim()) return t({ ...s, message: { kind: 'error', text: 'Type the path of a config file' } });
        return t({ ...s, busy: 'Reading the config file…', message: null, welcome: { ...s.welcome, report: null } }, { type: 'load-config', path: s.welcome.path.trim() });
      default:
        return t(s);
    }
  }
  const moved = menuMove(s, i, WELCOME_CHOICES.length);
  if (moved) return t(moved);
  if (i.type === 'quit' || i.type === 'back') return quit(s, EXIT.ok, 'Nothing was changed.');
  if (i.type !== 'select') return t(s);
  if (s.menu === 0) return t({ ...s, welcome: { ...s.welcome, mode: 'path' } });
  if (s.menu === 1) return t(go(s, 'form'));
  return quit(s, EXIT.ok, 'Nothing was changed.');
}

function form(s: WizardState, i: Intent): Transition {
  const f = s.form;
  const spec = FIELDS[f.field]!;
  const setValue = (value: string) => {
    const values = { ...f.values, [spec.id]: value };
    return t({ ...s, message: null, form: { ...f, values, check: checkForm(values) } });
  };
  switch (i.type) {
    case 'up':
      return t({ ...s, form: { ...f, field: clamp(f.field - 1, 0, FIELDS.length - 1) } });
    case 'down':
      return t({ ...s, form: { ...f, field: clamp(f.field + 1, 0, FIELDS.length - 1) } });
    case 'left':
    case 'right': {
      if (!spec.choices) return t(s);
      const at = spec.choices.indexOf(f.values[spec.id]);
      const n = spec.choices.length;
      return setValue(spec.choices[(at + (i.type === 'right' ? 1 : n - 1)) % n]!);
    }
    case 'toggle':
      return spec.choices ? form(s, { type: 'right' }) : t(s);
    case 'type':
      return spec.choices ? t(s) : setValue(f.values[spec.id] + i.text);
    case 'erase':
      return spec.choices ? t(s) : setValue(f.values[spec.id].slice(0, -1));
    case 'back':
      return t(go(s, 'welcome'));
    case 'quit':
      return spec.choices ? quit(s, EXIT.ok, 'Nothing was changed.') : t(s);
    case 'select': {
      if (f.field < FIELDS.length - 1) return t({ ...s, form: { ...f, field: f.field + 1 } });
      if (!f.check.valid) {
        const first = FIELDS.findIndex((x) => f.check.errors[x.id] !== undefined);
        return t({ ...s, form: { ...f, field: first >= 0 ? first : f.field }, message: { kind: 'error', text: `Fix the marked field${first >= 0 ? `: ${FIELDS[first]!.label.trim()}` : ''} (${f.check.general[0] ?? 'see the message beside it'})` } });
      }
      return t({ ...s, busy: `Saving ${f.values.savePath}…` }, { type: 'save-config', path: f.values.savePath.trim(), text: formYaml(f.values) });
    }
    default:
      return t(s);
  }
}

function connect(s: WizardState, i: Intent): Transition {
  const c = s.connect;
  if (c.password) {
    const p = c.password;
    switch (i.type) {
      case 'type':
        return t({ ...s, connect: { ...c, password: { ...p, value: p.value + i.text } } });
      case 'erase':
        return t({ ...s, connect: { ...c, password: { ...p, value: p.value.slice(0, -1) } } });
      case 'select':
        return t({ ...s, connect: { ...c, password: null } }, { type: 'answer-password', id: p.id, password: p.value });
      case 'back':
        return t({ ...s, connect: { ...c, password: null } }, { type: 'answer-password', id: p.id, password: null });
      default:
        return t(s);
    }
  }
  if (c.hostKey) {
    const k = c.hostKey;
    if (i.type === 'yes') return t({ ...s, connect: { ...c, hostKey: null } }, { type: 'answer-host-key', id: k.id, accept: true });
    if (i.type === 'no' || i.type === 'back') return t({ ...s, connect: { ...c, hostKey: null } }, { type: 'answer-host-key', id: k.id, accept: false });
    return t(s);
  }
  if (!c.done) return t(s);
  if (i.type === 'retry') return t({ ...s, busy: 'Connecting…', message: null, connect: { ...c, done: false, hosts: c.hosts.map((h) => (h.state === 'failed' ? { ...h, state: 'waiting', detail: '' } : h)) } }, { type: 'connect' });
  if (i.type === 'back' || i.type === 'edit') return t(go(s, 'form'));
  if (i.type === 'quit') return quit(s, EXIT.ok, 'Nothing was changed.');
  return t(s);
}

function discovery(s: WizardState, i: Intent): Transition {
  const d = s.discovery;
  const failed = d.checks.some((c) => c.status === 'fail');
  switch (i.type) {
    case 'up':
      return t({ ...s, discovery: { ...d, scroll: Math.max(0, d.scroll - 1) } });
    case 'down':
      return t({ ...s, discovery: { ...d, scroll: Math.min(Math.max(0, d.checks.length - 1), d.scroll + 1) } });
    case 'page-up':
      return t({ ...s, discovery: { ...d, scroll: Math.max(0, d.scroll - 10) } });
    case 'page-down':
      return t({ ...s, discovery: { ...d, scroll: Math.min(Math.max(0, d.checks.length - 1), d.scroll + 10) } });
    case 'retry':
      return t({ ...s, busy: 'Discovering the cluster and running preflight checks…', discovery: { facts: null, checks: [], scroll: 0, error: null } }, { type: 'discover' });
    case 'select':
      if (d.error || !d.facts) return t(s);
      if (failed) return t({ ...s, message: { kind: 'error', text: 'Preflight failed: fix the failing checks (each says how), then r to run them again' } });
      return t({ ...s, busy: 'Making the plan (certificates are specified now, issued at apply)…', message: null }, makePlan(s));
    case 'back':
      return t(go(s, 'form'));
    case 'quit':
      return quit(s, EXIT.ok, 'Nothing was changed.');
    default:
      return t(s);
  }
}

/** The step the failover drill adds to the plan. */
export const DRILL_STEP = 'failover-drill';

/** The make-plan effect with the operator's recorded choices. */
function makePlan(s: WizardState): Effect {
  return s.planOptions.failoverDrill === undefined ? { type: 'make-plan' } : { type: 'make-plan', failoverDrill: s.planOptions.failoverDrill };
}

/** How many references to the old address the operator must repoint (findings and nodes out of reach). */
export function referenceCount(r: OldAddressReport | undefined): number {
  return r ? r.findings.length + r.unreachableNodes.length : 0;
}

function plan(s: WizardState, i: Intent): Transition {
  const p = s.plan;
  if (!p) return t(s);
  if (p.showReferences && p.confirm === null) {
    switch (i.type) {
      case 'up':
        return t({ ...s, plan: { ...p, scroll: Math.max(0, p.scroll - 1) } });
      case 'down':
        return t({ ...s, plan: { ...p, scroll: p.scroll + 1 } });
      case 'page-up':
        return t({ ...s, plan: { ...p, scroll: Math.max(0, p.scroll - 10) } });
      case 'page-down':
        return t({ ...s, plan: { ...p, scroll: p.scroll + 10 } });
      case 'references':
      case 'back':
      case 'select':
        return t({ ...s, plan: { ...p, showReferences: false, scroll: 0 } });
      case 'quit':
        return quit(s, EXIT.ok, 'Nothing was changed. The plan was not applied.');
      default:
        return t(s);
    }
  }
  if (p.confirm !== null) {
    switch (i.type) {
      case 'type':
        return t({ ...s, plan: { ...p, confirm: p.confirm + i.text, error: null } });
      case 'erase':
        return t({ ...s, plan: { ...p, confirm: p.confirm.slice(0, -1) } });
      case 'back':
        return t({ ...s, plan: { ...p, confirm: null, error: null } });
      case 'select': {
        const words = approvalWords(s);
        if (!words.includes(p.confirm.trim())) {
          return t({ ...s, plan: { ...p, confirm: '', error: `Only ${words.map((w) => `'${w}'`).join(' or ')} will be accepted to approve.` } });
        }
        return t({ ...s, plan: { ...p, confirm: null, error: null }, busy: STARTING }, { type: 'apply' });
      }
      default:
        return t(s);
    }
  }
  const n = p.preview.steps.length;
  switch (i.type) {
    case 'up':
      if (p.expanded) return t({ ...s, plan: { ...p, scroll: Math.max(0, p.scroll - 1) } });
      return t({ ...s, plan: { ...p, cursor: clamp(p.cursor - 1, 0, n - 1) } });
    case 'down':
      if (p.expanded) return t({ ...s, plan: { ...p, scroll: p.scroll + 1 } });
      return t({ ...s, plan: { ...p, cursor: clamp(p.cursor + 1, 0, n - 1) } });
    case 'page-up':
      return t({ ...s, plan: { ...p, scroll: Math.max(0, p.scroll - 10) } });
    case 'page-down':
      return t({ ...s, plan: { ...p, scroll: p.scroll + 10 } });
    case 'left':
      if (p.expanded) return t({ ...s, plan: { ...p, cursor: clamp(p.cursor - 1, 0, n - 1), expanded: p.preview.steps[clamp(p.cursor - 1, 0, n - 1)]!.id, scroll: 0 } });
      return t(s);
    case 'right':
      if (p.expanded) return t({ ...s, plan: { ...p, cursor: clamp(p.cursor + 1, 0, n - 1), expanded: p.preview.steps[clamp(p.cursor + 1, 0, n - 1)]!.id, scroll: 0 } });
      return t(s);
    case 'select':
    case 'toggle': {
      const id = p.preview.steps[p.cursor]?.id ?? null;
      return t({ ...s, plan: { ...p, expanded: p.expanded === id ? null : id, scroll: 0 } });
    }
    case 'back':
      if (p.expanded) return t({ ...s, plan: { ...p, expanded: null, scroll: 0 } });
      return t(go(s, 'discovery'));
    case 'approve':
      return t({ ...s, plan: { ...p, confirm: '', error: null } });
    case 'references':
      if (!p.references) return t(s);
      return t({ ...s, plan: { ...p, showReferences: true, expanded: null, scroll: 0 } });
    case 'drill': {
      if (!p.drill) return t({ ...s, message: { kind: 'error', text: 'The failover drill cannot be changed here' } });
      if (!p.drill.node && !p.drill.on) return t({ ...s, message: { kind: 'error', text: 'The failover drill needs at least two control-plane nodes' } });
      const want = !p.drill.on;
      const next = { ...s, planOptions: { ...s.planOptions, failoverDrill: want }, message: null };
      return t({ ...next, busy: want ? 'Re-planning with the failover drill…' : 'Re-planning without the failover drill…' }, makePlan(next));
    }
    case 'quit':
      return quit(s, EXIT.ok, 'Nothing was changed. The plan was not applied.');
    default:
      return t(s);
  }
}

function execute(s: WizardState, i: Intent): Transition {
  const q = s.question;
  if (q) {
    if (i.type === 'yes') return t({ ...s, question: null }, { type: 'answer-question', id: q.id, resolution: 'done' });
    if (i.type === 'retry' || i.type === 'no') return t({ ...s, question: null }, { type: 'answer-question', id: q.id, resolution: 'redo' });
  }
  return t(s);
}

function failure(s: WizardState, i: Intent): Transition {
  const choices = failureChoices(s);
  const f = s.failure ?? { choice: 0 };
  switch (i.type) {
    case 'up':
      return t({ ...s, failure: { choice: (f.choice + choices.length - 1) % choices.length } });
    case 'down':
      return t({ ...s, failure: { choice: (f.choice + 1) % choices.length } });
    case 'retry':
      return chooseFailure(s, 'retry');
    case 'quit':
      return chooseFailure(s, 'quit');
    case 'select':
      return chooseFailure(s, choices[f.choice] ?? 'quit');
    default:
      return t(s);
  }
}

/** The step before the failed one (rollback --to keeps it and everything before). */
function stepBefore(s: WizardState, step: string | null): string | undefined {
  const ids = s.plan?.preview.steps.map((x) => x.id) ?? [];
  const at = step ? ids.indexOf(step) : -1;
  return at > 0 ? ids[at - 1] : undefined;
}

function chooseFailure(s: WizardState, choice: FailureChoice): Transition {
  const session = s.session;
  if (!session) return quit(s, EXIT.failure, 'Nothing to resume.');
  const f = s.run?.failure;
  switch (choice) {
    case 'retry':
      return t({ ...s, busy: 'Retrying…' }, { type: 'resume', session });
    case 'skip':
      return t({ ...s, busy: 'Skipping…' }, { type: 'resume', session, ...(f ? { skip: f.action } : {}) });
    case 'rollback-step': {
      const to = stepBefore(s, f?.step ?? null);
      return t({ ...s, busy: 'Rolling back…' }, to ? { type: 'rollback', session, to } : { type: 'rollback', session });
    }
    case 'rollback-all':
      return t({ ...s, busy: 'Rolling back…' }, { type: 'rollback', session });
    case 'quit':
      return quit(s, EXIT.stopped, `Stopped. Continue later with: ${s.options.command} resume ${session}   (or undo: ${s.options.command} rollback ${session})`);
  }
}

function done(s: WizardState, i: Intent): Transition {
  if (i.type !== 'quit' && i.type !== 'select' && i.type !== 'back') return t(s);
  const o = s.outcome;
  if (!o) return quit(s, EXIT.ok, '');
  if (o.status === 'stopped') return quit(s, EXIT.stopped, `Stopped safely. Continue with: ${resumeCommand(s)}`);
  return quit(s, EXIT.ok, doneMessage(s, o.phase));
}

function doneMessage(s: WizardState, phase: Phase): string {
  if (phase === 'rollback') return `Rollback of session ${s.session} complete.`;
  return `Session ${s.session} complete.${s.target ? ` The API is now at https://${s.target.endpoint}.` : ''}`;
}

/**
 * What to do next when the wizard must leave on its own (SIGTERM, or SIGHUP: the terminal is gone and
 * no one will press q): stop a run safely and wait for it, then quit. null = wait for the next state.
 */
export function leaveIntent(s: WizardState): Intent | null {
  if (s.exit) return null;
  if (s.screen === 'execute' && !s.outcome) return s.interrupts === 0 ? { type: 'interrupt' } : null;
  // Anywhere else an interrupt quits at once, with the exit code and message of a quit.
  return { type: 'interrupt' };
}
