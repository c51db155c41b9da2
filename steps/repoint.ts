/**
 * repoint: every client of the old master address moves to the endpoint, each with its before and after in
 * the description and an undo (patches record the fields they change; files are backed up by the engine).
 *
 *   repoint-cluster      kube-proxy's kubeconfig (then a rollout restart, waited for), kubeadm-config
 *                        (controlPlaneEndpoint and certSANs, or the next `kubeadm upgrade` rewrites kube-proxy
 *                        back: kubespray#4689), kube-public/cluster-info, admin.conf and super-admin.conf.
 *   repoint-workers-<i>  each worker's kubelet.conf, in batches: a canary of one, then `batchSize` at a time,
 *                        each batch gated on every node answering through the endpoint with its own
 *                        credentials and staying Ready. Grows with the fleet; no per-node I/O at plan time.
 *
 * Kubeconfigs hold private keys, so they are rewritten by the `kubeconfig-server` recipe at apply time
 * (only `server:` changes); a kubeconfig whose text discovery holds (no key inside) is written as a literal
 * so the preview shows the exact diff.
 */
import type { Action, Content, WriteFileAction } from '../src/engine/model/actions.js';
import type { Step } from '../src/engine/model/step.js';
import type { ClusterFacts } from '../src/discovery/facts.js';
import { kubeNodeName, masterNode, masterURL, promotedNodes, workerHosts } from '../src/discovery/nodes.js';
import { setServerInText } from '../src/kube/kubeconfig.js';
import { hostPort } from '../src/pki/hosts.js';
import { WORKER_PROBE_CLIENT, endpointOf, endpointSANs, endpointURL, nodeLocalServer } from './kit/endpoint.js';
import { ADMIN_CONF, KUBELET_CONF, SUPER_ADMIN_CONF } from './kit/paths.js';
import { nodesReadyProbe, rolledOutProbe, waitAction } from './kit/probes.js';
import { makeStep, type StepContext, type StepDefinition } from './kit/step.js';

export const DEFAULT_BATCH_SIZE = 50;
const ROLLOUT_TIMEOUT_MS = 600_000;
const NODE_TIMEOUT_MS = 300_000;

/** Splits workers into a canary of one, then batches of `size`. */
export function workerBatches<T>(workers: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new Error(`batch size ${size} must be a positive integer`);
  if (workers.length === 0) return [];
  const [canary, ...rest] = workers;
  const out: T[][] = [[canary!]];
  for (let i = 0; i < rest.length; i += size) out.push(rest.slice(i, i + size));
  return out;
}

function kubeconfigContent(facts: ClusterFacts, host: string, path: string, server: string): Content {
  const text = facts.kubeconfigTexts?.[`${host}:${path}`];
  return text !== undefined ? { type: 'literal', text: setServerInText(text, server, `${host}:${path}`) } : { type: 'kubeconfig-server', fromPath: path, server };
}

function kubeconfigWrite(step: string, facts: ClusterFacts, host: string, path: string, server: string, what: string): WriteFileAction {
  const before = facts.kubeconfigServers[`${host}:${path}`] ?? '(as found at apply)';
  return {
    id: `${step}/${host}/${what}`,
    step,
    type: 'write-file',
    host,
    path,
    content: kubeconfigContent(facts, host, path, server),
    mode: 0o600,
    owner: 'root:root',
    description: `${path} on ${host}: server ${before} → ${server} (nothing else changes)`,
    risk: 'reversible',
  };
}

