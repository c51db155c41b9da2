/**
 * The conversion, in order: the registry of named steps (kubeadm's phases). `plan --only NAME` and
 * `--skip NAME` select from it; a name that has a `/` (`promote/etcd`) is one phase of a group (`promote`),
 * and a group's name selects all its phases.
 *
 *   backup                                     etcd snapshot, /etc/kubernetes tarballs
 *   proxy, endpoint-cert                       the proxy on the master, the master's certificate with the endpoint SAN
 *   etcd-peer-url                              only when the master's peer URL is on localhost
 *   promote/shared-pki, promote/carry-over,    for each node to promote, one node at a time:
 *   promote/etcd, promote/control-plane,         shared-pki-<node> → carry-over-<node> → etcd-<node> →
 *   promote/kubelet                              control-plane-<node> → kubelet-<node>
 *   mark-control-plane
 *   proxy-backends, repoint
 *   repoint-clients                            opt-in (config `repoint`): Cilium, Calico, other workloads' KUBERNETES_SERVICE_HOST
 *   verify
 *   failover-drill                             opt-in (config verify.failoverDrill, or --failover-drill)
 *
 * Nodes go strictly one after another: etcd allows one learner, and each new member must be voting and
 * healthy before the next joins, so the cluster is never left with a member that could cost it quorum.
 * A new step is a file in steps/ exporting a StepDefinition (steps/kit/step.ts), added to STEPS here.
 */
import type { Step } from '../src/engine/model/step.js';
import type { ClusterFacts } from '../src/discovery/facts.js';
import { BadInputError } from '../src/exit-codes.js';
import { backupStep } from './backup.js';
import { carryOverStep } from './carry-over.js';
import { controlPlaneStep } from './control-plane.js';
import { endpointCertStep } from './endpoint-cert.js';
import { etcdMemberStep } from './etcd-member.js';
import { etcdPeerUrlStep } from './etcd-peer-url.js';
import { failoverDrillStep } from './failover-drill.js';
import { kubeletStep } from './kubelet.js';
import { markControlPlaneStep } from './mark-control-plane.js';
import { proxyBackendsStep } from './proxy-backends.js';
import { proxyStep } from './proxy.js';
import { repointStep } from './repoint.js';
import { repointClientsStep } from './repoint-clients.js';
import { sharedPkiStep } from './shared-pki.js';
import type { StepContext, StepDefinition } from './kit/step.js';
import { verifyStep } from './verify.js';

export type { StepContext, StepDefinition };

/** Every step, in the order a conversion runs them. */
export const STEPS: readonly StepDefinition[] = [
  backupStep,
  proxyStep,
  endpointCertStep,
  etcdPeerUrlStep,
  sharedPkiStep,
  carryOverStep,
  etcdMemberStep,
  controlPlaneStep,
  kubeletStep,
  markControlPlaneStep,
  proxyBackendsStep,
  repointStep,
  repointClientsStep,
  verifyStep,
  failoverDrillStep,
];

/**
 * For a cluster that is already highly available (nothing of the conversion left to do): only the API clients the
 * operator chose to repoint (`repoint`), whose needs (the proxy, the endpoint in the certificates) the cluster already
 * has. Empty when nothing is chosen or nothing chosen names the old master any more.
 */
export function clientsOnlySteps(facts: ClusterFacts, ctx: StepContext): Step[] {
  return repointClientsStep.build(facts, ctx);
}

/** Which steps a plan holds: `only` (absent: all), minus `skip`. Names are step names or group names (`promote`). */
export interface StepSelection {
  only?: readonly string[];
  skip?: readonly string[];
}

/** The group of a step name (`promote` for `promote/etcd`), or null for a step of its own. */
function groupOf(name: string): string | null {
  const at = name.indexOf('/');
  return at < 0 ? null : name.slice(0, at);
}

/** Every name `--only`/`--skip` accept: each step's, and each group's. */
export function stepNames(steps: readonly StepDefinition[] = STEPS): string[] {
  const out: string[] = [];
  for (const s of steps) {
    const g = groupOf(s.name);
    if (g && !out.includes(g)) out.push(g);
    out.push(s.name);
  }
  return out;
}

