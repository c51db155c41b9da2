/**
 * Benchmark (not a test): repointing 50 lab workers' kubelet.conf to the endpoint, the engine's
 * repoint-workers steps (canary of one, then 49; with their write, restart and health gates) versus
 * `parallel-ssh -p 50` doing only the bare edit (`sed -i` of the server line) and `systemctl restart kubelet`,
 * on the same 50 nodes in the same run. Every round starts from the original kubelet.conf files.
 * Prints both medians and the ratio (target: ≤ 1.5× parallel-ssh).
 * Run as root: `node dist/test/bench/fleet.js [rounds]`. It runs itself inside a private network namespace.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown } from '../../lab/lab.js';
import { KUBELET_CONF, endpointOfLab, fleetLab, fleetMs, repointFleet, restoreKubeletConfs, saveKubeletConfs, workersOf } from '../e2e/endpoint-fleet.js';
import { runInPrivateNetns } from './netns.js';

const WORKERS = Number(process.argv[3] ?? 50);
const rounds = Number(process.argv[2] ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function parallelSsh(dir: string, hostsFile: string, command: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('parallel-ssh', ['-p', String(WORKERS), '-t', '120', '-h', hostsFile, '-x', `-F ${join(dir, 'ssh_config')}`, command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`parallel-ssh exited ${code}: ${out.slice(-2000)}`))));
  });
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'haw-bench-fleet-'));
  const dir = join(work, 'lab');
  try {
    const t0 = performance.now();
    const lab = await fleetLab(dir, `hawflt${process.pid % 10000}`, WORKERS);
    process.stdout.write(`lab of ${lab.nodes.length} nodes up in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const workers = workersOf(lab);
    const hostsFile = join(work, 'hosts');
    writeFileSync(hostsFile, `${workers.map((w) => w.name).join('\n')}\n`);
    const { url } = endpointOfLab(lab);
    const original = saveKubeletConfs(lab);
    const sed = `sed -i 's#^\\( *server:\\).*#\\1 ${url}#' ${KUBELET_CONF} && systemctl restart kubelet`;
    const back = 'systemctl restart kubelet';

    // Round 0 sets up the proxy and the master's certificate (not measured), and warms the page cache and sshd.
    const setup = await repointFleet(lab, true);
    if (setup.outcome.status !== 'finished') throw new Error(`setup run: ${JSON.stringify(setup.outcome)}`);
    const engine: number[] = [fleetMs(setup)];
    const pssh: number[] = [];
    for (let i = 0; i < rounds; i++) {
      restoreKubeletConfs(lab, original);
      await parallelSsh(dir, hostsFile, back);
      pssh.push(await parallelSsh(dir, hostsFile, sed));
      if (i === rounds - 1 && engine.length >= rounds) break;
      restoreKubeletConfs(lab, original);
      await parallelSsh(dir, hostsFile, back);
      const run = await repointFleet(lab, false);
      if (run.outcome.status !== 'finished') throw new Error(`round ${i + 1}: ${JSON.stringify(run.outcome)}`);
      engine.push(fleetMs(run));
    }
    restoreKubeletConfs(lab, original);
    const me = median(engine);
    const mp = median(pssh);
    process.stdout.write(
      `repoint ${WORKERS} workers' kubelet.conf to ${url} and restart the kubelet\n` +
        `  ha-wizard repoint-workers steps (canary 1 + batch ${WORKERS - 1}, with health gates): median ${(me / 1000).toFixed(2)} s  [${engine.map((x) => (x / 1000).toFixed(2)).join(', ')}]\n` +
        `  parallel-ssh -p ${WORKERS}, sed -i + systemctl restart kubelet:             median ${(mp / 1000).toFixed(2)} s  [${pssh.map((x) => (x / 1000).toFixed(2)).join(', ')}]\n` +
        `  ratio ha-wizard / parallel-ssh: ${(me / mp).toFixed(2)} (target ≤ 1.5)\n`,
    );
  } finally {
    await labDown(dir).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

await runInPrivateNetns(import.meta.url, main);
