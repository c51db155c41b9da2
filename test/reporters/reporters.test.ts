import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plainReporter } from '../../src/reporters/plain.js';
import { jsonReporter, parseJsonLines } from '../../src/reporters/json.js';
import { asInvoked, invokedAs } from '../../src/reporters/invocation.js';
import { FAILED_APPLY, FULL_APPLY, STOPPED_APPLY } from '../ui/fixtures/events.js';
import { PLAN } from '../ui/fixtures/plan.js';

function capture(events: typeof FULL_APPLY, output = true): string[] {
  let text = '';
  let clock = 0;
  const sink = plainReporter({ write: (t) => (text += t), now: () => (clock += 250), output, command: 'ha-wizard' });
  for (const e of events) sink(e);
  return text.trimEnd().split('\n');
}

test('plain: a full apply prints one line per action with its host, a header per step, and the ending', () => {
  const lines = capture(FULL_APPLY, false);
  const actionLines = lines.filter((l) => /^ {2}(ok|skip|FAIL) /.test(l));
  assert.equal(actionLines.length, PLAN.actions.length);
  for (const a of PLAN.actions) {
    const host = a.type === 'wait' ? a.probe.host : a.host;
    const line = actionLines.find((l) => l.includes(`${a.id}:`));
    assert.ok(line, `a line for ${a.id}`);
    assert.match(line, new RegExp(`^  ok   ${host} +${a.id.replace(/\//g, '\\/')}: `));
    assert.match(line, /\(\d+\.\d s\)$/);
  }
  assert.equal(lines.filter((l) => l.startsWith('Step ')).length, PLAN.steps.length);
  assert.equal(lines[0], 'Step 1/5 backup: Back up etcd and /etc/kubernetes [reversible]');
  assert.equal(lines.at(-1), `Apply complete: ${PLAN.actions.length} changed, 0 already in place.`);
});

test('plain: command output is indented under the action; a failure names host and error', () => {
  const lines = capture(FAILED_APPLY);
  assert.ok(lines.some((l) => /^ +cp1 +\| etcdctl: ok$/.test(l)), lines.join('\n'));
  const fail = lines.find((l) => l.startsWith('  FAIL'));
  assert.ok(fail);
  assert.match(fail, /^ {2}FAIL w2 +repoint-workers\/w2\/kubelet: w2: `systemctl restart kubelet` exited with 1: Job for kubelet\.service failed/);
});

test('plain: output of actions running at once on several hosts is prefixed with each host', () => {
  let text = '';
  const sink = plainReporter({ write: (t) => (text += t), now: () => 0 });
  const start = (host: string) => sink({ type: 'action-start', phase: 'apply', step: 'repoint-workers', action: `repoint-workers/${host}/kubelet`, actionType: 'run', host, description: 'restart kubelet' });
  const out = (host: string, t: string) => sink({ type: 'action-output', phase: 'apply', action: `repoint-workers/${host}/kubelet`, text: t });
  start('w1');
  start('worker-long-name');
  out('w1', 'line a from w1');
  out('worker-long-name', 'line a from the long one\nline b from the long one');
  out('w1', 'line b from w1');
  const lines = text.trimEnd().split('\n');
  assert.deepEqual(lines, [
    '       w1                | line a from w1',
    '       worker-long-name  | line a from the long one',
    '       worker-long-name  | line b from the long one',
    '       w1                | line b from w1',
  ]);
});

test('plain: a stop says how to resume', () => {
  const lines = capture(STOPPED_APPLY);
  assert.equal(lines.at(-1), 'Stopped safely after the current action. Continue with: ha-wizard resume demo-20261122-100000-abcd');
});

test('plain: rolling back says so in the step header and marks each action undone', () => {
  let text = '';
  const sink = plainReporter({ write: (t) => (text += t), now: () => 0 });
  sink({ type: 'step-start', phase: 'rollback', step: 'proxy', title: 'L4 proxy on lb', risk: 'reversible', index: 1, total: 5, actions: 1 });
  sink({ type: 'action-start', phase: 'rollback', step: 'proxy', action: 'proxy/lb/config', actionType: 'write-file', host: 'lb', description: 'nginx.conf' });
  sink({ type: 'action-done', phase: 'rollback', action: 'proxy/lb/config', detail: 'restored the original' });
  sink({ type: 'finished', phase: 'rollback', changed: 1, unchanged: 0 });
  assert.deepEqual(text.trimEnd().split('\n'), [
    'Rolling back 2/5 proxy: L4 proxy on lb [reversible]',
    '  undo lb        proxy/lb/config: restored the original (0.0 s)',
    'Rollback complete: 1 changed, 0 already in place.',
  ]);
});

test('json: one JSON object per event, the event unchanged plus time', () => {
  let text = '';
  const sink = jsonReporter({ write: (t) => (text += t), now: () => new Date('2026-11-22T10:00:00Z') });
  for (const e of FULL_APPLY) sink(e);
  assert.equal(text.split('\n').filter(Boolean).length, FULL_APPLY.length);
  const back = parseJsonLines(text);
  assert.deepEqual(
    back.map(({ time: _t, ...e }) => e),
    FULL_APPLY,
  );
  assert.ok(back.every((l) => l.time === '2026-11-22T10:00:00.000Z'));
  assert.equal(back.at(-1)?.type, 'finished');
});

test('plain: the resume command is printed the way the operator runs ha-wizard', () => {
  let text = '';
  const sink = plainReporter({ write: (t) => (text += t), now: () => 0, command: 'npx ha-wizard' });
  sink({ type: 'stopped', phase: 'apply', hard: false, resumeCommand: 'ha-wizard resume s1' });
  assert.equal(text, 'Stopped safely after the current action. Continue with: npx ha-wizard resume s1\n');
});

test('invocation: npx, the bin link on PATH, a script path, and the form a parent passed down', () => {
  const base = { PATH: '/usr/local/bin:/usr/bin' };
  assert.equal(invokedAs(['node', '/usr/local/bin/ha-wizard'], base, '/home/op'), 'ha-wizard');
  assert.equal(invokedAs(['node', '/x/node_modules/.bin/ha-wizard'], { ...base, npm_command: 'exec' }, '/home/op'), 'npx ha-wizard');
  assert.equal(invokedAs(['node', '/repo/node_modules/.bin/ha-wizard'], base, '/repo'), 'node_modules/.bin/ha-wizard');
  assert.equal(invokedAs(['node', '/repo/dist/src/cli.js'], base, '/repo'), 'node dist/src/cli.js');
  assert.equal(invokedAs(['node', '/repo/dist/src/cli.js'], base, '/elsewhere'), 'node /repo/dist/src/cli.js');
  assert.equal(invokedAs(['node', '/repo/dist/src/cli.js'], { ...base, HA_WIZARD_INVOKED_AS: 'sudo npx ha-wizard' }, '/repo'), 'sudo npx ha-wizard');
  assert.equal(asInvoked('ha-wizard resume s1', 'npx ha-wizard'), 'npx ha-wizard resume s1');
  assert.equal(asInvoked('ha-wizardx resume', 'npx ha-wizard'), 'ha-wizardx resume', 'only the command word');
});
