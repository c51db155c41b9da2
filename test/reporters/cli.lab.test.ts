/**
 * The CLI's reporters through the real command, without a terminal, on one lab:
 *   1. `apply --yes --json`, interrupted with SIGINT once the proxy step changed something: stdout is JSON Lines
 *      only (every line parses, each an engine event with its time), ending with `stopped`; exit 3;
 *   2. `resume --json` of that session, interrupted again after its first action: JSON Lines only, exit 3;
 *   3. the same session resumed from where the lab's addresses do not exist (an empty network namespace): it
 *      says `cannot reach HOST:PORT (…)` and that nothing was changed, and `status` says so in words;
 *   4. `rollback --yes` of that session (before the point of no easy return: an exact reverse) in plain lines,
 *      after its preview; `status` then says the cluster is as it was;
 *   5. `apply --yes` with the plain reporter: a full conversion, one line per action, exit 0.
 * etcdctl on cp1 judges the result.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { clientArgv, labDown, labUp, nodeExec, type LabState } from '../../lab/lab.js';
import { parseJsonLines } from '../../src/reporters/json.js';

const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
let dir = '';
let lab: LabState;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hawrep-'));
  lab = await labUp({ dir: join(dir, 'lab'), name: `rp${randomBytes(3).toString('hex')}`, promote: 2, workers: 1, proxyHost: true });
});

after(async () => {
  if (lab) await labDown(lab.dir).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI where the lab's client end is, with no terminal on any stdio. `onStdout` sees stdout as
 * it arrives and may send the process a signal.
 */
