/**
 * apply: executes a plan's actions in order, journaling each one before and after it touches a host.
 *
 * Per action: read the current state (read-only); if the desired state is already there, record
 * `done unchanged` and move on; otherwise journal `started` (with the original file's hash and backup
 * path, or the object's fields), make the change, journal `done`. A graceful interrupt stops between
 * actions (never inside a stop/start pair); a hard one abandons the action in flight, which stays
 * `started` for resume to check. Steps that allow it run different hosts' actions concurrently
 * (schedule.ts explains how); each action still follows exactly this sequence.
 */
import { BadInputError } from '../../exit-codes.js';
import { actionHost, isSensitive, isSkippable, type Action, type PatchObjectAction, type RemoveFileAction, type RunAction, type WaitAction, type WriteFileAction } from '../model/actions.js';
import { RunContext, type Outcome, type RunOptions } from './context.js';
import { sha256 } from '../model/hash.js';
import { ActionError, CommandFailed, isConflict, tail } from './errors.js';
import type { EngineDeps } from '../model/ports.js';
import { applyEdits, editsPresent, fieldPath, fieldsBefore } from './edits.js';
import { fileKey, assertFresh, type Plan } from '../model/plan.js';
import { redactArgv, showArgv } from '../model/secrets.js';
import type { Session } from '../records/session.js';
import type { ActionState } from '../records/state.js';
import * as files from './host-files.js';
import { checkApplied, knownTargetSha, resolveUnknown } from './recheck.js';
import { GracefulInWait, runSteps, waitInterruptible } from './step-runner.js';

export interface ApplyOptions extends RunOptions {
  /** The fingerprint of the facts as rediscovered now; a plan built from other facts is refused as stale. */
  factsFingerprint?: string;
}

/** Applies a fresh session's plan. The session's journal must be empty (otherwise: resume). */
export async function apply(plan: Plan, session: Session, deps: EngineDeps, opts: ApplyOptions = {}): Promise<Outcome> {
  if (plan.id !== session.plan.id) throw new BadInputError(`plan ${plan.id} is not the plan of session ${session.id} (${session.plan.id})`);
  if (opts.factsFingerprint !== undefined) assertFresh(plan, opts.factsFingerprint);
  const ctx = RunContext.open(session, deps, opts, 'apply');
  try {
    if (ctx.journal.records.length > 0) {
      throw new BadInputError(`session ${session.id} has already run`, `continue it with \`${ctx.resumeCommand}\`, or roll it back`);
    }
    checkSkips(ctx);
    await preflight(ctx);
    return await continueApply(ctx);
  } finally {
    ctx.close();
  }
}

/**
 * Read-only checks before the first change: the files the operator reviewed are still as they were,
 * and every source of a byte-identical copy still has the hash the plan promised.
 */
export async function preflight(ctx: RunContext): Promise<void> {
  const problems: string[] = [];
  for (const [key, expected] of Object.entries(ctx.plan.observed ?? {})) {
    const sep = key.indexOf(':');
    const [host, path] = [key.slice(0, sep), key.slice(sep + 1)];
    const now = await ctx.guard((await ctx.host(host)).sha256(path));
    if (now !== expected) problems.push(`${key} was ${expected ? `sha256 ${expected.slice(0, 12)}…` : 'absent'} when planned, is ${now ? `sha256 ${now.slice(0, 12)}…` : 'absent'} now`);
  }
  const sources = new Map<string, string>();
  for (const a of ctx.plan.actions) {
    if (a.type === 'write-file' && a.content.type === 'copy') sources.set(fileKey(a.content.fromHost, a.content.fromPath), a.content.sha256);
  }
  for (const [key, expected] of sources) {
    const sep = key.indexOf(':');
    const now = await ctx.guard((await ctx.host(key.slice(0, sep))).sha256(key.slice(sep + 1)));
    if (now !== expected) problems.push(`copy source ${key} was sha256 ${expected.slice(0, 12)}… when planned, is ${now ? `sha256 ${now.slice(0, 12)}…` : 'absent'} now`);
  }
  if (problems.length) {
    throw new BadInputError(`plan ${ctx.plan.id} is stale; nothing was changed:\n  ${problems.join('\n  ')}`, 'run `ha-wizard plan` again and review the new preview');
  }
}

