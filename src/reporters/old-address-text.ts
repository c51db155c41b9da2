/**
 * The old-address report (discovery/old-address.ts) as text: the references to the old master address that
 * ha-wizard does not change, each with what to do; what it repoints (the `repoint` offers chosen); what must follow
 * (Helm values). `plan` prints it after the preview, `apply` again at the end.
 */
import type { Finding } from '../discovery/facts.js';
import type { OldAddressReport } from '../discovery/old-address.js';

const WHERE = 'ConfigMaps, kubeconfig Secrets, DaemonSets, Deployments, StatefulSets and CronJobs of every namespace; kubeconfig files on the nodes; the apiserver flags';

/** One line per reference, with what to do about it. */
export function describeFindings(findings: readonly Finding[], unreachable: readonly string[], masterAddress: string): string[] {
  const lines = findings.map((f) => `${f.object} ${f.field}: ${f.value} (refers to ${f.match}; ${f.advice ?? 'repoint it to the endpoint yourself'})`);
  for (const n of unreachable) lines.push(`Node ${n}: not in the config's workers, so its kubelet.conf keeps ${masterAddress}; add it to workers to repoint it`);
  return lines;
}

/** The report as text: a heading and one line per reference (empty when there is nothing to say). */
export function renderOldAddressReport(r: OldAddressReport): string {
  const lines = describeFindings(r.findings, r.unreachableNodes, r.oldAddress);
  const out: string[] = [];
  if (lines.length) {
    out.push(`References to the old address ${r.oldAddress} that ha-wizard does not change (${lines.length}); what to do about each:`);
    out.push(...lines.map((l) => `  - ${l}`));
  } else if (r.audited) {
    out.push(`References to the old address ${r.oldAddress} that ha-wizard does not change: none found (${WHERE}).`);
  }
  const repointed = r.repointed ?? [];
  if (repointed.length) {
    const ids = (r.offers ?? []).filter((o) => o.chosen).map((o) => o.id);
    out.push(`References to the old address ${r.oldAddress} that ha-wizard repoints to the endpoint (repoint: ${ids.join(', ')}; ${repointed.length}):`);
    out.push(...repointed.map((f) => `  - ${f.object} ${f.field}: ${f.value}`));
  }
  if (r.followUps?.length) {
    out.push('References to the old address that must follow what ha-wizard repoints (ha-wizard does not run Helm):');
    out.push(...r.followUps.map((l) => `  - ${l}`));
  }
  if (r.notes.length) {
    out.push(`  The audit is incomplete (${r.notes.length} ${r.notes.length === 1 ? 'note' : 'notes'}):`);
    out.push(...r.notes.map((n) => `    ${n}`));
  }
  return out.join('\n');
}
