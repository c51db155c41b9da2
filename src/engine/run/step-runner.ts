/**
 * Runs one step's actions for apply or rollback through the scheduler (schedule.ts): segments one after
 * another, lanes within a segment concurrently. It owns what both operations share: journaling a failure
 * the moment it happens (with its host), a graceful interrupt that never splits an atomic unit, and one
 * verdict for the step, so apply and rollback cannot drift apart.
 */
import { BadInputError } from '../../exit-codes.js';
import { actionHost, type Action } from '../model/actions.js';
import { DEFAULT_MAX_PARALLEL_HOSTS, type Outcome, type RunContext } from './context.js';
import { CommandFailed, HardStop, describeError } from './errors.js';
import type { ActionState } from '../records/state.js';
import type { Phase } from '../model/events.js';
import type { Plan } from '../model/plan.js';
import type { StepInfo } from '../model/step.js';
import { atomicUnits, inMultiActionUnit, runLanes, segmentsOf, type LaneFailure } from './schedule.js';

export type StepVerdict =
  | { kind: 'done' }
  /** Interrupted: `hard` when an action in flight was abandoned. */
  | { kind: 'stopped'; hard: boolean }
  | { kind: 'failed'; action: string; host: string; error: string }
  /** An unanswered question (the operator must decide); rethrown after the run is journaled as failed. */
  | { kind: 'question'; error: BadInputError };

/** A graceful interrupt during a wait: the wait stays started (harmless) and the run stops. */
export class GracefulInWait extends HardStop {}

const unitCache = new WeakMap<Plan, Map<string, number>>();

function units(plan: Plan): Map<string, number> {
  let u = unitCache.get(plan);
  if (!u) {
    u = atomicUnits(plan.actions);
    unitCache.set(plan, u);
  }
  return u;
}

/** Whether a graceful interrupt may end this wait early (not when it is inside a stop/start pair). */
export function waitInterruptible(ctx: RunContext, action: Action): boolean {
  return !inMultiActionUnit(units(ctx.plan), ctx.plan.actions, action.id);
}

export async function runStep(ctx: RunContext, phase: Phase, step: StepInfo, actions: readonly Action[], one: (action: Action) => Promise<void>): Promise<StepVerdict> {
  const unitOf = units(ctx.plan);
  const limit = ctx.opts.maxParallelHosts ?? DEFAULT_MAX_PARALLEL_HOSTS;
  // Set the moment an action fails (before its record is journaled), so no lane starts anything new meanwhile.
  let failed = false;
  const goOn = (action: Action, previous: Action | undefined): boolean => {
    if (failed || ctx.hardRequested()) return false;
    if (!ctx.gracefulRequested()) return true;
    // A graceful interrupt waits for the end of an atomic unit (a component's stop … start).
    return previous !== undefined && unitOf.get(previous.id) === unitOf.get(action.id);
  };
  let waitCut = false;
  const run = async (action: Action): Promise<void> => {
    try {
      await one(action);
    } catch (err) {
      // A graceful interrupt ended a wait (it stays started, resume waits again). Not a failure: the other lanes
      // still get to finish their stop/start pairs, which ending "with a failure" would cut short.
      if (err instanceof GracefulInWait) {
        waitCut = true;
        return;
      }
      // Journal the failure now, in its lane; an unanswered question or an interrupt is not a failure of the action.
      failed = true;
      if (!(err instanceof HardStop) && !(err instanceof BadInputError)) {
        const error = describeError(err);
        await ctx.record({ type: 'failed', phase, action: action.id, error, ...(err instanceof CommandFailed ? { exitCode: err.exitCode } : {}) });
        ctx.emit({ type: 'action-failed', phase, action: action.id, host: actionHost(action), error });
      }
      throw err;
    }
  };
  for (const segment of segmentsOf(actions, step, limit)) {
    const r = await runLanes(segment, run, goOn);
    if (r.failures.length) return verdictOf(r.failures);
    // Held back between actions: nothing was abandoned in flight.
    if (!r.complete || waitCut) return { kind: 'stopped', hard: false };
  }
  return { kind: 'done' };
}

function verdictOf(failures: LaneFailure[]): StepVerdict {
  const real = failures.filter((f) => !(f.error instanceof HardStop) && !(f.error instanceof BadInputError));
  const [first, ...others] = real;
  if (first) {
    const also = others.map((f) => `${f.action.id} on ${actionHost(f.action)}: ${describeError(f.error)}`);
    return {
      kind: 'failed',
      action: first.action.id,
      host: actionHost(first.action),
      error: `${describeError(first.error)}${also.length ? ` (also failed, in parallel: ${also.join('; ')})` : ''}`,
    };
  }
  const question = failures.find((f) => f.error instanceof BadInputError);
  if (question) return { kind: 'question', error: question.error as BadInputError };
  return { kind: 'stopped', hard: true };
}

/**
 * A whole apply or rollback after its begin record: the steps one after another (apply: plan order; rollback:
 * newest first), each through runStep, then the end record and event. `one` gets each action's journal state
 * as of its step's start: each action's own records are the only ones that change it meanwhile.
 */
export async function runSteps(
  ctx: RunContext,
  phase: Phase,
  steps: ReadonlyArray<{ info: StepInfo; actions: readonly Action[] }>,
  one: (action: Action, state: ActionState) => Promise<void>,
): Promise<Outcome> {
  for (const [index, { info, actions }] of steps.entries()) {
    if (ctx.gracefulRequested()) return stop(ctx, false);
    ctx.emit({ type: 'step-start', phase, step: info.id, title: info.title, risk: info.risk, index, total: steps.length, actions: actions.length });
    const states = ctx.state().actions;
    const verdict = await runStep(ctx, phase, info, actions, (action) => one(action, states.get(action.id)!));
    switch (verdict.kind) {
      case 'done':
        ctx.emit({ type: 'step-done', phase, step: info.id });
        continue;
      case 'stopped':
        return stop(ctx, verdict.hard);
      case 'question':
        await ctx.record({ type: 'end', operation: phase, status: 'failed' });
        throw verdict.error;
      case 'failed':
        await ctx.record({ type: 'end', operation: phase, status: 'failed' });
        return { status: 'failed', action: verdict.action, host: verdict.host, error: verdict.error };
    }
  }
  await ctx.record({ type: 'end', operation: phase, status: 'finished' });
  ctx.emit({ type: 'finished', phase, changed: ctx.changed, unchanged: ctx.unchanged });
  return { status: 'finished', changed: ctx.changed, unchanged: ctx.unchanged };
}

async function stop(ctx: RunContext, hard: boolean): Promise<Outcome> {
  const phase = ctx.state().operation ?? 'apply';
  await ctx.record({ type: 'stopped', phase, hard });
  ctx.emit({ type: 'stopped', phase, hard, resumeCommand: ctx.resumeCommand });
  return { status: 'stopped', hard, resumeCommand: ctx.resumeCommand };
}
