/**
 * Benchmark (not a test): `true` on 50 lab nodes, connect + exec, through the HostPool versus
 * `parallel-ssh -p 50` and `ansible all -m shell -a true -f 50` with the lab's ssh_config, interleaved in the
 * same run. Prints the medians and the ratios ha-wizard / baseline (targets ≤ 0.7 and ≤ 0.1).
 * Ansible is optional and bench-only (`apt-get install ansible-core`); without it that line says so.
 * Run as root: `node dist/test/bench/fanout.js [rounds]`. It runs itself inside a private network namespace.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp } from '../../lab/lab.js';
import { HostPool, mapLimit } from '../../src/ssh/pool.js';
import { runInPrivateNetns } from './netns.js';

const NODES = 50;
const rounds = Number(process.argv[2] ?? 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * A fresh pool each round (ssh config, known_hosts and key read as on a first use). Timed: connect, host key
 * check, auth, run, output collected, as parallel-ssh does. Closing is timed apart: the wizard keeps its
 * connections for the next commands, while parallel-ssh's figure includes its ssh processes exiting.
 */
async function viaPool(dir: string, names: string[]): Promise<{ ms: number; closeMs: number; cpuMs: number }> {
  const pool = new HostPool(
    names.map((name) => ({ name, address: name })),
    { sshConfig: { configPath: join(dir, 'ssh_config') }, agentSocket: null },
  );
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const results = await mapLimit(names, NODES, async (n) => (await pool.get(n)).exec(['true']));
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  await pool.closeAll();
  const closeMs = performance.now() - t0 - ms;
  const bad = results.filter((r) => !r.ok || r.value.code !== 0 || r.value.stdout !== '' || r.value.stderr !== '');
  if (bad.length) throw new Error(`pool: ${bad.length} hosts failed: ${JSON.stringify(bad[0])}`);
  return { ms, closeMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function viaParallelSsh(dir: string, hostsFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('parallel-ssh', ['-p', String(NODES), '-t', '60', '-h', hostsFile, '-x', `-F ${join(dir, 'ssh_config')}`, 'true'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`parallel-ssh exited ${code}: ${err}`))));
  });
}

function hasAnsible(): boolean {
  return spawnSync('sh', ['-c', 'command -v ansible']).status === 0;
}

function viaAnsible(dir: string, inventory: string, work: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('ansible', ['all', '-i', inventory, '-m', 'shell', '-a', 'true', '-f', String(NODES)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        ANSIBLE_SSH_ARGS: `-F ${join(dir, 'ssh_config')} -o ControlMaster=no`,
        ANSIBLE_HOST_KEY_CHECKING: 'False',
        ANSIBLE_LOCAL_TEMP: join(work, 'ansible-local'),
        ANSIBLE_REMOTE_TEMP: '/tmp/.ansible-bench',
        ANSIBLE_PYTHON_INTERPRETER: 'auto_silent',
        ANSIBLE_GATHERING: 'explicit',
      },
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`ansible exited ${code}: ${err.slice(-2000)}`))));
  });
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'haw-bench-fanout-'));
  const dir = join(work, 'lab');
  try {
    const lab = await labUp({ dir, name: `hawfan${process.pid % 100000}`, promote: 1, workers: NODES - 2, cluster: false });
    const names = lab.nodes.filter((n) => n.role !== 'bastion').map((n) => n.name);
    const hostsFile = join(work, 'hosts');
    writeFileSync(hostsFile, `${names.join('\n')}\n`);
    const inventory = join(work, 'inventory');
    writeFileSync(inventory, `${names.join('\n')}\n`);
    const ansible = hasAnsible();
    // Warm-up: page cache, sshd's first fork on every node, Ansible's Python imports.
    await viaParallelSsh(dir, hostsFile);
    if (ansible) await viaAnsible(dir, inventory, work);
    const pool: number[] = [];
    const poolClose: number[] = [];
    const poolCpu: number[] = [];
    const pssh: number[] = [];
    const ans: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const p = await viaPool(dir, names);
      pool.push(p.ms);
      poolClose.push(p.closeMs);
      poolCpu.push(p.cpuMs);
      pssh.push(await viaParallelSsh(dir, hostsFile));
      if (ansible) ans.push(await viaAnsible(dir, inventory, work));
    }
    const mp = median(pool);
    const ms = median(pssh);
    const ma = ansible ? median(ans) : NaN;
    process.stdout.write(
      `fan-out of \`true\` to ${names.length} nodes, connect + exec, ${rounds} rounds\n` +
        `  ha-wizard HostPool (ssh2, limit ${NODES}): median ${mp.toFixed(0)} ms  [${pool.map((x) => x.toFixed(0)).join(', ')}]\n` +
        `    its own CPU (user + system) median ${median(poolCpu).toFixed(0)} ms; closing the connections afterwards median ${median(poolClose).toFixed(0)} ms (not in the figure)\n` +
        `  parallel-ssh -p ${NODES}:                   median ${ms.toFixed(0)} ms  [${pssh.map((x) => x.toFixed(0)).join(', ')}]\n` +
        (ansible ? `  ansible -m shell -f ${NODES}:               median ${ma.toFixed(0)} ms  [${ans.map((x) => x.toFixed(0)).join(', ')}]\n` : '  ansible: not installed (bench-only: apt-get install ansible-core)\n') +
        `  ratio ha-wizard / parallel-ssh: ${(mp / ms).toFixed(2)} (target ≤ 0.7); counting the close too: ${(median(pool.map((x, i) => x + poolClose[i]!)) / ms).toFixed(2)}\n` +
        (ansible ? `  ratio ha-wizard / ansible: ${(mp / ma).toFixed(3)} (target ≤ 0.1)\n` : ''),
    );
  } finally {
    await labDown(dir).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
    // The nodes share this machine's /tmp: Ansible's remote temp directory lands here.
    rmSync('/tmp/.ansible-bench', { recursive: true, force: true });
  }
}

await runInPrivateNetns(import.meta.url, main);