function haWizard(args: string[], onStdout?: (soFar: string, kill: (s: NodeJS.Signals) => void) => void): Promise<Ran> {
  const [cmd, ...rest] = clientArgv(lab, [process.execPath, cli, ...args]);
  const env: NodeJS.ProcessEnv = { ...process.env, HA_WIZARD_STATE_DIR: join(dir, 'state') };
  delete env['HA_WIZARD_TEST_KILL_AFTER_RECORD'];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      onStdout?.(stdout, (s) => child.kill(s));
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

async function etcdMembers(): Promise<string[]> {
  const pki = '/etc/kubernetes/pki/etcd';
  const r = await nodeExec(lab, 'cp1', ['env', 'ETCDCTL_API=3', 'etcdctl', '--endpoints=https://127.0.0.1:2379', `--cacert=${pki}/ca.crt`, `--cert=${pki}/healthcheck-client.crt`, `--key=${pki}/healthcheck-client.key`, 'member', 'list'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, `etcdctl member list: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

const config = () => join(lab.dir, 'cluster.yaml');

test('apply --yes --json: JSON Lines only on stdout, one engine event per line; SIGINT stops safely with exit 3', async () => {
  let sent = false;
  const r = await haWizard(['apply', '-c', config(), '--yes', '--json'], (soFar, kill) => {
    // Once the proxy step has changed something, so the rollback below has work to do.
    const complete = soFar.slice(0, soFar.lastIndexOf('\n') + 1);
    if (!sent && parseJsonLines(complete).some((e) => e.type === 'action-done' && e.action.startsWith('proxy/'))) {
      sent = true;
      kill('SIGINT');
    }
  });
  assert.equal(r.code, 3, `exit 3 (stopped on request)\n${r.stderr}`);
  assert.ok(sent, 'a proxy action finished before the interrupt');
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  const events = parseJsonLines(r.stdout);
  assert.equal(events.length, lines.length, 'every stdout line is one JSON object');
  for (const e of events) {
    assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(['step-start', 'action-start', 'action-output', 'wait-progress', 'retry', 'action-done', 'action-skipped', 'action-failed', 'step-done', 'notice', 'stopped', 'finished'].includes(e.type), e.type);
  }
  assert.deepEqual(events[0] && { type: events[0].type, step: 'step' in events[0] ? events[0].step : null }, { type: 'step-start', step: 'backup' });
  const last = events.at(-1);
  assert.equal(last?.type, 'stopped');
  assert.ok(last?.type === 'stopped' && !last.hard && /^ha-wizard resume \S+$/.test(last.resumeCommand));
  // The preview and progress prose stay off stdout in JSON mode; the session is named on stderr.
  assert.match(r.stderr, /Session \S+ \(journal: /);
  assert.match(r.stderr, /Interrupt received: finishing the current action/);
  // Only what the stop allowed ran: backup, and part of the proxy step.
  assert.ok(!events.some((e) => e.type === 'step-start' && e.index > 1), 'no step after the second started');
});

test('resume --json: the stopped session goes on in JSON Lines only; SIGINT after its first action stops it again with exit 3', async () => {
  let sent = false;
  const r = await haWizard(['resume', '--json'], (soFar, kill) => {
    const complete = soFar.slice(0, soFar.lastIndexOf('\n') + 1);
    if (!sent && parseJsonLines(complete).some((e) => e.type === 'action-done' || e.type === 'action-skipped')) {
      sent = true;
      kill('SIGINT');
    }
  });
  assert.equal(r.code, 3, `exit 3 (stopped on request)\n${r.stdout}\n${r.stderr}`);
  assert.ok(sent, 'an action finished before the interrupt');
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  const events = parseJsonLines(r.stdout);
  assert.equal(events.length, lines.length, 'every stdout line is one JSON object');
  assert.ok(events.every((e) => /^\d{4}-\d\d-\d\dT/.test(e.time)));
  // It continues where the apply stopped: nothing of the backup step runs again.
  assert.ok(!events.some((e) => e.type === 'action-start' && e.step === 'backup'), 'backup is not redone');
  const last = events.at(-1);
  assert.ok(last?.type === 'stopped' && !last.hard && /^ha-wizard resume \S+$/.test(last.resumeCommand), JSON.stringify(last));
  assert.match(r.stderr, /Interrupt received: finishing the current action/);
});

test('outside the network that reaches the nodes: cannot reach HOST:PORT, nothing was changed, and status says so', async () => {
  const ns = `hawnr-${process.pid}`;
  spawnSync('ip', ['netns', 'add', ns]);
  spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, HA_WIZARD_STATE_DIR: join(dir, 'state') };
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, cli, 'resume'], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /cannot reach [\d.]+:22 \(no route to it from this machine, ENETUNREACH\); check the address, and that this machine is on a network that reaches the nodes/);
    assert.doesNotMatch(r.stderr, /handshake failed|Connection lost before handshake/);
    assert.match(r.stderr, /This apply failed before changing anything: nothing was changed on any host\./);
    // The preview of a rollback reads the hosts first: unreachable, it starts nothing.
    const rb = spawnSync('ip', ['netns', 'exec', ns, process.execPath, cli, 'rollback', '--yes'], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    assert.equal(rb.status, 1, rb.stderr);
    assert.match(rb.stderr, /cannot reach [\d.]+:22 .*\nNothing was changed: the rollback did not start\./);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
  const st = await haWizard(['status']);
  assert.equal(st.code, 0);
  assert.match(st.stdout, /: apply failed before changing anything: nothing was changed; the session is as its previous run left it \(stopped, \d+\/\d+ actions done\)\n/);
  assert.doesNotMatch(st.stdout.split('\n')[0]!, /: failed, \d+\/\d+/);
});

test('rollback --yes of the stopped session: its preview, then plain lines, each undone action on its host; exit 0', async () => {
  const r = await haWizard(['rollback', '--yes']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^ha-wizard rollback of session \S+ \(cluster \S+\)\n/);
  assert.match(r.stdout, /^Undo 1\/\d+ {2}proxy: /m);
  assert.match(r.stdout, /^Rollback: \d+ files? restored/m);
  const lines = r.stdout.trimEnd().split('\n');
  assert.ok(lines.some((l) => /^Rolling back \d+\/\d+ proxy: /.test(l)), r.stdout);
  assert.ok(lines.some((l) => /^ {2}undo lb +proxy\//.test(l)), r.stdout);
  // The outcome, then where the backups stay (the last line: what the operator may still want to act on).
  const complete = lines.findIndex((l) => /^Rollback complete: [1-9]\d* changed, \d+ already in place\.$/.test(l));
  assert.ok(complete >= 0, r.stdout);
  assert.match(lines.at(-1) ?? '', /^note: Backups kept \(rollback never removes them; delete them once you no longer need them\): cp1: /);
  assert.ok(complete < lines.length - 1, r.stdout);
  assert.equal((await etcdMembers()).length, 1, 'still a single etcd member');
  const st = await haWizard(['status']);
  assert.match(st.stdout, /: rolled back: the cluster is as it was before \S+; backups kept at \/etc\/kubernetes\/tmp\/ha-wizard-backup-\S+\/ on each host it changed, and the etcd snapshot \S+ on cp1\n/);
  assert.match(st.stdout, /^ {2}↺ proxy +undone \(\d+\)$/m);
});

test('apply --yes without a terminal: a full conversion in plain lines, exit 0', async () => {
  const r = await haWizard(['apply', '-c', config(), '--yes']);
  assert.equal(r.code, 0, `${r.stdout.slice(-3000)}\n${r.stderr}`);
  const lines = r.stdout.trimEnd().split('\n');
  const headers = lines.filter((l) => /^Step \d+\/17 \S/.test(l)); // the preview above says "Step N/17  id" (two spaces)
  assert.equal(headers.length, 17, 'a header per step');
  assert.match(headers[0]!, /^Step 1\/17 backup: .* \[read-only\]$/);
  assert.match(headers.at(-1)!, /^Step 17\/17 verify: /);
  const actions = lines.filter((l) => /^ {2}(ok {2}|skip|FAIL) /.test(l));
  assert.ok(actions.length > 100, `one line per action (${actions.length})`);
  assert.ok(!actions.some((l) => l.startsWith('  FAIL')));
  assert.ok(actions.some((l) => /^ {2}ok {3}cp2 +etcd-cp2\/\S+: .*\(\d+(\.\d)? s\)$/.test(l)), 'host, action id, detail and duration');
  // The ending, then only what apply says last on purpose (what it did not change: old-address references).
  const end = lines.findIndex((l) => /^Apply complete: \d+ changed, \d+ already in place\.$/.test(l));
  assert.ok(end >= 0, r.stdout);
  assert.ok(lines.slice(end + 1).every((l) => l === '' || /^References to the old address /.test(l)), lines.slice(end + 1).join('\n'));
  // The plan preview comes first on stdout (no terminal: no colour codes).
  assert.doesNotMatch(r.stdout, /\u001b\[/);
  const members = await etcdMembers();
  assert.equal(members.length, 3, members.join('\n'));
  for (const m of members) assert.match(m, /, started, .*, false$/);
});
