/**
 * The wizard in a real terminal against the lab: tmux runs `ha-wizard -c DIR/cluster.yaml` (the test
 * process is inside the lab's network, so the wizard reaches the nodes), keys go in with send-keys and
 * the screen is read with capture-pane. Two fresh labs, one after the other (only one runs at a time):
 *   1. plan review, approval by typing the cluster name, a full conversion to the done screen;
 *   2. Ctrl-C mid-step (stops safely, exit 3), then `ha-wizard` again offers to resume and finishes.
 * etcdctl on cp1 judges the result. HAW_TMUX_SCREENS=DIR saves the screens seen (for reports).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientArgv, labDown, labUp, nodeExec, type LabState } from '../lab/lab.js';
import { Tmux } from './tmux.js';

const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

const screensDir = process.env['HAW_TMUX_SCREENS'];
function keep(name: string, screen: string): void {
  if (!screensDir) return;
  mkdirSync(screensDir, { recursive: true });
  writeFileSync(join(screensDir, `${name}.txt`), `${screen}\n`);
}

interface Rig {
  lab: LabState;
  tmux: Tmux;
  /** The wizard's argv for this lab (run where the lab's client end is; sessions in the rig's own state dir). */
  wizard: string[];
  /** Stops the terminal and the lab now (the next rig starts on an idle machine); idempotent. */
  stop(): Promise<void>;
}

async function rig(suffix: string): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), `hawui-${suffix}-`));
  // Unique and unrelated to the test runner's namespace name (hawtest-PID).
  const name = `ui${randomBytes(3).toString('hex')}${suffix}`;
  const lab = await labUp({ dir: join(dir, 'lab'), name, promote: 2, workers: 1, proxyHost: true });
  const wizard = clientArgv(lab, [
    'env',
    '-u',
    'CI',
    '-u',
    'CONTINUOUS_INTEGRATION',
    `HA_WIZARD_STATE_DIR=${join(dir, 'state')}`,
    process.execPath,
    cli,
    '-c',
    join(lab.dir, 'cluster.yaml'),
  ]);
  const t0 = Date.now();
  const tmux = await Tmux.start({ dir, argv: wizard });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await tmux.kill();
    await labDown(lab.dir);
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.push(stop);
  await tmux.waitFor(/ha-wizard/, 30_000);
  process.stdout.write(`# first frame of the wizard after ${Date.now() - t0} ms (tmux start included)\n`);
  return { lab, tmux, wizard, stop };
}

/** etcdctl, run on cp1 with kubeadm's healthcheck client: the members as etcd sees them. */
async function etcdMembers(lab: LabState): Promise<string[]> {
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

/** Discovery → plan review (a step expanded) → typed approval. */
async function reviewAndApprove(r: Rig): Promise<void> {
  const { tmux, lab } = r;
  const discovery = await tmux.waitFor(/Enter to make the plan/, 90_000);
  assert.match(discovery, new RegExp(`Cluster ${lab.name}`));
  assert.match(discovery, /Preflight: 0 failed/);
  await tmux.keys('Enter');
  const plan = await tmux.waitFor(/a: approve/, 90_000);
  keep('plan-review', plan);
  assert.match(plan, new RegExp(`Plan [0-9a-f]+ for cluster ${lab.name}: 17 steps`));
  assert.match(plan, /point of no easy return/);
  assert.match(plan, /etcd-cp2 +\[NO EASY RETURN\]/);
  assert.match(plan, /Plan: \d+ files to write/);
  // A step's actions: the endpoint certificate step re-issues cp1's apiserver certificate.
  await tmux.keys('Down', 'Down', 'Enter');
  const step = await tmux.waitFor(/Step 3\/17 endpoint-cert/);
  keep('plan-step', step);
  assert.match(step, /~ replace \/etc\/kubernetes\/pki\/apiserver\.crt/);
  // Esc and `a` in one write would read as Alt-a: a person's keys arrive apart, so do these.
  await tmux.keys('Escape');
  await tmux.waitFor(/a: approve/);
  await tmux.keys('a');
  await tmux.waitFor(new RegExp(`Type '${lab.name}' to apply it`));
  // A reflexive "yes" does not convert a cluster; its name does.
  await tmux.type('yes');
  await tmux.keys('Enter');
  await tmux.waitFor(new RegExp(`Only '${lab.name}' will be accepted`));
  await tmux.type(lab.name);
  await tmux.keys('Enter');
}

/** Reported (not hidden) when the first quit key had to be pressed again. */
const lostKey = (screen: string) => console.log(`# the first q was not taken within 10 s; pressed again. The screen:\n${screen.split('\n').map((l) => `#   ${l}`).join('\n')}`);

test('tmux: review the plan, approve by typing the cluster name, convert to the done screen', async () => {
  const r = await rig('a');
  await reviewAndApprove(r);
  const running = await r.tmux.waitFor(/▸ \d+\/17 /, 60_000);
  assert.match(running, /Applying session /);
  const execute = await r.tmux.waitFor(/▸ (1[0-6])\/17 /, 180_000);
  keep('execute', execute);
  assert.match(execute, /✓ 1\/17 backup/);
  assert.match(execute, /\[[#-]+\] \d+\/\d+/);
  const done = await r.tmux.waitFor(/Enter or q to quit/, 300_000);
  keep('done', await r.tmux.screen(true));
  assert.match(done, new RegExp(`Done: cluster ${r.lab.name} is highly available`));
  assert.match(done, /✓ etcd has exactly 3 voting members and no learner/);
  assert.match(done, new RegExp(`API endpoint: https://${r.lab.nodes.find((n) => n.name === 'lb')!.address.replace(/\./g, '\\.')}:6443`));
  assert.equal(await r.tmux.quitWith('q', lostKey), 0);
  assert.match(await r.tmux.screen(), /Session \S+ complete\./);
  assertHa(await etcdMembers(r.lab));
  await r.stop();
});

test('tmux: Ctrl-C mid-step stops safely; ha-wizard started again offers to resume and finishes', async () => {
  const r = await rig('b');
  await reviewAndApprove(r);
  // Mid-conversion: once step 3 (the endpoint certificate, which restarts cp1's apiserver) runs.
  await r.tmux.waitFor(/▸ ([3-9]|1[0-6])\/17 /, 120_000);
  await r.tmux.keys('C-c');
  const stopped = await r.tmux.waitFor(/Enter or q to quit/, 180_000);
  keep('stopped', stopped);
  assert.match(stopped, /Stopped safely\./);
  assert.match(stopped, /Continue with: ha-wizard resume \S+/);
  const session = /ha-wizard resume (\S+)/.exec(stopped)![1]!;
  assert.equal(await r.tmux.quitWith('q', lostKey), 3, 'stopped on request');

  await r.tmux.respawn(r.wizard);
  const offer = await r.tmux.waitFor(/A conversion is in progress/, 30_000);
  keep('resume-offer', offer);
  assert.match(offer, new RegExp(`Session ${session} \\(cluster ${r.lab.name}\\): stopped, \\d+/\\d+ actions done`));
  assert.match(offer, /› *Resume it/);
  await r.tmux.keys('Enter');
  const done = await r.tmux.waitFor(/Enter or q to quit/, 300_000);
  keep('resumed-done', await r.tmux.screen(true));
  assert.match(done, new RegExp(`Done: cluster ${r.lab.name} is highly available`));
  assert.equal(await r.tmux.quitWith('q', lostKey), 0);
  assertHa(await etcdMembers(r.lab));
  await r.stop();
});
