/**
 * Network faults on every step of a conversion (cp1 → cp1..cp3, nginx on lb, one worker). ONE conversion is
 * interrupted in every step in turn: the fault goes in on the host the step touches, the run fails, the
 * fault is lifted, `resume` runs on until the next step's fault, and the last resume finishes. The three
 * kinds rotate over the steps (each at least five times):
 *   reset      the node's SSH packets answered with TCP resets (iptables REJECT tcp-reset in its netns)
 *   kill-sshd  the node's per-connection sshd processes SIGKILLed, again and again until lifted
 *   drop       the node's SSH packets dropped (iptables DROP): only keepalives notice
 * Each fault must end its run with exit 1 and an error naming the host and the action; the failure is in the
 * faulted step, on the faulted host; no file of the node is half-written (every planned target that changed
 * during the run holds a complete planned content with its planned mode, and a temp file a lost connection
 * left behind grants no more than its target); the master's etcd stays healthy. Then the converted cluster is
 * checked: 3 voting etcd members, certificates verify, shared keys byte-identical, clients on the endpoint,
 * backups readable, no private key on the workstation or in any output.
 *
 * Where a fault lands: the watcher tails the journal and, at the `started` record of the step's target action
 * (or any later action of that step on the same host), pauses the wizard (SIGSTOP), puts the fault in, and
 * lets it go on (SIGCONT): the action in flight meets the fault. A target is never an https wait (those turn
 * a lost connection into "not ready yet" and fail only at their deadline) and always has a later action on the
 * same host in its step, so even a fast action that finished first leaves the failure inside the step.
 * verify is read-only: its fault (on the master, in the etcd-health wait) must still fail clearly and resume
 * must finish verify. mark-control-plane and repoint-cluster act through the API tunnelled over the master's
 * SSH connection: the fault goes on the master. Lab wall time ~4 min on 2 cores (five drops wait out the
 * 15 s SSH keepalive each).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { nodeExec, type LabState } from '../../lab/lab.js';
import {
  cleanupLabs,
  cli,
  describe as show,
  etcdHealthy,
  etcdMembers,
  faultLab,
  hostFile,
  kubeconfigServer,
  kubectl,
  leaks,
  onNode,
  onlySession,
  sessionDirs,
  snapshot,
  type CliResult,
  type Snapshot,
} from './harness.js';
import type { JournalRecord } from '../../src/engine/records/journal.js';
import type { Plan } from '../../src/engine/model/plan.js';
import { actionHost, type Action, type WriteFileAction } from '../../src/engine/model/actions.js';

type Fault = 'reset' | 'kill-sshd' | 'drop';
const KINDS: Fault[] = ['reset', 'kill-sshd', 'drop'];

const work = mkdtempSync(join(tmpdir(), 'hawf-net-'));
const state = join(work, 'state');
let s: LabState;

before(async () => {
  s = await faultLab('nw', { promote: 2, workers: 1, proxyHost: true });
});
after(async () => {
  await cleanupLabs();
  rmSync(work, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function planOf(): Plan | null {
  try {
    return onlySession(state).plan;
  } catch {
    return null;
  }
}

/** Reads the session journal incrementally (complete lines only), from wherever it stood when made. */
class JournalTail {
  private offset = 0;
  private partial = '';
  readonly records: JournalRecord[] = [];
  private file(): string | null {
    const dirs = sessionDirs(state);
    return dirs.length === 1 ? join(dirs[0]!, 'journal.jsonl') : null;
  }
  constructor() {
    const f = this.file();
    if (f && existsSync(f)) this.offset = statSync(f).size;
  }
  /** New complete records since the last call. */
  poll(): JournalRecord[] {
    const f = this.file();
    if (!f || !existsSync(f)) return [];
    const size = statSync(f).size;
    if (size <= this.offset) return [];
    const buf = Buffer.alloc(size - this.offset);
    const fd = openSync(f, 'r');
    try {
      readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    const lines = (this.partial + buf.toString('utf8')).split('\n');
    this.partial = lines.pop()!;
    const fresh = lines.filter(Boolean).map((l) => JSON.parse(l) as JournalRecord);
    this.records.push(...fresh);
    return fresh;
  }
}

/** Puts `fault` on `node`; resolves once it is in effect, with the function that lifts it. */
async function inject(node: string, fault: Fault): Promise<() => Promise<void>> {
  const ipt = async (op: '-I' | '-D', rule: string[]) => {
    const r = await nodeExec(s, node, ['iptables', op, 'INPUT', ...rule]);
    assert.equal(r.code, 0, `iptables ${op} on ${node}: ${r.stderr}`);
  };
  if (fault === 'drop' || fault === 'reset') {
    const rule = ['-p', 'tcp', '--dport', '22', '-j', ...(fault === 'drop' ? ['DROP'] : ['REJECT', '--reject-with', 'tcp-reset'])];
    await ipt('-I', rule);
    return () => ipt('-D', rule);
  }
  // kill-sshd: the per-connection sshd processes (children of the node's PID 1, its listening sshd), once
  // before the wizard goes on and then again and again until lifted, so a reconnect dies too.
  const killAll = () => nodeExec(s, node, ['sh', '-c', 'for p in $(pgrep -P 1 -x sshd); do kill -9 "$p"; done']).catch(() => undefined);
  await killAll();
  let on = true;
  const loop = (async () => {
    while (on) {
      await sleep(150);
      if (on) await killAll();
    }
  })();
  return async () => {
    on = false;
    await loop;
  };
}

function isHttpsWait(a: Action): boolean {
  return a.type === 'wait' && a.probe.type === 'https';
}

/**
 * The action of `step` whose start puts the fault in: not an https wait, with a later non-https action on the
 * same host in the step (a spill-over stays in the step); non-waits first; `host` when given.
 */
function targetOf(plan: Plan, step: string, host?: string): Action {
  const acts = plan.actions.filter((a) => a.step === step && !isHttpsWait(a));
  const laterOnHost = (i: number) => acts.slice(i + 1).some((b) => actionHost(b) === actionHost(acts[i]!));
  const ranked = acts
    .map((a, i) => ({ a, i, score: (laterOnHost(i) ? 0 : 2) + (a.type === 'wait' ? 1 : 0) + (host && actionHost(a) !== host ? 4 : 0) }))
    .sort((x, y) => x.score - y.score || x.i - y.i);
  assert.ok(ranked.length > 0, `step ${step} has an action a network fault can reach quickly`);
  return ranked[0]!.a;
}

/** Steps where the fault goes on another host than the default choice: the master's side of joining etcd. */
const PREFER: Record<string, string> = { 'etcd-cp3': 'cp1' };

/** The last records of the session's journal, one line each (the journal holds no secret): for failure messages. */
function journalNote(n = 16): string {
  try {
    return onlySession(state)
      .journal()
      .slice(-n)
      .map((x) => `  ${JSON.stringify(x).slice(0, 300)}`)
      .join('\n');
  } catch {
    return '  (no journal)';
  }
}

interface Hit {
  step: string;
  fault: Fault;
  node: string;
  trigger: string;
  failed: string;
  error: string;
}

/**
 * Runs `args` with the engine's pause hook: right after the `started` record of `target` (or of a later action
 * of its step on its host) is on disk, the wizard stops itself (SIGSTOP); the fault goes in on the target's host
 * and the wizard goes on (SIGCONT), so the fault meets that very action however fast the run is. Resolves once
 * the run ended; the fault is still on (the caller lifts it after checking).
 */
async function runWithFault(args: string[], plan: Plan, target: Action, fault: Fault): Promise<{ r: CliResult; lift: (() => Promise<void>) | null; trigger: string; records: JournalRecord[] }> {
  const node = actionHost(target);
  const acts = plan.actions.filter((a) => a.step === target.step);
  const eligible = new Set(acts.slice(acts.findIndex((a) => a.id === target.id)).filter((a) => actionHost(a) === node).map((a) => a.id));
  const tail = new JournalTail();
  const child = cli(state, args, { timeoutMs: 300_000, env: { HA_WIZARD_TEST_PAUSE_AT: [...eligible].join(',') } });
  let ended = false;
  void child.then(() => (ended = true));
  let lift: (() => Promise<void>) | null = null;
  let trigger = '';
  let pid = 0;
  while (!ended && !lift) {
    for (const rec of tail.poll()) {
      if (rec.type === 'begin') pid = rec.pid;
      if (rec.type === 'started' && rec.phase === 'apply' && eligible.has(rec.action)) trigger = rec.action;
    }
    if (trigger && pid && stopped(pid)) {
      try {
        lift = await inject(node, fault);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
    }
    if (!lift) await sleep(5);
  }
  const r = await child;
  tail.poll();
  return { r, lift, trigger, records: tail.records };
}

/** Whether the process is stopped (state T in /proc/PID/stat). */
function stopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'T';
  } catch {
    return false;
  }
}

