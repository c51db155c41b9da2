/**
 * The progress of one engine run (apply, resume or rollback) as plain data, folded from EngineEvents
 * only. The ink execute screen, the failure screen and the done screen render this; nothing here knows
 * about React or terminals.
 */
import type { ActionType, Risk } from '../engine/model/actions.js';
import type { EngineEvent, Phase } from '../engine/model/events.js';

export type ActionRunStatus = 'running' | 'done' | 'skipped' | 'failed';
export type StepRunStatus = 'running' | 'done' | 'failed' | 'stopped';

export interface ActionRun {
  id: string;
  host: string;
  actionType: ActionType;
  description: string;
  status: ActionRunStatus;
  /** action-done detail, action-skipped reason or action-failed error. */
  detail: string;
  /** The last lines of its output (already redacted by the engine). */
  output: string[];
  /** When its action-start arrived (wall clock of the receiver). */
  startedAt: number;
  /** A wait's deadline, from its start. */
  limitMs?: number;
  /** A wait: the last probe's answer in words, and the time waited of the limit as of `at`. */
  wait?: { answer: string; elapsedMs: number; limitMs: number; at: number };
  /** A command being retried: why, in words, and when it runs again. */
  retry?: { reason: string; attempt: number; retryInMs: number; elapsedMs: number; limitMs: number; at: number };
}

export interface StepRun {
  id: string;
  title: string;
  risk: Risk;
  phase: Phase;
  index: number;
  total: number;
  status: StepRunStatus;
  actions: ActionRun[];
  /** Actions the plan holds for this step (for the progress bar); 0 when unknown. */
  planned: number;
  startedAt: number;
  endedAt: number | null;
}

export interface RunFailure {
  phase: Phase;
  step: string | null;
  action: string;
  host: string;
  error: string;
}

/** What a measuring action measured (a failover drill's recovery time), as the engine reported it. */
export interface Measurement {
  action: string;
  name: string;
  summary: string;
  values: Record<string, number | string>;
}

export interface RunProgress {
  phase: Phase;
  steps: StepRun[];
  notices: string[];
  measurements: Measurement[];
  startedAt: number;
  endedAt: number | null;
  finished: { changed: number; unchanged: number } | null;
  stopped: { hard: boolean; resumeCommand: string } | null;
  failure: RunFailure | null;
}

/** Lines of command output kept per action: the execute screen shows the tail of the current one. */
export const OUTPUT_TAIL = 8;

export function startRun(phase: Phase, at: number): RunProgress {
  return { phase, steps: [], notices: [], measurements: [], startedAt: at, endedAt: null, finished: null, stopped: null, failure: null };
}

function updateAction(p: RunProgress, actionId: string, f: (a: ActionRun, s: StepRun) => ActionRun): RunProgress {
  // The action is normally in the current (last) step; search backwards.
  for (let i = p.steps.length - 1; i >= 0; i--) {
    const s = p.steps[i]!;
    const j = s.actions.findIndex((a) => a.id === actionId);
    if (j < 0) continue;
    const actions = s.actions.slice();
    actions[j] = f(actions[j]!, s);
    const steps = p.steps.slice();
    steps[i] = { ...s, actions };
    return { ...p, steps };
  }
  return p;
}

function updateStep(p: RunProgress, stepId: string, f: (s: StepRun) => StepRun): RunProgress {
  const i = p.steps.map((s) => s.id).lastIndexOf(stepId);
  if (i < 0) return p;
  const steps = p.steps.slice();
  steps[i] = f(steps[i]!);
  return { ...p, steps };
}

/** The step an action belongs to: the step of its action-start, else the id prefix before the first `/`. */
function stepOfAction(p: RunProgress, actionId: string): string | null {
  for (let i = p.steps.length - 1; i >= 0; i--) if (p.steps[i]!.actions.some((a) => a.id === actionId)) return p.steps[i]!.id;
  return p.steps.at(-1)?.id ?? null;
}

/**
 * Folds one engine event into the progress. `planned` gives the plan's action count per step (for
 * progress bars); `at` is the wall clock of the event, stamped by whoever received it.
 */
