/**
 * A further control-plane node the kubeadm way: what an operator runs once a cluster has a stable
 * controlPlaneEndpoint. On the master, `kubeadm init phase upload-certs --upload-certs` (the shared PKI
 * in the kubeadm-certs Secret, encrypted with a fresh certificate key) and `kubeadm token create`; on
 * the node, `kubeadm join phase ...` with a JoinConfiguration that names the endpoint, the token, the
 * CA hash and the certificate key. The lab uses it to regenerate kubeadm's reference manifests and, in
 * the e2e suite, to judge a converted cluster with the real kubeadm.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { hostPath, type LabNode, type LabState } from '../layout.js';
import type { RunResult } from '../sys.js';
import { ADMIN_CONF, KUBEADM_INIT_CONFIG, caCertHash, masterOf, type NodeRunner } from './index.js';
import { LAB_CRI_SOCKET } from './kubeadm-config.js';

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const KUBEADM_CP_JOIN_CONFIG = '/root/kubeadm-join-control-plane.yaml';

export interface JoinCredentials {
  token: string;
  caCertHash: string;
  certificateKey: string;
}

async function must(run: NodeRunner, node: LabNode, argv: string[], what: string, timeoutMs = 180_000): Promise<RunResult> {
  const r = await run(node, argv, { timeoutMs, env: { PATH, HOME: '/root' } });
  if (r.code !== 0) throw new Error(`${what} on ${node.name} failed (exit ${r.code}):\n${`${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-25).join('\n')}`);
  return r;
}

/**
 * A fresh bootstrap token and certificate key from `from` (a control-plane node with admin.conf). The
 * certificate key comes from `upload-certs` run with the master's kubeadm config file.
 */
export async function joinCredentials(state: LabState, run: NodeRunner, from: LabNode = masterOf(state)): Promise<JoinCredentials> {
  const kc = ['--kubeconfig', ADMIN_CONF];
  // With the master's own config file, as on a real master: without one kubeadm guesses the node's address.
  const up = await must(run, from, ['kubeadm', 'init', 'phase', 'upload-certs', '--upload-certs', '--config', KUBEADM_INIT_CONFIG, ...kc], 'kubeadm init phase upload-certs');
  const certificateKey = /^[0-9a-f]{64}$/m.exec(up.stdout)?.[0];
  if (!certificateKey) throw new Error(`kubeadm init phase upload-certs printed no certificate key:\n${up.stdout}`);
  const token = (await must(run, from, ['kubeadm', 'token', 'create', ...kc], 'kubeadm token create')).stdout.trim();
  const ca = await readFile(hostPath(from, '/etc/kubernetes/pki/ca.crt'), 'utf8');
  return { token, caCertHash: caCertHash(ca), certificateKey };
}

/** A JoinConfiguration for a control-plane node that discovers the cluster through `apiServerEndpoint`. */
export function controlPlaneJoinConfiguration(node: Pick<LabNode, 'name' | 'address'>, apiServerEndpoint: string, c: JoinCredentials, bindPort = 6443): string {
  return stringify(
    {
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'JoinConfiguration',
      controlPlane: { localAPIEndpoint: { advertiseAddress: node.address, bindPort }, certificateKey: c.certificateKey },
      discovery: { bootstrapToken: { apiServerEndpoint, token: c.token, caCertHashes: [c.caCertHash] } },
      nodeRegistration: { name: node.name, criSocket: LAB_CRI_SOCKET },
      skipPhases: ['preflight'],
    },
    { lineWidth: 0 },
  );
}

/**
 * Runs `kubeadm join phase <phase>` for each phase on `node` (a node already joined as a worker, whose
 * kubelet runs): e.g. ['control-plane-prepare all'] writes the shared PKI, the node's certificates, its
 * kubeconfigs and its static pod manifests; ['etcd-join'] adds its etcd member and writes etcd.yaml.
 */
export async function kubeadmJoinPhases(run: NodeRunner, node: LabNode, config: string, phases: string[]): Promise<string> {
  await writeFile(hostPath(node, KUBEADM_CP_JOIN_CONFIG), config, { mode: 0o600 });
  let out = '';
  for (const phase of phases) {
    const r = await must(run, node, ['kubeadm', 'join', 'phase', ...phase.split(' '), '--config', KUBEADM_CP_JOIN_CONFIG], `kubeadm join phase ${phase}`, 300_000);
    out += r.stdout + r.stderr;
  }
  return out;
}

/**
 * Gives the cluster the controlPlaneEndpoint `endpoint` the way kubeadm's reconfigure guide does: the
 * master's kubeadm config file gains it and `kubeadm init phase upload-config kubeadm` uploads it. Only
 * for a lab whose certificates already name that address (the master's own).
 */
export async function setControlPlaneEndpoint(state: LabState, run: NodeRunner, endpoint: string): Promise<void> {
  const master = masterOf(state);
  const path = hostPath(master, KUBEADM_INIT_CONFIG);
  const text = await readFile(path, 'utf8');
  const next = text.replace(/^kind: ClusterConfiguration$/m, `kind: ClusterConfiguration\ncontrolPlaneEndpoint: ${endpoint}`);
  if (next === text) throw new Error(`${KUBEADM_INIT_CONFIG} on ${master.name} has no ClusterConfiguration`);
  await writeFile(path, next, { mode: 0o600 });
  await must(run, master, ['kubeadm', 'init', 'phase', 'upload-config', 'kubeadm', '--config', KUBEADM_INIT_CONFIG], 'kubeadm init phase upload-config kubeadm');
}
