/**
 * Preflight, kubeadm style: every check has a stable name, a status, a message and a fix. Evaluation is
 * pure over data gathered by discovery (gather.ts does the I/O), so every refusal is unit-tested.
 * `--ignore-preflight-errors=NAME[,NAME]` (or `all`) turns a failure into a warning, but only for checks
 * where going on cannot break the cluster by itself; the others cannot be ignored.
 */
import { atLeast } from '../manifests/versions.js';
import type { EtcdMember } from '../discovery/facts.js';
import { memberAt, memberRemoveCommand, urlHostOf, type HostIdentity, type PromoteState } from '../discovery/node-state.js';
import { identityChecks } from './identity.js';
import { ENDPOINT_CHECK_NAMES, endpointChecks, type EndpointData } from './endpoint.js';

import type { CheckResult } from './result.js';
export type { CheckResult, CheckStatus } from './result.js';

export interface NodeProbe {
  host: string;
  /** SSH connected. When false, nothing else about the node is known. */
  reachable: boolean;
  reachError?: string;
  /** Root, or `sudo -n true` succeeded. */
  sudo: boolean;
  /** TCP ports listening (ss -Hltn). */
  listening: number[];
  /** Node clock minus workstation clock, RTT-corrected; null when not measured. */
  clockOffsetMs: number | null;
  /** Free bytes where etcd and /etc/kubernetes live. */
  diskFree: Array<{ path: string; bytes: number }>;
  /** Whether the etcd data dir already holds a member (to promote nodes only). */
  etcdDataPresent?: boolean;
  /** Whether discovery could read kubelet.conf without embedded credentials (to promote nodes only). */
  kubeletConfReadable?: boolean;
}

export interface PreflightData {
  now: Date;
  kubernetesVersion: string | null;
  /** Kubernetes node name of each node to promote, by host, and its Ready condition (null: no such Node). */
  promote: Array<{ host: string; nodeName: string; ready: boolean | null }>;
  master: string;
  nodes: NodeProbe[];
  etcd: {
    /** ClusterConfiguration.etcd.external is set, or the master has no etcd manifest. */
    external: boolean;
    healthy: boolean | null;
    healthError?: string;
    members: Array<{ id?: string; name: string; peerURLs: string[]; isLearner: boolean }>;
    etcdctlAvailable: boolean;
  };
  /** Each reachable configured node as the host itself says it is (identity checks); absent: not checked. */
  identities?: HostIdentity[];
  /** The cluster's Nodes, name and InternalIP. */
  clusterNodes?: Array<{ name: string; internalIP: string | null }>;
  /** The master's address (its etcd member is the one at this address). */
  masterAddress?: string;
  /** What each node to promote already is, by host (discovery/node-state.ts). */
  promoteStates?: Record<string, PromoteState>;
  /** Each configured node's address, by host (to find its etcd member). */
  nodesAddresses?: Array<{ host: string; address: string }>;
  /** Paths the master's manifests need that ha-wizard will not copy and a node to promote lacks (discovery/carry-over.ts). */
  carryProblems?: Array<{ path: string; neededBy: string[]; problem: string; fix: string }>;
  /** Nodes that run a kube-apiserver (its mirror pod), when known. */
  apiserverNodes?: string[];
  /** Shared key files on the master: path → present. */
  sharedKeys: Record<string, boolean>;
  /** Certificate expiry, by file name on the master. */
  certificates: Array<{ path: string; notAfter: Date }>;
  /** kube-apiserver pods (or Nodes carrying the control-plane label) already in the cluster. */
  apiserverCount: number;
  /** Manifests on the master that could not be parsed: component → error. */
  manifestErrors: Record<string, string>;
  /** The endpoint on the network: its DNS name, the virtual IP (preflight/endpoint.ts); absent: not checked. */
  endpoint?: EndpointData;
}