/** Throws BadInputError (exit 2, nothing changed) for a name that is no step or group: before anything connects. */
export function checkStepNames(selection: StepSelection, steps: readonly StepDefinition[] = STEPS): void {
  const known = stepNames(steps);
  for (const [flag, names] of [
    ['--only', selection.only],
    ['--skip', selection.skip],
  ] as const) {
    const unknown = (names ?? []).filter((n) => !known.includes(n));
    if (unknown.length) throw new BadInputError(`${flag}: no step named ${unknown.map((n) => `"${n}"`).join(', ')}`, `steps: ${known.join(', ')}`);
  }
}

const matches = (def: StepDefinition, names: readonly string[]) => names.some((n) => def.name === n || groupOf(def.name) === n);

/**
 * The steps of the conversion for these facts, in order. A group's phases are built for every node and run node
 * by node: the first node's step of each phase, then the second node's, and so on (each phase of a group
 * returns one step per node, in the same node order). With a selection, a step whose needs would be left out
 * is refused with the reason; a need with nothing to do on this cluster (an empty step) is not missing.
 */
export function buildSteps(facts: ClusterFacts, ctx: StepContext, selection: StepSelection = {}, steps: readonly StepDefinition[] = STEPS): Step[] {
  checkStepNames(selection, steps);
  const chosen = steps.filter((d) => (selection.only ? matches(d, selection.only) : true) && !matches(d, selection.skip ?? []));
  const built = new Map(chosen.map((d) => [d.name, d.build(facts, ctx)]));
  if (selection.only || selection.skip) refuseMissingNeeds(facts, ctx, selection, steps, built);
  const out: Step[] = [];
  for (let i = 0; i < chosen.length; ) {
    const group = groupOf(chosen[i]!.name);
    let j = i + 1;
    while (group && j < chosen.length && groupOf(chosen[j]!.name) === group) j++;
    const phases = chosen.slice(i, j).map((d) => built.get(d.name)!);
    const rounds = Math.max(...phases.map((p) => p.length));
    for (let n = 0; n < rounds; n++) for (const p of phases) if (p[n]) out.push(p[n]!);
    i = j;
  }
  if (out.length === 0) throw new BadInputError('the selected steps have nothing to do on this cluster; nothing to plan', `steps: ${stepNames(steps).join(', ')}`);
  return out;
}

function refuseMissingNeeds(facts: ClusterFacts, ctx: StepContext, selection: StepSelection, steps: readonly StepDefinition[], built: ReadonlyMap<string, Step[]>): void {
  const byName = new Map(steps.map((d) => [d.name, d]));
  // Whether a step left out would have done anything here (a step that cannot even be built counts as needed).
  const wouldRun = (name: string) => {
    try {
      return byName.get(name)!.build(facts, ctx).length > 0;
    } catch {
      return true;
    }
  };
  const problems: string[] = [];
  for (const asked of selection.only ?? []) {
    const defs = steps.filter((d) => matches(d, [asked]));
    if (defs.every((d) => (built.get(d.name) ?? []).length === 0)) problems.push(`${asked} has nothing to do on this cluster (${defs.map((d) => d.summary).join('; ')})`);
  }
  for (const [name, output] of built) {
    if (output.length === 0) continue;
    for (const need of byName.get(name)!.needs ?? []) {
      if (!built.has(need.step) && wouldRun(need.step)) problems.push(`${name} needs ${need.step}: ${need.why}`);
    }
  }
  if (problems.length) {
    const asked = [...(selection.only ? [`--only ${selection.only.join(',')}`] : []), ...(selection.skip?.length ? [`--skip ${selection.skip.join(',')}`] : [])].join(' ');
    throw new BadInputError(`${asked} leaves the plan incomplete; nothing was changed:\n  ${problems.join('\n  ')}`, 'add the steps named after "needs" to --only, or stop skipping them (or skip the steps that need them too)');
  }
}
