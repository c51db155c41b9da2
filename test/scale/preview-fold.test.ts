/**
 * The preview folds host blocks that read exactly like an earlier one (5,000 workers' repoints), and never folds
 * away a worker whose actions differ in any character.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeFacts } from '../steps/facts-fixture.js';
import { planConversion } from '../../src/conversion/pipeline.js';
import { factsFingerprint } from '../../src/discovery/parse.js';
import { buildPreview } from '../../src/engine/preview/preview.js';
import { hostList, renderPreview, withoutName } from '../../src/reporters/preview-text.js';
import type { ClusterFacts } from '../../src/discovery/facts.js';

function previewText(facts: ClusterFacts): string {
  const plan = planConversion({ facts, fingerprint: factsFingerprint(facts), checks: [] });
  return renderPreview(buildPreview(plan, { files: new Map(), objects: new Map() }));
}

test('identical workers are folded into one line per batch, w1 shown in full with the count', () => {
  const text = previewText(makeFacts({ promote: 2, workers: 120 }));
  assert.match(text, /120 hosts × 4 actions, each like w1's \(the 119 others are folded below\): on w1:/);
  assert.match(text, /on w2…w51 \(50 hosts\): 4 actions each, like w1's in step \d+ \(w1's name put in\)/);
  assert.match(text, /on w102…w120 \(19 hosts\): 4 actions each, like w1's/);
  // No folded worker has its own block.
  for (const w of ['w2', 'w60', 'w120']) assert.doesNotMatch(text, new RegExp(`^  on ${w}:$`, 'm'));
  // The folded form is far shorter than one block per worker.
  assert.ok(text.split('\n').length < 1500, `${text.split('\n').length} lines`);
});

test('a worker whose kubelet.conf differs is shown in full, never folded away', () => {
  const facts = makeFacts({ promote: 2, workers: 60 });
  const key = 'w37:/etc/kubernetes/kubelet.conf';
  facts.kubeconfigTexts![key] = facts.kubeconfigTexts![key]!.replace('namespace: default', 'namespace: special');
  const text = previewText(facts);
  assert.match(text, /^  on w37:$/m, 'w37 has its own block');
  assert.match(text, /namespace: special/);
  // Its neighbours are still folded, around it.
  assert.match(text, /on w2…w36 \(35 hosts\)/);
  assert.match(text, /on w38…w51 \(14 hosts\)/);
});

test('a worker whose Node name differs (matched by address) is not folded into w1', () => {
  const facts = makeFacts({ promote: 2, workers: 10 });
  const w5 = facts.config.workers!.find((w) => w.name === 'w5')!;
  const node = facts.nodes.find((n) => n.internalIP === w5.address);
  assert.ok(node, 'fixture has a Node for w5');
  node.name = 'node-five.example';
  facts.nodes = [...facts.nodes];
  const text = previewText(facts);
  assert.match(text, /^  on w5:$/m);
  assert.match(text, /\/api\/v1\/nodes\/node-five\.example/);
});

test('host lists compress runs of numbers', () => {
  assert.equal(hostList(['w2', 'w3', 'w4', 'w9', 'w10', 'db', 'x01', 'x02']), 'w2…w4, w9, w10, db, x01, x02');
  assert.equal(hostList(['a']), 'a');
});

test('only whole host names are replaced when comparing blocks', () => {
  assert.equal(withoutName('w1 w10 w1-x w1.conf a.w1 w1: (w1)', 'w1'), '\u0000HOST\u0000 w10 w1-x \u0000HOST\u0000.conf a.w1 \u0000HOST\u0000: (\u0000HOST\u0000)');
});