/**
 * Refuses `skip` (--skip ID) unless every id names an action that failed in the apply being resumed and that
 * changes nothing (isSkippable). Runs before anything is journaled, so a refused skip changes nothing.
 */
export function checkSkips(ctx: RunContext): void {
  const ids = ctx.opts.skip ?? [];
  if (!ids.length) return;
  const st = ctx.state();
  const retry = `retry it with \`${ctx.resumeCommand}\` (without --skip), or roll back with \`ha-wizard rollback ${ctx.session.id}\``;
  for (const id of ids) {
    const action = ctx.plan.actions.find((a) => a.id === id);
    if (!action) throw new BadInputError(`--skip ${id}: plan ${ctx.plan.id} has no such action`, 'name the failed action as `ha-wizard status` lists it');
    if (!isSkippable(action)) {
      throw new BadInputError(
        `cannot skip ${id}: it is a ${action.type} action (risk ${action.risk}), which changes the hosts; only a wait or a read-only command can be skipped`,
        retry,
      );
    }
    const s = st.actions.get(id)!;
    if (st.operation !== 'apply' || s.status !== 'apply-failed') {
      const now = st.operation === 'rollback' ? `the session's last operation is a rollback` : `its state is ${s.status}`;
      throw new BadInputError(`cannot skip ${id}: only an action whose last apply attempt failed can be skipped, and ${now}`, `run \`${ctx.resumeCommand}\` without --skip ${id}`);
    }
  }
}

/** The apply loop, from a fresh or a resumed journal: steps in order, each through runStep (lanes, gates, pairs). */
export async function continueApply(ctx: RunContext): Promise<Outcome> {
  const { plan } = ctx;
  await ctx.record({ type: 'begin', operation: 'apply', planId: plan.id, pid: process.pid });
  const steps = plan.steps.map((info) => ({ info, actions: plan.actions.filter((a) => a.step === info.id) }));
  return runSteps(ctx, 'apply', steps, (action, state) => applyOne(ctx, action, state));
}

async function applyOne(ctx: RunContext, action: Action, state: ActionState): Promise<void> {
  if (state.status === 'applied') {
    ctx.emit({ type: 'action-skipped', phase: 'apply', action: action.id, reason: 'done in an earlier run' });
    return;
  }
  if (state.status === 'apply-failed' && ctx.opts.skip?.includes(action.id) && isSkippable(action)) {
    // checkSkips allowed it: it changes nothing, so going on without it leaves nothing half-done.
    const reason = `skipped by the operator after it failed: ${state.lastError ?? 'no error recorded'}`;
    await ctx.record({ type: 'done', phase: 'apply', action: action.id, outcome: 'skipped', detail: reason });
    ctx.emit({ type: 'action-skipped', phase: 'apply', action: action.id, reason });
    return;
  }
  let prior: ActionState | undefined;
  // An action that failed before its started record (the connection died while it read the host) changed
  // nothing and has no recorded original to compare against: it simply runs again.
  if ((state.status === 'applying' || state.status === 'apply-failed') && state.touched) {
    // Interrupted or failed last time: look before acting.
    const check = await checkApplied(ctx, action, state);
    const decision = check.verdict === 'unknown' ? await resolveUnknown(ctx, 'apply', action, check.detail) : check.verdict;
    if (decision === 'done') {
      await ctx.record({ type: 'done', phase: 'apply', action: action.id, outcome: check.verdict === 'done' ? 'verified' : 'operator', detail: check.detail });
      ctx.emit({ type: 'action-skipped', phase: 'apply', action: action.id, reason: `interrupted last time; ${check.detail}` });
      return;
    }
    prior = state;
  }
  ctx.emit({
    type: 'action-start',
    phase: 'apply',
    step: action.step,
    action: action.id,
    actionType: action.type,
    host: actionHost(action),
    description: action.description,
    ...(action.type === 'wait' ? { limitMs: testCappedMs(action.timeoutMs) } : {}),
  });
  switch (action.type) {
    case 'write-file':
      return writeFile(ctx, action, prior);
    case 'remove-file':
      return removeFile(ctx, action, prior);
    case 'run':
      return runCommand(ctx, action);
    case 'patch-object':
      return patchObject(ctx, action);
    case 'wait':
      return waitFor(ctx, action);
  }
}

