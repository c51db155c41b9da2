/**
 * The opt-in failover drill as data and as shell: planned only when asked (config or --failover-drill), each
 * check through the endpoint is one attempt, the stopped apiserver has a safety timer that restores it even
 * when a check fails, and the run proves it was still down when the checks ended. Also: the endpoint-cert
 * step's preview says the API is briefly unavailable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunAction, WaitAction } from '../../src/engine/model/actions.js';
import type { ClusterFacts } from '../../src/discovery/facts.js';
import { actionSchema } from '../../src/engine/model/schema.js';
import { buildPlan } from '../../src/engine/model/plan.js';
import { buildPreview } from '../../src/engine/preview/preview.js';
import { renderPreview } from '../../src/reporters/preview-text.js';
import { endpointCertStep } from '../../steps/endpoint-cert.js';
import { verifyStep } from '../../steps/verify.js';
import { DRILL_PARKED, failoverDrillChoice, failoverDrillStep } from '../../steps/failover-drill.js';
import { buildSteps } from '../../steps/index.js';
import { makeFacts } from './facts-fixture.js';

function facts(placement: 'dedicated' | 'per-node', workers = 3): ClusterFacts {
  const f = makeFacts({ promote: 2, workers, endpointHost: placement === 'dedicated' ? '10.200.0.5' : '127.0.0.1' });
  f.config.proxy = placement === 'dedicated' ? { kind: 'nginx', placement, host: { name: 'lb', address: '10.200.0.5' } } : { kind: 'haproxy', placement };
  return f;
}

const drillOf = (f: ClusterFacts, choice: true | string = true) => {
  const steps = [...verifyStep.build(f, { session: 's1' }), ...failoverDrillStep.build(f, { session: 's1', failoverDrill: choice })];
  assert.equal(steps.length, 2);
  return steps[1]!;
};

test('drill, dedicated proxy: stop with a safety timer, six one-attempt checks from the master, proof it was down, start, ready', () => {
  const drill = drillOf(facts('dedicated'));
  assert.equal(drill.id, 'failover-drill');
  assert.equal(drill.risk, 'disruptive');
  for (const a of drill.actions) assert.ok(actionSchema.safeParse(a).success, `${a.id} is a valid plan action`);
  const ids = drill.actions.map((a) => a.id.replace('failover-drill/', ''));
  assert.deepEqual(ids, [
    'cp3/stop-apiserver',
    'cp3/apiserver-stopped',
    ...[1, 2, 3, 4, 5, 6].map((i) => `cp1/endpoint-during-drill-${i}`),
    'cp3/still-stopped',
    'cp3/start-apiserver',
    'cp3/readyz-after-drill',
  ]);
  const stop = drill.actions[0] as RunAction;
  const start = drill.actions.at(-2) as RunAction;
  // The stop script is given the manifest, the drill's own parked path and the timer's seconds.
  assert.deepEqual(stop.argv.slice(4, 6), ['/etc/kubernetes/manifests/kube-apiserver.yaml', DRILL_PARKED]);
  const safetyS = Number(stop.argv[6]);
  assert.ok(safetyS >= 90 + 6 * 10, `the safety timer (${safetyS} s) outlasts the stop wait and every check`);
  // Rollback and start both restore the manifest and wait for the API: the drill never leaves it stopped.
  assert.deepEqual(stop.undo, start.argv);
  assert.equal(stop.pairedWith, start.id, 'a graceful Ctrl-C goes on through the start');
  assert.match(start.argv[2]!, /mv "\$2" "\$1"/);
  for (const w of drill.actions.filter((a) => a.id.includes('endpoint-during-drill')) as WaitAction[]) {
    assert.ok(w.timeoutMs < w.intervalMs, `${w.id}: exactly one attempt (the endpoint must answer every time, not eventually)`);
    assert.ok(w.probe.type === 'https' && w.probe.address === '10.200.0.5' && w.probe.port === 6443 && w.probe.serverName === '10.200.0.5');
    assert.match(w.description, /comes back by itself at most \d+ s after it was stopped/);
  }
  const still = drill.actions.at(-3) as WaitAction;
  assert.ok(still.probe.type === 'command' && still.probe.host === 'cp3' && still.probe.argv.includes(DRILL_PARKED));
});

test('drill, per-node proxies: the checks come from the workers through their local proxy', () => {
  const drill = drillOf(facts('per-node', 3), 'cp1');
  const checks = drill.actions.filter((a) => a.id.includes('endpoint-during-drill')) as WaitAction[];
  assert.equal(checks.length, 3 * 6);
  assert.deepEqual([...new Set(checks.map((c) => c.probe.host))], ['w1', 'w2', 'w3']);
  for (const c of checks) assert.ok(c.probe.type === 'https' && c.probe.address === '127.0.0.1' && c.probe.clientCertPath === '/var/lib/kubelet/pki/kubelet-client-current.pem');
  assert.equal(drill.actions[0]!.id, 'failover-drill/cp1/stop-apiserver');
});

test('the drill is opt-in: config verify.failoverDrill or the flag; the flag keeps the node the config names', () => {
  const f = facts('dedicated');
  assert.equal(failoverDrillChoice(f), false);
  assert.ok(!buildSteps(f, { session: 's1' }).some((s) => s.id === 'failover-drill'));
  assert.equal(failoverDrillChoice(f, { failoverDrill: true }), true);
  assert.equal(buildSteps(f, { session: 's1', failoverDrill: true }).at(-1)!.id, 'failover-drill');
  f.config.verify = { failoverDrill: 'cp2' };
  assert.equal(failoverDrillChoice(f), 'cp2');
  assert.equal(failoverDrillChoice(f, { failoverDrill: true }), 'cp2');
  const steps = buildSteps(f, { session: 's1' });
  assert.equal(steps.at(-1)!.actions[0]!.id, 'failover-drill/cp2/stop-apiserver');
  f.config.verify = { failoverDrill: false };
  assert.ok(!buildSteps(f, { session: 's1' }).some((s) => s.id === 'failover-drill'));
});

function runStop(stop: RunAction, manifest: string, parked: string, seconds: string) {
  return spawnSync('sh', ['-c', stop.argv[2]!, 'ha-wizard-drill-stop', manifest, parked, seconds], { encoding: 'utf8', timeout: 10_000 });
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what} did not happen within 20 s`);
}

test('the stop script, run: parks the manifest, and its detached safety timer puts it back by itself', async () => {
  const stop = drillOf(facts('dedicated')).actions[0] as RunAction;
  const dir = mkdtempSync(join(tmpdir(), 'haw-drill-'));
  try {
    const manifest = join(dir, 'kube-apiserver.yaml');
    const parked = join(dir, 'parked.yaml');
    writeFileSync(manifest, 'apiVersion: v1\nkind: Pod\n');
    const r = runStop(stop, manifest, parked, '1');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(existsSync(manifest), false, 'the manifest is parked when the command returns');
    assert.equal(readFileSync(parked, 'utf8'), 'apiVersion: v1\nkind: Pod\n');
    // Nobody moves it back: the timer does (as after a failed check that stopped the run).
    await until('the safety timer restoring the manifest', () => existsSync(manifest) && !existsSync(parked));
    assert.equal(readFileSync(manifest, 'utf8'), 'apiVersion: v1\nkind: Pod\n');

    // A parked manifest from an unfinished drill: refused, the running apiserver's manifest left in place.
    writeFileSync(parked, 'older\n');
    const again = runStop(stop, manifest, parked, '1');
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /an earlier drill did not finish/);
    assert.equal(readFileSync(manifest, 'utf8'), 'apiVersion: v1\nkind: Pod\n');
    rmSync(parked);
    // No manifest at all (not a static pod): refused before anything moves.
    rmSync(manifest);
    const none = runStop(stop, manifest, parked, '1');
    assert.notEqual(none.status, 0);
    assert.match(none.stderr, /is missing/);
    assert.equal(existsSync(parked), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('preview: the endpoint-cert step says the apiserver reloads its certificate, and when the API could still be briefly unavailable', () => {
  const f = facts('dedicated');
  const plan = buildPlan({ cluster: 'lab', factsFingerprint: 'f'.repeat(64), steps: endpointCertStep.build(f, { session: 's1' }) });
  const preview = buildPreview(plan, { files: new Map(), objects: new Map() });
  const step = preview.steps.find((s) => s.id === 'endpoint-cert')!;
  assert.equal(step.risk, 'disruptive');
  assert.match(step.description, /reloads it without a restart; only if it still serves the old one after 30 s is its static pod restarted \(the API is then briefly unavailable\)/);
  const text = renderPreview(preview);
  assert.match(text, /Step 1\/1 {2}endpoint-cert: .*\[disruptive\]\n {2}.*reloads it without a restart/);
  assert.match(text, /wait until the apiserver on cp1 serves the new certificate \(it reloads it from disk\); restart it only if it still serves the old one after 30 s/);
});