/** The written bytes are a whole planned content of `a` (not a prefix, not another file). */
function complete(a: WriteFileAction, bytes: Buffer): boolean {
  const sum = createHash('sha256').update(bytes).digest('hex');
  const c = a.content;
  try {
    switch (c.type) {
      case 'literal':
        return sum === createHash('sha256').update(c.text).digest('hex');
      case 'copy':
        return sum === c.sha256;
      case 'private-key':
        createPrivateKey(bytes);
        return true;
      case 'certificate':
        return new X509Certificate(bytes).subject.includes(c.spec.subject.commonName);
      case 'kubeconfig':
      case 'kubeconfig-server': {
        const k = parse(bytes.toString('utf8')) as { clusters: Array<{ cluster: { server: string } }>; users: Array<{ user: Record<string, string> }> };
        if (!k.clusters.some((x) => x.cluster.server === c.server)) return false;
        const user = k.users[0]?.user ?? {};
        if (user['client-key-data']) createPrivateKey(Buffer.from(user['client-key-data'], 'base64'));
        if (user['client-certificate-data']) new X509Certificate(Buffer.from(user['client-certificate-data'], 'base64'));
        return c.type === 'kubeconfig-server' || Boolean(user['client-key-data'] && user['client-certificate-data']);
      }
    }
  } catch {
    return false;
  }
}

