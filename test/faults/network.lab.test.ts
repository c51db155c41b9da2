/**
 * Network faults during a conversion (cp1 → cp1..cp3, nginx on lb, one worker): inside the etcd, the
 * control-plane and the repoint step, each of: the node's packets dropped (iptables DROP in its netns),
 * its SSH connections reset (REJECT tcp-reset), its sshd session processes killed. Every fault must end
 * the run with an error naming the host and the action, leave no file half-written (a target is either
 * as before or complete, and a temp file left behind grants no more than its target's mode), and `resume` must go on once the fault
 * is lifted. One conversion, nine faults. Lab wall time ~3 min.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeExec, type LabState } from '../lab/lab.js';
import { cleanupLabs, cli, describe as show, etcdHealthy, etcdMembers, faultLab, hostFile, leaks, onlySession, snapshot, type CliResult, type Snapshot } from './harness.js';
import type { JournalRecord } from '../../src/engine/journal.js';
import type { Plan } from '../../src/engine/plan.js';
import { actionHost } from '../../src/engine/actions.js';

type Fault = 'reset' | 'kill-sshd' | 'drop';

const work = mkdtempSync(join(tmpdir(), 'hawf-net-'));
const state = join(work, 'state');
let s: LabState;
let s0: Snapshot;

before(async () => {
  s = await faultLab('nw', { promote: 2, workers: 1, proxyHost: true });
  s0 = snapshot(s);
});
after(async () => {
  await cleanupLabs();
  rmSync(work, { recursive: true, force: true });
});

function journal(): JournalRecord[] {
  try {
    return onlySession(state).journal();
  } catch {
    return [];
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function inject(node: string, fault: Fault): Promise<() => Promise<void>> {
  const ipt = async (op: '-I' | '-D', rule: string[]) => {
    const r = await nodeExec(s, node, ['iptables', op, 'INPUT', ...rule]);
    assert.equal(r.code, 0, `iptables ${op} on ${node}: ${r.stderr}`);
  };
  if (fault === 'drop') {
    const rule = ['-p', 'tcp', '--dport', '22', '-j', 'DROP'];
    await ipt('-I', rule);
    return () => ipt('-D', rule);
  }
  if (fault === 'reset') {
    const rule = ['-p', 'tcp', '--dport', '22', '-j', 'REJECT', '--reject-with', 'tcp-reset'];
    await ipt('-I', rule);
    return () => ipt('-D', rule);
  }
  // kill-sshd: the per-connection sshd processes (children of the node's PID 1, its listening sshd), again
  // and again until lifted, so the action in flight on that node loses its connection.
  let on = true;
  const loop = (async () => {
    while (on) {
      await nodeExec(s, node, ['sh', '-c', 'for p in $(pgrep -P 1 -x sshd); do kill -9 "$p"; done']).catch(() => undefined);
      await sleep(150);
    }
  })();
  return async () => {
    on = false;
    await loop;
  };
}

/**
 * Runs `args` and, as soon as the journal shows an action of `step` on `node` started in this run,
 * injects `fault` on `node`. Resolves with the run's result once it ends; the fault is still on (it stays
 * on until the run fails, so an action that finished before the fault landed only moves the failure later).
 * `trigger` is the action whose start injected the fault.
 */
async function runWithFault(
  args: string[],
  step: string,
  node: string,
  fault: Fault,
  plan: () => Plan | null,
): Promise<{ r: CliResult; lift: () => Promise<void>; trigger: string }> {
  const from = journal().length;
  const child = cli(state, args, { timeoutMs: 300_000 });
  let ended = false;
  void child.then(() => (ended = true));
  let lift: (() => Promise<void>) | null = null;
  let trigger = '';
  // The fault goes in at the first action on `node` at or after the step's first action: an earlier fault's
  // failure may have landed late enough that this step is already done on the node, and then the next action
  // there takes the fault (the caller reports which step it hit).
  const onNodeFrom = (p: Plan) => {
    const first = p.actions.findIndex((a) => a.step === step && actionHost(a) === node);
    return new Set(p.actions.slice(first < 0 ? p.actions.length : first).filter((a) => actionHost(a) === node).map((a) => a.id));
  };
  while (!ended && !lift) {
    const p = plan();
    const eligible = p ? onNodeFrom(p) : null;
    const started = eligible && journal().slice(from).find((rec) => rec.type === 'started' && rec.phase === 'apply' && eligible.has(rec.action));
    if (started?.type === 'started') {
      trigger = started.action;
      lift = await inject(node, fault);
    } else await sleep(25);
  }
  const r = await child;
  if (!lift) {
    // Say what the watcher saw, so a miss can be told apart from a run that never reached the step.
    const p = plan();
    const recs = journal();
    const seen = recs.filter((rec) => rec.type === 'started' && p?.actions.some((a) => a.id === rec.action && a.step === step && actionHost(a) === node)).length;
    assert.fail(`the run ended before any action on ${node} from step ${step} on (plan ${p ? 'read' : 'unreadable'}, journal ${recs.length} records from ${from}, ${seen} starts in the step on ${node}): ${show(r)}`);
  }
  return { r, lift, trigger };
}

