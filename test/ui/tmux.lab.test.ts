/**
 * The wizard in a real terminal against the lab: tmux runs `ha-wizard -c DIR/cluster.yaml` in the lab's
 * client namespace, keys go in with send-keys and the screen is read with capture-pane. One lab for the
 * file, the tests in order:
 *   1. plan review, approval by typing the cluster name, a full conversion to the done screen, q: exit 0;
 *      then `ha-wizard rollback --json` (no terminal) takes the cluster back to one control-plane node;
 *   2. the same conversion stopped with Ctrl-C mid-step (exit 3, the screen says how to resume), then
 *      `ha-wizard` again offers to resume the session and finishes it: exit 0.
 * etcdctl on cp1 judges the cluster. Every exit is judged by tmux's own record of the process's status
 * (remain-on-exit); when the wizard does not exit, the failure carries its HA_WIZARD_DEBUG_EXIT trace
 * (what still held the event loop). HAW_TMUX_SCREENS=DIR saves the screens seen (for reports).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientArgv, labDown, labUp, nodeExec, type LabState } from '../../lab/lab.js';
import { Tmux } from './tmux.js';

const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const COLS = 100;
const ROWS = 30;

const screensDir = process.env['HAW_TMUX_SCREENS'];
function keep(name: string, screen: string): void {
  if (!screensDir) return;
  mkdirSync(screensDir, { recursive: true });
  writeFileSync(join(screensDir, `${name}.txt`), `${screen}\n`);
}

let dir = '';
let lab: LabState;
let tmux: Tmux | null = null;
let traceFile = '';
let runs = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hawui-'));
  // Unique and unrelated to the test runner's namespace name (hawtest-PID).
  lab = await labUp({ dir: join(dir, 'lab'), name: `ui${randomBytes(3).toString('hex')}`, promote: 2, workers: 1, proxyHost: true });
});

after(async () => {
  await tmux?.kill();
  if (lab) await labDown(lab.dir).catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The environment every ha-wizard run here gets: sessions in the test's own state dir, never CI mode. */
function envArgv(extra: string[] = []): string[] {
  return ['env', '-u', 'CI', '-u', 'CONTINUOUS_INTEGRATION', `HA_WIZARD_STATE_DIR=${join(dir, 'state')}`, ...extra];
}

/** Starts (or restarts, in the same pane) the interactive wizard; returns the ms until its first frame. */
async function startWizard(): Promise<number> {
  traceFile = join(dir, `exit-trace-${++runs}.txt`);
  const argv = clientArgv(lab, [...envArgv([`HA_WIZARD_DEBUG_EXIT=${traceFile}`]), process.execPath, cli, '-c', join(lab.dir, 'cluster.yaml')]);
  const t0 = Date.now();
  if (tmux) await tmux.respawn(argv);
  else tmux = await Tmux.start({ dir, argv, cols: COLS, rows: ROWS });
  await tmux.waitFor(/ha-wizard {2}/, 30_000);
  const ms = Date.now() - t0;
  process.stdout.write(`# first frame of the wizard after ${ms} ms (tmux start included)\n`);
  return ms;
}

function term(): Tmux {
  assert.ok(tmux, 'the wizard runs');
  return tmux;
}

/** Presses q and expects the process to end with `code`; on a hang the failure shows what kept it alive. */
async function quitExpecting(code: number): Promise<void> {
  const t = term();
  await t.keys('q');
  let status: number;
  try {
    status = await t.waitExit(20_000);
  } catch (err) {
    const trace = existsSync(traceFile) ? readFileSync(traceFile, 'utf8') : '(no exit trace: the wizard never saw the quit)';
    throw new Error(`${(err as Error).message}\nexit trace:\n${trace}\nprocesses:\n${processes(await t.panePid())}`);
  }
  assert.equal(status, code, `exit status; the screen:\n${await t.screen(true)}`);
}

