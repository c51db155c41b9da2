/**
 * audit: other references to the old master address, for the operator to repoint (no action). The analysis of
 * kube-system ConfigMaps (every data value, line by line) and DaemonSet and Deployment containers (env values,
 * args, command), e.g. Cilium's k8sServiceHost / KUBERNETES_SERVICE_HOST or a CNI kubeconfig, runs at
 * discovery (src/discovery/audit.ts) and lands in `facts.audit`. What the repoint steps change themselves is
 * not reported. Also lists nodes the config does not name as workers: their kubelet.conf cannot be repointed
 * over SSH. The plan output shows these as "references to the old address that ha-wizard does not change"
 * and apply prints them again when it is done.
 */
import type { ClusterFacts } from '../src/discovery/facts.js';
import { controlPlaneHosts, workerHosts } from '../src/proxy/endpoint.js';
import type { Finding } from '../src/discovery/audit.js';

export { auditOldMasterReferences, findOldMasterReferences, type AuditInput, type AuditResult, type Finding } from '../src/discovery/audit.js';

/** Nodes the cluster has that the wizard cannot reach: their kubelet keeps talking to the old master. */
export function unreachableNodes(facts: ClusterFacts): string[] {
  const known = new Set([...controlPlaneHosts(facts).map((h) => h.name), ...workerHosts(facts).map((w) => w.name)]);
  const knownIPs = new Set([...controlPlaneHosts(facts).map((h) => h.address), ...workerHosts(facts).map((w) => w.address)]);
  return facts.nodes.filter((n) => !known.has(n.name) && !(n.internalIP && knownIPs.has(n.internalIP))).map((n) => n.name);
}

/** Lines for the preview. */
export function describeFindings(findings: readonly Finding[], unreachable: readonly string[], masterAddress: string): string[] {
  const lines = findings.map((f) => `${f.object} ${f.field}: ${f.value} (refers to ${f.match}; repoint it to the endpoint yourself)`);
  for (const n of unreachable) lines.push(`Node ${n}: not in the config's workers, so its kubelet.conf keeps ${masterAddress}; add it to workers to repoint it`);
  return lines;
}

/** What the operator must still repoint after the conversion, as data: for `plan --json`, the wizard and apply's end. */
export interface OldAddressReport {
  /** The old master's API address, as clients name it today (`https://10.0.0.11:6443`). */
  oldAddress: string;
  findings: Finding[];
  /** Nodes whose kubelet.conf ha-wizard cannot repoint (not in the config's workers). */
  unreachableNodes: string[];
  /** What could not be read (the list is then incomplete). */
  notes: string[];
  /** Whether discovery looked at all (false for facts made without the audit). */
  audited: boolean;
}

export function oldAddressReport(facts: ClusterFacts): OldAddressReport {
  const a = facts.master.advertiseAddress;
  return {
    oldAddress: `https://${a.includes(':') ? `[${a}]` : a}:${facts.master.apiserverPort}`,
    findings: facts.audit?.findings ?? [],
    unreachableNodes: unreachableNodes(facts),
    notes: facts.audit?.notes ?? [],
    audited: facts.audit !== undefined,
  };
}

/** The report as text: a heading and one line per reference (empty when there is nothing to say). */
export function renderOldAddressReport(r: OldAddressReport): string {
  const lines = describeFindings(r.findings, r.unreachableNodes, r.oldAddress);
  const out: string[] = [];
  if (lines.length) {
    out.push(`References to the old address ${r.oldAddress} that ha-wizard does not change (${lines.length}); repoint them to the endpoint yourself:`);
    out.push(...lines.map((l) => `  - ${l}`));
  } else if (r.audited) {
    out.push(`References to the old address ${r.oldAddress} that ha-wizard does not change: none found in kube-system ConfigMaps, DaemonSets and Deployments.`);
  }
  if (r.notes.length) {
    out.push(`  The audit is incomplete (${r.notes.length} ${r.notes.length === 1 ? 'note' : 'notes'}):`);
    out.push(...r.notes.map((n) => `    ${n}`));
  }
  return out.join('\n');
}