/** The releases proven against the real kubeadm and control plane in the lab (lab/components.txt). */
export const SUPPORTED_MIN = '1.35';
export const SUPPORTED_MAX = '1.37';
export const CONTROL_PLANE_PORTS = [2379, 2380, 6443, 10257, 10259] as const;
export const MAX_CLOCK_SKEW_MS = 1_000;
export const MIN_DISK_BYTES = 2 * 1024 ** 3;
const DAY = 86_400_000;

const ok = (name: string, message: string, ignorable: boolean, host?: string): CheckResult => ({ name, status: 'pass', message, fix: '', ignorable, ...(host ? { host } : {}) });
const bad = (status: 'warn' | 'fail', name: string, message: string, fix: string, ignorable: boolean, host?: string): CheckResult => ({ name, status, message, fix, ignorable, ...(host ? { host } : {}) });

function isLoopback(url: string): boolean {
  return /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:|\/|$)/.test(url);
}

export function evaluatePreflight(d: PreflightData): CheckResult[] {
  const out: CheckResult[] = [];
  const promoteHosts = new Set(d.promote.map((p) => p.host));

  for (const n of d.nodes) {
    if (!n.reachable) {
      out.push(bad('fail', 'SSH', `${n.host}: cannot connect over SSH (${n.reachError ?? 'unknown error'})`, 'check the address, user and key in the config (ssh -v to the same target)', false, n.host));
      continue;
    }
    out.push(
      n.sudo
        ? ok('Sudo', `${n.host}: root access`, false, n.host)
        : bad('fail', 'Sudo', `${n.host}: the SSH user is not root and "sudo -n true" fails`, 'allow passwordless sudo for the SSH user, or log in as root', false, n.host),
    );
    const state = d.promoteStates?.[n.host];
    if (promoteHosts.has(n.host) && state && state.kind !== 'fresh') {
      // What the node already is decides; ports in use and etcd data are consequences of it, folded into it.
      if (state.kind === 'blocked') out.push(bad('fail', state.check, state.message, state.fix, state.ignorable, n.host));
      else if (state.kind === 'complete') out.push(ok('NodeState', `${n.host}: already a control-plane node (${state.detail}); kept as it is, its promote steps are left out`, false, n.host));
      else out.push(ok('NodeState', `${n.host}: etcd has a learner for it from an earlier attempt that never started (ID ${state.memberId}); the plan reuses it`, false, n.host));
    } else if (promoteHosts.has(n.host)) {
      for (const port of CONTROL_PLANE_PORTS) {
        out.push(
          n.listening.includes(port)
            ? bad('fail', `Port-${port}`, `${n.host}: port ${port} is in use`, `stop what listens on ${port} (ss -ltnp 'sport = :${port}') or pick another node`, false, n.host)
            : ok(`Port-${port}`, `${n.host}: port ${port} is free`, false, n.host),
        );
      }
      if (n.etcdDataPresent && !d.promoteStates) out.push(bad('fail', 'EtcdDataDir', `${n.host}: /var/lib/etcd/member already exists (etcd data of no current member of this cluster's etcd)`, `find out whose data it is before anything else; ha-wizard needs an empty data directory`, true, n.host));
    }
    if (promoteHosts.has(n.host) && n.kubeletConfReadable === false && state?.kind !== 'complete')
      out.push(bad('fail', 'KubeletConf', `${n.host}: /etc/kubernetes/kubelet.conf is missing or embeds credentials`, `join ${n.host} as a worker first (kubeadm join) so kubelet.conf refers to /var/lib/kubelet/pki/kubelet-client-current.pem`, false, n.host));
    if (n.clockOffsetMs !== null) {
      const skew = Math.abs(n.clockOffsetMs);
      out.push(
        skew < MAX_CLOCK_SKEW_MS
          ? ok('ClockSkew', `${n.host}: clock within ${Math.round(skew)} ms`, true, n.host)
          : bad('fail', 'ClockSkew', `${n.host}: clock is off by ${(n.clockOffsetMs / 1000).toFixed(1)} s`, 'run NTP (chrony, systemd-timesyncd) on every node: etcd and certificates depend on agreeing clocks', true, n.host),
      );
    }
    for (const disk of n.diskFree) {
      out.push(
        disk.bytes >= MIN_DISK_BYTES
          ? ok('DiskSpace', `${n.host}: ${(disk.bytes / 1024 ** 3).toFixed(1)} GiB free on ${disk.path}`, true, n.host)
          : bad('fail', 'DiskSpace', `${n.host}: only ${(disk.bytes / 1024 ** 2).toFixed(0)} MiB free on ${disk.path}`, 'free at least 2 GiB (etcd snapshot, backups, a growing etcd)', true, n.host),
      );
    }
  }

  for (const p of d.promote) {
    out.push(
      p.ready === true
        ? ok('NodeReady', `${p.host}: Node ${p.nodeName} is Ready`, false, p.host)
        : bad('fail', 'NodeReady', `${p.host}: Node ${p.nodeName} ${p.ready === null ? 'is not in the cluster' : 'is not Ready'}`, `join it as a worker (kubeadm join) and wait until kubectl get node ${p.nodeName} says Ready`, false, p.host),
    );
  }

  const v = d.kubernetesVersion;
  out.push(kubernetesVersionCheck(v));

  const manifestErrors = Object.entries(d.manifestErrors);
  out.push(
    manifestErrors.length === 0
      ? ok('Manifests', 'static pod manifests on the master parse', false)
      : bad('fail', 'Manifests', manifestErrors.map(([c, e]) => `${c}: ${e}`).join('; '), 'restore the manifests kubeadm wrote (kubeadm init phase control-plane all / etcd local) or fix them by hand', false),
  );

  if (d.etcd.external) {
    out.push(bad('fail', 'ExternalEtcd', 'the cluster uses external etcd (no etcd static pod on the master)', 'ha-wizard converts stacked etcd only; for external etcd, grow the etcd cluster yourself and use kubeadm join --control-plane', false));
  } else {
    out.push(ok('ExternalEtcd', 'stacked etcd on the master', false));
    out.push(
      d.etcd.etcdctlAvailable
        ? ok('Etcdctl', `etcdctl found on ${d.master}`, false)
        : bad('fail', 'Etcdctl', `etcdctl is not installed on ${d.master}`, `install it on ${d.master} (Debian/Ubuntu: apt-get install etcd-client; or copy the etcdctl binary of the etcd release matching the etcd image)`, false),
    );
    out.push(
      d.etcd.healthy === true
        ? ok('EtcdHealthy', 'etcd endpoint health: healthy', false)
        : bad('fail', 'EtcdHealthy', `etcd is not healthy${d.etcd.healthError ? `: ${d.etcd.healthError}` : ''}`, 'fix etcd before changing its membership (etcdctl endpoint health, the etcd pod logs)', false),
    );
    const members = d.etcd.members;
    out.push(d.promoteStates ? etcdMembersCheck(d) : members.length === 1
        ? ok('EtcdMembers', 'etcd has exactly one member', false)
        : bad('fail', 'EtcdMembers', `etcd has ${members.length} members (${members.map((m) => m.name || '(unstarted)').join(', ')})`, members.some((m) => m.isLearner) ? 'a learner is left over: remove it (etcdctl member remove <id>) and run again' : 'the cluster is already HA or half-converted: ha-wizard starts from one member only', false),
    );
    const loop = members.flatMap((m) => m.peerURLs).find(isLoopback);
    if (loop) out.push(bad('warn', 'EtcdPeerURL', `the etcd member advertises ${loop} (kubeadm <= 1.12); the plan moves it to the node address first`, 'nothing to do: the etcd-peer-url step fixes it (etcd restarts once)', false));
  }

  if (d.apiserverNodes && d.promoteStates) {
    const known = new Set([d.master, ...d.promote.filter((p) => d.promoteStates?.[p.host]?.kind === 'complete').flatMap((p) => [p.host, p.nodeName])]);
    const others = d.apiserverNodes.filter((n) => !known.has(n));
    const blocked = new Set(d.promote.filter((p) => d.promoteStates?.[p.host]?.kind === 'blocked').flatMap((p) => [p.host, p.nodeName]));
    const unexplained = others.filter((n) => !blocked.has(n));
    out.push(
      unexplained.length
        ? bad('fail', 'AlreadyHA', `a kube-apiserver runs on ${unexplained.join(', ')}, which the config does not list as a control-plane node`, `list ${unexplained.join(', ')} under controlPlane.promote (a complete control-plane node is kept as it is)`, false)
        : ok('AlreadyHA', `kube-apiservers on ${[...new Set([d.master, ...d.apiserverNodes])].join(', ')}`, false),
    );
  } else if (d.apiserverCount > 1) out.push(bad('fail', 'AlreadyHA', `${d.apiserverCount} kube-apiservers already run`, 'the cluster is already HA: ha-wizard converts a single control-plane only', false));
  else out.push(ok('AlreadyHA', 'one control-plane node', false));

  const missing = Object.entries(d.sharedKeys).filter(([, present]) => !present).map(([p]) => p);
  out.push(
    missing.length === 0
      ? ok('SharedKeys', 'ca.key, sa.key, sa.pub, front-proxy-ca.key and etcd/ca.key present on the master', false)
      : bad('fail', 'SharedKeys', `missing on ${d.master}: ${missing.join(', ')} (an external CA or external etcd)`, 'ha-wizard needs the CA keys on the master to issue per-node certificates; with an external CA, issue them yourself and use kubeadm join --control-plane', false),
  );

  for (const c of d.certificates) {
    const days = Math.floor((c.notAfter.getTime() - d.now.getTime()) / DAY);
    if (days < 0) out.push(bad('fail', 'CertificateExpiry', `${c.path} expired ${-days} days ago`, 'renew it first (kubeadm certs renew)', false));
    else if (days < 30) out.push(bad('warn', 'CertificateExpiry', `${c.path} expires in ${days} days`, c.path.endsWith('ca.crt') ? 'plan a CA rotation: the new nodes trust the same CA' : 'renew it soon (kubeadm certs renew)', true));
    else out.push(ok('CertificateExpiry', `${c.path} valid for ${days} days`, true));
  }

  const total = 1 + d.promote.length;
  out.push(
    total % 2 === 1
      ? ok('ControlPlaneCount', `${total} control-plane nodes (etcd tolerates ${(total - 1) / 2} failures)`, true)
      : bad('warn', 'ControlPlaneCount', `${total} control-plane nodes: an even count tolerates no more failures than ${total - 1}`, `promote ${total + 1 <= 7 ? 'one more or one fewer node' : 'an odd number of nodes'}`, true),
  );
  if (d.carryProblems) {
    for (const p of d.carryProblems) out.push(bad('fail', 'CarriedFiles', p.problem, p.fix, false));
    if (!d.carryProblems.length) out.push(ok('CarriedFiles', 'every file the control-plane manifests name is kubeadm\'s, carried over, or already on the nodes to promote', false));
  }
  if (d.endpoint) out.push(...endpointChecks(d.endpoint, new Map(d.nodes.map((n) => [n.host, n.listening]))));
  if (d.identities && d.clusterNodes) out.push(...identityChecks({ identities: d.identities, clusterNodes: d.clusterNodes, members: d.etcd.members.map((m) => ({ id: m.id ?? '', clientURLs: [], ...m })) }));
  return orderFindings(out);
}

