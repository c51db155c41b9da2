/**
 * What a step is to the registry (steps/index.ts): a named phase, kubeadm style, with one signature,
 * `build(facts, ctx): Step[]`, and the phases it relies on. A step reads the facts and returns data; it never
 * talks to a host. Every step is made by makeStep, which computes its risk, once, from its actions.
 */
import type { Action } from '../../src/engine/model/actions.js';
import { worstRisk } from '../../src/engine/model/plan.js';
import type { Step } from '../../src/engine/model/step.js';
import type { ClusterFacts } from '../../src/discovery/facts.js';
import type { ProxyOptions } from './proxy.js';

/** What every step is given besides the facts: the session, and the choices made for this plan. */
export interface StepContext {
  /** The session id: names on-host backups and snapshots. */
  session: string;
  /**
   * `--failover-drill`: plan the opt-in drill (true: on the config's node, else the last to promote), on a
   * named control-plane node, or not (false). Absent: the config's `verify.failoverDrill` decides.
   */
  failoverDrill?: boolean | string;
  /** Workers per repoint batch after the canary; absent: the config's `workerBatchSize`, else 50. */
  batchSize?: number;
  /** When the plan is made, for the kube-proxy rollout annotation (kubectl's restartedAt); default now. */
  now?: string;
  /** How many workers probe the endpoint in verify and the failover drill (first, middle, last); default 3. */
  sampleWorkers?: number;
  /**
   * `repoint` as the operator chose it in the wizard (the offers of discovery's audit: cilium, calico,
   * Kind/namespace/name, or all); absent: the config's `repoint` decides.
   */
  repoint?: 'all' | readonly string[];
  /** How the proxy is built (nginx's stream module, the per-node images). */
  proxy?: ProxyOptions;
}

/** Another phase this one relies on, and why: a plan that has this phase without that one is refused. */
export interface Need {
  step: string;
  why: string;
}

export interface StepDefinition {
  /**
   * The name `plan --only` and `--skip` take. A phase that runs once per node to promote is named
   * `promote/<phase>`; the registry runs those node by node (every phase of one node, then the next).
   */
  name: string;
  /** One line: what the phase does (`plan --help` lists them). */
  summary: string;
  needs?: readonly Need[];
  /** The phase's steps for this cluster, in order; none when it has nothing to do here. */
  build(facts: ClusterFacts, ctx: StepContext): Step[];
}

/** A step of these actions; its risk is the highest of theirs (the preview's badge, the approval word). */
export function makeStep(id: string, title: string, description: string, actions: Action[]): Step {
  return { id, title, description, risk: worstRisk(actions.map((a) => a.risk)), actions };
}
