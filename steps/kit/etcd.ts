/**
 * The stacked etcd's peer URLs: the master member's as it is and as it will be (moved off loopback when a
 * cluster born on kubeadm <= 1.12 advertises localhost), and the peer port from the master's manifest.
 */
import type { ClusterFacts } from '../../src/discovery/facts.js';
import { etcdPeerURL, etcdPorts } from '../../src/manifests/etcd.js';
import { StaticPod } from '../../src/manifests/static-pod.js';
import { localEtcdEndpoint } from '../../src/etcd/etcdctl.js';

function isLoopbackURL(url: string): boolean {
  return /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:|\/|$)/.test(url);
}

/** The master member's peer URL on loopback (clusters born on kubeadm <= 1.12), or null when it is fine. */
export function loopbackPeerURL(facts: ClusterFacts): string | null {
  return facts.etcd.members.flatMap((m) => m.peerURLs).find(isLoopbackURL) ?? null;
}

/** Peer ports by manifest text: asked for per member and per node, parsed once. */
const peerPorts = new Map<string, number>();

export function etcdPeerPort(facts: ClusterFacts): number {
  const manifest = facts.manifests['etcd'];
  if (!manifest) return 2380;
  let port = peerPorts.get(manifest);
  if (port === undefined) {
    port = etcdPorts(StaticPod.parse(manifest, 'etcd')).peer;
    if (peerPorts.size >= 16) peerPorts.clear();
    peerPorts.set(manifest, port);
  }
  return port;
}

/**
 * The master's own member: the one named as its Node, else the one whose peer URL is at its address, else the only
 * one (member list order is by ID, so with members already in place the first is not necessarily the master's).
 */
export function masterMember(facts: ClusterFacts): ClusterFacts['etcd']['members'][number] | undefined {
  const { members } = facts.etcd;
  const at = (m: (typeof members)[number]) => m.peerURLs.some((u) => u === etcdPeerURL(facts.master.advertiseAddress, etcdPeerPort(facts)));
  return members.find((m) => m.name === facts.master.name) ?? members.find(at) ?? (members.length === 1 ? members[0] : undefined);
}

/** The master member's peer URL once the plan has run (moved off loopback if it was there). */
export function masterPeerURL(facts: ClusterFacts): string {
  const member = masterMember(facts);
  const url = member?.peerURLs[0];
  return url && !isLoopbackURL(url) ? url : etcdPeerURL(facts.master.advertiseAddress, etcdPeerPort(facts));
}

/** How long a learner may take to start and catch up, a promoted member to report healthy, a restarted etcd to answer. */
export const ETCD_JOIN_TIMEOUT_MS = 180_000;

/** The master's local etcd client URL (https://127.0.0.1:2379, or https://[::1]:2379 on an IPv6 control plane). */
export function etcdEndpoint(facts: ClusterFacts): string {
  const manifest = facts.manifests['etcd'];
  return localEtcdEndpoint(manifest ? StaticPod.parse(manifest, 'etcd').flag('listen-client-urls') : undefined);
}