/**
 * Every etcd member must be accounted for: the master's, or one of a node to promote that is already a complete
 * control-plane node or holds a learner the plan reuses (or is reported by NodeState). Any other member is refused
 * with the exact command, and why it is safe: a learner has no vote; a member whose node is gone counts in quorum.
 */
function etcdMembersCheck(d: PreflightData): CheckResult {
  const members = d.etcd.members.map((m) => ({ id: m.id ?? '?', clientURLs: [], ...m })) as EtcdMember[];
  const master = (d.masterAddress && memberAt(members, d.masterAddress)) || (members.length === 1 ? members[0] : members.find((m) => m.name === d.master));
  const promoteAddress = new Map((d.nodesAddresses ?? []).map((n) => [n.host, n.address]));
  const accounted = new Set<EtcdMember>(master ? [master] : []);
  for (const p of d.promote) {
    const address = promoteAddress.get(p.host);
    const m = address ? memberAt(members, address) : undefined;
    if (m && d.promoteStates?.[p.host] && d.promoteStates[p.host]!.kind !== 'fresh') accounted.add(m);
  }
  const others = members.filter((m) => !accounted.has(m));
  if (!others.length) return ok('EtcdMembers', `etcd members: ${members.map((m) => m.name || m.id).join(', ')}, each accounted for`, false);
  const voters = members.filter((m) => !m.isLearner);
  const lines = others.map((m) => {
    const at = m.peerURLs.map(urlHostOf).find((h) => h !== null) ?? '?';
    const node = d.clusterNodes?.find((n) => n.internalIP === at);
    const what = `${m.isLearner ? 'learner' : 'voting member'} ${m.name || '(unstarted)'} (ID ${m.id}, ${m.peerURLs.join(',') || 'no peer URL'})`;
    if (node) return { text: `${what} is on Node ${node.name}, which the config does not list`, fix: `if ${node.name} is a control-plane node, add { name: ${node.name}, address: ${at} } to controlPlane.promote; otherwise, on ${d.master}: ${memberRemoveCommand(m.id)}` };
    return {
      text: `${what}: its node is gone (no Node and no configured node has the address ${at})`,
      fix: m.isLearner
        ? `a learner has no vote, so removing it cannot cost quorum: on ${d.master}: ${memberRemoveCommand(m.id)}`
        : `it counts in the quorum of ${voters.length} voting members; while the others are healthy, on ${d.master}: ${memberRemoveCommand(m.id)}`,
    };
  });
  return bad('fail', 'EtcdMembers', `etcd has ${members.length} members, and ${lines.length === 1 ? 'one is' : `${lines.length} are`} not accounted for: ${lines.map((l) => l.text).join('; ')}`, lines.map((l) => l.fix).join('; then '), false);
}

