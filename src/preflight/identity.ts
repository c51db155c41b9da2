/**
 * Preflight: each node must be the node the config says it is. Compares what the host says about itself
 * (discovery/node-state.ts HostIdentity) and what the cluster says (the Node's name and InternalIP, the etcd
 * member's name and peer URL) with the config's name and address. Pure; every failure names the config entry,
 * what was expected, what was found, and what to write instead.
 *
 *   NodeIdentity   the host at a node's address is another node, or the Node of that name has another address
 *                  (two entries with their addresses swapped are one finding naming both)
 *   NodeInCluster  neither a Node of that name nor one with that address exists
 *   DuplicateHost  two config entries reach the same host
 */
import type { CheckResult } from './result.js';
import { identityEvidence, memberAt, selfNodeName, urlHostOf, type HostIdentity } from '../discovery/node-state.js';
import type { EtcdMember } from '../discovery/facts.js';

export interface IdentityData {
  identities: HostIdentity[];
  /** The cluster's Nodes. */
  clusterNodes: Array<{ name: string; internalIP: string | null }>;
  members: readonly EtcdMember[];
}

const fail = (name: string, message: string, fix: string, host?: string): CheckResult => ({ name, status: 'fail', message, fix, ignorable: false, ...(host ? { host } : {}) });
const pass = (name: string, message: string, host?: string): CheckResult => ({ name, status: 'pass', message, fix: '', ignorable: false, ...(host ? { host } : {}) });

const entry = (i: HostIdentity) => `{ name: ${i.host}, address: ${i.address} }`;

/** The Node a config entry's address really is, and the address of the Node its name names. */
function lookups(d: IdentityData, i: HostIdentity) {
  const byName = d.clusterNodes.find((n) => n.name === i.host);
  const byAddress = d.clusterNodes.find((n) => n.internalIP !== null && n.internalIP === i.address) ?? d.clusterNodes.find((n) => n.internalIP !== null && i.addresses.includes(n.internalIP));
  return { byName, byAddress, self: selfNodeName(i) };
}

/** What is wrong with one entry, or null. */
function mismatch(d: IdentityData, i: HostIdentity): { found: string; writeInstead: string } | null {
  const { byName, byAddress, self } = lookups(d, i);
  const problems: string[] = [];
  if (self && self !== i.host) problems.push(`the host at ${i.address} is ${self} (${identityEvidence(i)})`);
  if (byAddress && byAddress.name !== i.host) problems.push(`Node ${byAddress.name} has InternalIP ${byAddress.internalIP}`);
  if (byName?.internalIP && byName.internalIP !== i.address && !i.addresses.includes(byName.internalIP)) problems.push(`Node ${i.host} has InternalIP ${byName.internalIP}`);
  if (i.role !== 'worker') {
    const m = memberAt(d.members, i.address);
    if (m && m.name && m.name !== i.host && m.name !== self) problems.push(`the etcd member at ${m.peerURLs[0]} is ${m.name}`);
    const named = d.members.find((x) => x.name === i.host);
    const namedHost = named?.peerURLs.map(urlHostOf).find((h) => h !== null);
    if (named && namedHost && !/^(127\.|::1$|localhost$)/.test(namedHost) && namedHost !== i.address && !i.addresses.includes(namedHost)) problems.push(`the etcd member ${i.host} has the peer URL ${named.peerURLs[0]}`);
  }
  if (!problems.length) return null;
  const instead: string[] = [];
  if (byName?.internalIP) instead.push(`{ name: ${i.host}, address: ${byName.internalIP} }`);
  const other = self ?? byAddress?.name;
  if (other && other !== i.host) instead.push(`{ name: ${other}, address: ${i.address} } if ${other} is the node you mean`);
  return { found: problems.join('; '), writeInstead: instead.length ? `write ${instead.join(', or ')}` : `correct the name or the address of ${i.field}` };
}

export function identityChecks(d: IdentityData): CheckResult[] {
  const out: CheckResult[] = [];
  const reported = new Set<string>();

  // Two entries reaching one host: same host name and same own addresses.
  const byKey = new Map<string, HostIdentity[]>();
  for (const i of d.identities) {
    if (!i.hostname && !i.addresses.length) continue;
    const key = `${i.hostname ?? ''}|${[...i.addresses].sort().join(',')}|${i.kubeletNode ?? ''}`;
    byKey.set(key, [...(byKey.get(key) ?? []), i]);
  }
  for (const group of byKey.values()) {
    if (group.length < 2) continue;
    const [first] = group;
    for (const i of group) reported.add(i.host);
    out.push(
      fail(
        'DuplicateHost',
        `${group.map((i) => `${i.field} (${i.host}, ${i.address})`).join(' and ')} reach the same host: ${selfNodeName(first!) ?? first!.hostname} (${identityEvidence(first!)}, addresses ${first!.addresses.join(', ')})`,
        `give each entry its own node's address (kubectl get nodes -o wide lists each Node's InternalIP)${group.some((i) => i.address !== group[0]!.address) ? '; an ssh.host or ssh_config HostName may point two names at one machine' : ''}`,
        group[0]!.host,
      ),
    );
  }

  // Swapped pairs: a's address is b's Node and b's address is a's Node.
  const ipOf = (name: string) => d.clusterNodes.find((n) => n.name === name)?.internalIP ?? null;
  for (const a of d.identities) {
    for (const b of d.identities) {
      if (a === b || reported.has(a.host) || reported.has(b.host)) continue;
      if (ipOf(a.host) === b.address && ipOf(b.host) === a.address && a.address !== b.address) {
        reported.add(a.host);
        reported.add(b.host);
        out.push(
          fail(
            'NodeIdentity',
            `${a.field} (${a.host}) and ${b.field} (${b.host}) have their addresses swapped: the host at ${a.address} is ${selfNodeName(a) ?? b.host} (${identityEvidence(a)}) and Node ${b.host} has InternalIP ${a.address}; the host at ${b.address} is ${selfNodeName(b) ?? a.host} (${identityEvidence(b)}) and Node ${a.host} has InternalIP ${b.address}`,
            `write ${a.field}: { name: ${a.host}, address: ${b.address} } and ${b.field}: { name: ${b.host}, address: ${a.address} }`,
            a.host,
          ),
        );
      }
    }
  }

  for (const i of d.identities) {
    if (reported.has(i.host)) continue;
    const { byName, byAddress, self } = lookups(d, i);
    if (!byName && !byAddress && !(self && d.clusterNodes.some((n) => n.name === self))) {
      out.push(
        fail(
          'NodeInCluster',
          `${i.field} (${i.host}, ${i.address}) is not in the cluster: no Node is named ${i.host} or has InternalIP ${i.address} (Nodes: ${d.clusterNodes.map((n) => `${n.name} ${n.internalIP ?? '-'}`).join(', ')})`,
          i.role === 'worker' ? `join it first (kubeadm join), or take it out of workers` : `join it as a worker first (kubeadm join) and wait until kubectl get node ${i.host} says Ready, or correct ${i.field}`,
          i.host,
        ),
      );
      continue;
    }
    const wrong = mismatch(d, i);
    if (wrong) {
      out.push(fail('NodeIdentity', `${i.field} ${entry(i)}: expected the host at ${i.address} to be ${i.host}; found: ${wrong.found}`, wrong.writeInstead, i.host));
    } else {
      out.push(pass('NodeIdentity', `${i.host}: the host at ${i.address} is ${i.host} (${identityEvidence(i)})`, i.host));
    }
  }
  return out;
}