async function unchanged(ctx: RunContext, action: Action, reason: string): Promise<void> {
  await ctx.record({ type: 'done', phase: 'apply', action: action.id, outcome: 'unchanged', detail: reason });
  ctx.unchanged++;
  ctx.emit({ type: 'action-skipped', phase: 'apply', action: action.id, reason });
}

async function changed(ctx: RunContext, action: Action, detail: string, extra: { sha256?: string; mode?: number; exitCode?: number; resourceVersion?: string } = {}): Promise<void> {
  await ctx.record({ type: 'done', phase: 'apply', action: action.id, outcome: 'changed', detail, ...extra });
  ctx.changed++;
  ctx.emit({ type: 'action-done', phase: 'apply', action: action.id, detail });
}

async function writeFile(ctx: RunContext, action: WriteFileAction, prior?: ActionState): Promise<void> {
  const current = await files.fileState(ctx, action.host, action.path);
  const target = knownTargetSha(action);
  if (target !== null && current?.sha256 === target && current.mode === action.mode) {
    return unchanged(ctx, action, 'already has this content');
  }
  const { content } = action;
  // Secrets are materialised into memory only, here, on the way to the host.
  const bytes = content.type === 'literal' ? Buffer.from(content.text) : await ctx.guard(ctx.deps.materializer.materialize(content, action.host, ctx.hosts));
  const written = sha256(bytes);
  if (target !== null && written !== target) {
    throw new ActionError(`${content.type === 'copy' ? `${content.fromHost}:${content.fromPath}` : action.path} changed since the plan was made (sha256 ${written}, planned ${target}); nothing was written`);
  }
  // A redo keeps the original recorded by the first attempt; the file may already hold our half-done work.
  const before = prior?.touched ? (prior.before ?? null) : current;
  const backup = prior?.touched ? (prior.backup ?? null) : before ? await files.chooseBackup(ctx, action.host, action.path, before) : null;
  // A new file may make its directories (pki/etcd on a new node): journaled, so rollback can take them away again.
  const createdDirs = prior?.touched ? prior.createdDirs : before ? undefined : await files.missingDirs(ctx, action.host, action.path.slice(0, action.path.lastIndexOf('/')));
  await ctx.record({ type: 'started', phase: 'apply', action: action.id, before, backup, ...(createdDirs?.length ? { createdDirs } : {}) });
  if (before && backup) await files.makeBackup(ctx, action.host, action.path, backup, before);
  const h = await ctx.host(action.host);
  // A redo also clears the temp files a lost connection left beside the target last time.
  await ctx.guard(h.writeFileAtomic(action.path, bytes, { mode: action.mode, owner: action.owner, ...(prior ? { removeStaleTemps: true } : {}) }));
  const what = current ? 'replaced' : 'created';
  await changed(ctx, action, `${what} ${action.path} (0${action.mode.toString(8)}${isSensitive(content) ? ', sensitive' : ''})`, { sha256: written, mode: action.mode });
}