function clusterActions(step: string, facts: ClusterFacts, ctx: StepContext): Action[] {
  const master = masterNode(facts);
  const local = nodeLocalServer(facts);
  const url = endpointURL(facts);
  const { host, port } = endpointOf(facts);
  const sans = endpointSANs(facts);
  const certSANs = [...new Set([...facts.clusterConfiguration.certSANs, ...sans.dnsNames, ...sans.ipAddresses])];
  const now = ctx.now ?? new Date().toISOString();
  const actions: Action[] = [
    {
      id: `${step}/${master.host}/kube-proxy-configmap`,
      step,
      type: 'patch-object',
      host: master.host,
      object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'kube-proxy' },
      edits: [{ path: ['data', 'kubeconfig.conf'], yamlPath: ['clusters', '0', 'cluster', 'server'], value: local.url }],
      description: `kube-system/kube-proxy kubeconfig.conf: server ${facts.kubeProxyServer ?? '(unset)'} → ${local.url}`,
      risk: 'reversible',
    },
    {
      id: `${step}/${master.host}/kube-proxy-restart`,
      step,
      type: 'patch-object',
      host: master.host,
      object: { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: 'kube-system', name: 'kube-proxy' },
      edits: [{ path: ['spec', 'template', 'metadata', 'annotations', 'kubectl.kubernetes.io/restartedAt'], value: now }],
      description: 'rollout restart of kube-system/kube-proxy so every pod reads the new server (kubectl rollout restart)',
      risk: 'disruptive',
    },
    waitAction(step, `${master.host}/kube-proxy-rolled-out`, rolledOutProbe(master.host, 'kube-system', 'daemonset', 'kube-proxy'), 'wait until every kube-proxy pod is replaced and available', ROLLOUT_TIMEOUT_MS, 5_000),
    {
      id: `${step}/${master.host}/kubeadm-config`,
      step,
      type: 'patch-object',
      host: master.host,
      object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'kubeadm-config' },
      edits: [
        { path: ['data', 'ClusterConfiguration'], yamlPath: ['controlPlaneEndpoint'], value: hostPort(host, port) },
        { path: ['data', 'ClusterConfiguration'], yamlPath: ['apiServer', 'certSANs'], value: certSANs },
      ],
      description: `kube-system/kubeadm-config: controlPlaneEndpoint ${facts.clusterConfiguration.controlPlaneEndpoint || '(unset)'} → ${hostPort(host, port)}, apiServer.certSANs [${facts.clusterConfiguration.certSANs.join(', ')}] → [${certSANs.join(', ')}] (kubeadm upgrade and join read them)`,
      risk: 'reversible',
    },
    {
      id: `${step}/${master.host}/cluster-info`,
      step,
      type: 'patch-object',
      host: master.host,
      object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-public', name: 'cluster-info' },
      edits: [{ path: ['data', 'kubeconfig'], yamlPath: ['clusters', '0', 'cluster', 'server'], value: url }],
      description: `kube-public/cluster-info: server ${facts.clusterInfoServer ?? '(unset)'} → ${url} (kubeadm join discovery; the bootstrap signer re-signs it)`,
      risk: 'reversible',
    },
  ];
  // admin.conf on every control-plane node; super-admin.conf only where kubeadm init made it (1.29+, the master).
  for (const cp of [master, ...promotedNodes(facts)]) {
    const has = (path: string) => facts.kubeconfigServers[`${cp.host}:${path}`] !== undefined || (facts.files[`${cp.host}:${path}`] ?? null) !== null;
    // A promoted node's admin.conf is written on the endpoint by its control-plane step.
    if (cp === master || has(ADMIN_CONF)) {
      if (facts.kubeconfigServers[`${cp.host}:${ADMIN_CONF}`] !== url) actions.push(kubeconfigWrite(step, facts, cp.host, ADMIN_CONF, url, 'admin.conf'));
    }
    if (has(SUPER_ADMIN_CONF) && facts.kubeconfigServers[`${cp.host}:${SUPER_ADMIN_CONF}`] !== url) {
      actions.push(kubeconfigWrite(step, facts, cp.host, SUPER_ADMIN_CONF, url, 'super-admin.conf'));
    }
  }
  return actions;
}

