/** The master's customisations the plan carries to the new control-plane nodes, in one place (after the preview). */
import type { ClusterFacts } from '../discovery/facts.js';
import { carriedOverLines } from '../discovery/carry-over.js';
import { masterNode, nodesToPromote } from '../discovery/nodes.js';

export function carriedOverText(facts: ClusterFacts): string {
  const lines = carriedOverLines(facts.carriedFiles ?? [], masterNode(facts).host, nodesToPromote(facts).map((n) => n.host));
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** The same for --json: what is copied, with owner, mode and why; never a secret's bytes. */
export function carriedOverJson(facts: ClusterFacts): Array<{ path: string; mode: string; owner: string; sensitive: boolean; sha256: string; neededBy: string[] }> {
  return (facts.carriedFiles ?? []).map((f) => ({ path: f.path, mode: `0${f.mode.toString(8)}`, owner: `${f.uid}:${f.gid}`, sensitive: f.sensitive, sha256: f.sha256, neededBy: f.neededBy }));
}
