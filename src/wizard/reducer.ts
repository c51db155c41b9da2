/**
 * The wizard controller's brain: a pure function from (state, event) to the next state and the effects
 * it needs. Results of effects go to results.ts; an operator's intent goes, after what holds on every screen
 * (help, Ctrl-C, q while reading), to its screen's reducer in screens/, one beside each ui/*Screen.tsx.
 * Screens hold no logic: they render a WizardState and turn keys into intents.
 */
import { ExitCode } from '../exit-codes.js';
import { checkForm, EMPTY_FORM, FIELDS } from './form.js';
import type { Effect, Intent, Transition, WizardEvent, WizardState } from './model.js';
import { reduceResult } from './results.js';
import { reduceConnect } from './screens/connect.js';
import { reduceDiscovery } from './screens/discovery.js';
import { reduceDone } from './screens/done.js';
import { reduceExecute } from './screens/execute.js';
import { reduceFailure } from './screens/failure.js';
import { reduceForm } from './screens/form.js';
import { reducePlan } from './screens/plan.js';
import { reduceRollback } from './screens/rollback.js';
import { reduceResume } from './screens/resume.js';
import { reduceWelcome } from './screens/welcome.js';
import { STARTING, quit, t } from './transition.js';

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
    cursor: null,
    viewport: null,
    sessionsChecked: false,
    rollback: null,
    doneView: { list: 'summary', scroll: 0 },
  };
}

/** The first effects: look for a session to resume (then load -c FILE, if given). */
export function initialEffects(): Effect[] {
  return [{ type: 'find-sessions' }];
}

/** Whether the focused element takes typed text (the keymap sends printable keys as `type`). */
export function textInputActive(s: WizardState): boolean {
  if (s.help) return false;
  if (s.screen === 'welcome') return s.welcome.mode === 'path';
  if (s.screen === 'form') return !FIELDS[s.form.field]?.choices && s.form.field < FIELDS.length;
  if (s.screen === 'connect') return s.connect.password !== null;
  if (s.screen === 'plan') return (s.plan?.confirm !== null && s.plan?.confirm !== undefined) || s.plan?.search?.editing === true;
  if (s.screen === 'rollback') return s.rollback?.confirm !== null && s.rollback?.confirm !== undefined;
  return false;
}

export function reduce(s: WizardState, e: WizardEvent): Transition {
  if (e.type !== 'intent') return reduceResult(s, e);
  if (e.intent.type === 'viewport') {
    const { type: _t, ...v } = e.intent;
    const same = s.viewport && s.viewport.top === v.top && s.viewport.end === v.end && s.viewport.prevTop === v.prevTop && s.viewport.lastTop === v.lastTop;
    return t(same ? s : { ...s, viewport: v });
  }
  const next = reduceIntent(s, e.intent);
  // The cursor belongs to the field being edited: any other key (a move, Enter, Esc) leaves it at the end of the next one.
  const editing = e.intent.type === 'type' || e.intent.type === 'erase' || e.intent.type === 'text';
  return editing || next.state.cursor === null ? next : { ...next, state: { ...next.state, cursor: null } };
}

function reduceIntent(s: WizardState, i: Intent): Transition {
  if (i.type === 'interrupt') return interrupt(s);
  if (s.help) return i.type === 'help' || i.type === 'back' || i.type === 'quit' ? t({ ...s, help: false }) : t(s);
  if (i.type === 'help' && !textInputActive(s)) return t({ ...s, help: true });
  // q leaves at once while the wizard only reads (sessions, the config, discovery, the plan): nothing has
  // changed and nothing is starting. Ignoring it made a q pressed before a slow load finished look lost.
  if (s.busy && s.busy !== STARTING && i.type === 'quit' && s.session === null && s.screen !== 'execute') {
    return quit(s, ExitCode.Ok, 'Nothing was changed.');
  }
  if (s.busy && s.screen !== 'execute' && s.screen !== 'connect') return t(s);
  switch (s.screen) {
    case 'resume':
      return reduceResume(s, i);
    case 'welcome':
      return reduceWelcome(s, i);
    case 'form':
      return reduceForm(s, i);
    case 'connect':
      return reduceConnect(s, i);
    case 'discovery':
      return reduceDiscovery(s, i);
    case 'plan':
      return reducePlan(s, i);
    case 'rollback':
      return reduceRollback(s, i);
    case 'execute':
      return reduceExecute(s, i);
    case 'failure':
      return reduceFailure(s, i);
    case 'done':
      return reduceDone(s, i);
  }
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
  return quit(s, s.session && s.outcome?.status !== 'finished' ? ExitCode.Stopped : ExitCode.Ok, s.session ? resumeHint(s) : 'Nothing was changed.');
}

function resumeHint(s: WizardState): string {
  return s.outcome?.status === 'finished' ? `Session ${s.session} finished.` : `Continue later with: ${s.options.command} resume ${s.session}`;
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
