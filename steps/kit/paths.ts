/**
 * Where kubeadm puts things. Most paths are fixed by kubeadm; the certificates directory and the apiserver's
 * own file flags are read from the cluster (its ClusterConfiguration, its manifest), so steps never guess them.
 */
import type { ClusterFacts } from '../../src/discovery/facts.js';

export const KUBERNETES_DIR = '/etc/kubernetes';
export const MANIFESTS_DIR = `${KUBERNETES_DIR}/manifests`;
export const ETCD_MANIFEST = `${MANIFESTS_DIR}/etcd.yaml`;
export const ADMIN_CONF = `${KUBERNETES_DIR}/admin.conf`;
export const SUPER_ADMIN_CONF = `${KUBERNETES_DIR}/super-admin.conf`;
export const KUBELET_CONF = `${KUBERNETES_DIR}/kubelet.conf`;
/** The cluster CA on every kubeadm node, workers included (kubeadm join writes it). */
export const NODE_CA = `${KUBERNETES_DIR}/pki/ca.crt`;
/** The kubelet's rotated client certificate and key in one PEM (a node identity on every worker). */
export const KUBELET_CLIENT_PEM = '/var/lib/kubelet/pki/kubelet-client-current.pem';

/** kubeadm's certificatesDir (ClusterConfiguration), default /etc/kubernetes/pki. */
export function certificatesDir(facts: ClusterFacts): string {
  const m = /^certificatesDir:\s*["']?([^"'\s]+)["']?\s*$/m.exec(facts.clusterConfiguration.raw);
  return m?.[1] ?? `${KUBERNETES_DIR}/pki`;
}

/** The master's apiserver flags (`--name=value`) from its static pod manifest, as discovered. */
export function apiserverFlags(facts: ClusterFacts): Map<string, string> {
  const text = facts.manifests['kube-apiserver'] ?? '';
  const flags = new Map<string, string>();
  // Flags are list items of `command:`; a line-based read avoids trusting the document's layout beyond that.
  for (const m of text.matchAll(/^\s*-\s*["']?--([a-z0-9-]+)=(.*?)["']?\s*$/gm)) flags.set(m[1]!, m[2]!);
  return flags;
}
