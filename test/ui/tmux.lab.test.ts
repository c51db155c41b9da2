/**
 * The wizard in a real terminal against the lab: tmux runs `ha-wizard -c DIR/cluster.yaml` in the lab's
 * client namespace, keys go in with send-keys and the screen is read with capture-pane. One lab for the
 * file, the tests in order:
 *   1. at 100×30: plan review (the certificate's SANs found with / and read in full), approval by typing the cluster
 *      name, a real wait on screen in words with its elapsed time of its limit, the done screen whole on screen, q:
 *      exit 0; then `rollback --dry-run` and `rollback` without a terminal change nothing (exit 0 and 2), and
 *      `rollback --past-point-of-no-return` in the terminal shows what it will undo, refuses a wrong word (exit 1,
 *      nothing changed) and with the cluster's name takes the cluster back to one control-plane node; `status`
 *      says so in words;
 *   2. at 80×24: the same conversion stopped with Ctrl-C mid-step (exit 3, the screen says how to resume and how
 *      to undo), then `ha-wizard` again offers the session first; its rollback review fits and Esc goes back;
 *      resume finishes it: exit 0.
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
let COLS = 100;
let ROWS = 30;

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

/** Starts (or restarts, in the same pane) the interactive wizard, or `args` of the CLI; returns the ms until its first frame. */
async function startWizard(args: string[] = ['-c', join(lab.dir, 'cluster.yaml')], first: RegExp = /ha-wizard {2}/): Promise<number> {
  traceFile = join(dir, `exit-trace-${++runs}.txt`);
  const argv = clientArgv(lab, [...envArgv([`HA_WIZARD_DEBUG_EXIT=${traceFile}`]), process.execPath, cli, ...args]);
  const t0 = Date.now();
  if (tmux) {
    await tmux.resize(COLS, ROWS);
    await tmux.respawn(argv);
  } else tmux = await Tmux.start({ dir, argv, cols: COLS, rows: ROWS });
  await tmux.waitFor(first, 90_000);
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
  // The certificate this tool exists to get right, read in full from the review: / finds it in every step's details.
  await t.keys('/');
  await t.waitFor(/Enter: find/);
  await t.type('SANs');
  await t.keys('Enter');
  const sans = await t.waitFor(/\/SANs: match 1 of \d+/);
  keep(`plan-sans-${COLS}x${ROWS}`, sans);
  assert.match(sans, /Step \d+\/\d+ endpoint-cert/);
  const rowsOf = sans.split('\n').map((l) => l.trim());
  const lb = lab.nodes.find((n) => n.name === 'lb')!;
  for (const san of ['DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local', `IP:${lb.address}`]) {
    assert.ok(rowsOf.includes(san), `${san} on a line of its own, in full; the screen:\n${sans}`);
  }
  for (const l of sans.split('\n')) assert.ok(l.length <= COLS, `no line wider than the terminal: ${l}`);
  // Esc and `a` in one write would read as Alt-a: a person's keys arrive apart, so do these.
  await t.keys('Escape');
  await t.waitFor(/Esc back/);
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

/** The screen as running text (wrapped rows joined; a row as wide as the terminal was cut mid-word). */
function prose(screen: string): string {
  let out = '';
  for (const row of screen.split('\n')) out += out && out.split('\n').at(-1)!.length === COLS ? row.trimStart() : `\n${row}`;
  return out.replace(/\s+/g, ' ');
}

function fits(screen: string): void {
  assert.ok(screen.split('\n').length <= ROWS, `at most ${ROWS} rows:\n${screen}`);
  for (const l of screen.split('\n')) assert.ok(l.length <= COLS, `a line wider than ${COLS}: ${l}`);
}

test('tmux at 100x30: SANs in full, a wait in words, the done screen fits; rollback previews, asks the name, refuses a wrong word', async () => {
  COLS = 100;
  ROWS = 30;
  await startWizard();
  const t = term();
  const steps = await reviewAndApprove();
  const running = await t.waitFor(new RegExp(`▸ \\d+/${steps} `), 60_000);
  assert.match(running, /Applying session /);
  // A real wait: what it waits for, the time waited of its limit, the last check's answer in words (never its shell).
  const waiting = await t.waitFor(/waited \d+ s of \d+ s · last check: (?!checking)\S/, 240_000);
  keep('execute-wait', waiting);
  fits(waiting);
  assert.doesNotMatch(waiting, /sh -c|etcdctl --|kubectl --|GET https:/, `no probe shell on screen:\n${waiting}`);
  const execute = await t.waitFor(new RegExp(`▸ ${anyOf(Math.ceil(steps / 2), steps - 2)}/${steps} `), 240_000);
  keep('execute', execute);
  fits(execute);
  assert.match(execute, new RegExp(`✓ 1/${steps} backup|earlier step\\(s\\) done`));
  assert.match(execute, /\[[#-]+\] \d+\/\d+/);
  const done = await t.waitFor(/Enter or q to quit/, 300_000);
  keep('done', done);
  fits(done);
  // Whole on screen: the headline and the change count did not scroll away.
  assert.match(done, new RegExp(`^Done: cluster ${lab.name} is highly available\\.$`, 'm'));
  const session = /^Session (\S+): \d+ change\(s\) made, \d+ already in place/m.exec(done)?.[1];
  assert.ok(session, `the session's change count; the screen:\n${done}`);
  assert.match(done, /Verification: (\d+) of \1 checks passed · v: list them/);
  const lb = lab.nodes.find((n) => n.name === 'lb');
  assert.ok(lb);
  assert.match(done, new RegExp(`API endpoint: https://${lb.address.replace(/\./g, '\\.')}:6443`));
  assert.match(prose(done), new RegExp(`etcd snapshot from before the first change: /var/lib/etcd/ha-wizard-${session}\\.snapshot\\.db on cp1`));
  assert.match(prose(done), new RegExp(`Undo everything: node \\S*cli\\.js rollback ${session} --past-point-of-no-return`));
  await t.keys('v');
  const checks = await t.waitFor(/Verification of cluster/);
  keep('done-checks', checks);
  fits(checks);
  assert.match(prose(checks), /\(call 1 of 3, so a balancer in rotation meets each apiserver\)/);
  await t.keys('Escape');
  await t.waitFor(/Done: cluster/);
  await quitExpecting(0);
  const after = await t.screen();
  assert.match(after, /^Session \S+ complete\./m);
  assert.doesNotMatch(after.split('\n').find((l) => /\? keys/.test(l)) ?? '', /complete/, 'the last words are not on the key-hint line');
  assertHa(await etcdMembers());

  // Without a terminal: a dry run shows the preview and changes nothing; a rollback that would ask is refused.
  const dry = await cliRun(['rollback', '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, new RegExp(`^ha-wizard rollback of session ${session} \\(cluster ${lab.name}\\)`));
  assert.match(dry.stdout, /✂ remove etcd member cp3 \(https:\/\/[\d.]+:2380\)/);
  assert.match(dry.stdout, /^ {2}~ restore \/etc\/kubernetes\/kubelet\.conf from \/etc\/kubernetes\/tmp\/ha-wizard-backup-\S+\/etc\/kubernetes\/kubelet\.conf\n {6}@@ /m);
  assert.match(dry.stdout, /^ {2}- remove \/etc\/kubernetes\/manifests\/kube-apiserver\.yaml: it did not exist before this session \(\d+ lines, sha256:/m);
  assert.match(dry.stdout, /^ {2}~ restore ConfigMap kube-system\/kube-proxy$/m);
  assert.match(dry.stdout, /^Rollback: \d+ files restored, \d+ files removed, \d+ undo commands, etcd members cp3, cp2 removed, \d+ objects restored\.$/m);
  assert.match(dry.stderr, /Without --past-point-of-no-return this rollback would be refused/);
  assert.match(dry.stderr, /Dry run: nothing was changed\./);
  const refused = await cliRun(['rollback']);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /would cross the point of no easy return: it would remove the etcd members cp3 and cp2 that this session made voters\. .* run `node \S*cli\.js rollback \S+ --past-point-of-no-return`/);
  const noTerminal = await cliRun(['rollback', '--past-point-of-no-return']);
  assert.equal(noTerminal.code, 2, noTerminal.stderr);
  assert.match(noTerminal.stderr, /rollback asks you to confirm by typing the cluster name, and there is no terminal to ask in; nothing was changed\nreview it with `node \S*cli\.js rollback \S+ --dry-run`, then approve without asking: `node \S*cli\.js rollback \S+ --past-point-of-no-return --yes`/);
  assertHa(await etcdMembers());

  // In a terminal: the preview, then the cluster's name typed; a wrong word cancels (exit 1) and changes nothing.
  COLS = 80;
  ROWS = 24;
  await startWizard(['rollback', '--past-point-of-no-return'], /Enter a value:/);
  const ask = await t.screen();
  keep('cli-rollback-ask', ask);
  assert.match(ask, new RegExp(`Do you want to undo these changes on cluster ${lab.name}\\?`));
  assert.match(ask, new RegExp(`Only '${lab.name}' will be accepted to approve\\.`));
  assert.match((await t.screen(true)).replace(/\s+/g, ' '), /✂ remove etcd member cp2/);
  await t.type('yes');
  await t.keys('Enter');
  assert.equal(await t.waitExit(30_000), 1);
  assert.match(await t.screen(), /Rollback cancelled: nothing was changed\./);
  assertHa(await etcdMembers());
  await startWizard(['rollback', '--past-point-of-no-return'], /Enter a value:/);
  await t.type(lab.name);
  await t.keys('Enter');
  assert.equal(await t.waitExit(300_000), 0, await t.screen(true));
  assert.match(await t.screen(), /^Rollback complete: [1-9]\d* changed, \d+ already in place\.$/m);
  assert.equal((await etcdMembers()).length, 1);
  const status = await cliRun(['status']);
  assert.equal(status.code, 0);
  assert.match(status.stdout, new RegExp(`: rolled back: the cluster is as it was before ${session}; backups kept at /etc/kubernetes/tmp/ha-wizard-backup-${session}/ on each host it changed, and the etcd snapshot /var/lib/etcd/ha-wizard-${session}\\.snapshot\\.db on cp1\\n`));
  assert.doesNotMatch(status.stdout, /actions done|✓ verify/, 'no apply counts beside a rollback');
  // Back to one control-plane node: the promoted nodes' apiservers stop once their manifests are gone.
  for (const node of ['cp2', 'cp3']) {
    const deadline = Date.now() + 180_000;
    for (;;) {
      const r = await nodeExec(lab, node, ['sh', '-c', "ss -Htln 'sport = :6443' | grep -c ."], { timeoutMs: 30_000 });
      if (r.stdout.trim() === '0') break;
      assert.ok(Date.now() < deadline, `${node} still serves on 6443 three minutes after the rollback`);
      await new Promise((res) => setTimeout(res, 1000));
    }
  }
});

test('tmux at 80x24: Ctrl-C mid-step stops safely (exit 3); ha-wizard again offers the session first, its rollback review fits; resume finishes', async () => {
  COLS = 80;
  ROWS = 24;
  await startWizard();
  const t = term();
  const steps = await reviewAndApprove();
  // Mid-conversion: once step 3 (the endpoint certificate, which restarts cp1's apiserver) or later runs.
  await t.waitFor(new RegExp(`▸ ${anyOf(3, steps - 2)}/${steps} `), 120_000);
  await t.keys('C-c');
  const stopped = await t.waitFor(/Enter or q to quit/, 180_000);
  keep('stopped', stopped);
  fits(stopped);
  assert.match(stopped, /Stopped safely\./);
  // The commands are in the form this wizard was started (here `node …/cli.js`), and may wrap.
  const resumeAt = /Continue with: node \S*cli\.js resume (\S+)/.exec(prose(stopped));
  assert.ok(resumeAt, `how to resume; the screen:\n${stopped}`);
  const session = resumeAt[1]!;
  assert.match(prose(stopped), new RegExp(`Or undo everything: node \\S*cli\\.js rollback ${session}`));
  await quitExpecting(3);

  await startWizard();
  const offer = await t.waitFor(/A conversion is in progress/, 30_000);
  keep('resume-offer', offer);
  assert.doesNotMatch(offer, /Load a config file/, 'the offer comes before the menu');
  assert.match(prose(offer), new RegExp(`Session ${session} \\(cluster ${lab.name}\\): apply stopped: \\d+/\\d+ actions done`));
  assert.match(offer, /› *Resume it/);
  await t.keys('Down');
  await t.keys('Enter');
  const review = await t.waitFor(/What will be undone/, 60_000);
  keep('rollback-review', review);
  fits(review);
  assert.match(review, /Undo 1\/\d+ /);
  await t.keys('Escape');
  // Back where the rollback was chosen, nothing changed.
  await t.waitFor(/› *Roll it back/);
  await t.keys('Up');
  await t.waitFor(/› *Resume it/);
  await t.keys('Enter');
  const done = await t.waitFor(/Enter or q to quit/, 300_000);
  keep('resumed-done', done);
  fits(done);
  assert.match(done, new RegExp(`Done: cluster ${lab.name} is highly available`));
  // After a resume the count is the whole session's, not this run's.
  assert.match(prose(done), new RegExp(`Session ${session}: \\d+ change\\(s\\) made, \\d+ already in place \\(this run: \\d+\\)\\.`));
  await quitExpecting(0);
  assertHa(await etcdMembers());
});