/** Every file this step writes on the node is either as before or complete; no temp file is left readable. */
function nothingHalfWritten(plan: Plan, step: string, node: string): string[] {
  const problems: string[] = [];
  for (const a of plan.actions) {
    if (a.type !== 'write-file' || a.step !== step || a.host !== node) continue;
    const key = `${node}:${a.path}`;
    const file = hostFile(s, key);
    if (!existsSync(file)) {
      if (s0.has(key)) problems.push(`${key} vanished`);
      continue;
    }
    const bytes = readFileSync(file);
    const sum = createHash('sha256').update(bytes).digest('hex');
    if (s0.get(key)?.endsWith(sum)) continue;
    if (a.content.type === 'literal') {
      if (sum !== createHash('sha256').update(a.content.text).digest('hex')) problems.push(`${key} is neither the original nor the planned content`);
    } else {
      const text = bytes.toString('latin1');
      const begins = (text.match(/-----BEGIN /g) ?? []).length;
      const ends = (text.match(/-----END /g) ?? []).length;
      if (begins !== ends || (a.content.type !== 'private-key' && a.content.type !== 'certificate' && !/\n$/.test(text))) problems.push(`${key} looks truncated`);
    }
    if ((statSync(file).mode & 0o7777) !== a.mode) problems.push(`${key} has mode ${(statSync(file).mode & 0o7777).toString(8)}, planned ${a.mode.toString(8)}`);
    // A temp file a lost connection left behind (it cannot be removed over a dead connection) must grant
    // no more than the file it stands in for: a key's temp is 0600 from its first byte, a certificate's may be 0644.
    const dir = file.slice(0, file.lastIndexOf('/'));
    for (const f of readdirSync(dir)) {
      const m = /^\.(.+)\.ha-wizard-tmp-[0-9a-f]+$/.exec(f);
      if (!m) continue;
      const target = plan.actions.find((x) => x.type === 'write-file' && x.host === node && x.path === `${a.path.slice(0, a.path.lastIndexOf('/'))}/${m[1]}`);
      const allowed = target?.type === 'write-file' ? target.mode : 0o600;
      const mode = statSync(join(dir, f)).mode & 0o777;
      if (mode & ~allowed) problems.push(`${dir}/${f}: temp file left with mode ${mode.toString(8)}, more than its target's ${allowed.toString(8)}`);
    }
  }
  return problems;
}

describe('network faults in the etcd, control-plane and repoint steps', () => {
  test('each fault fails the run naming host and action, leaves nothing half-written, and resume completes once lifted', async () => {
    const schedule: Array<{ step: string; node: string; fault: Fault }> = [];
    for (const [step, node] of [
      ['etcd-cp2', 'cp2'],
      ['control-plane-cp2', 'cp2'],
      ['repoint-workers-1', 'w1'],
    ] as const) {
      for (const fault of ['reset', 'kill-sshd', 'drop'] as const) schedule.push({ step, node, fault });
    }
    const planOf = () => {
      try {
        return onlySession(state).plan;
      } catch {
        return null;
      }
    };
    const outputs: CliResult[] = [];
    const report: string[] = [];
    let first = true;
    for (const { step, node, fault } of schedule) {
      const args = first ? ['apply', '-c', join(s.dir, 'cluster.yaml'), '--yes'] : ['resume', onlySession(state).id];
      first = false;
      const { r, lift, trigger } = await runWithFault(args, step, node, fault, planOf);
      outputs.push(r);
      try {
        const plan = planOf()!;
        const failed = journal().filter((x): x is Extract<JournalRecord, { type: 'failed' }> => x.type === 'failed').at(-1);
        assert.equal(r.code, 1, `${fault} on ${node} in ${step}: ${show(r)}`);
        assert.ok(failed, `${fault}: a failed record`);
        const at = plan.actions.findIndex((a) => a.id === failed.action);
        const from = plan.actions.findIndex((a) => a.id === trigger);
        report.push(`${fault} on ${node} for ${step} (injected at ${trigger}): failed ${failed.action}: ${failed.error.split('\n')[0]}`);
        // The fault lands while the triggering action (or one after it) runs: the failure is there or later,
        // never before, and it is a failure on the faulted node.
        assert.ok(at >= from, `${fault} on ${node}: the failure ${failed.action} comes before ${trigger}, which injected the fault`);
        assert.equal(actionHost(plan.actions[at]!), node, `${fault} on ${node}: the failed action ${failed.action} is on ${node}`);
        const text = r.stdout + r.stderr;
        assert.ok(text.includes(node), `${fault}: the error names ${node}:\n${text.slice(-1500)}`);
        assert.ok(text.includes(failed.action), `${fault}: the error names ${failed.action}:\n${text.slice(-1500)}`);
        // Every step from the fault to the failure may have written on the node: none left a file half-written.
        const steps = new Set(plan.actions.slice(from, at + 1).map((a) => a.step));
        for (const st of steps) assert.deepEqual(nothingHalfWritten(plan, st, node), [], `${fault} on ${node} in ${st}`);
        assert.ok(await etcdHealthy(s), `master etcd healthy after ${fault} in ${step}`);
      } finally {
        await lift();
      }
    }
    const last = await cli(state, ['resume', onlySession(state).id], { timeoutMs: 300_000 });
    outputs.push(last);
    process.stdout.write(`# ${report.join('\n# ')}\n`);
    assert.equal(last.code, 0, show(last));
    const members = await etcdMembers(s);
    assert.deepEqual(members.map((m) => `${m.name}:${m.isLearner}`), ['cp1:false', 'cp2:false', 'cp3:false']);
    assert.deepEqual(leaks(state), []);
    for (const o of outputs) assert.doesNotMatch(o.stdout + o.stderr, /-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  });
});
