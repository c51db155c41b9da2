/**
 * Proof under fire, on one lab (cp1 → cp1..cp3, nginx on lb, two workers), three runs in a row:
 *  1. a saved plan whose facts changed is refused as stale; then an uninterrupted conversion (the
 *     reference), judged by openssl and etcdctl;
 *  2. rollback from the end of every step, newest first (`rollback --to STEP`), then all the way:
 *     files byte-identical, etcd membership, ConfigMaps, labels and taints as they were;
 *  3. the same conversion again, SIGKILLed after every few journal records (a chain: kill at n1,
 *     resume until killed at n2, …) until a resume finishes: the result means the same as the
 *     reference (non-random files byte for byte, keys and certificates by kind, subject, issuer, SANs).
 * Lab wall time ~4-5 min on 2 cores.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabState } from '../../lab/lab.js';
import {
  apiState,
  cleanupLabs,
  cli,
  describe as show,
  diffSnapshots,
  etcdHealthy,
  etcdMembers,
  faultLab,
  hostFile,
  kubeconfigServer,
  leaks,
  meaningSnapshot,
  onNode,
  onlySession,
  snapshot,
  type CliResult,
  type Member,
  type Snapshot,
} from './harness.js';
import type { Plan } from '../../src/engine/model/plan.js';

const work = mkdtempSync(join(tmpdir(), 'hawf-conv-'));
let s: LabState;
let config: string;
let s0: Snapshot;
let api0: Record<string, unknown>;
let members0: Member[];
let ref: { plan: Plan; session: string; files: Snapshot; meaning: Snapshot; api: Record<string, unknown> };
const outputs: CliResult[] = [];

async function run(stateDir: string, args: string[], killAfter?: number): Promise<CliResult> {
  const r = await cli(stateDir, [...args], killAfter === undefined ? {} : { killAfter });
  outputs.push(r);
  return r;
}

before(async () => {
  s = await faultLab('cv', { promote: 2, workers: 2, proxyHost: true });
  config = join(s.dir, 'cluster.yaml');
  s0 = snapshot(s);
  api0 = await apiState(s);
  members0 = await etcdMembers(s);
});

after(async () => {
  await cleanupLabs();
  rmSync(work, { recursive: true, force: true });
});

/** Step ids of the actions that write or remove each `node:path`. */
function writers(plan: Plan): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const a of plan.actions) {
    if (a.type !== 'write-file' && a.type !== 'remove-file') continue;
    const key = `${a.host}:${a.path}`;
    out.set(key, [...(out.get(key) ?? []), a.step]);
  }
  return out;
}

/** etcd members expected once the steps up to `upTo` (index) are kept. */
function expectedMemberNames(plan: Plan, upTo: number): string[] {
  const kept = plan.steps.slice(0, upTo + 1).map((x) => x.id);
  return ['cp1', ...['cp2', 'cp3'].filter((n) => kept.includes(`etcd-${n}`))].sort();
}

