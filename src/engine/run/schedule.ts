/**
 * How the engine orders a step's actions: which may overlap, and where a graceful interrupt may stop.
 *
 * Design (the whole of it):
 *   - A step is cut into *segments* at its `gate` actions; a gate is a segment of its own.
 *   - In a step with `parallelHosts`, a segment is split into *lanes*, one per host, each holding that host's
 *     actions in plan order. Up to `limit` lanes run at once; a host never has two actions in flight.
 *     A step without it is a single lane (one action at a time, in plan order, as before).
 *   - Before each action a lane asks whether to go on: not after a failure anywhere (in-flight actions on
 *     other hosts finish, nothing new starts), not after a graceful interrupt, unless the action belongs to
 *     the same atomic unit (`pairedWith`) as the one the lane just ran.
 *   - The journal needs no change in discipline: each action journals `started` before it touches its host
 *     and `done` after, from its own lane; appends are serialized by the single thread and made durable
 *     before the lane goes on (journal.ts groups concurrent lanes' fsyncs).
 * Rollback uses the same lanes over the undo list (newest first), so each host is undone in reverse order.
 * The rules this relies on (a pair stays in one lane, on one host, without a gate inside) are checked when a plan
 * is built or loaded: model/plan.ts validatePlan. Everything but runLanes is pure.
 */
import { actionHost, type Action } from '../model/actions.js';
import type { StepInfo } from '../model/step.js';

/** A set of lanes that may run concurrently; the next segment starts when every lane has ended. */
export interface Segment {
  lanes: Action[][];
  /** How many lanes may run at once. */
  limit: number;
}

/** The segments of one step's actions (in the order they are to run: plan order, or newest first for rollback). */
export function segmentsOf(actions: readonly Action[], step: Pick<StepInfo, 'parallelHosts'>, maxParallelHosts: number): Segment[] {
  const limit = Math.max(1, Math.min(step.parallelHosts ?? 1, maxParallelHosts));
  if (limit === 1) return actions.length ? [{ lanes: [[...actions]], limit: 1 }] : [];
  const out: Segment[] = [];
  let run: Action[] = [];
  const flush = () => {
    if (!run.length) return;
    const byHost = new Map<string, Action[]>();
    for (const a of run) {
      const h = actionHost(a);
      const lane = byHost.get(h);
      if (lane) lane.push(a);
      else byHost.set(h, [a]);
    }
    out.push({ lanes: [...byHost.values()], limit });
    run = [];
  };
  for (const a of actions) {
    if (a.gate) {
      flush();
      out.push({ lanes: [[a]], limit: 1 });
    } else run.push(a);
  }
  flush();
  return out;
}

/**
 * Atomic units: each action's unit number. An action with `pairedWith` shares its unit with every action up
 * to and including its partner; every other action is a unit of its own. A graceful interrupt stops only
 * between units.
 */
export function atomicUnits(actions: readonly Action[]): Map<string, number> {
  const units = new Map<string, number>();
  let unit = 0;
  let until: string | null = null;
  for (const a of actions) {
    if (until === null) unit++;
    units.set(a.id, unit);
    if (until === a.id) until = null;
    if (until === null && a.pairedWith !== undefined) until = a.pairedWith;
  }
  return units;
}

/** Whether the unit of `id` has more than one action (a graceful interrupt must not cut it short). */
export function inMultiActionUnit(units: ReadonlyMap<string, number>, actions: readonly Action[], id: string): boolean {
  const u = units.get(id);
  return u !== undefined && actions.filter((a) => units.get(a.id) === u).length > 1;
}

export interface LaneFailure {
  action: Action;
  error: unknown;
}

export interface LanesResult {
  /** Every action of every lane ran (none was held back by a failure or an interrupt). */
  complete: boolean;
  failures: LaneFailure[];
}

/**
 * Runs a segment: up to `limit` lanes at once, each lane's actions one after another. `goOn(action, previous)`
 * is asked before each action (previous: the one this lane ran last); false ends the lane. After the first
 * failure no lane starts another action; those in flight finish. Never rejects: failures are returned.
 */
export async function runLanes(
  segment: Segment,
  run: (action: Action) => Promise<void>,
  goOn: (action: Action, previous: Action | undefined) => boolean,
): Promise<LanesResult> {
  const failures: LaneFailure[] = [];
  let next = 0;
  let complete = true;
  const worker = async () => {
    for (;;) {
      if (failures.length) return;
      const lane = segment.lanes[next++];
      if (!lane) return;
      let previous: Action | undefined;
      for (const action of lane) {
        if (failures.length || !goOn(action, previous)) {
          complete = false;
          break;
        }
        try {
          await run(action);
        } catch (error) {
          failures.push({ action, error });
          complete = false;
          break;
        }
        previous = action;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(segment.limit, segment.lanes.length) }, worker));
  if (next < segment.lanes.length) complete = false;
  return { complete, failures };
}
