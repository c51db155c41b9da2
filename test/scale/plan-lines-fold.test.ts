/**
 * The plan screen's lines (plan-lines.ts) fold host blocks that read exactly like an earlier one of the same step, as
 * the text preview does (host-fold.ts), and never fold away a worker whose actions differ in any character or the
 * block holding the point of no easy return.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeFacts } from '../steps/facts-fixture.js';
import { planConversion } from '../../src/conversion/pipeline.js';
import { factsFingerprint } from '../../src/discovery/parse.js';
import { buildPreview, type Preview, type PreviewEntry, type PreviewStep } from '../../src/engine/preview/preview.js';
import { searchSteps, stepDetailLines } from '../../src/reporters/plan-lines.js';
import type { ClusterFacts } from '../../src/discovery/facts.js';

function preview(facts: ClusterFacts): Preview {
  const plan = planConversion({ facts, fingerprint: factsFingerprint(facts), checks: [] });
  return buildPreview(plan, { files: new Map(), objects: new Map() });
}

const texts = (step: PreviewStep) => stepDetailLines(step).map((l) => l.text);
const stepNamed = (p: Preview, id: string) => p.steps.find((s) => s.id === id)!;

test('identical workers of a step fold into one example block and one range line', () => {
  const p = preview(makeFacts({ promote: 2, workers: 120 }));
  const batch = texts(stepNamed(p, 'repoint-workers-2'));
  assert.ok(batch.includes("50 hosts × 4 actions, each like w2's (the 49 others are folded below): on w2:"), batch.join('\n'));
  assert.ok(batch.some((l) => /^on w3…w51 \(49 hosts\): 4 actions each, like w2's in step \d+ \(w2's name put in\)$/.test(l)));
  for (const w of ['w3', 'w30', 'w51']) assert.ok(!batch.includes(`on ${w}:`), `${w} has no block of its own`);
  assert.ok(batch.some((l) => l.includes('/api/v1/nodes/w2 ')), "the example is w2's block in full");
  // The backup step: cp1 in full, one example for every other host's tarball, the rest one line.
  const backup = texts(stepNamed(p, 'backup'));
  assert.ok(backup.includes('on cp1:'));
  assert.ok(backup.some((l) => /^on cp3, w1…w120 \(121 hosts\): 1 action each, like cp2's in step 1 /.test(l)), backup.join('\n'));
  assert.ok(backup.length < 20, `${backup.length} lines`);
});

test('a worker whose kubelet.conf differs is shown in full, its neighbours still folded around it', () => {
  const facts = makeFacts({ promote: 2, workers: 60 });
  const key = 'w37:/etc/kubernetes/kubelet.conf';
  facts.kubeconfigTexts![key] = facts.kubeconfigTexts![key]!.replace('namespace: default', 'namespace: special');
  const lines = stepDetailLines(stepNamed(preview(facts), 'repoint-workers-2'));
  const at = lines.findIndex((l) => l.text === 'on w37:');
  assert.ok(at > 0, 'w37 has its own block');
  assert.equal(lines[at]!.bold, true);
  assert.ok(lines.slice(at).some((l) => l.text.includes('namespace: special')));
  const text = lines.map((l) => l.text);
  assert.ok(text.includes("49 hosts × 4 actions, each like w2's (the 48 others are folded below): on w2:"));
  assert.ok(text.some((l) => l.startsWith('on w3…w36 (34 hosts): 4 actions each')));
  assert.ok(text.some((l) => l.startsWith('on w38…w51 (14 hosts): 4 actions each')));
});

test('the block holding the point of no easy return is never folded, though it reads like the others', () => {
  const entry = (host: string): PreviewEntry => ({
    kind: 'run',
    action: `s/${host}/restart`,
    host,
    argv: ['systemctl', 'restart', 'kubelet'],
    undo: ['systemctl', 'restart', 'kubelet'],
    risk: 'disruptive',
    description: `restart kubelet on ${host}`,
  });
  const step: PreviewStep = { id: 's', title: 'S', description: '', risk: 'point-of-no-easy-return', index: 3, pointOfNoReturn: 's/w2/restart', entries: ['w1', 'w2', 'w3', 'w4'].map(entry) };
  const text = texts(step);
  assert.deepEqual(text.filter((l) => /^(on |\d+ hosts)/.test(l)), [
    "3 hosts × 1 action, each like w1's (the 2 others are folded below): on w1:",
    'on w2:',
    "on w3, w4 (2 hosts): 1 action each, like w1's in step 4 (w1's name put in)",
  ]);
  const mark = text.findIndex((l) => l.includes('!! POINT OF NO EASY RETURN'));
  assert.equal(text[mark - 1], 'on w2:', "the mark stands in w2's block, before its action");
  assert.equal(text[mark + 1], '  $ systemctl restart kubelet');
});

test('5,000 workers: every step a few screens, far from one block per worker; search still finds each batch', () => {
  const p = preview(makeFacts({ promote: 4, workers: 5000 }));
  const counts = p.steps.map((s) => ({ id: s.id, n: stepDetailLines(s).length }));
  const total = counts.reduce((a, c) => a + c.n, 0);
  // Unfolded: 183,032 lines, the backup step 25,030 and each batch of 50 workers 1,554. Folded: 6,244, of which each
  // batch is 36 (its first worker in full, one range line, cp1's health gate).
  assert.ok(total < 8000, `${total} lines in all`);
  for (const c of counts.filter((x) => x.id === 'backup' || x.id.startsWith('repoint-workers-'))) assert.ok(c.n < 60, `${c.id}: ${c.n} lines`);
  const batches = p.steps.filter((s) => s.id.startsWith('repoint-workers-')).map((s) => s.index);
  assert.equal(batches.length, 101);
  const hit = new Set(searchSteps(p.steps, 'kubelet.conf').map((h) => h.step));
  for (const b of batches) assert.ok(hit.has(b), `a match in step ${b + 1}`);
});