/**
 * Every planned target on `node` that changed during the run (against `before`) holds a complete planned
 * content with its planned mode; nothing planned vanished; a temp file left behind grants no more than its
 * target. Returns the problems and the temp files found.
 */
function halfWritten(plan: Plan, node: string, before: Snapshot): { problems: string[]; temps: string[] } {
  const problems: string[] = [];
  const temps: string[] = [];
  const writes = plan.actions.filter((a): a is WriteFileAction => a.type === 'write-file' && a.host === node && /^\/(etc|var\/lib)\/[^/]+\//.test(a.path));
  const dirs = new Map<string, string>();
  for (const path of new Set(writes.map((a) => a.path))) {
    const key = `${node}:${path}`;
    const file = hostFile(s, key);
    dirs.set(dirname(file), dirname(path));
    const was = before.get(key);
    if (!existsSync(file)) {
      if (was) problems.push(`${key} vanished`);
      continue;
    }
    const bytes = readFileSync(file);
    const mode = statSync(file).mode & 0o7777;
    if (was === `${mode.toString(8)}:${createHash('sha256').update(bytes).digest('hex')}`) continue;
    const writers = writes.filter((a) => a.path === path);
    if (!writers.some((a) => a.mode === mode && complete(a, bytes))) {
      problems.push(`${key} (mode ${mode.toString(8)}, ${bytes.length} bytes) changed during the run but is no complete planned content (${writers.map((a) => a.id).join(', ')})`);
    }
  }
  for (const [dir, remoteDir] of dirs) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      const m = /^\.(.+)\.ha-wizard-tmp-[0-9a-f]+$/.exec(f);
      if (!m) continue;
      temps.push(`${node}:${remoteDir}/${f}`);
      const target = writes.find((x) => x.path === `${remoteDir}/${m[1]}`);
      const allowed = target ? target.mode : 0o600;
      const mode = statSync(join(dir, f)).mode & 0o777;
      if (mode & ~allowed) problems.push(`${node}:${remoteDir}/${f}: temp file left with mode ${mode.toString(8)}, more than its target's ${allowed.toString(8)}`);
    }
  }
  return { problems, temps };
}

