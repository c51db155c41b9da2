/**
 * rollback: undoes what a session changed, newest first, journaling every undo exactly like an apply
 * (so an interrupted rollback resumes too).
 *
 *   write/remove  the original is put back byte for byte with its mode and owner from the on-host backup,
 *                 or the file is removed when it did not exist before
 *   run           its `undo` argv (skipped when its probe shows the effect never happened)
 *   patch         the edited fields are set back to their before-values on the current object
 *                 (current resourceVersion; fields nobody planned to touch are left alone)
 *
 * Actions that changed nothing (already in the desired state) are not undone: they were not ours.
 * `to`: keep the actions of that step and every step before it.
 * Rolling back past a point-of-no-easy-return action is refused unless explicitly allowed.
 */
import { BadInputError } from '../../exit-codes.js';
import { actionHost, type Action } from '../model/actions.js';
import { RunContext, type Outcome, type RunOptions } from './context.js';
import { ActionError, isConflict } from './errors.js';
import type { EngineDeps } from '../model/ports.js';
import * as files from './host-files.js';
import { runSteps } from './step-runner.js';
import { fieldsMatch, restoreFields } from './edits.js';
import { execWithRetry } from './executor.js';
import { snapshotOf, stepOf } from '../model/plan.js';
import { memberRemovedBy } from '../../etcd/etcdctl.js';
import { buildRollbackPreview, observeRollback, type RollbackPreview } from '../preview/rollback-preview.js';
import { redactArgv, showArgv } from '../model/secrets.js';
import { sessionJournal, type Session } from '../records/session.js';
import { foldJournal, undoOrder, type ActionState } from '../records/state.js';
import { resolveUnknown } from './recheck.js';

export interface RollbackOptions extends RunOptions {
  /** Keep this step and the ones before it. */
  to?: string;
  /** Undo point-of-no-easy-return actions too (their undo argv), instead of refusing. */
  pastPointOfNoReturn?: boolean;
}

export async function rollback(session: Session, deps: EngineDeps, opts: RollbackOptions = {}): Promise<Outcome> {
  if (opts.to !== undefined) stepOf(session.plan, opts.to);
  const ctx = RunContext.open(session, deps, opts, opts.to ? `rollback --to ${opts.to}` : 'rollback');
  try {
    return await continueRollback(ctx, opts.to, opts.pastPointOfNoReturn === true);
  } finally {
    ctx.close();
  }
}

/**
 * Refuses to cross a point of no easy return without the flag. One paragraph: what would be undone, why that is
 * not an exact reverse, and the two commands to choose between (and the last resort).
 */
export function checkPointOfNoReturn(session: Session, list: readonly Action[], allowed: boolean): void {
  const ponr = list.filter((a) => a.risk === 'point-of-no-easy-return');
  const newest = ponr[0];
  if (!newest || allowed) return;
  const members = ponr.map((a) => (a.type === 'run' && a.undo ? memberRemovedBy(a.undo)?.name : undefined)).filter((n): n is string => n !== undefined);
  const what = members.length
    ? `remove the etcd ${members.length === 1 ? 'member' : 'members'} ${[...new Set(members)].join(' and ')} that this session made ${members.length === 1 ? 'a voter' : 'voters'}`
    : `undo ${ponr.map((a) => a.id).join(', ')}`;
  const snap = snapshotOf(session.plan);
  throw new BadInputError(
    `Rolling back session ${session.id} would cross the point of no easy return: it would ${what}. ` +
      'That undo is not an exact reverse of what was done (etcd loses voting members while quorum holds), so it is not done without your word. ' +
      `To keep ${members.length === 1 ? 'that member' : members.length ? 'those members' : 'it'} and undo only the steps after it, run \`ha-wizard rollback ${session.id} --to ${newest.step}\`. ` +
      `To undo everything, knowing this, run \`ha-wizard rollback ${session.id} --past-point-of-no-return\`. ` +
      `The last resort is restoring the etcd snapshot taken before the first change${snap ? ` (${snap.path} on ${snap.host})` : ''}.`,
  );
}

