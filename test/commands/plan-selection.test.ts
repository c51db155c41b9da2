/**
 * `plan --only STEP` / `--skip STEP` through the built CLI: the help lists the steps in the order they run, and
 * an unknown name (or a selection for a saved plan) is bad input, exit 2, before any host is contacted.
 * What a selection leaves out is judged against the discovered cluster: test/steps/registry.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { STEPS } from '../../steps/index.js';
import { cliPath, fixtures, repoRoot } from '../config/paths.js';

const config = join(fixtures, 'good', 'minimal.yaml');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('plan --help lists every step in the order a conversion runs them', () => {
  const r = cli('plan', '--help');
  assert.equal(r.code, 0, r.stderr);
  const listed = [...r.stdout.matchAll(/^ {2}([a-z/-]+) {2,}/gm)].map((m) => m[1]);
  assert.deepEqual(listed, STEPS.map((s) => s.name));
  assert.match(r.stdout, /\[--only STEP,\.\.\.\] \[--skip STEP,\.\.\.\]/);
});

test('an unknown step name is bad input (exit 2) with the names there are, before any host is contacted', () => {
  for (const args of [
    ['--only', 'backup,bogus'],
    ['--skip', 'promote/kubelet', '--skip', 'nope'],
  ]) {
    const r = cli('plan', '-c', config, ...args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no step named "(bogus|nope)"\nsteps: backup, proxy, endpoint-cert, etcd-peer-url, promote, promote\/shared-pki/);
    assert.doesNotMatch(r.stderr, /Discovering/);
  }
});

test('apply refuses --only/--skip with a saved plan: the plan file is applied exactly or not at all', () => {
  const r = cli('apply', 'plan.json', '-c', config, '--skip', 'verify');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--skip cannot change a saved plan/);
});