describe('network faults on every step of a 1 → 3 conversion', () => {
  test('a fault in each step fails the run naming host and action, leaves nothing half-written, and resume finishes once it is lifted', async () => {
    const outputs: CliResult[] = [];
    const hits: Hit[] = [];
    const temps = new Set<string>();
    let plan: Plan | null = null;
    let i = 0;
    // The step list comes from the plan, which exists only once the first run made it: the first target is
    // the first step's (backup), chosen from a plan made by `plan` beforehand.
    const first = await cli(join(work, 'preview'), ['plan', '-c', join(s.dir, 'cluster.yaml'), '--out', join(work, 'plan.json')]);
    outputs.push(first);
    assert.equal(first.code, 0, show(first));
    const preview = JSON.parse(readFileSync(join(work, 'plan.json'), 'utf8')) as Plan;
    const steps = preview.steps.map((x) => x.id);
    for (const step of steps) {
      const fault = KINDS[i++ % KINDS.length]!;
      const target = targetOf(plan ?? preview, step, PREFER[step]);
      const node = actionHost(target);
      const args = plan ? ['resume', onlySession(state).id] : ['apply', '-c', join(s.dir, 'cluster.yaml'), '--yes'];
      const before = snapshot(s, (n) => n === node);
      const { r, lift, trigger, records } = await runWithFault(args, plan ?? preview, target, fault);
      outputs.push(r);
      try {
        plan = planOf();
        assert.ok(plan, `a session exists after the run for ${step}: ${show(r)}`);
        assert.ok(lift, `${fault} for ${step}: the run ended before ${target.id} (or a later action of ${step} on ${node}) started: ${show(r)}\n--- journal (tail)\n${journalNote()}`);
        assert.deepEqual(
          plan.steps.map((x) => x.id),
          steps,
          'the session plan has the steps of the preview',
        );
        const failures = records.filter((x): x is Extract<JournalRecord, { type: 'failed' }> => x.type === 'failed' && x.phase === 'apply');
        assert.equal(r.code, 1, `${fault} on ${node} in ${step}: ${show(r)}\n--- journal (tail)\n${journalNote()}`);
        assert.ok(failures.length > 0, `${fault} on ${node} in ${step}: a failed record in this run`);
        for (const f of failures) {
          const a: Action = plan.actions.find((x) => x.id === f.action)!;
          assert.equal(actionHost(a), node, `${fault} on ${node} in ${step}: ${f.action} failed on another host: ${f.error}`);
          assert.equal(a.step, step, `${fault} on ${node} in ${step}: the failure ${f.action} is outside the faulted step`);
        }
        const failed = failures[0]!;
        const at = plan.actions.findIndex((a) => a.id === failed.action);
        assert.ok(at >= plan.actions.findIndex((a) => a.id === trigger), `${fault} on ${node}: the failure ${failed.action} comes before ${trigger}, which put the fault in`);
        // The operator sees which host and which action: on one line of the output.
        const lines = (r.stdout + r.stderr).split('\n');
        assert.ok(
          lines.some((l) => l.includes(node) && l.includes(failed.action)),
          `${fault}: no output line names both ${node} and ${failed.action}:\n${(r.stdout + r.stderr).slice(-2000)}`,
        );
        hits.push({ step, fault, node, trigger, failed: failed.action, error: failed.error.split('\n')[0]!.slice(0, 220) });
        process.stdout.write(`# ${step}: ${fault} on ${node}, ${trigger} -> ${failed.action}: ${hits.at(-1)!.error}\n`);
        const hw = halfWritten(plan, node, before);
        for (const t of hw.temps) temps.add(t);
        assert.deepEqual(hw.problems, [], `${fault} on ${node} in ${step}: nothing half-written`);
        assert.ok(await etcdHealthy(s), `master etcd healthy after ${fault} on ${node} in ${step}`);
      } finally {
        if (lift) await lift();
      }
    }
    const last = await cli(state, ['resume', onlySession(state).id], { timeoutMs: 300_000 });
    outputs.push(last);
    process.stdout.write(`# temp files left by lost connections: ${temps.size ? [...temps].join(', ') : 'none'}\n`);
    assert.equal(last.code, 0, `${show(last)}\n--- journal (tail)\n${journalNote()}`);
    // Redoing a write clears what its lost attempts left beside the target (private keys among them).
    const planned = new Set((plan?.actions ?? []).filter((a) => a.type === 'write-file').map((a) => `${a.host}:${a.path}`));
    const stale = [...temps].filter((t) => planned.has(t.replace(/\/\.([^/]+)\.ha-wizard-tmp-[0-9a-f]+$/, '/$1')) && existsSync(hostFile(s, t)));
    assert.deepEqual(stale, [], 'temp files of redone writes still on the nodes after the last resume');

    // Every step got a fault that failed inside it; every kind was used at least five times.
    assert.deepEqual(
      steps.filter((st) => !hits.some((h) => h.step === st)),
      [],
      'steps without a fault',
    );
    for (const k of KINDS) assert.ok(hits.filter((h) => h.fault === k).length >= 5, `${k}: ${hits.filter((h) => h.fault === k).length} faults`);

    // The cluster is converted.
    const members = await etcdMembers(s);
    assert.deepEqual(
      members.map((m) => `${m.name}:${m.isLearner}`),
      ['cp1:false', 'cp2:false', 'cp3:false'],
    );
    for (const node of ['cp1', 'cp2', 'cp3']) {
      await onNode(
        s,
        node,
        'cd /etc/kubernetes/pki && openssl verify -CAfile ca.crt apiserver.crt apiserver-kubelet-client.crt && openssl verify -CAfile front-proxy-ca.crt front-proxy-client.crt && ' +
          'openssl verify -CAfile etcd/ca.crt etcd/server.crt etcd/peer.crt etcd/healthcheck-client.crt apiserver-etcd-client.crt',
      );
      assert.match(await kubectl(s, ['get', 'nodes', '-o', 'name'], node), /node\/cp3/, `kubectl with ${node}'s admin.conf`);
    }
    const files = snapshot(s, (_n, p) => /^\/etc\/kubernetes\/pki\/(ca|front-proxy-ca|etcd\/ca)\.(crt|key)$|^\/etc\/kubernetes\/pki\/sa\.(key|pub)$/.test(p));
    const bytesOf = (key: string) => files.get(key)?.replace(/^\d+:/, ''); // the hash; modes are the plan's business
    for (const p of ['ca.crt', 'ca.key', 'sa.key', 'sa.pub', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key']) {
      const key = `/etc/kubernetes/pki/${p}`;
      assert.ok(bytesOf(`cp1:${key}`), `cp1:${key} exists`);
      assert.equal(bytesOf(`cp2:${key}`), bytesOf(`cp1:${key}`), `cp2:${key} byte-identical to cp1's`);
      assert.equal(bytesOf(`cp3:${key}`), bytesOf(`cp1:${key}`), `cp3:${key} byte-identical to cp1's`);
    }
    const plannedServer = (id: string) => {
      const a = plan!.actions.find((x) => x.id === id);
      assert.ok(a?.type === 'write-file', `${id} in the plan`);
      const c = a.content;
      if (c.type === 'kubeconfig-server' || c.type === 'kubeconfig') return c.server;
      assert.ok(c.type === 'literal', `${id}: a kubeconfig`);
      return (parse(c.text) as { clusters: Array<{ cluster: { server: string } }> }).clusters[0]!.cluster.server;
    };
    assert.equal(kubeconfigServer(s, 'w1', '/etc/kubernetes/kubelet.conf'), plannedServer('repoint-workers-1/w1/kubelet.conf'), "w1's kubelet on the endpoint");
    assert.equal(kubeconfigServer(s, 'cp1', '/etc/kubernetes/admin.conf'), plannedServer('repoint-cluster/cp1/admin.conf'), "cp1's admin.conf on the endpoint");
    // The backups the faulted backup step made are whole: every tarball lists, the etcd snapshot is a snapshot.
    for (const a of plan!.actions) {
      if (a.step !== 'backup' || a.type !== 'run' || a.probe?.type !== 'file' || !a.probe.path.endsWith('.tar.gz')) continue;
      await onNode(s, a.host, `tar -tzf ${a.probe.path} >/dev/null`);
    }
    const snap = plan!.actions.find((a) => a.id === 'backup/cp1/etcd-snapshot');
    assert.ok(snap?.type === 'run' && snap.probe?.type === 'file');
    await onNode(s, 'cp1', `ETCDCTL_API=3 etcdctl snapshot status ${snap.probe.path} -w json 2>/dev/null || etcdutl snapshot status ${snap.probe.path} -w json`);

    assert.deepEqual(leaks(state), []);
    for (const o of outputs) assert.doesNotMatch(o.stdout + o.stderr, /-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  });
});
