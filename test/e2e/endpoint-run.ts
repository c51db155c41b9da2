/**
 * Runs a chosen list of steps against a lab in-process, through the real engine: discovery (no preflight
 * gate: the cluster may already be converted), the steps built from the discovered facts, a plan, a
 * session under a temp state dir, apply. Used where a whole conversion is not the point: the verify step
 * over a planted certificate, the worker fleet alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { createEngineDeps } from '../../src/conversion/wiring.js';
import { discover } from '../../src/discovery/discover.js';
import { factsFingerprint } from '../../src/discovery/parse.js';
import type { ClusterFacts } from '../../src/discovery/facts.js';
import { buildPlan, type Plan } from '../../src/engine/model/plan.js';
import { createSession, newSessionId } from '../../src/engine/records/session.js';
import { apply } from '../../src/engine/run/executor.js';
import type { Outcome } from '../../src/engine/run/context.js';
import type { EngineEvent } from '../../src/engine/model/events.js';
import type { Step } from '../../src/engine/model/step.js';
import type { StepContext } from '../../steps/kit/step.js';

export interface StepsRun {
  plan: Plan;
  outcome: Outcome;
  /** Wall time of each finished step (step-start to step-done), by step id. */
  stepMs: Map<string, number>;
  events: EngineEvent[];
  /** When each event came (performance.now()), same index as `events`. */
  eventAt: number[];
}

/** Discovers the lab's cluster from its cluster.yaml, builds `build(facts)` into a plan and applies it. */
export async function runSteps(
  configPath: string,
  build: (facts: ClusterFacts, ctx: StepContext) => Step[],
  opts: { stateDir?: string; onFacts?: (facts: ClusterFacts) => void; onEvent?: (e: EngineEvent) => void } = {},
): Promise<StepsRun> {
  const { config } = loadConfig(configPath);
  const deps = createEngineDeps(config, {});
  const ownState = opts.stateDir === undefined ? mkdtempSync(join(tmpdir(), 'haw-e2e-state-')) : null;
  const env = { ...process.env, HA_WIZARD_STATE_DIR: opts.stateDir ?? ownState! };
  try {
    const { facts } = await discover(config, deps.hosts, deps.kube);
    opts.onFacts?.(facts);
    const session = newSessionId(config.name);
    const fingerprint = factsFingerprint(facts);
    const plan = buildPlan({ cluster: config.name, factsFingerprint: fingerprint, session, steps: build(facts, { session }) });
    const s = createSession(plan, { env });
    const events: EngineEvent[] = [];
    const eventAt: number[] = [];
    const started = new Map<string, number>();
    const stepMs = new Map<string, number>();
    const outcome = await apply(plan, s, deps, {
      factsFingerprint: fingerprint,
      onEvent: (e) => {
        events.push(e);
        eventAt.push(performance.now());
        opts.onEvent?.(e);
        if (e.type === 'step-start') started.set(e.step, performance.now());
        if (e.type === 'step-done') stepMs.set(e.step, performance.now() - (started.get(e.step) ?? performance.now()));
      },
    });
    return { plan, outcome, stepMs, events, eventAt };
  } finally {
    await deps.hosts.closeAll();
    if (ownState) rmSync(ownState, { recursive: true, force: true });
  }
}
