/**
 * What the journal says about each action, folded from its records. Pure: status, resume and
 * rollback all read the same fold, so they never disagree about what was done.
 */
import type { Action } from '../model/actions.js';
import type { FieldBefore, FileState, JournalRecord } from './journal.js';
import type { Phase } from '../model/events.js';
import type { Plan } from '../model/plan.js';

export type ActionStatus =
  | 'pending'
  /** Started, no outcome: its effect is unknown until checked. */
  | 'applying'
  | 'apply-failed'
  | 'applied'
  | 'undoing'
  | 'undo-failed'
  | 'undone';

export interface ActionState {
  status: ActionStatus;
  /** How the last apply ended: 'unchanged' means this session changed nothing (rollback leaves it). */
  outcome?: 'changed' | 'unchanged' | 'verified' | 'operator' | 'skipped';
  /** outcome 'skipped': why (the failure that was skipped). */
  skipReason?: string;
  /** From the first `started` of the current apply: the original file and its backup, or the original fields. */
  before?: FileState | null;
  backup?: string | null;
  fieldsBefore?: FieldBefore[];
  /** patch: the object's resourceVersion right after this session's write. */
  resourceVersion?: string;
  /** Directories this action's apply made (absent before it), deepest first: rollback removes them once empty. */
  createdDirs?: string[];
  /** Set once any apply `started` was journaled since the action was last pending/undone. */
  touched: boolean;
  lastError?: string;
  /** Exit code of the last failure when it was a command that ran to its end. */
  lastExitCode?: number;
}

export interface JournalState {
  actions: Map<string, ActionState>;
  /** The operation of the last `begin` (null: nothing ever ran). */
  operation: Phase | null;
  /** `rollback --to` of the last rollback begin. */
  to?: string;
  pastPointOfNoReturn?: boolean;
  /** How the last operation ended: finished, failed, stopped, or still open (crashed / killed). */
  ending: 'finished' | 'failed' | 'stopped' | 'open' | null;
}

export function foldJournal(plan: Plan, records: readonly JournalRecord[]): JournalState {
  const actions = new Map<string, ActionState>(plan.actions.map((a) => [a.id, { status: 'pending', touched: false }]));
  const state: JournalState = { actions, operation: null, ending: null };
  const known = (id: string): ActionState => {
    const s = actions.get(id);
    if (!s) throw new Error(`journal names action "${id}", which is not in plan ${plan.id}`);
    return s;
  };
  for (const r of records) {
    switch (r.type) {
      case 'begin':
        state.operation = r.operation;
        state.to = r.to;
        state.pastPointOfNoReturn = r.pastPointOfNoReturn;
        state.ending = 'open';
        break;
      case 'end':
        state.ending = r.status;
        break;
      case 'stopped':
        state.ending = 'stopped';
        break;
      case 'started': {
        const s = known(r.action);
        s.lastExitCode = undefined;
        if (r.phase === 'apply') {
          if (!s.touched) {
            // The first start of this apply cycle holds the true original; a redo after a crash must not overwrite it.
            s.before = r.before;
            s.backup = r.backup;
            s.fieldsBefore = r.fieldsBefore;
            s.createdDirs = r.createdDirs;
            s.touched = true;
          }
          s.status = 'applying';
        } else {
          s.status = 'undoing';
        }
        break;
      }
      case 'done': {
        const s = known(r.action);
        if (r.phase === 'apply') {
          s.status = 'applied';
          s.outcome = r.outcome;
          if (r.resourceVersion !== undefined) s.resourceVersion = r.resourceVersion;
          s.skipReason = r.outcome === 'skipped' ? (r.detail ?? 'skipped') : undefined;
        } else {
          s.status = 'undone';
          s.touched = false;
          s.outcome = undefined;
          s.skipReason = undefined;
        }
        break;
      }
      case 'failed': {
        const s = known(r.action);
        s.status = r.phase === 'apply' ? 'apply-failed' : 'undo-failed';
        s.lastError = r.error;
        s.lastExitCode = r.exitCode;
        break;
      }
    }
  }
  return state;
}

/** Whether rollback has anything to undo for this action (it changed something, or may have). */
export function needsUndo(action: Action, s: ActionState): boolean {
  if (action.type === 'wait') return false;
  // A read-only command changes nothing, but it may carry an undo that rollback must run in its place (restart the
  // kubelet once its kubelet.conf is restored, reload a proxy once its config is; take a virtual IP off an interface
  // once its agent is stopped): those are undone like any command that ran.
  if (action.risk === 'read-only' && !(action.type === 'run' && action.undo)) return false;
  switch (s.status) {
    case 'pending':
    case 'undone':
      return false;
    case 'applied':
      // A skipped action changed nothing (only actions that change nothing can be skipped).
      return s.outcome !== 'unchanged' && s.outcome !== 'skipped';
    default:
      // applying, apply-failed, undoing, undo-failed: possibly changed.
      return s.touched;
  }
}

