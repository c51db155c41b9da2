/**
 * promote/control-plane (control-plane-<node>): the node's own apiserver, controller-manager and scheduler, as
 * `kubeadm join --control-plane` makes them: per-node certificates (apiserver with kubeadm's SAN set for
 * this node, including the endpoint and certSANs; apiserver-kubelet-client; front-proxy-client), the
 * controller-manager and scheduler kubeconfigs on the local apiserver (kubeadm since 1.19), admin.conf on
 * the endpoint, and the three manifests derived from the master's. Done when the new apiserver answers
 * /readyz from the master with a certificate valid for both its IP and its name, which is exactly the
 * check the 2017 x509 "certificate is valid for …, not …" failure would trip.
 */
import type { Action, WriteFileAction } from '../src/engine/model/actions.js';
import type { Step } from '../src/engine/model/step.js';
import type { ClusterFacts } from '../src/discovery/facts.js';
import { apiserverURL, masterNode, nodesToPromote, type CpNode } from '../src/discovery/nodes.js';
import { BadInputError } from '../src/exit-codes.js';
import { apiserverManifestFor } from '../src/manifests/apiserver.js';
import { controllerManagerManifestFor } from '../src/manifests/controller-manager.js';
import { schedulerManifestFor } from '../src/manifests/scheduler.js';
import { KUBECONFIG_FILES, KUBEADM_CAS, kubeconfigClientSpec, withCA, type KubeconfigKind } from '../src/pki/kubeadm-certs.js';
import { certActions } from './kit/certs.js';
import { endpointURL } from './kit/endpoint.js';
import { MANIFESTS_DIR } from './kit/paths.js';
import { APISERVER_READY_TIMEOUT_MS } from './kit/probes.js';
import { makeStep, type StepDefinition } from './kit/step.js';

function kubeconfigAction(facts: ClusterFacts, step: string, node: CpNode, kind: KubeconfigKind, server: string): WriteFileAction {
  const master = masterNode(facts);
  const client = withCA(kubeconfigClientSpec(kind, facts.kubernetesVersion), master.host, 'ca');
  return {
    id: `${step}/${node.host}/${kind}.conf`,
    step,
    type: 'write-file',
    host: node.host,
    path: KUBECONFIG_FILES[kind],
    content: {
      type: 'kubeconfig',
      server,
      clusterName: facts.clusterConfiguration.clusterName,
      userName: client.subject.commonName,
      caHost: master.host,
      caCertPath: KUBEADM_CAS.ca.certPath,
      client,
    },
    mode: 0o600,
    owner: 'root:root',
    description: `${KUBECONFIG_FILES[kind]} for ${client.subject.commonName} on ${server} (client key generated at apply time, sensitive)`,
    risk: 'reversible',
  };
}

function manifestAction(step: string, node: CpNode, component: string, text: string): WriteFileAction {
  return {
    id: `${step}/${node.host}/${component}.yaml`,
    step,
    type: 'write-file',
    host: node.host,
    path: `${MANIFESTS_DIR}/${component}.yaml`,
    content: { type: 'literal', text },
    mode: 0o600,
    owner: 'root:root',
    description: `${component} static pod on ${node.host}`,
    risk: 'reversible',
  };
}

function controlPlaneOn(facts: ClusterFacts, node: CpNode): Step {
  const master = masterNode(facts);
  const step = `control-plane-${node.host}`;
  const port = facts.master.apiserverPort;
  const local = apiserverURL(node.address, port);
  const manifest = (component: string) => {
    const text = facts.manifests[component];
    if (!text) throw new BadInputError(`${MANIFESTS_DIR}/${component}.yaml was not found on ${master.host}`, 'restore it (kubeadm init phase control-plane) before converting');
    return text;
  };
  const at = { address: node.address, masterAddress: master.address };
  const readyz = (serverName: string): Action => ({
    id: `${step}/${master.host}/readyz-${serverName === node.address ? 'ip' : 'name'}`,
    step,
    type: 'wait',
    probe: { type: 'https', host: master.host, address: node.address, port, path: '/readyz', caPath: KUBEADM_CAS.ca.certPath, serverName },
    timeoutMs: APISERVER_READY_TIMEOUT_MS,
    // A probe is one HTTPS request from the master: polling every second costs nothing and saves a second per node.
    intervalMs: 1_000,
    description: `wait until ${local}/readyz answers 200 with a certificate valid for ${serverName}`,
    risk: 'read-only',
  });

  const actions: Action[] = [
    ...certActions(facts, step, node, ['apiserver', 'apiserver-kubelet-client', 'front-proxy-client']),
    kubeconfigAction(facts, step, node, 'controller-manager', local),
    kubeconfigAction(facts, step, node, 'scheduler', local),
    kubeconfigAction(facts, step, node, 'admin', endpointURL(facts)),
    manifestAction(step, node, 'kube-apiserver', apiserverManifestFor(manifest('kube-apiserver'), at)),
    manifestAction(step, node, 'kube-controller-manager', controllerManagerManifestFor(manifest('kube-controller-manager'), at)),
    manifestAction(step, node, 'kube-scheduler', schedulerManifestFor(manifest('kube-scheduler'), at)),
    readyz(node.address),
    readyz(node.nodeName),
  ];
  return makeStep(
    step,
    `Control plane on ${node.host}`,
    `Per-node certificates, kubeconfigs and static pods for kube-apiserver, kube-controller-manager and kube-scheduler on ${node.host}; the apiserver uses its local etcd member. Leader election keeps one controller-manager and one scheduler active.`,
    actions,
  );
}

export const controlPlaneStep: StepDefinition = {
  name: 'promote/control-plane',
  summary: "the node's apiserver, controller-manager and scheduler, with kubeadm's per-node certificates",
  needs: [
    { step: 'promote/etcd', why: "the node's apiserver uses its local etcd member" },
    { step: 'promote/shared-pki', why: 'its certificates and tokens are signed and checked with the shared CAs and service-account keys' },
    { step: 'promote/carry-over', why: "its manifests keep the master's flags and volumes, which name the files that phase copies" },
  ],
  build: (facts) => nodesToPromote(facts).map((node) => controlPlaneOn(facts, node)),
};
