/**
 * mark-control-plane: what kubeadm's markcontrolplane phase does to each new control-plane Node:
 * labels node-role.kubernetes.io/control-plane="" and node.kubernetes.io/exclude-from-external-load-balancers="",
 * taint node-role.kubernetes.io/control-plane:NoSchedule. The `master` label and taint existed only before
 * Kubernetes 1.24 (kubeadm#2200); they are added only on such clusters. Taints are written as the whole list
 * (the Node's current taints from discovery plus the new one), since a list cannot be edited by key.
 */
import type { Action } from '../src/engine/model/actions.js';
import type { Step } from '../src/engine/model/step.js';
import type { ClusterFacts, KubeNode } from '../src/discovery/facts.js';
import { masterNode, promotedNodes } from '../src/discovery/nodes.js';
import { atLeast } from '../src/manifests/versions.js';
import { makeStep, type StepDefinition } from './kit/step.js';

export const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';
export const EXCLUDE_LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';
export const MASTER_LABEL = 'node-role.kubernetes.io/master';

type Taint = KubeNode['taints'][number];

export function controlPlaneMarks(k8sVersion: string): { labels: string[]; taints: Taint[] } {
  const legacy = !atLeast(k8sVersion, '1.24.0');
  return {
    labels: legacy ? [CONTROL_PLANE_LABEL, EXCLUDE_LB_LABEL, MASTER_LABEL] : [CONTROL_PLANE_LABEL, EXCLUDE_LB_LABEL],
    taints: legacy
      ? [
          { key: MASTER_LABEL, effect: 'NoSchedule' },
          { key: CONTROL_PLANE_LABEL, effect: 'NoSchedule' },
        ]
      : [{ key: CONTROL_PLANE_LABEL, effect: 'NoSchedule' }],
  };
}

function build(facts: ClusterFacts): Step[] {
  const step = 'mark-control-plane';
  const master = masterNode(facts);
  const marks = controlPlaneMarks(facts.kubernetesVersion);
  const actions: Action[] = promotedNodes(facts).map((node) => {
    const current = facts.nodes.find((n) => n.name === node.nodeName)?.taints ?? [];
    const missing = marks.taints.filter((t) => !current.some((c) => c.key === t.key && c.effect === t.effect));
    return {
      id: `${step}/${master.host}/${node.nodeName}`,
      step,
      type: 'patch-object',
      host: master.host,
      object: { apiVersion: 'v1', kind: 'Node', name: node.nodeName },
      edits: [
        ...marks.labels.map((label) => ({ path: ['metadata', 'labels', label], value: '' })),
        ...(missing.length > 0 ? [{ path: ['spec', 'taints'], value: [...current, ...missing] }] : []),
      ],
      description: `Node ${node.nodeName}: labels ${marks.labels.join(', ')}; taint ${marks.taints.map((t) => `${t.key}:${t.effect}`).join(', ')}`,
      risk: 'reversible',
    };
  });
  if (actions.length === 0) return [];
  return [
    makeStep(
      step,
      'Mark the new control-plane nodes',
      'Control-plane labels and the NoSchedule taint, as kubeadm sets them: workloads move off, kubeadm and tooling recognise the nodes.',
      actions,
    ),
  ];
}

export const markControlPlaneStep: StepDefinition = {
  name: 'mark-control-plane',
  summary: "kubeadm's control-plane labels and NoSchedule taint on the new nodes",
  needs: [{ step: 'promote/control-plane', why: 'it marks nodes that run a control plane' }],
  build,
};