async function removeFile(ctx: RunContext, action: RemoveFileAction, prior?: ActionState): Promise<void> {
  const current = await files.fileState(ctx, action.host, action.path);
  if (!current) return unchanged(ctx, action, 'already absent');
  const before = prior?.touched && prior.before ? prior.before : current;
  const backup = prior?.touched && prior.backup ? prior.backup : await files.chooseBackup(ctx, action.host, action.path, before);
  await ctx.record({ type: 'started', phase: 'apply', action: action.id, before, backup });
  await files.makeBackup(ctx, action.host, action.path, backup, before);
  await files.removeFile(ctx, action.host, action.path);
  await changed(ctx, action, `removed ${action.path} (saved as ${backup})`);
}

async function runCommand(ctx: RunContext, action: RunAction, prior?: ActionState): Promise<void> {
  if (action.probe) {
    const p = await ctx.probe(action.probe);
    if (p.ok) return unchanged(ctx, action, 'already in effect (probe ok)');
  }
  const createdDirs: string[] = [];
  for (const d of action.createsDirs ?? []) if (!(await ctx.guard((await ctx.host(action.host)).stat(d))).exists) createdDirs.push(d);
  await ctx.record({ type: 'started', phase: 'apply', action: action.id, ...(createdDirs.length ? { createdDirs } : {}) });
  const out: { stdout?: string } = {};
  const code = await execWithRetry(ctx, action.host, action.argv, action.id, 'apply', action.retry, action.timeoutMs, out);
  if (action.measurement) {
    const m = parseMeasurement(out.stdout ?? '');
    if (m) ctx.emit({ type: 'measurement', phase: 'apply', action: action.id, name: action.measurement, ...m });
  }
  await changed(ctx, action, `ran \`${showArgv(redactArgv(action.argv))}\``, { exitCode: code });
}

/** A measuring command's output: its last line a JSON object of numbers and strings, the line before it in words. */
export function parseMeasurement(stdout: string): { summary: string; values: Record<string, number | string> } | null {
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  let values: unknown;
  try {
    values = JSON.parse(lines[lines.length - 1] ?? '');
  } catch {
    return null;
  }
  if (values === null || typeof values !== 'object' || Array.isArray(values)) return null;
  const clean: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(values as Record<string, unknown>)) if (typeof v === 'number' || typeof v === 'string') clean[k] = v;
  return { summary: lines[lines.length - 2] ?? '', values: clean };
}

/** Runs argv, retrying documented transient failures; throws ActionError with host, argv and stderr. */
export async function execWithRetry(
  ctx: RunContext,
  hostName: string,
  argv: string[],
  actionId: string,
  phase: 'apply' | 'rollback',
  retry?: RunAction['retry'],
  timeoutMs?: number,
  /** Receives the successful attempt's whole standard output. */
  out?: { stdout?: string },
): Promise<number> {
  const h = await ctx.host(hostName);
  const started = Date.now();
  const limitMs = testCappedMs(retry?.timeoutMs ?? 0);
  const deadline = started + limitMs;
  for (let attempt = 1; ; attempt++) {
    const r = await ctx.guard(h.exec(argv, { timeoutMs, signal: ctx.opts.hardSignal }));
    if (r.code === 0) {
      if (r.stdout.trim()) ctx.emit({ type: 'action-output', phase, action: actionId, text: tail(r.stdout) });
      if (out) out.stdout = r.stdout;
      return 0;
    }
    const matched = retry?.onlyIfStderrIncludes?.find((s) => r.stderr.includes(s));
    const transient = retry && (!retry.onlyIfStderrIncludes || matched !== undefined);
    if (transient && Date.now() + retry.intervalMs < deadline) {
      const said = matched ?? lastLine(r.stderr);
      const reason = `${retry.why ?? 'it failed in a way that passes'}${said ? ` (it said "${said}")` : ''}`;
      ctx.emit({ type: 'retry', phase, action: actionId, reason, attempt, retryInMs: retry.intervalMs, elapsedMs: Date.now() - started, limitMs });
      await ctx.sleep(retry.intervalMs, false);
      continue;
    }
    const message = `${hostName}: \`${showArgv(redactArgv(argv))}\` exited with ${r.code ?? `signal ${r.signal}`}${attempt > 1 ? ` after ${attempt} attempts` : ''}: ${tail(r.stderr)}`;
    // Only a command that ran to its end has a known effect (none, or its own failure); a signal leaves it unknown.
    if (r.code !== null) throw new CommandFailed(message, r.code);
    throw new ActionError(message);
  }
}