export function foldEvent(p: RunProgress, e: EngineEvent, at: number, planned: Readonly<Record<string, number>> = {}): RunProgress {
  switch (e.type) {
    case 'step-start': {
      // The engine says how many actions this run goes through in the step; the plan's count is the fallback.
      const step: StepRun = { id: e.step, title: e.title, risk: e.risk, phase: e.phase, index: e.index, total: e.total, status: 'running', actions: [], planned: e.actions ?? planned[e.step] ?? 0, startedAt: at, endedAt: null };
      return { ...p, phase: e.phase, steps: [...p.steps, step] };
    }
    case 'action-start': {
      const action: ActionRun = { id: e.action, host: e.host, actionType: e.actionType, description: e.description, status: 'running', detail: '', output: [], startedAt: at, ...(e.limitMs ? { limitMs: e.limitMs } : {}) };
      let next = p;
      if (!next.steps.some((s) => s.id === e.step)) {
        // A resumed run can start inside a step whose step-start we never saw.
        next = foldEvent(next, { type: 'step-start', phase: e.phase, step: e.step, title: e.step, risk: 'reversible', index: next.steps.length, total: next.steps.length + 1, actions: planned[e.step] ?? 0 }, at, planned);
      }
      return updateStep(next, e.step, (s) => ({ ...s, actions: [...s.actions.filter((a) => a.id !== e.action), action] }));
    }
    case 'action-output':
      return updateAction(p, e.action, (a) => ({ ...a, output: [...a.output, ...e.text.split('\n')].slice(-OUTPUT_TAIL) }));
    case 'wait-progress':
      return updateAction(p, e.action, (a) => ({ ...a, wait: { answer: e.answer, elapsedMs: e.elapsedMs, limitMs: e.limitMs, at } }));
    case 'retry':
      return updateAction(p, e.action, (a) => ({ ...a, retry: { reason: e.reason, attempt: e.attempt, retryInMs: e.retryInMs, elapsedMs: e.elapsedMs, limitMs: e.limitMs, at } }));
    case 'action-done':
      return updateAction(p, e.action, (a) => ({ ...a, status: 'done', detail: e.detail }));
    case 'action-skipped': {
      const exists = p.steps.some((s) => s.actions.some((a) => a.id === e.action));
      if (exists) return updateAction(p, e.action, (a) => ({ ...a, status: 'skipped', detail: e.reason }));
      // Skipped without a start (done in an earlier run): still counts towards the step's progress.
      const step = p.steps.at(-1);
      if (!step) return p;
      const host = e.action.split('/')[1] ?? '';
      const action: ActionRun = { id: e.action, host, actionType: 'run', description: e.action, status: 'skipped', detail: e.reason, output: [], startedAt: at };
      return updateStep(p, step.id, (s) => ({ ...s, actions: [...s.actions, action] }));
    }
    case 'action-failed': {
      const next = updateAction(p, e.action, (a) => ({ ...a, status: 'failed', detail: e.error }));
      const step = stepOfAction(next, e.action);
      const marked = step ? updateStep(next, step, (s) => ({ ...s, status: 'failed', endedAt: at })) : next;
      return { ...marked, failure: { phase: e.phase, step, action: e.action, host: e.host, error: e.error } };
    }
    case 'step-done':
      return updateStep(p, e.step, (s) => ({ ...s, status: 'done', endedAt: at }));
    case 'notice':
      return { ...p, notices: [...p.notices, e.text] };
    case 'measurement':
      return { ...p, measurements: [...(p.measurements ?? []).filter((m) => m.action !== e.action), { action: e.action, name: e.name, summary: e.summary, values: e.values }] };
    case 'stopped': {
      const last = p.steps.at(-1);
      const steps = last && last.status === 'running' ? updateStep(p, last.id, (s) => ({ ...s, status: 'stopped', endedAt: at })).steps : p.steps;
      return { ...p, steps, stopped: { hard: e.hard, resumeCommand: e.resumeCommand }, endedAt: at };
    }
    case 'finished':
      return { ...p, finished: { changed: e.changed, unchanged: e.unchanged }, endedAt: at };
  }
}

/** The step being worked on (the last one still running), if any. */
export function currentStep(p: RunProgress): StepRun | null {
  const last = p.steps.at(-1);
  return last && last.status === 'running' ? last : null;
}

/** The action in flight in the current step, if any. */
export function currentAction(p: RunProgress): ActionRun | null {
  const s = currentStep(p);
  if (!s) return null;
  for (let i = s.actions.length - 1; i >= 0; i--) if (s.actions[i]!.status === 'running') return s.actions[i]!;
  return null;
}

/** Finished over planned actions of a step (planned unknown: over the actions seen). */
export function stepFraction(s: StepRun): { done: number; total: number } {
  const done = s.actions.filter((a) => a.status !== 'running').length;
  return { done, total: Math.max(s.planned, s.actions.length, 1) };
}

/** Hosts touched by a step, in first-seen order, each with its worst state. */
export function hostStates(s: StepRun): Array<{ host: string; status: ActionRunStatus }> {
  const rank: Record<ActionRunStatus, number> = { skipped: 0, done: 1, running: 2, failed: 3 };
  const out = new Map<string, ActionRunStatus>();
  for (const a of s.actions) {
    const prev = out.get(a.host);
    out.set(a.host, prev === undefined || rank[a.status] > rank[prev] ? a.status : prev);
  }
  return [...out].map(([host, status]) => ({ host, status }));
}

/** Per-step planned action counts, from the plan's flat action list. */
export function plannedCounts(actions: ReadonlyArray<{ step: string }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of actions) out[a.step] = (out[a.step] ?? 0) + 1;
  return out;
}
