/**
 * Cluster faults (cp1 → cp1..cp3, nginx on lb), one lab, three conversions each rolled back in full:
 *  - the master's apiserver does not come back after its certificate is re-issued (the new certificate is
 *    broken under the engine's feet): the step fails, rollback restores it from the backup, the apiserver serves;
 *  - the new etcd member never comes up after `member add` (port 2380 blocked on cp2): the run fails saying
 *    why, the master's etcd stays healthy throughout, and rolling back that step removes the learner;
 *  - the apiserver on the new node never becomes ready (its certificate broken): the control-plane step fails
 *    and rolls back cleanly.
 * Waits are capped at 25 s (HA_WIZARD_TEST_MAX_WAIT_MS) so "never" is short. Lab wall time ~3-4 min.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeExec, type LabState } from '../../lab/lab.js';
import { apiState, cleanupLabs, cli, describe as show, diffSnapshots, etcdHealthy, etcdMembers, faultLab, hostFile, kubectl, onlySession, snapshot, until, type CliResult, type Snapshot } from './harness.js';
import type { JournalRecord } from '../../src/engine/records/journal.js';

const work = mkdtempSync(join(tmpdir(), 'hawf-cl-'));
let s: LabState;
let s0: Snapshot;
let api0: Record<string, unknown>;
const env = { HA_WIZARD_TEST_MAX_WAIT_MS: '25000' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  s = await faultLab('cl', { promote: 2, workers: 0, proxyHost: true });
  s0 = snapshot(s);
  api0 = await apiState(s);
});
after(async () => {
  await cleanupLabs();
  rmSync(work, { recursive: true, force: true });
});

/**
 * Applies in a fresh state dir; when the journal first shows `done` for `trigger`, runs `fault`. Meanwhile
 * checks the master's etcd every second. Resolves with the run, the state dir and the health samples.
 */
async function applyWithFault(name: string, trigger: string, fault: () => Promise<void>): Promise<{ r: CliResult; state: string; unhealthy: number; samples: number }> {
  const state = join(work, name);
  const child = cli(state, ['apply', '-c', join(s.dir, 'cluster.yaml'), '--yes'], { env, timeoutMs: 300_000 });
  let ended = false;
  void child.then(() => (ended = true));
  let fired = false;
  let unhealthy = 0;
  let samples = 0;
  const health = (async () => {
    while (!ended) {
      samples++;
      if (!(await etcdHealthy(s))) unhealthy++;
      await sleep(1000);
    }
  })();
  while (!ended && !fired) {
    let recs: JournalRecord[] = [];
    try {
      recs = onlySession(state).journal();
    } catch {
      /* no session yet */
    }
    if (recs.some((x) => x.type === 'done' && x.action === trigger)) {
      await fault();
      fired = true;
    } else await sleep(20);
  }
  const r = await child;
  await health;
  assert.ok(fired, `${name}: the run ended before ${trigger}: ${show(r)}`);
  return { r, state, unhealthy, samples };
}

function lastFailure(state: string): Extract<JournalRecord, { type: 'failed' }> {
  const f = onlySession(state).journal().filter((x): x is Extract<JournalRecord, { type: 'failed' }> => x.type === 'failed').at(-1);
  assert.ok(f, 'a failed record');
  return f;
}

async function rollbackAll(state: string): Promise<void> {
  const rb = await cli(state, ['rollback', onlySession(state).id, '--past-point-of-no-return', '--yes'], { env, timeoutMs: 300_000 });
  assert.equal(rb.code, 0, show(rb));
  assert.deepEqual(diffSnapshots(s0, snapshot(s), ['original', 'rolled back']), []);
  assert.deepEqual((await etcdMembers(s)).map((m) => m.name), ['cp1']);
  await until('the master apiserver serves again', 60_000, async () => (await kubectl(s, ['get', 'nodes'])).includes('cp1'));
  assert.deepEqual(await apiState(s), api0);
}

const garbage = (node: string, path: string) => async () => writeFileSync(hostFile(s, `${node}:${path}`), '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');