async function patchObject(ctx: RunContext, action: PatchObjectAction): Promise<void> {
  const api = await ctx.kube(action.host);
  const ref = action.object;
  const name = `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
  let obj = await ctx.guard(api.get(ref));
  if (!obj) throw new ActionError(`${name} does not exist (through ${action.host})`);
  if (editsPresent(obj, action.edits)) return unchanged(ctx, action, 'edits already in place');
  await ctx.record({ type: 'started', phase: 'apply', action: action.id, fieldsBefore: fieldsBefore(obj, action.edits) });
  let written: string | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      written = (await ctx.guard(api.replace(ref, applyEdits(obj, action.edits)))).metadata?.resourceVersion;
      break;
    } catch (err) {
      if (!isConflict(err) || attempt >= 5) throw err;
      // Someone else changed it between our read and write: read again and re-apply the same edits.
      obj = await ctx.guard(api.get(ref));
      if (!obj) throw new ActionError(`${name} disappeared while being patched`);
      if (editsPresent(obj, action.edits)) break;
    }
  }
  await changed(ctx, action, `patched ${name} (${action.edits.map((e) => `${fieldPath(e.path)}${e.yamlPath ? `.${e.yamlPath.join('.')}` : ''}`).join(', ')})`, written !== undefined ? { resourceVersion: written } : {});
}

async function waitFor(ctx: RunContext, action: WaitAction): Promise<void> {
  await ctx.record({ type: 'started', phase: 'apply', action: action.id });
  const timeoutMs = testCappedMs(action.timeoutMs);
  const started = Date.now();
  const deadline = started + timeoutMs;
  let last = '';
  for (let attempt = 1; ; attempt++) {
    const r = await ctx.probe(action.probe);
    if (r.ok) {
      await ctx.record({ type: 'done', phase: 'apply', action: action.id, outcome: 'unchanged', detail: 'probe ok' });
      ctx.emit({ type: 'action-done', phase: 'apply', action: action.id, detail: 'ready' });
      return;
    }
    // The answer in words, never the probe's command (the audit log has that): sent when it changes.
    const answer = r.answer ?? r.detail;
    if (answer !== last) ctx.emit({ type: 'wait-progress', phase: 'apply', action: action.id, answer, elapsedMs: Date.now() - started, limitMs: timeoutMs, attempt });
    last = answer;
    if (Date.now() + action.intervalMs > deadline) {
      throw new ActionError(`${action.probe.host}: timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${action.description}; the last check said: ${last}`);
    }
    // A graceful interrupt does not wait out a long wait: it is read-only and resume simply waits again.
    // Except inside a stop/start pair: the pair's end must come first.
    if (!(await ctx.sleep(action.intervalMs, waitInterruptible(ctx, action)))) throw new GracefulInWait();
  }
}

/** The last non-empty line of a command's output. */
function lastLine(text: string): string {
  return text.trim().split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? '';
}

/**
 * Test hook (fault tests only): env `HA_WIZARD_TEST_MAX_WAIT_MS` caps every wait and retry deadline, so a
 * component that never comes up fails the run in seconds instead of the minutes a real cluster is given.
 */
function testCappedMs(ms: number): number {
  const cap = Number(process.env.HA_WIZARD_TEST_MAX_WAIT_MS);
  return Number.isFinite(cap) && cap > 0 ? Math.min(ms, cap) : ms;
}
