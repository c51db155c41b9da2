/**
 * The old-address report (discovery/old-address.ts) as text: a heading and one line per reference to the
 * old master address that ha-wizard does not change. `plan` prints it after the preview, `apply` again at the end.
 */
import type { Finding } from '../discovery/facts.js';
import type { OldAddressReport } from '../discovery/old-address.js';

/** One line per reference, with what to do about it. */
export function describeFindings(findings: readonly Finding[], unreachable: readonly string[], masterAddress: string): string[] {
  const lines = findings.map((f) => `${f.object} ${f.field}: ${f.value} (refers to ${f.match}; repoint it to the endpoint yourself)`);
  for (const n of unreachable) lines.push(`Node ${n}: not in the config's workers, so its kubelet.conf keeps ${masterAddress}; add it to workers to repoint it`);
  return lines;
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