/** The process tree under `pid` with each thread's state and kernel wait channel (what a hang waits on). */
function processes(pid: number): string {
  const out: string[] = [];
  const walk = (p: number, depth: number) => {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    } catch {
      out.push(`${'  '.repeat(depth)}${p} (gone)`);
      return;
    }
    const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ').slice(0, 120);
    out.push(`${'  '.repeat(depth)}${p} ${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]} ${cmd}`);
    for (const task of readdirSync(`/proc/${p}/task`)) {
      const ts = readFileSync(`/proc/${p}/task/${task}/stat`, 'utf8');
      const wchan = readFileSync(`/proc/${p}/task/${task}/wchan`, 'utf8');
      out.push(`${'  '.repeat(depth + 1)}task ${task} ${ts.slice(ts.lastIndexOf(')') + 2).split(' ')[0]} ${wchan}`);
    }
    const children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim();
    for (const c of children ? children.split(' ') : []) walk(Number(c), depth + 1);
  };
  walk(pid, 0);
  return out.join('\n');
}

/** etcdctl, run on cp1 with kubeadm's healthcheck client: the members as etcd sees them. */
async function etcdMembers(): Promise<string[]> {
  const pki = '/etc/kubernetes/pki/etcd';
  const r = await nodeExec(lab, 'cp1', ['env', 'ETCDCTL_API=3', 'etcdctl', '--endpoints=https://127.0.0.1:2379', `--cacert=${pki}/ca.crt`, `--cert=${pki}/healthcheck-client.crt`, `--key=${pki}/healthcheck-client.key`, 'member', 'list'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, `etcdctl member list: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

function assertHa(members: string[]): void {
  assert.equal(members.length, 3, members.join('\n'));
  for (const m of members) {
    assert.match(m, /, started, /);
    assert.match(m, /, false$/, `a voting member, not a learner: ${m}`);
  }
}

/** Discovery → plan review (the endpoint-certificate step expanded) → typed approval. Returns the step count. */
async function reviewAndApprove(): Promise<number> {
  const t = term();
  const discovery = await t.waitFor(/Enter to make the plan/, 90_000);
  assert.match(discovery, new RegExp(`Cluster ${lab.name}`));
  assert.match(discovery, /Preflight: 0 failed/);
  await t.keys('Enter');
  const plan = await t.waitFor(/a: approve/, 90_000);
  keep('plan-review', plan);
  const header = new RegExp(`Plan [0-9a-f]+ for cluster ${lab.name}: (\\d+) steps`).exec(plan);
  assert.ok(header, `the plan header; the screen:\n${plan}`);
  const steps = Number(header[1]);
  assert.match(plan, /point of no easy return/);
  assert.match(plan, /etcd-cp2 +\[NO EASY RETURN\]/);
  assert.match(plan, /Plan: \d+ files? to write/);
  // A step's actions: the endpoint certificate step re-issues cp1's apiserver certificate.
  const at = /(\d+)\. endpoint-cert /.exec(plan);
  assert.ok(at, `endpoint-cert listed; the screen:\n${plan}`);
  for (let i = 1; i < Number(at[1]); i++) await t.keys('Down');
  await t.keys('Enter');
  const step = await t.waitFor(new RegExp(`Step ${at[1]}/${steps} endpoint-cert`));
  keep('plan-step', step);
  assert.match(step, /~ replace \/etc\/kubernetes\/pki\/apiserver\.crt/);
  // Esc and `a` in one write would read as Alt-a: a person's keys arrive apart, so do these.
  await t.keys('Escape');
  await t.waitFor(/a: approve/);
  await t.keys('a');
  await t.waitFor(new RegExp(`Type '${lab.name}'\\s+to\\s+apply\\s+it`));
  // A reflexive "yes" does not convert a cluster; its name does.
  await t.type('yes');
  await t.keys('Enter');
  await t.waitFor(new RegExp(`Only\\s+'${lab.name}'\\s+will\\s+be\\s+accepted`));
  await t.type(lab.name);
  await t.keys('Enter');
  return steps;
}

/** A regex group matching any whole number from `lo` to `hi`. */
function anyOf(lo: number, hi: number): string {
  return `(${Array.from({ length: Math.max(1, hi - lo + 1) }, (_, i) => lo + i).join('|')})`;
}

/** Runs ha-wizard without a terminal (stdin closed) in the lab's client namespace. */
function cliRun(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const [bin, ...rest] = clientArgv(lab, [...envArgv(), process.execPath, cli, ...args]);
  return new Promise((resolve, reject) => {
    const child = spawn(bin!, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

test('tmux: review the plan, approve by typing the cluster name, convert to the done screen, q exits 0', async () => {
  await startWizard();
  const t = term();
  const steps = await reviewAndApprove();
  const running = await t.waitFor(new RegExp(`▸ \\d+/${steps} `), 60_000);
  assert.match(running, /Applying session /);
  const execute = await t.waitFor(new RegExp(`▸ ${anyOf(Math.ceil(steps / 2), steps - 2)}/${steps} `), 240_000);
  keep('execute', execute);
  assert.match(execute, new RegExp(`✓ 1/${steps} backup`));
  assert.match(execute, /\[[#-]+\] \d+\/\d+/);
  const done = await t.waitFor(/Enter or q to quit/, 300_000);
  keep('done', done);
  assert.match(done, new RegExp(`Done: cluster ${lab.name} is highly available`));
  assert.match(done, /✓ etcd has exactly 3 voting members and no learner/);
  const lb = lab.nodes.find((n) => n.name === 'lb');
  assert.ok(lb);
  assert.match(done, new RegExp(`API endpoint: https://${lb.address.replace(/\./g, '\\.')}:6443`));
  await quitExpecting(0);
  assert.match(await t.screen(), /Session \S+ complete\./);
  assertHa(await etcdMembers());

  // Back to one control-plane node for the next test, through the JSON reporter: one engine event per line.
  const rb = await cliRun(['rollback', '--json', '--past-point-of-no-return', '--yes']);
  assert.equal(rb.code, 0, `rollback: ${rb.stderr}`);
  const events = rb.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; phase?: string });
  assert.ok(events.length > 10, `rollback events: ${rb.stdout}`);
  assert.ok(events.every((e) => typeof e.type === 'string'));
  assert.ok(events.some((e) => e.phase === 'rollback'), 'events of the rollback phase');
  assert.equal((await etcdMembers()).length, 1);
});