function workerActions(step: string, facts: ClusterFacts, batch: readonly { name: string; address: string }[]): Action[] {
  const master = masterNode(facts);
  const local = nodeLocalServer(facts);
  const actions: Action[] = [];
  for (const w of batch) {
    const nodeName = kubeNodeName(facts, w);
    actions.push(
      {
        // Rollback runs undos newest first: this check's undo restarts the kubelet after kubelet.conf is restored.
        id: `${step}/${w.name}/kubelet-active`,
        step,
        type: 'run',
        host: w.name,
        argv: ['systemctl', 'is-active', '--quiet', 'kubelet'],
        undo: ['systemctl', 'restart', 'kubelet'],
        description: `the kubelet runs on ${w.name} (on rollback, after kubelet.conf is restored: restart it)`,
        risk: 'read-only',
      },
      kubeconfigWrite(step, facts, w.name, KUBELET_CONF, local.url, 'kubelet.conf'),
      {
        id: `${step}/${w.name}/kubelet-restart`,
        step,
        type: 'run',
        host: w.name,
        argv: ['systemctl', 'restart', 'kubelet'],
        undo: ['systemctl', 'restart', 'kubelet'],
        // A second restart reads the same kubelet.conf: resume redoes an interrupted one.
        idempotent: true,
        description: `restart the kubelet on ${w.name} so it reads the new server (running pods are not touched)`,
        risk: 'disruptive',
      },
      // The kubelet's own path: this worker, its node credentials, the server it now uses, TLS verified as the kubelet verifies it.
      waitAction(
        step,
        `${w.name}/kubelet-path`,
        {
          type: 'https',
          host: w.name,
          address: local.address,
          port: local.port,
          path: `/api/v1/nodes/${nodeName}`,
          serverName: local.serverName,
          ...WORKER_PROBE_CLIENT,
        },
        `wait until ${w.name} reads its Node object through ${local.url} with its kubelet credentials`,
        NODE_TIMEOUT_MS,
      ),
    );
  }
  actions.push({
    // The workers above run in parallel (one lane each); the gate waits for all of them.
    ...waitAction(
      step,
      `${master.host}/nodes-ready`,
      nodesReadyProbe(master.host, batch.map((w) => kubeNodeName(facts, w))),
      `health gate: ${batch.length === 1 ? `node ${batch[0]!.name} is` : `all ${batch.length} nodes of this batch are`} Ready`,
      NODE_TIMEOUT_MS,
      5_000,
    ),
    gate: true,
  });
  return actions;
}

function build(facts: ClusterFacts, ctx: StepContext): Step[] {
  const url = endpointURL(facts);
  const local = nodeLocalServer(facts);
  const steps: Step[] = [
    makeStep(
      'repoint-cluster',
      `Cluster clients on ${url}`,
      `kube-proxy (${local.url}), kubeadm-config, cluster-info and the admin kubeconfigs leave ${masterURL(facts)} for the endpoint. kube-proxy pods restart one by one.`,
      clusterActions('repoint-cluster', facts, ctx),
    ),
  ];
  const batches = workerBatches(workerHosts(facts), ctx.batchSize ?? facts.config.workerBatchSize ?? DEFAULT_BATCH_SIZE);
  batches.forEach((batch, i) => {
    const id = `repoint-workers-${i + 1}`;
    steps.push({
      ...makeStep(
        id,
        `Worker kubelets on ${local.url} (batch ${i + 1} of ${batches.length}${i === 0 ? ', canary' : ''}: ${batch.length} node${batch.length === 1 ? '' : 's'})`,
        `kubelet.conf on ${batch.length === 1 ? batch[0]!.name : `${batch[0]!.name} … ${batch[batch.length - 1]!.name}`} points at ${local.url}; the kubelet restarts (pods keep running) and the batch must answer through it and stay Ready before the next one starts.`,
        workerActions(id, facts, batch),
      ),
      // The whole batch at once, each worker's actions in order (the engine caps it: RunOptions.maxParallelHosts).
      parallelHosts: batch.length,
    });
  });
  return steps;
}

export const repointStep: StepDefinition = {
  name: 'repoint',
  summary: "kube-proxy, kubeadm-config, cluster-info, admin kubeconfigs and every worker's kubelet move to the endpoint",
  needs: [
    { step: 'proxy', why: 'clients move to the endpoint, which the proxy serves' },
    { step: 'endpoint-cert', why: "clients of the endpoint verify the master's certificate for its name" },
  ],
  build,
};
