/**
 * Every command the demo prints works when pasted, from where it was printed. In tmux: `ha-wizard demo` brings up its
 * lab and opens the wizard; the conversion is stopped with Ctrl-C; the stopped screen prints how to resume and how to
 * undo; the demo, asked to keep its lab, prints how to see the session and how to stop the lab. Each of those is then
 * run exactly as printed, in a terminal (the same pane): status, resume (stopped again with Ctrl-C), rollback (its
 * preview, then the cluster's name typed), lab down. Also `lab up`'s printed commands, on a lab without Kubernetes.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDown } from '../../lab/lab.js';
import { Tmux } from './tmux.js';

const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const COLS = 100;
const ROWS = 30;
const dir = mkdtempSync(join(tmpdir(), 'hawdemo-'));
const demoDir = join(dir, `hd${randomBytes(2).toString('hex')}`);
let tmux: Tmux | null = null;

after(async () => {
  await tmux?.kill();
  await labDown(demoDir).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** The screen as running text (a row as wide as the terminal was cut mid-word; other breaks are spaces). */
function prose(screen: string): string {
  let out = '';
  for (const row of screen.split('\n')) out += out && out.split('\n').at(-1)!.length === COLS ? row.trimStart() : `\n${row}`;
  return out.replace(/\s+/g, ' ');
}

/**
 * Runs a printed command line as the operator would paste it: into a shell in this terminal. The shell execs it, as an
 * interactive shell leaves Ctrl-C to the command it runs (a waiting `sh -c` would die of the SIGINT itself).
 */
async function paste(t: Tmux, command: string): Promise<void> {
  await t.respawn(['env', '-u', 'CI', 'bash', '-c', `exec ${command}`]);
}

test('demo: each command it prints, pasted as printed, works (status, resume, rollback, lab down)', async () => {
  tmux = await Tmux.start({ dir, argv: ['env', '-u', 'CI', process.execPath, cli, 'demo', '--dir', demoDir], cols: COLS, rows: ROWS });
  const t = tmux;
  await t.waitFor(/Enter to make the plan/, 900_000);
  await t.keys('Enter');
  const plan = await t.waitFor(/a: approve/, 120_000);
  const cluster = /Plan [0-9a-f]+ for cluster (\S+):/.exec(plan)?.[1];
  assert.ok(cluster, plan);
  await t.keys('a');
  await t.waitFor(/to\s+apply\s+it/);
  await t.type(cluster);
  await t.keys('Enter');
  await t.waitFor(/▸ ([3-9]|1\d)\/\d+ /, 300_000);
  await t.keys('C-c');
  const stopped = prose(await t.waitFor(/Enter or q to quit/, 300_000));
  const resume = /Continue with: (.+? resume \S+)/.exec(stopped)?.[1];
  const undo = /Or undo everything: (.+? rollback \S+)/.exec(stopped)?.[1];
  assert.ok(resume && undo, stopped);
  // Through the demo, with its directory: the demo's sessions and namespace are found from the command alone.
  assert.match(resume, new RegExp(`demo --dir ${demoDir} resume ${cluster}-\\d{8}-\\d{6}-[0-9a-f]{4}$`));
  const session = resume.split(' ').at(-1)!;
  await t.keys('q');
  await t.waitFor(/Tear the lab down now\? \[Y\/n\]/, 60_000);
  await t.type('n');
  await t.keys('Enter');
  assert.equal(await t.waitExit(60_000), 3, 'the wizard stopped a session: the demo says so with its exit code');
  // Plain lines after the wizard: the terminal wrapped them, tmux joins them back (-J).
  const kept = (await t.screen(true, true)).replace(/\s+/g, ' ');
  const status = /The lab keeps running: (.+?) status and/.exec(kept)?.[1];
  const down = /Stop it later with: (.+? lab down --dir \S+)/.exec(kept)?.[1];
  assert.ok(status && down, kept);

  await paste(t, `${status} status ${session}`);
  assert.equal(await t.waitExit(120_000), 0, await t.screen(true));
  const st = (await t.screen(true, true)).replace(/\s+/g, ' ');
  assert.match(st, new RegExp(`Session ${session} \\(cluster ${cluster}, plan [0-9a-f]+\\): apply stopped: \\d+/\\d+ actions done`));
  assert.match(st, new RegExp(`Continue with: ${resume.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

  await paste(t, resume);
  await t.waitFor(/^ {2}(ok|skip) /m, 300_000);
  await t.keys('C-c');
  assert.equal(await t.waitExit(300_000), 3, await t.screen(true));
  assert.match((await t.screen(true, true)).replace(/\s+/g, ' '), new RegExp(`Stopped safely after the current action\\. Continue with: .*demo --dir ${demoDir} resume ${session}`));

  await paste(t, undo);
  await t.waitFor(/Enter a value:/, 300_000);
  assert.match(await t.screen(true, true), /^Undo 1\/\d+ {2}/m);
  await t.type(cluster);
  await t.keys('Enter');
  assert.equal(await t.waitExit(600_000), 0, await t.screen(true));
  assert.match(await t.screen(), /^Rollback complete: \d+ changed, \d+ already in place\.$/m);

  await paste(t, down);
  // Judged by its effect: the teardown of a lab started from this terminal may leave the screen blank.
  assert.equal(await t.waitExit(300_000), 0, await t.screen(true));
  const lab = JSON.parse(readFileSync(join(demoDir, 'lab.json'), 'utf8')) as { name: string };
  assert.ok(!spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.includes(`${lab.name}-`), 'no namespace of the lab remains');
});

test('lab up prints commands that work as printed: lab ssh, lab exec, lab down', async () => {
  const labDir = join(dir, `lu${randomBytes(2).toString('hex')}`);
  const up = spawnSync(process.execPath, [cli, 'lab', 'up', '--out', labDir, '--promote', '0', '--no-cluster'], { encoding: 'utf8', timeout: 300_000 });
  try {
    assert.equal(up.status, 0, up.stderr);
    const printed = up.stdout.split('\n').map((l) => l.trim());
    const ssh = printed.find((l) => / lab ssh --dir \S+ cp1 -- hostname$/.test(l));
    const stop = /Stop with: (.+)/.exec(up.stdout)?.[1];
    assert.ok(ssh && stop, up.stdout);
    const r = spawnSync('sh', ['-c', ssh], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'cp1');
    const d = spawnSync('sh', ['-c', stop], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(d.status, 0, d.stderr);
    assert.match(d.stdout, /stopped/);
  } finally {
    await labDown(labDir).catch(() => undefined);
  }
});