/** Checks that decide come first (in this order); the rest keep theirs. */
const DECISIVE = ['NodeIdentity', 'DuplicateHost', 'NodeInCluster', 'SSH', 'EtcdMembers', 'NodeState', 'AlreadyHA', 'ExternalEtcd', 'EtcdHealthy'];

/**
 * The reason that decides first. A host whose identity is wrong was probed as whatever answers at its address, so
 * its other per-host failures are consequences: they are folded into the identity finding as a count.
 */
export function orderFindings(results: CheckResult[]): CheckResult[] {
  const wrongHost = new Set(results.filter((r) => r.status === 'fail' && ['NodeIdentity', 'DuplicateHost', 'NodeInCluster'].includes(r.name) && r.host).map((r) => r.host!));
  const folded = new Map<string, number>();
  const kept = results.filter((r) => {
    if (r.status !== 'fail' || !r.host || !wrongHost.has(r.host) || ['NodeIdentity', 'DuplicateHost', 'NodeInCluster'].includes(r.name)) return true;
    folded.set(r.host, (folded.get(r.host) ?? 0) + 1);
    return false;
  });
  const withNotes = kept.map((r) => {
    const n = r.status === 'fail' && r.host && ['NodeIdentity', 'DuplicateHost', 'NodeInCluster'].includes(r.name) ? folded.get(r.host) : undefined;
    if (!n) return r;
    folded.delete(r.host!);
    return { ...r, message: `${r.message} (${n} other failed check${n === 1 ? '' : 's'} of ${r.host} not shown: they describe whatever answers at its address)` };
  });
  const rank = (r: CheckResult) => (r.status !== 'fail' ? DECISIVE.length + 1 : DECISIVE.includes(r.name) ? DECISIVE.indexOf(r.name) : DECISIVE.length);
  return withNotes.map((r, i) => ({ r, i })).sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i).map((x) => x.r);
}

