/**
 * Every screen rendered by ink (ink-testing-library) from the controller driven by keys, with a scripted
 * runtime replaying recorded engine events. Colour is off (the frames are plain text) and every frame is
 * asserted before unmount (under CI=true, lastFrame() after unmount is "\n").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from 'ink-testing-library';
import { stripVTControlCharacters as stripAnsi } from 'node:util';
import { App } from '../../src/ui/App.js';
import type { EngineEvent } from '../../src/engine/model/events.js';
import { WizardController } from '../../src/wizard/controller.js';
import { FAILED_APPLY, FULL_APPLY, RESUMED_APPLY, SESSION, STOPPED_APPLY } from './fixtures/events.js';
import { ScriptedRuntime, tick, until, type Script } from '../wizard/scripted-runtime.js';
import { REFERENCES } from './fixtures/plan.js';

const KEY = { enter: '\r', esc: '\u001b', down: '\u001b[B', up: '\u001b[A', ctrlC: '\u0003', backspace: '\u007f' };

function setup(script: Script, opts: { configPath?: string; rows?: number; columns?: number } = {}) {
  const runtime = new ScriptedRuntime(script);
  const controller = new WizardController(runtime, { configPath: opts.configPath ?? null, now: () => 0 });
  const ink = render(<App controller={controller} color={false} still size={{ columns: opts.columns ?? 80, rows: opts.rows ?? 24 }} />);
  controller.start();
  const frame = () => stripAnsi(ink.lastFrame() ?? '');
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      ink.stdin.write(k);
      await tick();
    }
  };
  const waitFor = (text: string | RegExp) => until(() => (typeof text === 'string' ? frame().includes(text) : text.test(frame())), `a frame showing ${String(text)}; last frame:\n${frame()}`);
  return { runtime, controller, ink, frame, press, waitFor };
}

/** The frame as one line: box borders and wrapping removed. */
const flat = (f: string) => f.replace(/[│╭╮╰╯─]/g, ' ').replace(/\s+/g, ' ');
const maxLineWidth = (f: string) => Math.max(...f.split('\n').map((l) => l.length));

test('welcome: load a missing file shows the error; the path can be retyped', async () => {
  const t = setup({});
  await t.waitFor('Load a config file');
  assert.match(t.frame(), /› Load a config file/);
  await t.press(KEY.enter, KEY.backspace, KEY.backspace, KEY.backspace, KEY.backspace, KEY.backspace, 'x', KEY.enter);
  await t.waitFor('cannot read config file clusterx: no such file');
  assert.match(t.frame(), /› clusterx/);
  t.ink.unmount();
});

test('full conversion through the keys: host key prompt, preflight, plan review, typed approval, execute, done', async () => {
  const t = setup({ hostKeyFor: 'cp2', apply: { events: FULL_APPLY, outcome: { status: 'finished' } } }, { configPath: 'cluster.yaml' });
  await t.waitFor('First contact with cp2');
  const connectFrame = t.frame();
  assert.match(flat(connectFrame), /It offers a ssh-ed25519 host key with fingerprint SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG/);
  assert.match(connectFrame, /\(y\/n\)/);
  await t.press('y');
  await t.waitFor('Preflight: 0 failed');
  const disc = t.frame();
  assert.match(disc, /Kubernetes 1\.31\.4, etcd 3\.5\.15/);
  assert.match(disc, /pass EtcdHealthy/);
  assert.equal(t.runtime.answers.hostKey, true);
  await t.press(KEY.enter);
  await t.waitFor('Plan ');
  const plan = t.frame();
  assert.match(plan, /backup +\[reversible\]/);
  assert.match(plan, /point of no easy return/);
  assert.match(plan, /etcd-cp2 +\[NO EASY RETURN\]/);
  assert.match(plan, /Plan: 1 file to write \(1 replace\), 5 commands, 0 object patches, 1 wait/);
  assert.ok(maxLineWidth(plan) <= 80, 'fits 80 columns');
  assert.ok(plan.split('\n').length <= 24, 'fits 24 rows');
  // Expand the endpoint certificate step: its manifest diff.
  await t.press(KEY.down, KEY.enter);
  await t.waitFor('Step 2/5 endpoint-cert');
  assert.match(t.frame(), /~ replace \/etc\/kubernetes\/manifests\/kube-apiserver\.yaml \(0600\)/);
  assert.match(t.frame(), /\+ {4}- --tls-cert-file=\/etc\/kubernetes\/pki\/apiserver\.crt/);
  await t.press(KEY.esc, 'a');
  await t.waitFor("Type 'demo' to apply it");
  await t.press('y', 'e', 's', KEY.enter);
  await t.waitFor("Only 'demo' will be accepted");
  await t.press('d', 'e', 'm', 'o', KEY.enter);
  await t.waitFor('Done: cluster demo is highly available');
  const done = t.frame();
  assert.match(done, /Session demo-20261122-100000-abcd: 7 change\(s\) made, 0 already in place\./);
  assert.match(done, /Verification: 1 of 1 checks passed · v: list them/);
  assert.match(done, /API endpoint: https:\/\/10\.200\.0\.5:6443/);
  assert.match(done, /Status: ha-wizard status demo-20261122-100000-abcd/);
  assert.ok(done.split('\n').length <= 24, `the done screen fits 24 rows:\n${done}`);
  await t.press('v');
  await t.waitFor('Verification of cluster demo: 1 of 1 checks passed');
  assert.match(t.frame(), /✓ cp1: the endpoint answers \/readyz/);
  await t.press(KEY.esc);
  await t.waitFor('Done: cluster demo is highly available');
  await t.press('q');
  const exit = await t.controller.exited;
  assert.equal(exit.code, 0);
  t.ink.unmount();
});

