/**
 * promote/carry-over (carry-over-<node>): the master's customisations its control-plane manifests depend on (an
 * audit policy, an OIDC CA, an encryption config, an admission config, ...), copied to the node byte for byte with
 * owner and mode before its etcd and control plane start: the new manifests keep every flag and volume of the
 * master's, so a real kubelet or apiserver would fail there without the files behind them. discovery/carry-over.ts
 * chooses them; a public file is written as the text the plan shows (a diff), a secret one (an encryption config
 * holds keys) is copied host to host like the shared PKI keys and never enters the plan, the journal or a log.
 */
import type { Action } from '../src/engine/model/actions.js';
import type { Step } from '../src/engine/model/step.js';
import type { ClusterFacts } from '../src/discovery/facts.js';
import { masterNode, nodesToPromote, type CpNode } from '../src/discovery/nodes.js';
import { makeStep, type StepDefinition } from './kit/step.js';

function carryOverOn(facts: ClusterFacts, node: CpNode): Step | null {
  const files = facts.carriedFiles ?? [];
  if (!files.length) return null;
  const master = masterNode(facts);
  const step = `carry-over-${node.host}`;
  const actions: Action[] = files.map((f) => ({
    id: `${step}/${node.host}${f.path}`,
    step,
    type: 'write-file',
    host: node.host,
    path: f.path,
    content: f.text !== undefined && !f.sensitive ? { type: 'literal', text: f.text } : { type: 'copy', fromHost: master.host, fromPath: f.path, sha256: f.sha256, sensitive: f.sensitive },
    mode: f.mode,
    owner: `${f.uid}:${f.gid}`,
    description: `copy ${f.path} from ${master.host} byte for byte (0${f.mode.toString(8)}, ${f.uid}:${f.gid}${f.sensitive ? ', sensitive' : ''}): needed by ${f.neededBy.join(', ')}`,
    risk: 'reversible',
  }));
  return makeStep(
    step,
    `Customisations on ${node.host}`,
    `Files ${master.host}'s control-plane manifests name besides kubeadm's own, copied to ${node.host} byte for byte: ${files.map((f) => f.path).join(', ')}.`,
    actions,
  );
}

export const carryOverStep: StepDefinition = {
  name: 'promote/carry-over',
  summary: "files the master's control-plane manifests name besides kubeadm's (audit policy, OIDC CA, encryption config, ...), copied byte for byte",
  build: (facts) => nodesToPromote(facts).flatMap((node) => carryOverOn(facts, node) ?? []),
};