test('tmux: Ctrl-C mid-step stops safely (exit 3); ha-wizard started again offers to resume and finishes', async () => {
  await startWizard();
  const t = term();
  const steps = await reviewAndApprove();
  // Mid-conversion: once step 3 (the endpoint certificate, which restarts cp1's apiserver) or later runs.
  await t.waitFor(new RegExp(`▸ ${anyOf(3, steps - 2)}/${steps} `), 120_000);
  await t.keys('C-c');
  const stopped = await t.waitFor(/Enter or q to quit/, 180_000);
  keep('stopped', stopped);
  assert.match(stopped, /Stopped safely\./);
  // The command is in the form this wizard was started (here `node …/cli.js`), and may wrap.
  const resumeAt = /Continue with: [\s\S]*?cli\.js\s+resume\s+(\S+)/.exec(stopped);
  assert.ok(resumeAt, `how to resume; the screen:\n${stopped}`);
  const session = resumeAt[1]!;
  await quitExpecting(3);

  await startWizard();
  const offer = await t.waitFor(/A conversion is in progress/, 30_000);
  keep('resume-offer', offer);
  assert.match(offer, new RegExp(`Session ${session} \\(cluster ${lab.name}\\): stopped, \\d+/\\d+ actions done`));
  assert.match(offer, /› *Resume it/);
  await t.keys('Enter');
  const done = await t.waitFor(/Enter or q to quit/, 300_000);
  keep('resumed-done', done);
  assert.match(done, new RegExp(`Done: cluster ${lab.name} is highly available`));
  await quitExpecting(0);
  assertHa(await etcdMembers());
});
