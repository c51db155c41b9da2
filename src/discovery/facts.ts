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
   * References to the old master address in kube-system that no step changes (CNI settings, env, args), with
   * the exact object and field, for the operator to repoint. Discovery always sets it; optional for hand-made facts.
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
   * Placement vip: the interface that carries each control-plane node's address (`proxy.vip.interface` when set),
   * by host: where the virtual IP goes on that node.
   */
  vipInterfaces?: Record<string, string>;
}

/** A reference to the old master address found in kube-system (discovery/old-address.ts). */
export interface Finding {
  /** e.g. "ConfigMap kube-system/cilium-config". */
  object: string;
  /** e.g. "data.k8s-service-host" or "spec.template.spec.containers[name=cilium-agent].env[name=KUBERNETES_SERVICE_HOST].value". */
  field: string;
  /** The offending text (one line, trimmed to 200 characters). */
  value: string;
  /** What matched: "https://10.0.0.1", "10.0.0.1:6443" or the bare address. */
  match: string;
}

/** What discovery keeps in the facts: the findings, and what could not be read (so "none found" is honest). */
export interface AuditResult {
  findings: Finding[];
  /** e.g. "Deployment list: forbidden", "ConfigMap kube-system/x: data.y: expected string". */
  notes: string[];
}
