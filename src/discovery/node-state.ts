/**
 * Who each configured node really is, and what it already is in the cluster. Pure functions over what
 * discovery read from the hosts and the cluster; preflight turns them into named checks and the steps read
 * the promote states (a node that is already a complete control-plane node is kept as it is).
 *
 * Identity: the config names hosts; the host itself (its kubelet's client certificate `system:node:<name>`,
 * `--hostname-override`, its hostname, its own addresses) and the cluster (the Node's name and InternalIP, the
 * etcd member's name and peer URL) say who answers at that address. They must agree with the config.
 *
 * State: a node to promote is fresh, already a complete control-plane node (a voting etcd member with its
 * control-plane manifests), the home of a learner left by an earlier attempt that never started (reused),
 * or in a state ha-wizard will not guess about (blocked, with the fact and the exact commands). Nothing here
 * advises removing, moving or deleting anything unless it is proven to belong to nothing live.
 */
import type { EtcdMember } from './facts.js';
import { etcdctl } from '../etcd/etcdctl.js';
import { shJoin } from '../shell/quote.js';
import { canonicalIP } from '../pki/ip.js';

/** One configured node as the host itself reports it (discovery's identity probe). */
export interface HostIdentity {
  /** The config's name for it. */
  host: string;
  /** Where the config names it, e.g. `controlPlane.promote[0]`. */
  field: string;
  role: 'master' | 'promote' | 'worker';
  /** The config's address (what SSH dials unless the node has ssh.host). */
  address: string;
  /** The kernel's host name. */
  hostname: string | null;
  /** The kubelet's --hostname-override (kubeadm-flags.env, /etc/default/kubelet), when set. */
  hostnameOverride: string | null;
  /** <name> of the kubelet client certificate's CN `system:node:<name>` on that host. */
  kubeletNode: string | null;
  /** The host's own addresses (every interface, without loopback and link-local). */
  addresses: string[];
}

/** The name the host's kubelet registers its Node under: its certificate, else its override, else its host name. */
export function selfNodeName(i: HostIdentity): string | null {
  return i.kubeletNode ?? i.hostnameOverride ?? (i.hostname ? i.hostname.toLowerCase() : null);
}

/** How an identity was established, for messages: "kubelet certificate system:node:cp3, hostname cp3". */
export function identityEvidence(i: HostIdentity): string {
  const parts: string[] = [];
  if (i.kubeletNode) parts.push(`kubelet certificate system:node:${i.kubeletNode}`);
  if (i.hostnameOverride) parts.push(`kubelet --hostname-override=${i.hostnameOverride}`);
  if (i.hostname) parts.push(`hostname ${i.hostname}`);
  return parts.join(', ') || 'nothing the host says';
}

/** The host of a URL (IPv6 without brackets, canonical), or null. */
export function urlHostOf(url: string): string | null {
  try {
    const h = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return canonicalIP(h) ?? h.toLowerCase();
  } catch {
    return null;
  }
}

function sameAddress(a: string, b: string): boolean {
  return (canonicalIP(a) ?? a.toLowerCase()) === (canonicalIP(b) ?? b.toLowerCase());
}

/** The etcd member whose peer URL is at `address`. */
export function memberAt(members: readonly EtcdMember[], address: string): EtcdMember | undefined {
  return members.find((m) => m.peerURLs.some((u) => {
    const h = urlHostOf(u);
    return h !== null && sameAddress(h, address);
  }));
}

/** The exact command that removes member `id`, as the operator runs it on the master. */
export function memberRemoveCommand(id: string): string {
  return shJoin(etcdctl(['member', 'remove', id]));
}

export type PromoteState =
  | { kind: 'fresh' }
  /** A voting, started etcd member with its control-plane manifests: kept as it is, its promote steps skipped. */
  | { kind: 'complete'; memberId: string; detail: string }
  /** A learner at this node's peer URL that never started (an earlier attempt): reused by member-add. */
  | { kind: 'learner'; memberId: string }
  /** A state ha-wizard does not continue from; `check` names the preflight check, `fix` gives the exact commands. */
  | { kind: 'blocked'; check: 'NodeState' | 'EtcdDataDir'; message: string; fix: string; ignorable: boolean };

export interface PromoteNodeFacts {
  host: string;
  nodeName: string;
  address: string;
  master: string;
  members: readonly EtcdMember[];
  apiserverManifest: boolean;
  etcdManifest: boolean;
  etcdDataPresent: boolean;
  listening: readonly number[];
  dataDir: string;
}

