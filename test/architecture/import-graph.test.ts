/**
 * The house rules hold for the repository, and the checker catches each kind of violation when one is
 * planted: in a small synthetic graph, and in the real graph with one file added.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { graphOf, readSources, repoRoot, violations, type Graph, type Violation } from './import-graph.js';

const rules = (v: Violation[]) => v.map((x) => `${x.rule}: ${x.from} -> ${x.to}`);

test('the repository follows the house rules: imports run downward, no circle, steps import the kit, nothing imports the tests', () => {
  const sources = readSources(repoRoot());
  assert.ok(sources.size > 150, `read the sources (${sources.size} files)`);
  const found = violations(graphOf(sources), sources);
  assert.deepEqual(rules(found), [], found.map((v) => `${v.from} → ${v.to}: ${v.why}`).join('\n'));
});

/** A small house where every rule holds: a model, a library, the kit, two steps and the registry, the engine, a command. */
function house(): Graph {
  return new Map<string, string[]>([
    ['src/exit-codes.ts', []],
    ['src/engine/model/plan.ts', ['../../exit-codes.js']],
    ['src/pki/hosts.ts', ['./ip.js']],
    ['src/pki/ip.ts', []],
    ['src/discovery/facts.ts', []],
    ['steps/kit/endpoint.ts', ['../../src/pki/hosts.js', '../../src/discovery/facts.js']],
    ['steps/proxy.ts', ['./kit/endpoint.js', '../src/engine/model/plan.js', 'yaml']],
    ['steps/verify.ts', ['./kit/endpoint.js']],
    ['steps/index.ts', ['./proxy.js', './verify.js']],
    ['src/engine/run/executor.ts', ['../model/plan.js']],
    ['src/commands/lab.ts', ['../../lab/lab.js', '../engine/run/executor.js', '../../steps/index.js']],
    ['lab/lab.ts', []],
    ['test/x.test.ts', ['../src/commands/lab.js', '../lab/lab.js']],
  ]);
}

function plant(from: string, ...imports: string[]): Violation[] {
  const g = house();
  g.set(from, [...(g.get(from) ?? []), ...imports]);
  return violations(g);
}

test('the synthetic house is clean', () => {
  assert.deepEqual(rules(violations(house())), []);
});

test('planted: a lower layer importing a higher one', () => {
  assert.deepEqual(rules(plant('src/discovery/facts.ts', '../engine/run/executor.js')), ['upward: src/discovery/facts.ts -> src/engine/run/executor.ts']);
  // Back into a file that imports it, an upward import is a circle too.
  assert.deepEqual(rules(plant('src/engine/model/plan.ts', '../run/executor.js')), ['upward: src/engine/model/plan.ts -> src/engine/run/executor.ts', 'circle: src/engine/model/plan.ts -> src/engine/run/executor.ts']);
  assert.deepEqual(rules(plant('steps/kit/endpoint.ts', '../../src/engine/run/executor.js')), ['upward: steps/kit/endpoint.ts -> src/engine/run/executor.ts']);
});

test('planted: product code importing the tests', () => {
  assert.deepEqual(rules(plant('src/engine/run/executor.ts', '../../../test/x.test.js')), ['test-import: src/engine/run/executor.ts -> test/x.test.ts']);
});

test('planted: a step importing another step, or reaching for SSH, files or the network', () => {
  assert.deepEqual(rules(plant('steps/verify.ts', './proxy.js')), ['step-to-step: steps/verify.ts -> steps/proxy.ts']);
  assert.deepEqual(rules(plant('steps/verify.ts', 'node:fs')), ['step-reaches-out: steps/verify.ts -> node:fs']);
  assert.deepEqual(rules(plant('steps/kit/endpoint.ts', 'ssh2')), ['step-reaches-out: steps/kit/endpoint.ts -> ssh2']);
});

test('planted: the lab imported from anywhere but its commands', () => {
  assert.deepEqual(rules(plant('src/engine/run/executor.ts', '../../../lab/lab.js')), ['lab-import: src/engine/run/executor.ts -> lab/lab.ts', 'upward: src/engine/run/executor.ts -> lab/lab.ts']);
});

test('planted: a circle, even a type-only one inside one layer', () => {
  assert.deepEqual(rules(plant('src/pki/ip.ts', './hosts.js')), ['circle: src/pki/hosts.ts -> src/pki/ip.ts']);
});

test('planted: the engine writing to stdout', () => {
  const g = house();
  const found = violations(g, new Map([['src/engine/run/executor.ts', "process.stderr.write('done\\n');"]]));
  assert.deepEqual(rules(found), ['engine-output: src/engine/run/executor.ts -> stdout/stderr']);
});

test('planted into the real repository: one upward import is caught', () => {
  const sources = readSources(repoRoot());
  sources.set('src/engine/model/planted.ts', "import { reduce } from '../../wizard/reducer.js';\nexport const x = reduce;\n");
  assert.deepEqual(rules(violations(graphOf(sources), sources)), ['upward: src/engine/model/planted.ts -> src/wizard/reducer.ts']);
});
