/**
 * promote/shared-pki (shared-pki-<node>): the files that must be byte-identical on every control-plane node, copied from the
 * master (kubeadm's certsToTransfer list for stacked etcd). Everything that signs or verifies is shared:
 * two apiservers with different sa.key reject each other's tokens, two CAs split the cluster's trust.
 * The copies carry the master's sha256 from discovery; apply refuses if a source changed since the plan.
 */
import type { Action } from '../src/engine/model/actions.js';
import type { Step } from '../src/engine/model/step.js';
import type { ClusterFacts } from '../src/discovery/facts.js';
import { masterNode, nodesToPromote, type CpNode } from '../src/discovery/nodes.js';
import { BadInputError } from '../src/exit-codes.js';
import { PKI_DIR, SHARED_PKI_FILES } from '../src/pki/kubeadm-certs.js';
import { makeStep, type StepDefinition } from './kit/step.js';

function sharedPkiOn(facts: ClusterFacts, node: CpNode): Step {
  const step = `shared-pki-${node.host}`;
  const master = masterNode(facts);
  const actions: Action[] = SHARED_PKI_FILES.map((f) => {
    const sha256 = facts.files[`${master.host}:${f.path}`];
    if (!sha256) {
      throw new BadInputError(
        `${f.path} is missing on ${master.host}, so it cannot be shared with ${node.host}`,
        'the cluster uses an external CA or external etcd, which ha-wizard does not convert; see the preflight check SharedKeysPresent',
      );
    }
    return {
      id: `${step}/${node.host}/${f.path.slice(PKI_DIR.length + 1)}`,
      step,
      type: 'write-file',
      host: node.host,
      path: f.path,
      content: { type: 'copy', fromHost: master.host, fromPath: f.path, sha256, sensitive: f.sensitive },
      mode: f.mode,
      owner: 'root:root',
      description: `copy ${f.path} from ${master.host} byte for byte${f.sensitive ? ' (sensitive)' : ''}`,
      risk: 'reversible',
    };
  });
  return makeStep(
    step,
    `Shared PKI on ${node.host}`,
    `The cluster CA, service-account keys, front-proxy CA and etcd CA, byte-identical to ${master.host}'s: anything that signs or verifies must be the same on every control-plane node.`,
    actions,
  );
}

export const sharedPkiStep: StepDefinition = {
  name: 'promote/shared-pki',
  summary: "the cluster's CAs and service-account keys, copied byte for byte from the master",
  build: (facts) => nodesToPromote(facts).map((node) => sharedPkiOn(facts, node)),
};
