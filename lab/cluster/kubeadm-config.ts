/**
 * The kubeadm configuration files the lab's cluster is made from, as an operator writes them: an
 * InitConfiguration and ClusterConfiguration for the first control-plane node (no
 * controlPlaneEndpoint: the single-master cluster ha-wizard exists to convert), and a JoinConfiguration
 * per worker that discovers the cluster through a bootstrap token. Pure functions; the real kubeadm
 * reads the results (cluster/index.ts).
 */
import { parse, stringify } from 'yaml';

export type LabKeyAlgorithm = 'rsa' | 'ecdsa' | 'ecdsa-p384';

/** The lab's key option → ClusterConfiguration.encryptionAlgorithm (v1beta4). */
export const ENCRYPTION_ALGORITHM: Record<LabKeyAlgorithm, string> = {
  rsa: 'RSA-2048',
  ecdsa: 'ECDSA-P256',
  'ecdsa-p384': 'ECDSA-P384',
};

/** kubeadm writes this CRI socket into the kubelet's instance config; no runtime listens on it in the lab. */
export const LAB_CRI_SOCKET = 'unix:///var/run/containerd/containerd.sock';

export interface InitInput {
  k8sVersion: string;
  keyAlgorithm: LabKeyAlgorithm;
  serviceCidr: string;
  dnsDomain: string;
  apiserverPort: number;
  master: { name: string; address: string };
  /** A bootstrap token "abcdef.0123456789abcdef" for the workers to join with. */
  token: string;
  /** The kubelet's --node-ip (an IPv6 or dual-stack lab: its addresses, the advertised first); absent: the kubelet picks. */
  nodeIPs?: readonly string[];
}

/** nodeRegistration.kubeletExtraArgs (v1beta4: a list of name/value) with the node's IPs, when the lab sets them. */
function nodeIPArgs(nodeIPs: readonly string[] | undefined): { kubeletExtraArgs?: Array<{ name: string; value: string }> } {
  return nodeIPs?.length ? { kubeletExtraArgs: [{ name: 'node-ip', value: nodeIPs.join(',') }] } : {};
}

const doc = (o: unknown) => stringify(o, { lineWidth: 0 });

/**
 * v1beta4 `timeouts` for the lab's init and joins (kubeadm's defaults: 1m, 4m, 4m, 5m, 5m).
 * controlPlaneComponentHealthCheck keeps its default: kubeadm derives the static pods' startupProbe
 * failureThreshold from it (4 min: 24), and the lab's manifests must be those of a default cluster.
 */
export const LAB_TIMEOUTS = { kubernetesAPICall: '5m0s', kubeletHealthCheck: '10m0s', tlsBootstrap: '10m0s', discovery: '10m0s' };

export function initConfiguration(i: InitInput): string {
  const init = {
    apiVersion: 'kubeadm.k8s.io/v1beta4',
    kind: 'InitConfiguration',
    bootstrapTokens: [{ token: i.token, ttl: '24h0m0s', groups: ['system:bootstrappers:kubeadm:default-node-token'], usages: ['signing', 'authentication'] }],
    localAPIEndpoint: { advertiseAddress: i.master.address, bindPort: i.apiserverPort },
    nodeRegistration: {
      name: i.master.name,
      criSocket: LAB_CRI_SOCKET,
      taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
      ...nodeIPArgs(i.nodeIPs),
    },
    // Preflight wants a container runtime and pulls images; the lab has neither (the node agent runs
    // the programs the images would hold).
    skipPhases: ['preflight'],
    // kubeadm's defaults (API calls 1 min, component health 4 min) assume a machine of its own; a lab
    // machine running several control planes at once can take longer to start one.
    timeouts: LAB_TIMEOUTS,
  };
  const cluster = {
    apiVersion: 'kubeadm.k8s.io/v1beta4',
    kind: 'ClusterConfiguration',
    kubernetesVersion: `v${i.k8sVersion}`,
    clusterName: 'kubernetes',
    encryptionAlgorithm: ENCRYPTION_ALGORITHM[i.keyAlgorithm],
    networking: { serviceSubnet: i.serviceCidr, dnsDomain: i.dnsDomain },
  };
  const kubelet = { apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', cgroupDriver: 'systemd' };
  return [init, cluster, kubelet].map(doc).join('---\n');
}

export interface JoinInput {
  nodeName: string;
  /** host:port of the master's apiserver, where discovery reads cluster-info. */
  apiServerEndpoint: string;
  token: string;
  /** "sha256:<hex>" of the cluster CA's public key. */
  caCertHash: string;
  nodeIPs?: readonly string[];
}

export function joinConfiguration(j: JoinInput): string {
  return doc({
    apiVersion: 'kubeadm.k8s.io/v1beta4',
    kind: 'JoinConfiguration',
    timeouts: LAB_TIMEOUTS,
    discovery: { bootstrapToken: { apiServerEndpoint: j.apiServerEndpoint, token: j.token, caCertHashes: [j.caCertHash] } },
    nodeRegistration: { name: j.nodeName, criSocket: LAB_CRI_SOCKET, ...nodeIPArgs(j.nodeIPs) },
    skipPhases: ['preflight'],
  });
}

/**
 * A v1beta4 ClusterConfiguration (as kubeadm 1.31+ uploads it) in the v1beta3 form an older kubeadm
 * wrote: `extraArgs` as maps instead of name/value lists, `apiServer.timeoutForControlPlane`, and no
 * v1beta4-only fields (encryptionAlgorithm, the validity periods, the v1beta4 `timeouts`).
 */
export function toV1beta3(clusterConfiguration: string): string {
  const c = parse(clusterConfiguration) as Record<string, any>;
  if (c.apiVersion !== 'kubeadm.k8s.io/v1beta4') throw new Error(`not a v1beta4 ClusterConfiguration: ${c.apiVersion}`);
  const args = (o: Record<string, any> | undefined) => {
    if (!o || !Array.isArray(o.extraArgs)) return;
    o.extraArgs = Object.fromEntries((o.extraArgs as Array<{ name: string; value: string }>).map((a) => [a.name, a.value]));
  };
  args(c.apiServer);
  args(c.controllerManager);
  args(c.scheduler);
  args(c.etcd?.local);
  c.apiVersion = 'kubeadm.k8s.io/v1beta3';
  c.apiServer = { ...(c.apiServer ?? {}), timeoutForControlPlane: '4m0s' };
  for (const k of ['encryptionAlgorithm', 'certificateValidityPeriod', 'caCertificateValidityPeriod', 'timeouts']) delete c[k];
  return stringify(c, { lineWidth: 0 });
}
