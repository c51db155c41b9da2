/**
 * promote/kubelet (kubelet-<node>): kubelet on a new control-plane node talks to its own apiserver (kubeadm's default since
 * 1.33, ControlPlaneKubeletLocalMode), so a node keeps its kubelet working when the endpoint or another
 * control-plane node is down. kubelet.conf keeps its client-certificate file references; only `server:`
 * changes. Rollback restores the file and then restarts kubelet: actions are undone in reverse, so the
 * first action here exists to restart kubelet after the file is back.
 */
import type { Action } from '../src/engine/model/actions.js';
import type { Step } from '../src/engine/model/step.js';
import type { ClusterFacts } from '../src/discovery/facts.js';
import { apiserverURL, masterNode, nodesToPromote, type CpNode } from '../src/discovery/nodes.js';
import { BadInputError } from '../src/exit-codes.js';
import { parseKubeconfig, setServerInText } from '../src/kube/kubeconfig.js';
import { ADMIN_CONF, KUBELET_CONF } from './kit/paths.js';
import { makeStep, type StepDefinition } from './kit/step.js';

export const NODE_READY_TIMEOUT_MS = 180_000;
const RESTART_KUBELET = ['systemctl', 'restart', 'kubelet'];

/** Read-only, on a control-plane host: prints "True" when the Node's Ready condition is True. */
export function nodeReadyProbeArgv(nodeName: string): string[] {
  return ['kubectl', `--kubeconfig=${ADMIN_CONF}`, 'get', 'node', nodeName, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'];
}

function kubeletOn(facts: ClusterFacts, node: CpNode): Step {
  const master = masterNode(facts);
  const step = `kubelet-${node.host}`;
  const current = facts.kubeconfigTexts[`${node.host}:${KUBELET_CONF}`];
  if (current === undefined) {
    throw new BadInputError(
      `${KUBELET_CONF} on ${node.host} was not read by discovery (missing, or it embeds a client key)`,
      `join ${node.host} as a worker first (kubeadm join), so its kubelet.conf refers to /var/lib/kubelet/pki/kubelet-client-current.pem`,
    );
  }
  const local = apiserverURL(node.address, facts.master.apiserverPort);
  const text = setServerInText(current, local, `${node.host}:${KUBELET_CONF}`);
  // Guard: the literal lands in the plan, so it must hold references only.
  const user = parseKubeconfig(text).users.map((u) => u.user);
  if (user.some((u) => u['client-key-data'] !== undefined || u.token !== undefined)) {
    throw new BadInputError(`${KUBELET_CONF} on ${node.host} embeds credentials`, 'rotate kubelet client certificates (rotateCertificates: true) so kubelet.conf refers to files');
  }
  const actions: Action[] = [
    {
      id: `${step}/${node.host}/restart-after-restore`,
      step,
      type: 'run',
      host: node.host,
      argv: ['true'],
      undo: RESTART_KUBELET,
      idempotent: true,
      description: `nothing now; on rollback restarts kubelet on ${node.host} after kubelet.conf is restored`,
      risk: 'reversible',
    },
    {
      id: `${step}/${node.host}/kubelet.conf`,
      step,
      type: 'write-file',
      host: node.host,
      path: KUBELET_CONF,
      content: { type: 'literal', text },
      mode: 0o600,
      owner: 'root:root',
      description: `kubelet on ${node.host} talks to its local apiserver ${local}`,
      risk: 'reversible',
    },
    {
      id: `${step}/${node.host}/restart-kubelet`,
      step,
      type: 'run',
      host: node.host,
      argv: RESTART_KUBELET,
      undo: RESTART_KUBELET,
      // A second restart reads the same kubelet.conf: resume redoes an interrupted one.
      idempotent: true,
      description: `restart kubelet on ${node.host} (static pods keep running)`,
      risk: 'disruptive',
    },
    {
      id: `${step}/${master.host}/node-ready`,
      step,
      type: 'wait',
      probe: { type: 'command', host: master.host, argv: nodeReadyProbeArgv(node.nodeName), stdoutIncludes: 'True' },
      timeoutMs: NODE_READY_TIMEOUT_MS,
      intervalMs: 3_000,
      description: `wait until Node ${node.nodeName} is Ready`,
      risk: 'read-only',
    },
  ];
  return makeStep(step, `kubelet on ${node.host} uses its local apiserver`, `kubelet.conf on ${node.host} points at ${local}, as kubeadm does for control-plane nodes since 1.33.`, actions);
}

export const kubeletStep: StepDefinition = {
  name: 'promote/kubelet',
  summary: "the node's kubelet talks to its own apiserver (kubeadm's default since 1.33)",
  needs: [{ step: 'promote/control-plane', why: 'the kubelet moves to the apiserver that phase starts on the node' }],
  build: (facts) => nodesToPromote(facts).map((node) => kubeletOn(facts, node)),
};
