/**
 * Who is who in the facts: the config names hosts (what SSH dials, what actions name), Kubernetes and
 * etcd name nodes. They are usually equal; when they are not, the node is matched by its InternalIP.
 */
import type { ClusterFacts } from './facts.js';
import type { ConfigNode } from './config-like.js';
import { etcdPeerURL } from '../manifests/etcd.js';
import { StaticPod } from '../manifests/static-pod.js';
import { etcdPorts } from '../manifests/etcd.js';

export interface CpNode {
  /** The config's name: the `host` of every action on this node. */
  host: string;
  /** The Kubernetes node name: etcd member name, certificate CN and SAN, Node object. */
  nodeName: string;
  address: string;
}

export function kubeNodeName(facts: ClusterFacts, node: ConfigNode): string {
  return facts.nodes.find((n) => n.internalIP === node.address)?.name ?? facts.nodes.find((n) => n.name === node.name)?.name ?? node.name;
}

export function masterNode(facts: ClusterFacts): CpNode {
  return { host: facts.config.controlPlane.existing.name, nodeName: facts.master.name, address: facts.master.advertiseAddress };
}

export function promotedNodes(facts: ClusterFacts): CpNode[] {
  return facts.config.controlPlane.promote.map((n) => ({ host: n.name, nodeName: kubeNodeName(facts, n), address: n.address }));
}

function isLoopbackURL(url: string): boolean {
  return /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:|\/|$)/.test(url);
}

/** The master member's peer URL on loopback (clusters born on kubeadm <= 1.12), or null when it is fine. */
export function loopbackPeerURL(facts: ClusterFacts): string | null {
  return facts.etcd.members.flatMap((m) => m.peerURLs).find(isLoopbackURL) ?? null;
}

export function etcdPeerPort(facts: ClusterFacts): number {
  const manifest = facts.manifests['etcd'];
  return manifest ? etcdPorts(StaticPod.parse(manifest, 'etcd')).peer : 2380;
}

/** The master member's peer URL once the plan has run (moved off loopback if it was there). */
export function masterPeerURL(facts: ClusterFacts): string {
  const member = facts.etcd.members[0];
  const url = member?.peerURLs[0];
  return url && !isLoopbackURL(url) ? url : etcdPeerURL(facts.master.advertiseAddress, etcdPeerPort(facts));
}

export function apiserverURL(address: string, port: number): string {
  return `https://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

export function endpointURL(facts: ClusterFacts): string {
  return apiserverURL(facts.config.endpoint.host, facts.config.endpoint.port);
}

/** kubeadm's certsToTransfer for stacked etcd: identical on every control-plane node (keys 0600, certificates 0644, sa.pub as kubeadm writes it). */

export const SHARED_PKI_FILES: ReadonlyArray<{ path: string; sensitive: boolean; mode: number }> = [
  { path: `/etc/kubernetes/pki/ca.crt`, sensitive: false, mode: 0o644 },
  { path: `/etc/kubernetes/pki/ca.key`, sensitive: true, mode: 0o600 },
  { path: `/etc/kubernetes/pki/sa.key`, sensitive: true, mode: 0o600 },
  { path: `/etc/kubernetes/pki/sa.pub`, sensitive: false, mode: 0o600 },
  { path: `/etc/kubernetes/pki/front-proxy-ca.crt`, sensitive: false, mode: 0o644 },
  { path: `/etc/kubernetes/pki/front-proxy-ca.key`, sensitive: true, mode: 0o600 },
  { path: `/etc/kubernetes/pki/etcd/ca.crt`, sensitive: false, mode: 0o644 },
  { path: `/etc/kubernetes/pki/etcd/ca.key`, sensitive: true, mode: 0o600 },
];