/** What a node to promote already is, from its etcd membership, its manifests, its etcd data and its ports. */
export function classifyPromoteNode(n: PromoteNodeFacts): PromoteState {
  const m = memberAt(n.members, n.address);
  const etcdListens = n.listening.includes(2379) || n.listening.includes(2380);
  const stopAndMove = (id: string) =>
    `${n.etcdManifest ? `on ${n.host}: mv /etc/kubernetes/manifests/etcd.yaml /root/etcd.yaml.removed-${id} and wait until nothing listens on 2380 (ss -ltn 'sport = :2380'); ` : ''}` +
    `${n.etcdDataPresent || n.etcdManifest ? `then on ${n.host}: mv ${n.dataDir}/member ${n.dataDir}/member.removed-${id} (the data of the member just removed; kept, not deleted); ` : ''}`;
  if (m && !m.isLearner) {
    const started = m.name !== '';
    if (started && n.apiserverManifest && n.etcdManifest) {
      return { kind: 'complete', memberId: m.id, detail: `voting etcd member ${m.name} (${m.id}) at ${m.peerURLs[0] ?? n.address}, with its kube-apiserver and etcd manifests` };
    }
    const what = started ? `a voting etcd member (${m.name}, ID ${m.id}, ${m.peerURLs.join(',')})` : `a voting etcd member that never started (ID ${m.id}, ${m.peerURLs.join(',')}): it counts in the quorum but does not vote`;
    return {
      kind: 'blocked',
      check: 'NodeState',
      message: `${n.host} is already ${what}, but ${n.apiserverManifest ? 'has no etcd manifest' : 'has no kube-apiserver manifest'}: ha-wizard continues from a fresh node or a complete control-plane node only, and will not touch a quorum member's data`,
      fix: started
        ? `finish it as kubeadm does (on ${n.host}: kubeadm join phase control-plane-prepare all and kubeadm join phase control-plane-join all, with the JoinConfiguration you used), then run ha-wizard again; or, to start it over, while every other member is healthy, on ${n.master}: ${memberRemoveCommand(m.id)}; ${stopAndMove(m.id)}then run ha-wizard again`
        : `on ${n.master}: ${memberRemoveCommand(m.id)} (it never started, so it holds no data), then run ha-wizard again`,
      ignorable: false,
    };
  }
  if (m && m.isLearner) {
    if (m.name === '' && !n.etcdManifest && !n.etcdDataPresent && !etcdListens) return { kind: 'learner', memberId: m.id };
    return {
      kind: 'blocked',
      check: 'NodeState',
      message: `${n.host} is an etcd learner left from an earlier attempt (ID ${m.id}${m.name ? `, ${m.name}` : ''}, ${m.peerURLs.join(',')})${m.name ? ' that has started' : ''}${n.etcdDataPresent ? `, with data in ${n.dataDir}/member` : ''}: ha-wizard does not take over a learner that runs or has data`,
      fix: `a learner has no vote, so removing it cannot cost quorum: on ${n.master}: ${memberRemoveCommand(m.id)}; ${stopAndMove(m.id)}then run ha-wizard again`,
      ignorable: false,
    };
  }
  // Not a member of this cluster's etcd.
  if (n.etcdManifest || n.apiserverManifest) {
    const which = [n.etcdManifest ? 'etcd.yaml' : '', n.apiserverManifest ? 'kube-apiserver.yaml' : ''].filter(Boolean).join(' and ');
    return {
      kind: 'blocked',
      check: 'NodeState',
      message: `${n.host} has /etc/kubernetes/manifests/${which} but is no member of this cluster's etcd (no member's peer URL names ${n.address})${etcdListens ? '; something listens on 2379/2380 there' : ''}`,
      fix: `find out what runs there (its kubelet runs these static pods; crictl ps on ${n.host}); ha-wizard writes these manifests itself and will not replace ones it did not write. If they are left from an attempt that is over, move them out of /etc/kubernetes/manifests yourself`,
      ignorable: false,
    };
  }
  if (n.etcdDataPresent) {
    if (etcdListens) {
      return {
        kind: 'blocked',
        check: 'EtcdDataDir',
        message: `${n.host}: ${n.dataDir}/member holds etcd data and something listens on 2379/2380, though no member of this cluster's etcd is at ${n.address}: it may be another etcd's`,
        fix: `find out what listens (ss -ltnp 'sport = :2380' on ${n.host}); ha-wizard will not touch data that a running process may use`,
        ignorable: false,
      };
    }
    return {
      kind: 'blocked',
      check: 'EtcdDataDir',
      message: `${n.host}: ${n.dataDir}/member holds old etcd data; it belongs to no current member (no member's peer URL names ${n.address}, nothing listens on 2379/2380 and there is no etcd manifest)`,
      fix: `move it aside (kept, not deleted): on ${n.host}: mv ${n.dataDir}/member ${n.dataDir}/member.old; then run ha-wizard again`,
      ignorable: true,
    };
  }
  return { kind: 'fresh' };
}
