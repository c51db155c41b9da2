/**
 * The conversion pipeline, in one place: discovery → preflight → steps → plan → preview (the hosts and the
 * engine's deps come from wiring.ts). The `plan` and `apply` commands and the interactive wizard all go
 * through these functions, so there is one way to build a plan.
 */
import type { ClusterConfig } from '../config/schema.js';
import { BadInputError } from '../exit-codes.js';
import type { EngineDeps } from '../engine/model/ports.js';
import { observe, observedHashes } from '../engine/preview/observe.js';
import { buildPlan, withObserved, type Plan } from '../engine/model/plan.js';
import { buildPreview, type Preview } from '../engine/preview/preview.js';
import { newSessionId } from '../engine/records/session.js';
import type { ClusterFacts } from '../discovery/facts.js';
import { discover } from '../discovery/discover.js';
import { factsFingerprint } from '../discovery/parse.js';
import { applyIgnores, evaluatePreflight, preflightFailed, type CheckResult } from '../preflight/checks.js';
import { buildSteps, clientsOnlySteps, type StepSelection } from '../../steps/index.js';
import { hostPort } from '../pki/hosts.js';

export interface Discovered {
  facts: ClusterFacts;
  fingerprint: string;
  checks: CheckResult[];
}

/** Discovery and preflight. Reads only. Throws BadInputError for checks that cannot be ignored. */
export async function discoverCluster(config: ClusterConfig, deps: EngineDeps, ignorePreflight: readonly string[] = []): Promise<Discovered> {
  const { facts, preflight } = await discover(config, deps.hosts, deps.kube);
  const { results, notIgnorable } = applyIgnores(evaluatePreflight(preflight), ignorePreflight);
  if (notIgnorable.length) {
    throw new BadInputError(`--ignore-preflight-errors cannot skip: ${notIgnorable.join(', ')}`, 'these checks guard against losing the cluster; fix what they report instead');
  }
  return { facts, fingerprint: factsFingerprint(facts), checks: results };
}

/**
 * Terraform's "No changes": the cluster is already highly available with exactly the configured control-plane
 * nodes (each a voting etcd member with its control plane, no other member) and kubeadm-config names the
 * configured endpoint. Returns the one-paragraph statement, or null when there is something to do. Only when every
 * node is the node the config says (an identity failure decides first).
 */
export function alreadyConverted(d: Discovered): string | null {
  const { facts, checks } = d;
  const promote = facts.config.controlPlane.promote;
  if (!facts.promoteStates || promote.some((n) => facts.promoteStates?.[n.name] !== 'complete')) return null;
  if (checks.some((c) => c.status === 'fail' && ['NodeIdentity', 'DuplicateHost', 'NodeInCluster', 'SSH', 'EtcdMembers', 'AlreadyHA', 'NodeState'].includes(c.name))) return null;
  const voters = facts.etcd.members.filter((m) => !m.isLearner && m.name !== '');
  if (voters.length !== facts.etcd.members.length || voters.length !== promote.length + 1) return null;
  const endpoint = hostPort(facts.config.endpoint.host, facts.config.endpoint.port);
  if (facts.clusterConfiguration.controlPlaneEndpoint !== endpoint) return null;
  const names = [facts.config.controlPlane.existing.name, ...promote.map((n) => n.name)];
  return `No changes. Cluster ${facts.config.name} is already highly available with the configured nodes: ${names.join(', ')} each run a kube-apiserver and a voting etcd member (${voters.length} members), and kubeadm-config names the endpoint ${endpoint}. Nothing to do; nothing was changed.`;
}

/** The cluster needs no change (alreadyConverted): `plan` and `apply` say so and exit 0. */
export class NothingToDo extends Error {
  override readonly name = 'NothingToDo';
}

/** The checks that stop a conversion, as one message with every fix (exit code 2: nothing was changed). */
export function preflightError(checks: readonly CheckResult[]): BadInputError | null {
  if (!preflightFailed(checks)) return null;
  const lines = checks.filter((c) => c.status === 'fail').map((c) => `  [${c.name}] ${c.message}${c.fix ? `\n      fix: ${c.fix}` : ''}`);
  return new BadInputError(`preflight failed, nothing was changed:\n${lines.join('\n')}`, 'fix the above, or skip a check that is safe to skip with --ignore-preflight-errors=NAME');
}

/** Choices made on the command line (or in the wizard) for this plan only; they override the config's. */
export interface PlanChoices extends StepSelection {
  /** `--failover-drill`: plan the opt-in drill (true: on the config's node, else the last to promote), or not (false). */
  failoverDrill?: boolean;
  /** The wizard's choice of what to repoint among the audit's offers (overrides the config's `repoint`). */
  repoint?: 'all' | readonly string[];
}

/** The plan for these facts: pure apart from the clock and the new session id. */
export function planConversion(discovered: Discovered, session = newSessionId(discovered.facts.config.name), choices: PlanChoices = {}): Plan {
  const { failoverDrill, repoint, only, skip } = choices;
  const steps = buildSteps(
    discovered.facts,
    { session, ...(failoverDrill !== undefined ? { failoverDrill } : {}), ...(repoint !== undefined ? { repoint } : {}) },
    { ...(only ? { only } : {}), ...(skip ? { skip } : {}) },
  );
  return buildPlan({ cluster: discovered.facts.config.name, factsFingerprint: discovered.fingerprint, session, steps });
}

/**
 * An already converted cluster (alreadyConverted) whose config (or the wizard) chose API clients to repoint that still
 * name the old master: the plan of those steps alone; null when there are none (then: "No changes").
 */
export function planClientsOnly(discovered: Discovered, session = newSessionId(discovered.facts.config.name), choices: PlanChoices = {}): Plan | null {
  const steps = clientsOnlySteps(discovered.facts, { session, ...(choices.repoint !== undefined ? { repoint: choices.repoint } : {}) });
  if (!steps.length) return null;
  return buildPlan({ cluster: discovered.facts.config.name, factsFingerprint: discovered.fingerprint, session, steps });
}

/** Reads what the plan touches (never changes it) and returns the preview plus the plan stamped with what was seen. */
export async function previewConversion(plan: Plan, deps: EngineDeps): Promise<{ plan: Plan; preview: Preview }> {
  const inputs = await observe(plan, deps.hosts, deps.kube);
  const observed = withObserved(plan, observedHashes(inputs));
  return { plan: observed, preview: buildPreview(observed, inputs) };
}