describe('cluster faults', () => {
  test("the master's apiserver dies with a certificate it cannot load: the step fails, rollback restores it from the backup", async () => {
    // The running apiserver keeps serving the last certificate it could load, so a bad file alone harms
    // nothing until it restarts: the fault is a bad file and the apiserver's death, so it cannot come back.
    const crash = async () => {
      await garbage('cp1', '/etc/kubernetes/pki/apiserver.crt')();
      await nodeExec(s, 'cp1', ['pkill', '-KILL', '-x', 'kube-apiserver']);
    };
    const { r, state } = await applyWithFault('master-api', 'endpoint-cert/cp1/apiserver.crt', crash);
    assert.equal(r.code, 1, show(r));
    const f = lastFailure(state);
    assert.match(f.action, /^endpoint-cert\//);
    assert.match(r.stdout + r.stderr, /FAIL cp1/);
    await rollbackAll(state);
  });

  test('a new etcd member that never comes up: quorum holds, the operator is told why, the learner is removed', async () => {
    // Both directions: with only INPUT blocked, cp2's etcd still dials cp1:2380 itself and joins (seen on the lab).
    const rules = [
      ['INPUT', '-p', 'tcp', '--dport', '2380', '-j', 'DROP'],
      ['OUTPUT', '-p', 'tcp', '--dport', '2380', '-j', 'DROP'],
    ];
    for (const rule of rules) {
      const add = await nodeExec(s, 'cp2', ['iptables', '-I', ...rule]);
      assert.equal(add.code, 0, add.stderr);
    }
    try {
      const { r, state, unhealthy, samples } = await applyWithFault('etcd', 'etcd-cp2/cp1/member-add', async () => undefined);
      assert.equal(r.code, 1, show(r));
      const f = lastFailure(state);
      assert.equal(f.action, 'etcd-cp2/cp1/learner-started');
      assert.match(r.stdout + r.stderr, /learner cp2/);
      assert.ok(samples > 5);
      assert.equal(unhealthy, 0, `the master's etcd was unhealthy in ${unhealthy} of ${samples} checks`);
      // A learner that never started has no name yet: etcd knows it by its peer URL only.
      const cp2Peer = `https://${s.nodes.find((n) => n.name === 'cp2')!.address}:2380`;
      const learners = (await etcdMembers(s)).filter((m) => m.isLearner).map((m) => `${m.name || '(unstarted)'} ${m.peerURLs.join(',')}`);
      assert.deepEqual(learners, [`(unstarted) ${cp2Peer}`], 'the learner is still there, never started, before rollback');
      const rb = await cli(state, ['rollback', onlySession(state).id, '--to', 'shared-pki-cp2', '--yes'], { env, timeoutMs: 300_000 });
      assert.equal(rb.code, 0, show(rb));
      assert.deepEqual((await etcdMembers(s)).map((m) => m.name), ['cp1'], 'learner removed');
      assert.ok(await etcdHealthy(s));
      await rollbackAll(state);
    } finally {
      for (const rule of rules) await nodeExec(s, 'cp2', ['iptables', '-D', ...rule]);
    }
  });

  test('the apiserver on the new node never becomes ready: its step fails and rolls back cleanly', async () => {
    const { r, state } = await applyWithFault('new-api', 'control-plane-cp2/cp2/apiserver.crt', garbage('cp2', '/etc/kubernetes/pki/apiserver.crt'));
    assert.equal(r.code, 1, show(r));
    const f = lastFailure(state);
    assert.match(f.action, /^control-plane-cp2\//);
    const rb = await cli(state, ['rollback', onlySession(state).id, '--to', 'etcd-cp2', '--yes'], { env, timeoutMs: 300_000 });
    assert.equal(rb.code, 0, show(rb));
    for (const p of ['/etc/kubernetes/manifests/kube-apiserver.yaml', '/etc/kubernetes/pki/apiserver.crt', '/etc/kubernetes/admin.conf']) {
      assert.equal(snapshot(s).get(`cp2:${p}`), s0.get(`cp2:${p}`), `cp2:${p} as before the step`);
    }
    assert.deepEqual((await etcdMembers(s)).map((m) => `${m.name}:${m.isLearner}`), ['cp1:false', 'cp2:false'], 'etcd kept');
    await rollbackAll(state);
  });
});