/** What rollback would undo, read from the journal and the hosts without changing anything (no lock taken). */
export async function previewRollback(session: Session, deps: EngineDeps, opts: { to?: string } = {}): Promise<RollbackPreview> {
  const state = foldJournal(session.plan, sessionJournal(session));
  const to = opts.to;
  if (to !== undefined) stepOf(session.plan, to);
  const list = undoOrder(session.plan, state, to);
  const inputs = await observeRollback(list, state, deps.hosts, deps.kube);
  return buildRollbackPreview(session.plan, session.id, state, list, inputs, to ?? null);
}

export async function continueRollback(ctx: RunContext, to: string | undefined, pastPointOfNoReturn: boolean): Promise<Outcome> {
  const list = undoOrder(ctx.plan, ctx.state(), to);
  checkPointOfNoReturn(ctx.session, list, pastPointOfNoReturn);
  await ctx.record({ type: 'begin', operation: 'rollback', planId: ctx.plan.id, pid: process.pid, ...(to ? { to } : {}), ...(pastPointOfNoReturn ? { pastPointOfNoReturn } : {}) });
  // The list is newest first, so each step's actions are consecutive: undo step by step, each through runStep
  // (hosts of a parallel step are undone concurrently, each host newest first).
  const groups: Array<{ step: string; actions: Action[] }> = [];
  for (const a of list) {
    const last = groups[groups.length - 1];
    if (last?.step === a.step) last.actions.push(a);
    else groups.push({ step: a.step, actions: [a] });
  }
  const steps = groups.map((g) => ({ info: stepOf(ctx.plan, g.step), actions: g.actions }));
  const outcome = await runSteps(ctx, 'rollback', steps, (action, state) => undoOne(ctx, action, state));
  if (outcome.status === 'finished') {
    const kept = backupsKept(ctx);
    if (kept) ctx.emit({ type: 'notice', text: kept });
  }
  return outcome;
}

/**
 * Where the session's backups stay after a rollback (rollback removes what the run made, never these): the
 * originals of replaced files, per host, and the backup step's etcd snapshot and tarballs.
 */
function backupsKept(ctx: RunContext): string | null {
  const st = ctx.state();
  const byHost = new Map<string, Set<string>>();
  for (const a of ctx.plan.actions) {
    const s = st.actions.get(a.id);
    if ((a.type === 'write-file' || a.type === 'remove-file') && s?.backup) {
      byHost.set(a.host, (byHost.get(a.host) ?? new Set()).add(files.backupRoot(ctx.session.id)));
    }
    if (a.step === 'backup' && a.type === 'run' && a.probe?.type === 'file' && s && s.status !== 'pending') {
      byHost.set(a.host, (byHost.get(a.host) ?? new Set()).add(a.probe.path));
    }
  }
  if (!byHost.size) return null;
  return `Backups kept (rollback never removes them; delete them once you no longer need them): ${[...byHost].map(([h, p]) => `${h}: ${[...p].join(', ')}`).join('; ')}`;
}

async function nothing(ctx: RunContext, action: Action, reason: string): Promise<void> {
  await ctx.record({ type: 'done', phase: 'rollback', action: action.id, outcome: 'unchanged', detail: reason });
  ctx.unchanged++;
  ctx.emit({ type: 'action-skipped', phase: 'rollback', action: action.id, reason });
}

async function undone(ctx: RunContext, action: Action, detail: string, exitCode?: number): Promise<void> {
  await ctx.record({ type: 'done', phase: 'rollback', action: action.id, outcome: 'changed', detail, ...(exitCode !== undefined ? { exitCode } : {}) });
  ctx.changed++;
  ctx.emit({ type: 'action-done', phase: 'rollback', action: action.id, detail });
}