function nextMinor(minor: string): string {
  const [maj, min] = minor.split('.').map(Number);
  return `${maj}.${(min ?? 0) + 1}.0`;
}

/** The cluster's release against the range ha-wizard proves: older asks for an upgrade, newer for a newer ha-wizard. */
export function kubernetesVersionCheck(v: string | null): CheckResult {
  const range = `${SUPPORTED_MIN}–${SUPPORTED_MAX}`;
  const hatch = '--ignore-preflight-errors=KubernetesVersion to go on at your own risk';
  if (v && atLeast(v, `${SUPPORTED_MIN}.0`) && !atLeast(v, nextMinor(SUPPORTED_MAX))) return ok('KubernetesVersion', `Kubernetes ${v} (supported: ${range})`, true);
  if (v && atLeast(v, nextMinor(SUPPORTED_MAX))) {
    return bad(
      'fail',
      'KubernetesVersion',
      `Kubernetes ${v} is newer than this ha-wizard knows: it supports ${range}, each release proven against that release's own kubeadm and control plane, and what a newer kubeadm writes may differ`,
      `use a ha-wizard release that supports ${v.split('.').slice(0, 2).join('.')}, or ${hatch}`,
      true,
    );
  }
  return bad(
    'fail',
    'KubernetesVersion',
    `Kubernetes ${v ?? '(unknown: no version in the control-plane images)'} is older than this ha-wizard supports (${range})`,
    `upgrade the cluster with kubeadm first (kubeadm upgrade plan), or ${hatch}`,
    true,
  );
}