test('execute: the live area shows the step, hosts, a progress bar and output; finished steps above it', async () => {
  // Hold the run in the fleet step by stopping the replay half way (the failure fixture without its failure).
  const events = FAILED_APPLY.slice(0, -1);
  const t = setup({ apply: { events, outcome: { status: 'stopped', resumeCommand: `ha-wizard resume ${SESSION}` } } }, { configPath: 'cluster.yaml' });
  await t.waitFor('Preflight');
  await t.press(KEY.enter);
  await t.waitFor('Plan ');
  await t.press('a', 'd', 'e', 'm', 'o', KEY.enter);
  await t.waitFor('Stopped safely');
  // The execute frame just before the end is in the frame history.
  const exec = t.ink.frames.map((f) => stripAnsi(f)).filter((f) => f.includes('Applying session')).at(-1) ?? '';
  assert.match(exec, /✓ 3\/5 etcd-cp2 \[NO EASY RETURN\] 1\/1/);
  assert.match(exec, /▸ 4\/5 repoint-workers \[disruptive\] 1\/3/);
  assert.match(exec, /hosts: w1 ✓ {2}w2 …/);
  assert.match(exec, /\[#{8}-{16}\] 1\/3/);
  assert.match(exec, /… w2: restart kubelet on w2/);
  assert.ok(exec.split('\n').length < 24, 'the live area is shorter than the terminal');
  t.ink.unmount();
});

test('failure: what failed, where, the error, and the choices; roll back this step keeps the steps before', async () => {
  const t = setup(
    { apply: { events: FAILED_APPLY, outcome: { status: 'failed', error: 'w2 failed' } }, rollback: { events: [], outcome: { status: 'finished' } } },
    { configPath: 'cluster.yaml' },
  );
  await t.waitFor('Preflight');
  await t.press(KEY.enter);
  await t.waitFor('Plan ');
  await t.press('a', 'd', 'e', 'm', 'o', KEY.enter);
  await t.waitFor('failed on w2');
  const f = t.frame();
  assert.match(f, /✗ repoint-workers\/w2\/kubelet failed on w2 \(step 4\/5 repoint-workers\)/);
  assert.match(f, /Job for kubelet\.service failed/);
  assert.match(f, /› Retry/);
  assert.match(f, /Roll back this step/);
  assert.match(f, /Roll back everything/);
  assert.match(f, /Quit and resume later/);
  assert.doesNotMatch(f, /Skip/);
  await t.press(KEY.down, KEY.enter);
  // First what the rollback would undo (read, nothing changed), then the cluster's name typed: as careful as apply.
  await t.waitFor('What will be undone');
  assert.deepEqual(t.runtime.calls.slice(-1), [`preview-rollback ${SESSION} --to etcd-cp2`]);
  assert.match(flat(t.frame()), /roll back session demo-20261122-100000-abcd of cluster demo, keeping etcd-cp2 and the steps before it/);
  await t.press('a');
  await t.waitFor(/Type\s+'demo'\s+to\s+roll\s+back/);
  assert.match(flat(t.frame()), /This crosses the point of no easy return \(etcd member cp2 is removed\)/);
  await t.press('y', 'e', 's', KEY.enter);
  await t.waitFor("Only 'demo' will be accepted to roll back");
  assert.ok(!t.runtime.calls.some((c) => c.startsWith('rollback')), 'a wrong word starts nothing');
  await t.press('d', 'e', 'm', 'o', KEY.enter);
  await t.waitFor('Rollback complete');
  assert.deepEqual(t.runtime.calls.slice(-1), [`rollback ${SESSION} --to etcd-cp2 --past-point-of-no-return`]);
  t.ink.unmount();
});

test('the rollback review at 80x24 and 100x30: files with their diffs, the etcd member removed, the point of no easy return; Esc goes back', async () => {
  for (const [columns, rows] of [
    [80, 24],
    [100, 30],
  ] as const) {
    const t = setup({ sessions: [{ id: SESSION, cluster: 'demo', state: 'stopped', done: 7, total: 7, where: '' }], rollback: { events: [], outcome: { status: 'finished' } } }, { columns, rows });
    await t.waitFor('A conversion is in progress');
    await t.press(KEY.down, KEY.enter);
    await t.waitFor('What will be undone');
    const first = t.frame();
    assert.ok(first.split('\n').length <= rows, `fits ${rows} rows:\n${first}`);
    assert.ok(maxLineWidth(first) <= columns, `fits ${columns} columns`);
    // Page through the whole preview: every line is reachable.
    let all = first;
    for (let i = 0; i < 8; i++) {
      await t.press('\u001b[6~');
      all += `\n${t.frame()}`;
    }
    // Wrapped rows (indented under their line) read as one line again.
    const joined = all.replace(/\n {4,}/g, ' ');
    assert.match(joined, /~ restore \/etc\/kubernetes\/manifests\/kube-apiserver\.yaml from \/etc\/kubernetes\/tmp\/ha-wizard-backup-/);
    assert.match(all, /- +- --tls-cert-file=\/etc\/kubernetes\/pki\/apiserver\.crt/);
    assert.match(all, /✂ remove etcd member cp2 \(https:\/\/10\.200\.0\.12:2380\)/);
    assert.match(all, /This crosses the point of no easy return/);
    assert.match(all, /Rollback: 1 file restored, 5 undo commands, etcd member cp2 removed, 0 objects\s+restored\./);
    await t.press(KEY.esc);
    await t.waitFor('A conversion is in progress');
    assert.match(t.frame(), /› Roll it back/, 'Esc comes back to the choice made');
    assert.ok(!t.runtime.calls.some((c) => c.startsWith('rollback')), 'nothing rolled back');
    t.ink.unmount();
  }
});

/** FULL_APPLY up to the start of `action`, which then fails on cp1. */
function failingAt(action: string): EngineEvent[] {
  const at = FULL_APPLY.findIndex((e) => e.type === 'action-start' && e.action === action);
  assert.ok(at > 0, action);
  return [...FULL_APPLY.slice(0, at + 1), { type: 'action-failed', phase: 'apply', action, host: 'cp1', error: `cp1: ${action} failed` }];
}

test('failure of a wait: skip is offered and resumes with that action skipped; a failed write-file is not offered skip', async () => {
  const resumed: EngineEvent[] = [
    { type: 'step-start', phase: 'apply', step: 'verify', title: 'Verify', risk: 'read-only', index: 4, total: 5, actions: 1 },
    { type: 'action-skipped', phase: 'apply', action: 'verify/cp1/readyz', reason: 'skipped by the operator after it failed: cp1: verify/cp1/readyz failed' },
    { type: 'step-done', phase: 'apply', step: 'verify' },
    { type: 'finished', phase: 'apply', changed: 5, unchanged: 0 },
  ];
  const t = setup(
    { canSkip: true, apply: { events: failingAt('verify/cp1/readyz'), outcome: { status: 'failed', error: 'readyz failed' } }, resume: { events: resumed, outcome: { status: 'finished' } } },
    { configPath: 'cluster.yaml' },
  );
  await t.waitFor('Preflight');
  await t.press(KEY.enter);
  await t.waitFor('Plan ');
  await t.press('a', 'd', 'e', 'm', 'o', KEY.enter);
  await t.waitFor('failed on cp1');
  const f = t.frame();
  assert.match(f, /✗ verify\/cp1\/readyz failed on cp1/);
  assert.match(f, /Skip it \(read-only, changes nothing\) and continue/);
  await t.press(KEY.down, KEY.enter);
  await t.waitFor('Done, but 1 check(s) were skipped');
  assert.deepEqual(t.runtime.calls.slice(-1), [`resume ${SESSION} --skip verify/cp1/readyz`]);
  assert.match(t.frame(), /is not verified highly\s+available/);
  assert.match(t.frame(), /Verification: 0 of 1 checks passed, 1 skipped/);
  await t.press('v');
  await t.waitFor('Verification of cluster demo');
  assert.match(t.frame(), /– .*\(skipped, not checked\)/);
  t.ink.unmount();

  const w = setup({ canSkip: true, apply: { events: failingAt('endpoint-cert/cp1/manifest'), outcome: { status: 'failed', error: 'write failed' } } }, { configPath: 'cluster.yaml' });
  await w.waitFor('Preflight');
  await w.press(KEY.enter);
  await w.waitFor('Plan ');
  await w.press('a', 'd', 'e', 'm', 'o', KEY.enter);
  await w.waitFor('failed on cp1');
  assert.match(w.frame(), /✗ endpoint-cert\/cp1\/manifest failed on cp1/);
  assert.match(w.frame(), /› Retry/);
  assert.doesNotMatch(w.frame(), /Skip/);
  w.ink.unmount();
});

test('Ctrl-C during apply stops after the action and says how to resume; the next start offers to resume it', async () => {
  const t = setup({ apply: { events: [...STOPPED_APPLY.slice(0, -1), ...FULL_APPLY.slice(STOPPED_APPLY.length - 1)], outcome: { status: 'finished' } } }, { configPath: 'cluster.yaml' });
  await t.waitFor('Preflight');
  await t.press(KEY.enter);
  await t.waitFor('Plan ');
  await t.press('a', 'd', 'e', 'm', 'o');
  t.ink.stdin.write(KEY.enter);
  t.ink.stdin.write(KEY.ctrlC);
  await t.waitFor('Stopped safely.');
  assert.match(flat(t.frame()), /Continue with: ha-wizard resume demo-20261122-100000-abcd/);
  await t.press('q');
  assert.equal((await t.controller.exited).code, 3);
  t.ink.unmount();

  const again = setup({ sessions: [{ id: SESSION, cluster: 'demo', state: 'stopped', done: 2, total: 7, where: 'stopped in etcd-cp2' }], resume: { events: RESUMED_APPLY, outcome: { status: 'finished' } } });
  await again.waitFor('A conversion is in progress');
  assert.match(again.frame(), /Session demo-20261122-100000-abcd \(cluster demo\): stopped, 2\/7 actions done/);
  assert.doesNotMatch(again.frame(), /Load a config file/, 'the offer comes instead of the menu');
  await again.press(KEY.enter);
  await again.waitFor('Done:');
  // No config was loaded in this run: the cluster and endpoint come from the resumed session.
  assert.match(again.frame(), /Done: cluster demo is highly available/);
  assert.match(again.frame(), /API endpoint: https:\/\/10\.200\.0\.5:6443/);
  assert.match(flat(again.frame()), /admin\.conf on cp1 now points at the endpoint/);
  assert.deepEqual(again.runtime.calls, [`resume ${SESSION}`]);
  again.ink.unmount();
});

test('? shows every key binding; a sudo password is masked', async () => {
  const t = setup({ password: true }, { configPath: 'cluster.yaml' });
  await t.waitFor('needs the password of ops');
  await t.press('s', '3', 'c', 'r');
  assert.match(t.frame(), /› ••••/);
  assert.doesNotMatch(t.frame(), /s3cr/);
  await t.press('t', KEY.enter);
  await t.waitFor('Preflight');
  assert.equal(t.runtime.answers.password, 's3crt');
  await t.press('?');
  await t.waitFor('Keys on this screen (? or Esc to close)');
  // The keys of this screen (discovery), not of the others.
  assert.match(t.frame(), /r +retry/);
  assert.doesNotMatch(t.frame(), /approve|failover drill|search/);
  assert.ok(t.frame().split('\n').length <= 24, 'the help fits 24 rows');
  await t.press('?');
  await t.waitFor('Preflight');
  t.ink.unmount();
});

test('the form screen shows each field and its error as you type', async () => {
  const t = setup({});
  await t.waitFor('Load a config file');
  await t.press(KEY.down, KEY.enter);
  await t.waitFor('Cluster config, step by step');
  await t.press('P', 'r', 'o', 'd');
  await t.waitFor('✗ expected a cluster name of lowercase letters');
  assert.match(t.frame(), /› Cluster name +Prod/);
  assert.ok(t.frame().split('\n').length <= 24);
  t.ink.unmount();
});

test('plan review at 80x24: the old-address references (o lists them), d adds the failover drill, the done screen says what to repoint', async () => {
  const t = setup({ references: REFERENCES, apply: { events: FULL_APPLY, outcome: { status: 'finished' } } }, { configPath: 'cluster.yaml' });
  await t.waitFor('Preflight: 0 failed');
  await t.press(KEY.enter);
  await t.waitFor('Plan ');
  const plan = t.frame();
  assert.match(plan, /3 reference\(s\) to the old address that ha-wizard does not change: o to see them/);
  assert.match(plan, /Failover drill \(stop cp3's apiserver, check the endpoint\): off · d: add it/);
  assert.match(plan, /verify +\[read-only\]/, 'every step still shows');
  assert.ok(maxLineWidth(plan) <= 80, 'fits 80 columns');
  assert.ok(plan.split('\n').length <= 24, `fits 24 rows:\n${plan}`);
  await t.press('o');
  await t.waitFor('Repoint each to https://10.200.0.5:6443');
  const refs = t.frame();
  assert.match(refs, /Old address https:\/\/10\.200\.0\.11:6443: 3 reference\(s\) ha-wizard does not change/);
  assert.match(refs, /ConfigMap kube-system\/cilium-config\n +data\.k8s-service-host: 10\.200\.0\.11/);
  // A long field wraps (nothing cut): the whole path reads across the rows.
  assert.match(refs.replace(/\n {4}/g, ''), /DaemonSet kube-system\/cilium\s+spec\.template\.spec\.containers\[name=cilium-agent\]\.env\[name=KUBERNETES_SERVICE_HOST\]\.value: 10\.200\.0\.11/);
  assert.match(refs, /Node w9\n +\/etc\/kubernetes\/kubelet\.conf: not in the config's workers/);
  assert.ok(maxLineWidth(refs) <= 80);
  await t.press(KEY.esc);
  await t.waitFor('o to see them');
  await t.press('d');
  await t.waitFor('check the endpoint): on');
  assert.deepEqual(t.runtime.calls.filter((c) => c.startsWith('plan')), ['plan', 'plan drill=true']);
  const drilled = t.frame();
  assert.match(drilled, /› +6\. failover-drill +\[disruptive\]/);
  assert.match(drilled, /Failover drill added as the last step \(stops cp3's apiserver, then starts it\)/);
  assert.match(drilled, /Failover drill \(stop cp3's apiserver, check the endpoint\): on · d: remove it/);
  assert.ok(drilled.split('\n').length <= 24, `fits 24 rows:\n${drilled}`);
  await t.press('?');
  await t.waitFor('Keys on this screen (? or Esc to close)');
  assert.match(t.frame(), /\bd +add or remove the failover drill \(re-plans\)/);
  assert.match(t.frame(), /\bo +show or hide references to the old address/);
  assert.ok(t.frame().split('\n').length <= 24, 'the help fits 24 rows');
  await t.press('?', 'a');
  await t.waitFor("Type 'demo'");
  await t.press('d', 'e', 'm', 'o', KEY.enter);
  await t.waitFor('Done: cluster demo is highly available');
  const done = t.frame();
  assert.match(flat(done), /What to do next: repoint 3 reference\(s\) from https:\/\/10\.200\.0\.11:6443 to the endpoint · o: list them/);
  assert.ok(maxLineWidth(done) <= 80);
  assert.ok(done.split('\n').length <= 24, `fits 24 rows:\n${done}`);
  await t.press('o');
  await t.waitFor('Repoint these from https://10.200.0.11:6443');
  const list = t.frame();
  assert.match(list, /ConfigMap kube-system\/cilium-config\n +data\.k8s-service-host/);
  assert.match(list, /Node w9\n +\/etc\/kubernetes\/kubelet\.conf/);
  assert.ok(list.split('\n').length <= 24, `fits 24 rows:\n${list}`);
  t.ink.unmount();
});

test('a config with verify.failoverDrill plans the drill from the start; d removes it', async () => {
  const t = setup({ failoverDrill: true }, { configPath: 'cluster.yaml' });
  await t.waitFor('Preflight: 0 failed');
  await t.press(KEY.enter);
  await t.waitFor('check the endpoint): on');
  assert.match(t.frame(), /failover-drill +\[disruptive\]/);
  assert.doesNotMatch(t.frame(), /reference\(s\) to the old address/, 'no audit, no line');
  await t.press('d');
  await t.waitFor('check the endpoint): off');
  assert.doesNotMatch(t.frame(), /failover-drill +\[/);
  assert.deepEqual(t.runtime.calls.filter((c) => c.startsWith('plan')), ['plan', 'plan drill=false']);
  t.ink.unmount();
});

// Keep the process from waiting on a stray timer when a test fails half way.
test.after(async () => {
  await tick();
});