async function undoOne(ctx: RunContext, action: Action, state: ActionState): Promise<void> {
  ctx.emit({ type: 'action-start', phase: 'rollback', step: action.step, action: action.id, actionType: action.type, host: actionHost(action), description: `undo: ${action.description}` });
  switch (action.type) {
    case 'write-file':
    case 'remove-file': {
      if (state.before === undefined) throw new ActionError(`the journal holds no before-state for ${action.id}; restore ${action.host}:${action.path} by hand from ${state.backup ?? 'the backup directory'}`);
      const before = state.before;
      const current = await files.fileState(ctx, action.host, action.path);
      if (before === null) {
        if (!current) {
          const dirs = await files.removeEmptyDirs(ctx, action.host, state.createdDirs ?? []);
          return nothing(ctx, action, `the file did not exist before and does not now${dirs.length ? ` (removed the directories the run made: ${dirs.join(', ')})` : ''}`);
        }
        await ctx.record({ type: 'started', phase: 'rollback', action: action.id });
        await files.removeFile(ctx, action.host, action.path);
        // The directories this write made go too, once empty (the files of later writes into them are undone first).
        const dirs = await files.removeEmptyDirs(ctx, action.host, state.createdDirs ?? []);
        return undone(ctx, action, `removed ${action.path} (it did not exist before)${dirs.length ? ` and the directories the run made: ${dirs.join(', ')}` : ''}`);
      }
      if (current && current.sha256 === before.sha256 && current.mode === before.mode && current.uid === before.uid && current.gid === before.gid) {
        return nothing(ctx, action, 'the file is already the original');
      }
      if (!state.backup) throw new ActionError(`the journal holds no backup path for ${action.id}`);
      await ctx.record({ type: 'started', phase: 'rollback', action: action.id });
      await files.restoreFromBackup(ctx, action.host, action.path, state.backup, before);
      return undone(ctx, action, `restored ${action.path} from ${state.backup}`);
    }
    case 'run': {
      if (!action.undo) {
        await ctx.record({ type: 'done', phase: 'rollback', action: action.id, outcome: 'unchanged', detail: 'no undo command' });
        ctx.emit({ type: 'notice', text: `${action.id} has no undo command; its effect stays: ${action.description}` });
        return;
      }
      const uncertain = state.status !== 'applied';
      if (action.probe && uncertain) {
        // Started but never recorded done (or undo interrupted): only undo what the probe shows is there.
        const p = await ctx.probe(action.probe);
        if (!p.ok) return nothing(ctx, action, `its effect is not present (${p.detail})`);
      } else if (!action.probe && state.status === 'undoing') {
        const decision = await resolveUnknown(ctx, 'rollback', action, `the undo \`${showArgv(redactArgv(action.undo))}\` on ${action.host} was interrupted and there is no probe to tell whether it took effect`);
        if (decision === 'done') {
          await ctx.record({ type: 'done', phase: 'rollback', action: action.id, outcome: 'operator' });
          return;
        }
      }
      await ctx.record({ type: 'started', phase: 'rollback', action: action.id });
      const code = await execWithRetry(ctx, action.host, action.undo, action.id, 'rollback', action.retry, action.timeoutMs);
      const dirs = await files.removeEmptyDirs(ctx, action.host, state.createdDirs ?? []);
      return undone(ctx, action, `ran \`${showArgv(redactArgv(action.undo))}\`${dirs.length ? `; removed the directories the run made: ${dirs.join(', ')}` : ''}`, code);
    }
    case 'patch-object': {
      if (!state.fieldsBefore) throw new ActionError(`the journal holds no before-state for ${action.id}`);
      const api = await ctx.kube(action.host);
      let obj = await ctx.guard(api.get(action.object));
      if (!obj) throw new ActionError(`${action.object.kind} ${action.object.name} no longer exists; nothing to restore`);
      if (fieldsMatch(obj, state.fieldsBefore)) return nothing(ctx, action, 'the fields are already as before');
      await ctx.record({ type: 'started', phase: 'rollback', action: action.id });
      for (let attempt = 1; ; attempt++) {
        try {
          await ctx.guard(api.replace(action.object, restoreFields(obj, state.fieldsBefore)));
          break;
        } catch (err) {
          if (!isConflict(err) || attempt >= 5) throw err;
          obj = await ctx.guard(api.get(action.object));
          if (!obj) throw new ActionError(`${action.object.kind} ${action.object.name} disappeared during rollback`);
          if (fieldsMatch(obj, state.fieldsBefore)) break;
        }
      }
      return undone(ctx, action, `restored ${state.fieldsBefore.map((f) => f.path.join('.')).join(', ')} of ${action.object.kind} ${action.object.name}`);
    }
    case 'wait':
      return nothing(ctx, action, 'waits change nothing');
  }
}