/** Applies --ignore-preflight-errors: ignorable failures become warnings; the names of unknown or non-ignorable entries are returned. */
/** Every check name evaluatePreflight can report (ports as Port-NNNN): lets a typo in --ignore-preflight-errors be refused instead of silently ignoring nothing. */
export const PREFLIGHT_CHECK_NAMES: readonly string[] = [
  'SSH', 'Sudo', 'NodeIdentity', 'NodeInCluster', 'DuplicateHost', 'NodeState', 'CarriedFiles', ...CONTROL_PLANE_PORTS.map((p) => `Port-${p}`), 'EtcdDataDir', 'KubeletConf', 'ClockSkew', 'DiskSpace', 'NodeReady', 'KubernetesVersion', 'Manifests',
  'ExternalEtcd', 'Etcdctl', 'EtcdHealthy', 'EtcdMembers', 'EtcdPeerURL', 'AlreadyHA', 'SharedKeys', 'CertificateExpiry', 'ControlPlaneCount',
  ...ENDPOINT_CHECK_NAMES,
];

export function applyIgnores(results: CheckResult[], ignore: readonly string[]): { results: CheckResult[]; notIgnorable: string[] } {
  const all = ignore.some((i) => i.toLowerCase() === 'all');
  const wanted = new Set(ignore.map((i) => i.toLowerCase()));
  const notIgnorable = new Set<string>();
  const next = results.map((r) => {
    if (r.status !== 'fail' || !(all || wanted.has(r.name.toLowerCase()))) return r;
    if (!r.ignorable) {
      notIgnorable.add(r.name);
      return r;
    }
    return { ...r, status: 'warn' as const, message: `${r.message} (ignored)` };
  });
  return { results: next, notIgnorable: [...notIgnorable] };
}

export function preflightFailed(results: readonly CheckResult[]): boolean {
  return results.some((r) => r.status === 'fail');
}
