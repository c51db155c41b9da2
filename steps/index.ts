/**
 * The conversion, in order. Each phase is gated by the health checks at the end of the one before:
 *
 *   backup                                     etcd snapshot, /etc/kubernetes tarballs
 *   [endpoint] proxy on the master, master apiserver cert with the endpoint SAN
 *   etcd-peer-url                              only when the master's peer URL is on localhost
 *   for each node to promote, one at a time:
 *     shared-pki-<node> → etcd-<node> → control-plane-<node> → kubelet-<node>
 *   mark-control-plane
 *   [endpoint] proxy backends, repoint clients, verify
 *   failover-drill                             opt-in (config verify.failoverDrill, or --failover-drill)
 *
 * Nodes go strictly one after another: etcd allows one learner, and each new member must be voting and
 * healthy before the next joins, so the cluster is never left with a member that could cost it quorum.
 */
import type { ClusterFacts } from '../src/discovery/facts.js';
import type { Step, StepBuilder, StepContext } from '../src/engine/model/step.js';
import { buildBackupSteps } from './backup.js';
import { buildSharedPkiStep } from './shared-pki.js';
import { buildEtcdMemberStep, buildEtcdPeerUrlSteps } from './etcd-member.js';
import { buildControlPlaneStep } from './control-plane.js';
import { buildKubeletStep } from './kubelet.js';
import { buildMarkControlPlaneSteps } from './mark-control-plane.js';
import { promotedNodes } from '../src/discovery/nodes.js';
import { buildProxySteps } from './proxy.js';
import { buildEndpointCertSteps } from './endpoint-cert.js';
import { buildProxyBackendSteps } from './proxy-backends.js';
import { buildRepointSteps } from './repoint.js';
import { buildVerifySteps } from './verify.js';

/** The per-node phases of promoting the node at `index` of config.controlPlane.promote. */
export function buildPromoteSteps(facts: ClusterFacts, index: number): Step[] {
  const node = promotedNodes(facts)[index]!;
  return [buildSharedPkiStep(facts, node), buildEtcdMemberStep(facts, index), buildControlPlaneStep(facts, index), buildKubeletStep(facts, index)];
}

/** The control-plane part: everything from the peer-URL fix to the node marks. */
export const buildControlPlaneConversion: StepBuilder = (facts) => [
  ...buildEtcdPeerUrlSteps(facts),
  ...promotedNodes(facts).flatMap((_, i) => buildPromoteSteps(facts, i)),
  ...buildMarkControlPlaneSteps(facts),
];

/** Choices made on the command line for this plan only (they override the config's). */
export interface BuildOptions {
  /** `--failover-drill`: run the opt-in drill (true), on a named control-plane node, or not (false). */
  failoverDrill?: boolean | string;
}

/** The drill to plan: the command line's choice over the config's `verify.failoverDrill`; a bare flag keeps the config's node. */
export function failoverDrillChoice(facts: ClusterFacts, opts: BuildOptions = {}): boolean | string {
  const fromConfig = facts.config.verify?.failoverDrill ?? false;
  if (opts.failoverDrill === undefined) return fromConfig;
  if (opts.failoverDrill === true && typeof fromConfig === 'string') return fromConfig;
  return opts.failoverDrill;
}

export const buildSteps = (facts: ClusterFacts, ctx: StepContext, opts: BuildOptions = {}): Step[] => [
  ...buildBackupSteps(facts, ctx),
  ...buildProxySteps(facts, ctx),
  ...buildEndpointCertSteps(facts, ctx),
  ...buildControlPlaneConversion(facts, ctx),
  ...buildProxyBackendSteps(facts, ctx),
  ...buildRepointSteps(facts, ctx),
  ...buildVerifySteps(facts, ctx, { failoverDrill: failoverDrillChoice(facts, opts) }),
];
