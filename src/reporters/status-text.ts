/**
 * Where a session stands, in plain words: `status`, `sessions` and the wizard's resume offer say it the same way.
 * A complete rollback says the cluster is as it was (and where the backups are), not "64/155 actions done"; a run
 * that failed before touching any host says nothing was changed.
 */
import type { Plan } from '../engine/model/plan.js';
import { snapshotOf } from '../engine/model/plan.js';
import type { SessionStatus } from '../engine/records/state.js';
import { backupRoot } from '../engine/run/host-files.js';

const OPERATION = { apply: 'apply', rollback: 'rollback' } as const;

function progress(st: SessionStatus): string {
  return st.operation === 'rollback' ? `${st.undone} action(s) undone, ${st.inEffect} still in effect` : `${st.done}/${st.total} actions done`;
}

/** Where the originals and the etcd snapshot are kept (rollback never deletes them). */
export function backupsKept(sessionId: string, plan: Pick<Plan, 'actions'>): string {
  const snap = snapshotOf(plan);
  return `backups kept at ${backupRoot(sessionId)}/ on each host it changed${snap ? `, and the etcd snapshot ${snap.path} on ${snap.host}` : ''}`;
}

/** One line: the state of the session in words, with its counts where they mean something. */
export function statusHeadline(session: { id: string; plan: Pick<Plan, 'actions'> }, st: SessionStatus): string {
  const op = st.operation ? OPERATION[st.operation] : 'apply';
  switch (st.state) {
    case 'not-started':
      return 'not started: nothing was changed';
    case 'in-progress':
      return `applying now: ${progress(st)}`;
    case 'rolling-back':
      return `rolling back now: ${progress(st)}`;
    case 'applied':
      return `applied: ${st.done}/${st.total} actions done`;
    case 'rolled-back':
      if (st.to) return `rolled back to step ${st.to}: the steps after it are undone, ${st.inEffect} change(s) of the steps up to it stay in effect; ${backupsKept(session.id, session.plan)}`;
      if (st.inEffect === 0) return `rolled back: the cluster is as it was before ${session.id}; ${backupsKept(session.id, session.plan)}`;
      return `rolled back, but ${st.inEffect} change(s) stay in effect (they have no undo)`;
    case 'stopped':
    case 'failed':
    case 'interrupted': {
      const how = st.state === 'interrupted' ? 'was interrupted (the process ended)' : st.state;
      if (!st.lastRunChanged) {
        const before = st.previous && st.previous !== 'not-started' ? `; the session is as its previous ${st.previous === 'rolled-back' ? 'rollback' : 'run'} left it (${st.previous}, ${progress({ ...st, operation: st.previous === 'rolled-back' ? 'rollback' : 'apply' })})` : '';
        return `${op} ${how} before changing anything: nothing was changed${before}`;
      }
      return `${op} ${how}: ${progress(st)}`;
    }
  }
}

/** The command that undoes the whole session, with the flag it needs when that crosses the point of no easy return. */
export function rollbackCommand(sessionId: string, st: Pick<SessionStatus, 'rollbackCrossesPointOfNoReturn'>, prefix = 'ha-wizard'): string {
  return `${prefix} rollback ${sessionId}${st.rollbackCrossesPointOfNoReturn ? ' --past-point-of-no-return' : ''}`;
}

/** What to run next, for a session that stopped, failed or was interrupted (null: nothing to continue). */
export function nextCommands(sessionId: string, st: SessionStatus, prefix = 'ha-wizard'): string | null {
  if (!['stopped', 'failed', 'interrupted'].includes(st.state)) return null;
  if (st.operation === 'rollback') return `Continue the rollback with: ${prefix} resume ${sessionId}`;
  return `Continue with: ${prefix} resume ${sessionId}   (or undo: ${rollbackCommand(sessionId, st, prefix)})`;
}