/**
 * The actions rollback undoes, newest first. `to`: keep the actions of that step and the ones before it.
 * Pure, so the order is tested without hosts.
 */
export function undoOrder(plan: Plan, state: JournalState, to?: string): Action[] {
  const keep = new Set<string>();
  if (to !== undefined) {
    const idx = plan.steps.findIndex((s) => s.id === to);
    if (idx < 0) throw new Error(`no step "${to}" in plan ${plan.id}`);
    for (const s of plan.steps.slice(0, idx + 1)) keep.add(s.id);
  }
  return plan.actions.filter((a) => !keep.has(a.step) && needsUndo(a, state.actions.get(a.id)!)).reverse();
}

export interface StepProgress {
  id: string;
  title: string;
  total: number;
  done: number;
  undone: number;
  current: string | null;
  failures: Array<{ action: string; error: string }>;
  /** Actions that failed and were skipped (counted in `done`): the operator went on without them. */
  skipped: Array<{ action: string; reason: string }>;
  /** Changes of this step still in effect (what rollback would undo). */
  inEffect: number;
}

export interface SessionStatus {
  state: 'not-started' | 'in-progress' | 'stopped' | 'failed' | 'interrupted' | 'applied' | 'rolled-back' | 'rolling-back';
  operation: Phase | null;
  steps: StepProgress[];
  done: number;
  total: number;
  /** Whether the last operation (apply, resume or rollback) journaled any change: false when it stopped or failed before touching a host. */
  lastRunChanged: boolean;
  /** The state before the last operation began (null: it was the first). */
  previous: SessionStatus['state'] | null;
  /** `rollback --to` of the last rollback. */
  to?: string;
  /** Actions this session changed that are undone now, and still in effect (what a full rollback has left to do). */
  undone: number;
  inEffect: number;
  /** Whether a full rollback now would undo a point-of-no-easy-return action (it then needs --past-point-of-no-return). */
  rollbackCrossesPointOfNoReturn: boolean;
}

export function sessionStatus(plan: Plan, records: readonly JournalRecord[], lockHeld: boolean): SessionStatus {
  const st = foldJournal(plan, records);
  const steps: StepProgress[] = plan.steps.map((s) => {
    const acts = plan.actions.filter((a) => a.step === s.id);
    const p: StepProgress = { id: s.id, title: s.title, total: acts.length, done: 0, undone: 0, current: null, failures: [], skipped: [], inEffect: 0 };
    for (const a of acts) {
      const as = st.actions.get(a.id)!;
      if (as.status === 'applied') p.done++;
      if (as.status === 'applied' && as.outcome === 'skipped') p.skipped.push({ action: a.id, reason: as.skipReason ?? 'skipped' });
      if (as.status === 'undone') p.undone++;
      if (needsUndo(a, as)) p.inEffect++;
      if ((as.status === 'applying' || as.status === 'undoing') && !p.current) p.current = a.id;
      if ((as.status === 'apply-failed' || as.status === 'undo-failed') && as.lastError) p.failures.push({ action: a.id, error: as.lastError });
    }
    return p;
  });
  const done = steps.reduce((n, s) => n + s.done, 0);
  let state: SessionStatus['state'];
  if (st.operation === null) state = 'not-started';
  else if (st.ending === 'open') state = lockHeld ? (st.operation === 'rollback' ? 'rolling-back' : 'in-progress') : 'interrupted';
  else if (st.ending === 'stopped') state = 'stopped';
  else if (st.ending === 'failed') state = 'failed';
  else state = st.operation === 'rollback' ? 'rolled-back' : 'applied';
  const lastBegin = records.map((r) => r.type).lastIndexOf('begin');
  const lastRunChanged = lastBegin >= 0 && records.slice(lastBegin).some((r) => r.type === 'started');
  const previous = lastBegin > 0 ? sessionStatus(plan, records.slice(0, lastBegin), false).state : null;
  const undone = plan.actions.filter((a) => st.actions.get(a.id)!.status === 'undone').length;
  const inEffect = plan.actions.filter((a) => needsUndo(a, st.actions.get(a.id)!)).length;
  const rollbackCrossesPointOfNoReturn = undoOrder(plan, st).some((a) => a.risk === 'point-of-no-easy-return');
  return { state, operation: st.operation, steps, done, total: plan.actions.length, lastRunChanged, previous, ...(st.to ? { to: st.to } : {}), undone, inEffect, rollbackCrossesPointOfNoReturn };
}