describe('full conversion: reference, rollback from every step, crash anywhere', () => {
  test('a stale saved plan is refused; an uninterrupted conversion: certificates verify, 3 voting etcd members, clients on the endpoint', async () => {
    const state = join(work, 'ref');
    // A saved plan whose facts changed before it is applied is refused as stale, and nothing changes.
    const stalePlan = join(work, 'stale-plan.json');
    const p0 = await run(join(work, 'stale'), ['plan', '-c', config, '--out', stalePlan]);
    assert.equal(p0.code, 0, show(p0));
    const touched = hostFile(s, 'w1:/etc/kubernetes/kubelet.conf');
    const original = readFileSync(touched);
    writeFileSync(touched, Buffer.concat([original, Buffer.from('# edited after planning\n')]));
    const stale = await run(join(work, 'stale'), ['apply', stalePlan, '-c', config]);
    writeFileSync(touched, original);
    assert.equal(stale.code, 2, show(stale));
    assert.match(stale.stderr, /stale/);
    assert.deepEqual(diffSnapshots(s0, snapshot(s)), [], 'a refused stale plan changes nothing');

    const planFile = join(work, 'plan.json');
    const p = await run(state, ['plan', '-c', config, '--out', planFile]);
    assert.equal(p.code, 0, show(p));
    const a = await run(state, ['apply', planFile, '-c', config]);
    assert.equal(a.code, 0, show(a));
    const sess = onlySession(state);

    const members = await etcdMembers(s);
    assert.deepEqual(members.map((m) => m.name), ['cp1', 'cp2', 'cp3']);
    assert.ok(members.every((m) => !m.isLearner), JSON.stringify(members));
    for (const node of ['cp1', 'cp2', 'cp3']) {
      assert.ok(await etcdHealthy(s, node), `etcd on ${node} healthy`);
      await onNode(
        s,
        node,
        'cd /etc/kubernetes/pki && openssl verify -CAfile ca.crt apiserver.crt apiserver-kubelet-client.crt && openssl verify -CAfile front-proxy-ca.crt front-proxy-client.crt && ' +
          'openssl verify -CAfile etcd/ca.crt etcd/server.crt etcd/peer.crt etcd/healthcheck-client.crt apiserver-etcd-client.crt',
      );
      const san = await onNode(s, node, 'openssl x509 -in /etc/kubernetes/pki/apiserver.crt -noout -ext subjectAltName');
      assert.match(san, new RegExp(`IP Address:${s.nodes.find((n) => n.name === 'lb')!.address.replace(/\./g, '\\.')}\\b`), `${node} apiserver SANs hold the endpoint`);
      for (const f of ['ca.key', 'sa.key', 'front-proxy-ca.key', 'etcd/ca.key']) {
        assert.equal(readFileSync(join(s.nodes.find((n) => n.name === node)!.hostDir, 'etc-kubernetes/pki', f), 'utf8'), readFileSync(join(s.nodes.find((n) => n.name === 'cp1')!.hostDir, 'etc-kubernetes/pki', f), 'utf8'), `${node} ${f} shared`);
      }
    }
    const endpoint = `https://${s.nodes.find((n) => n.name === 'lb')!.address}:6443`;
    for (const w of ['w1', 'w2']) assert.equal(kubeconfigServer(s, w, '/etc/kubernetes/kubelet.conf'), endpoint);
    const api = await apiState(s);
    assert.match(String((api['cm/kube-system/kube-proxy'] as Record<string, string>)['kubeconfig.conf']), new RegExp(endpoint.replace(/\./g, '\\.')));
    ref = { plan: sess.plan, session: sess.id, files: snapshot(s), meaning: meaningSnapshot(s, sess.id), api };

  });

  test('rollback from the end of every step restores files, etcd membership, ConfigMaps, labels and taints', async () => {
    assert.ok(ref, 'needs the reference conversion');
    const state = join(work, 'ref');
    const { plan } = ref;
    const w = writers(plan);
    // What a file holds right after a step, where the plan says so (literal content, or removal).
    const literal = new Map<string, string | null>();
    for (const a of plan.actions) {
      if (a.type === 'remove-file') literal.set(`${a.host}:${a.path}@${a.step}`, null);
      if (a.type === 'write-file') {
        if (a.content.type === 'literal') literal.set(`${a.host}:${a.path}@${a.step}`, `${a.mode.toString(8)}:${createHash('sha256').update(a.content.text).digest('hex')}`);
        else literal.delete(`${a.host}:${a.path}@${a.step}`);
      }
    }
    const problems: string[] = [];
    for (let k = plan.steps.length - 2; k >= -1; k--) {
      const to = k >= 0 ? plan.steps[k]!.id : undefined;
      const r = await run(state, ['rollback', ref.session, '--past-point-of-no-return', '--yes', ...(to ? ['--to', to] : [])]);
      assert.equal(r.code, 0, `rollback --to ${to ?? '(all)'}: ${show(r)}`);
      const kept = new Set(plan.steps.slice(0, k + 1).map((x) => x.id));
      const now = snapshot(s);
      if (k === -1) {
        assert.deepEqual(diffSnapshots(s0, now, ['original', 'rolled back']), [], 'full rollback: every file as it was');
        break;
      }
      for (const key of new Set([...s0.keys(), ...ref.files.keys()])) {
        const steps = w.get(key);
        if (!steps) continue; // changed only as a side effect of a command: judged after the full rollback
        const inKept = steps.filter((x) => kept.has(x));
        const mid = `${key}@${inKept.at(-1)}`;
        if (inKept.length > 0 && inKept.length < steps.length && !literal.has(mid)) continue; // generated content, rewritten by a later step
        const expected = inKept.length === 0 ? s0.get(key) : inKept.length === steps.length ? ref.files.get(key) : (literal.get(mid) ?? undefined);
        if (now.get(key) !== expected) problems.push(`--to ${to}: ${key} is ${now.get(key)?.slice(0, 20) ?? 'absent'}, expected ${expected?.slice(0, 20) ?? 'absent'}`);
      }
      const names = (await etcdMembers(s)).map((m) => m.name);
      assert.deepEqual(names, expectedMemberNames(plan, k), `etcd members after rollback --to ${to}`);
      assert.ok(await etcdHealthy(s), `master etcd healthy after rollback --to ${to}`);
    }
    assert.deepEqual(problems, []);
    assert.deepEqual(await etcdMembers(s), members0, 'etcd membership as before');
    assert.deepEqual(await apiState(s), api0, 'ConfigMaps, labels and taints as before');
  });

  test('crash anywhere: SIGKILL after every few journal records, resume, same result as the reference', async () => {
    assert.ok(ref, 'needs the reference conversion');
    const state = join(work, 'crash');
    const offsets = [5, 9, 3, 7, 1, 11, 4, 8, 2, 6];
    const points: Array<{ seq: number; action: string; step: string }> = [];
    let r = await run(state, ['apply', '-c', config, '--yes'], offsets[0]);
    let i = 0;
    let lockChecked = false;
    // The next kill: the offset in turn, but never past the 'started' record of the first action of a step no
    // crash has hit yet, so small steps cannot be jumped over. A resume writes 'begin', then redoes an action left
    // 'started' (started, done), then two records per action.
    const nextOffset = (plan: { actions: Array<{ id: string; step: string }> }, last: { action: string; type: string } | undefined): number => {
      const base = offsets[i % offsets.length]!;
      if (!last) return base;
      const hit = new Set(points.map((p) => p.step));
      const at = plan.actions.findIndex((a) => a.id === last.action);
      const first = plan.actions.findIndex((a, k) => k > at && !hit.has(a.step));
      if (at < 0 || first < 0) return base;
      const untilFirst = last.type === 'started' ? 2 * (first - at) + 2 : 2 * (first - at);
      return Math.max(1, Math.min(base, untilFirst));
    };
    /** The last record that names an action (a run killed right after its 'begin' names none). */
    const lastActionRecord = (recs: ReturnType<ReturnType<typeof onlySession>['journal']>) =>
      recs.findLast((x): x is typeof x & { action: string } => 'action' in x && typeof x.action === 'string');
    for (;;) {
      if (r.signal !== 'SIGKILL') break;
      const sess = onlySession(state);
      const recs = sess.journal();
      const last = recs.at(-1)!;
      const action = 'action' in last ? last.action : `(${last.type})`;
      const step = sess.plan.actions.find((a) => a.id === action)?.step ?? '-';
      points.push({ seq: last.seq, action, step });
      i++;
      assert.ok(i < 200, 'the chain does not end');
      if (last.type === 'end' && last.status === 'finished') {
        r = { code: 0, signal: null, stdout: '', stderr: '' }; // killed right after its last record
        break;
      }
      if (!lockChecked && i >= 10) {
        // A second run while one holds the lock is refused, and the first one is unharmed. The first is
        // paused (SIGSTOP) while it holds the lock, so it keeps its usual crash offset instead of running
        // long enough to skip whole steps of the chain; if it ends before its lock is seen, the next link tries again.
        const lockFile = join(state, 'locks', `${sess.plan.cluster}.json`);
        const first = run(state, ['resume', sess.id], nextOffset(sess.plan, lastActionRecord(recs)));
        let ended = false;
        void first.then(() => (ended = true));
        const holder = (): number => {
          try {
            const pid = (JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number }).pid;
            process.kill(pid, 0);
            return pid;
          } catch {
            return 0; // no lock yet, or the stale one the last killed run left
          }
        };
        let pid = 0;
        while (!ended && !(pid = holder())) await new Promise((res) => setTimeout(res, 10));
        let stopped = false;
        try {
          if (pid && !ended) {
            process.kill(pid, 'SIGSTOP');
            stopped = true;
          }
        } catch {
          // it ended between the two looks
        }
        if (stopped) {
          try {
            const second = await run(state, ['resume', sess.id], 1);
            assert.equal(second.code, 2, show(second));
            assert.match(second.stderr, /is locked/);
            lockChecked = true;
          } finally {
            process.kill(pid, 'SIGCONT');
          }
        }
        r = await first;
        continue;
      }
      r = await run(state, ['resume', sess.id], nextOffset(sess.plan, lastActionRecord(recs)));
    }
    assert.equal(r.code, 0, show(r));
    const sess = onlySession(state);
    process.stdout.write(`# crash points: ${points.length} (records ${points.map((p) => p.seq).join(',')}); journal ${sess.journal().length} records\n`);
    const stepsHit = new Set(points.map((p) => p.step));
    const missed = sess.plan.steps.map((x) => x.id).filter((x) => !stepsHit.has(x));
    assert.ok(points.length >= 40, `only ${points.length} crash points`);
    assert.deepEqual(missed, [], 'a crash inside every step');
    assert.ok(lockChecked, 'a concurrent second run was refused by the lock');

    const members = await etcdMembers(s);
    assert.deepEqual(members.map((m) => `${m.name}:${m.isLearner}`), ['cp1:false', 'cp2:false', 'cp3:false']);
    assert.deepEqual(diffSnapshots(ref.meaning, meaningSnapshot(s, sess.id), ['uninterrupted', 'crashed+resumed']), []);
    assert.deepEqual(await apiState(s), ref.api, 'ConfigMaps, labels and taints as after the uninterrupted run');
    for (const node of ['cp2', 'cp3']) await onNode(s, node, 'cd /etc/kubernetes/pki && openssl verify -CAfile ca.crt apiserver.crt && openssl verify -CAfile etcd/ca.crt etcd/server.crt etcd/peer.crt');
  });

  test('no private key block in any session file or output', () => {
    assert.deepEqual(leaks(work), []);
    for (const o of outputs) assert.doesNotMatch(o.stdout + o.stderr, /-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  });
});
