/**
 * ClusterFacts: everything discovery learned about the cluster as it is, and the only input (with the
 * operator's config) of the steps in steps/. Plain data, no secrets: private keys and kubeconfig
 * credentials are never copied here (steps refer to them by host and path; the engine reads them at
 * apply time). A plan carries the sha256 of this object (its fingerprint); apply rediscovers and
 * refuses a plan whose fingerprint no longer matches.
 *
 * Nothing is assumed: service IP, DNS domain, ports, key algorithm, versions all come from the cluster.
 */
import type { ClusterConfigLike } from './config-like.js';
import type { CarriedFile } from './carry-over.js';

export type KeyAlgorithm = 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ecdsa-p256' | 'ecdsa-p384';

export interface NodeAddress {
  name: string;
  address: string;
}

export interface EtcdMember {
  /** Hex id as etcdctl prints it. */
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export interface KubeNode {
  name: string;
  internalIP: string | null;
  ready: boolean;
  labels: Record<string, string>;
  taints: Array<{ key: string; value?: string; effect: string }>;
}

export interface ClusterFacts {
  /** The operator's config, as validated (endpoint, proxy, nodes, ssh). */
  config: ClusterConfigLike;
  /** e.g. "1.31.4", from the kube-apiserver image tag in the master's manifest. */
  kubernetesVersion: string;
  /** e.g. "3.5.15", from the etcd image tag (without the "-0" suffix). */
  etcdVersion: string;
  master: NodeAddress & {
    /** --secure-port of the master's apiserver (6443 unless changed). */
    apiserverPort: number;
    /** --advertise-address of the master's apiserver. */
    advertiseAddress: string;
  };
  /** From kube-system/kubeadm-config (ClusterConfiguration). */
  clusterConfiguration: {
    apiVersion: string;
    /** The ClusterConfiguration YAML text as stored (steps edit it with yamlPath edits). */
    raw: string;
    clusterName: string;
    serviceSubnet: string;
    podSubnet?: string;
    dnsDomain: string;
    controlPlaneEndpoint?: string;
    certSANs: string[];
    encryptionAlgorithm?: string;
    imageRepository: string;
  };
  /** Algorithm of each CA's key, so new keys match (kubeadm: same algorithm and PEM format). */
  keyAlgorithms: { ca: KeyAlgorithm; etcdCa: KeyAlgorithm; frontProxyCa: KeyAlgorithm };
  /** The master's static pod manifests, as text, by component (etcd, kube-apiserver, kube-controller-manager, kube-scheduler). */
  manifests: Record<string, string>;
  /** SANs of the master's current apiserver.crt. */
  masterApiserverSANs: { dnsNames: string[]; ipAddresses: string[] };
  etcd: { members: EtcdMember[] };
  nodes: KubeNode[];
  /** The `server:` of each kubeconfig that must end up on the endpoint, by `host:path`. */
  kubeconfigServers: Record<string, string>;
  /** `server` in the kube-proxy ConfigMap's kubeconfig.conf and in kube-public/cluster-info. */
  kubeProxyServer: string | null;
  clusterInfoServer: string | null;
  /**
   * Text of kubeconfigs that embed no private key (kubelet.conf after TLS bootstrap refers to
   * /var/lib/kubelet/pki/kubelet-client-current.pem), by `host:path`, so steps can rewrite `server:` as a
   * literal. Kubeconfigs with `client-key-data` are never copied here.
   */
  kubeconfigTexts: Record<string, string>;
  /** sha256 (or null when absent) of every file the plan may read or replace, by `host:path`. */
  files: Record<string, string | null>;
  /**
   * References to the old master address that kubeadm's steps do not change (every namespace's objects, node
   * kubeconfigs, apiserver flags), with the exact object or file and field, linked to the offer that repoints them.
   * Discovery always sets it; optional for hand-made facts.
   */
  audit?: AuditResult;
  /**
   * What each node to promote already is, by host: fresh, a complete control-plane node (kept as it is: its
   * promote steps are left out), or the home of a learner an earlier attempt left unstarted (reused). Absent: all fresh.
   */
  promoteStates?: Record<string, 'fresh' | 'complete' | 'learner'>;
  /** SANs of the apiserver certificate on each node to promote that already has a kube-apiserver manifest. */
  promotedApiserverSANs?: Record<string, { dnsNames: string[]; ipAddresses: string[] }>;
  /**
   * Files the master's control-plane manifests name besides kubeadm's own (an audit policy, an OIDC CA, an
   * encryption config, ...), under /etc/kubernetes or carryOver.allowPaths: copied to every node to promote.
   * A secret one carries its sha256 only; a public one its text too.
   */
  carriedFiles?: CarriedFile[];
  /**
   * API clients outside kubeadm's that still name the master and that ha-wizard can repoint (discovery/api-clients.ts),
   * and whether the cluster has Cilium, Calico and the workloads the config's `repoint` names at all.
   */
  apiClients?: { offers: ClientOffer[]; seen: { cilium: boolean; calico: boolean; workloads: string[] } };
  /**
   * Placement vip: the interface that carries each control-plane node's address (`proxy.vip.interface` when set),
   * by host: where the virtual IP goes on that node.
   */
  vipInterfaces?: Record<string, string>;
}

/** The Helm release that manages an object (Helm's labels and annotations). */
export interface HelmRelease {
  release: string;
  namespace: string;
  /** `helm.sh/chart`, e.g. cilium-1.16.5. */
  chart?: string;
}

/** A ConfigMap an offer changes: the key naming the API host (and the port key, where it exists). */
export interface OfferConfigMap {
  namespace: string;
  name: string;
  hostKey: string;
  host: string;
  portKey?: string;
  port?: string;
  helm?: HelmRelease;
}

/** A DaemonSet or Deployment an offer changes or restarts. */
export interface OfferWorkload {
  kind: 'DaemonSet' | 'Deployment';
  namespace: string;
  name: string;
  /** Literal env values to change (KUBERNETES_SERVICE_HOST, and _PORT where it exists), per container. */
  env: Array<{ list: 'containers' | 'initContainers'; container: string; name: string; value: string }>;
  /** Offer ConfigMaps its pods read at start (env, envFrom, a volume): they must restart once those change. */
  reads: string[];
  /** Pods on the host network (a CNI agent): they reach the API as the node does (per-node: the local proxy). */
  hostNetwork: boolean;
  /** spec.selector.matchLabels: finds its pods. */
  selector: Record<string, string>;
  /** A DaemonSet's spec.updateStrategy as found: set back after the one-node-at-a-time restart. */
  updateStrategy?: Record<string, unknown>;
  /** The controller that renders it (ownerReferences), e.g. `Installation default (operator.tigera.io/v1)`: never patched. */
  owner?: string;
  helm?: HelmRelease;
}

/** What ha-wizard can repoint, as one choice: `cilium`, `calico`, or one workload (`DaemonSet/monitoring/node-agent`). */
export interface ClientOffer {
  id: string;
  kind: 'cilium' | 'calico' | 'workload';
  /** One line: what it holds. */
  title: string;
  configMaps: OfferConfigMap[];
  workloads: OfferWorkload[];
}

/** A reference to the old master address that no kubeadm-side step changes (discovery/old-address.ts). */
export interface Finding {
  /** e.g. "ConfigMap kube-system/cilium-config", "Secret monitoring/kubeconfig", "File w1:/root/.kube/config", "Flag kube-apiserver on cp1". */
  object: string;
  /** e.g. "data.k8s-service-host" or "spec.template.spec.containers[name=cilium-agent].env[name=KUBERNETES_SERVICE_HOST].value". */
  field: string;
  /** The offending text (one line, trimmed to 200 characters); a Secret's value is never kept: a placeholder says so. */
  value: string;
  /** What matched: "https://10.0.0.1", "10.0.0.1:6443" or the bare address. */
  match: string;
  /** The offer that repoints it when chosen (`cilium`, `calico`, `DaemonSet/monitoring/node-agent`). */
  offer?: string;
  /** What the operator should do, when it is more than "repoint it to the endpoint yourself" (the exact command, a consequence). */
  advice?: string;
  /** A Secret's value: compared in memory only, never shown or kept. */
  secret?: true;
}

/** What discovery keeps in the facts: the findings, and what could not be read (so "none found" is honest). */
export interface AuditResult {
  findings: Finding[];
  /** e.g. "Deployment list: forbidden", "ConfigMap kube-system/x: data.y: expected string". */
  notes: string[];
}
