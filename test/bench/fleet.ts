/**
 * Benchmark (not a test): repointing 50 lab workers' kubelet.conf to the endpoint, the engine's
 * repoint-workers steps (canary of one, then 49; with their write, restart and health gates) versus
 * `parallel-ssh -p 50` doing only the bare edit (`sed -i` of the server line) and `systemctl restart kubelet`,
 * on the same 50 nodes in the same run. Every round starts from the original kubelet.conf files.
 * Prints both medians and the ratio (target: ≤ 1.5× parallel-ssh).
 * Run as root: `node dist/test/bench/fleet.js [rounds] [workers] [batch size]`. It runs itself inside a private network namespace.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown } from '../../lab/lab.js';
import type { StepsRun } from '../e2e/endpoint-run.js';
import { KUBELET_CONF, endpointOfLab, fleetLab, fleetMs, repointFleet, restoreKubeletConfs, saveKubeletConfs, workersOf } from '../e2e/endpoint-fleet.js';
import { runInPrivateNetns } from './netns.js';

const WORKERS = Number(process.argv[3] ?? 50);
const rounds = Number(process.argv[2] ?? 3);
const CAP = 50;
/** Workers per batch after the canary (the config's workerBatchSize); default: the step's default, 50. */
const BATCH = Number(process.argv[4] ?? 50);

/** The machine's CPU time so far (all cores), busy and total, from /proc/stat: what the lab's nodes and the wizard share. */
function cpuTimes(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Runs fn and returns its result with the share of the machine's CPU that was busy meanwhile. */
async function withBusy<T>(fn: () => Promise<T>, into: number[]): Promise<T> {
  const a = cpuTimes();
  const r = await fn();
  const b = cpuTimes();
  into.push((b.busy - a.busy) / Math.max(1, b.total - a.total));
  return r;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function parallelSsh(dir: string, hostsFile: string, command: string, par = WORKERS): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('parallel-ssh', ['-p', String(par), '-t', '120', '-h', hostsFile, '-x', `-F ${join(dir, 'ssh_config')}`, command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`parallel-ssh exited ${code}: ${out.slice(-2000)}`))));
  });
}

/**
 * Where a run's fleet time went: each repoint-workers step's wall time, and per kind of action (the part of
 * its id after the host) the median and slowest duration, from the engine's events as they came.
 */
function breakdown(run: StepsRun): string {
  const startAt = new Map<string, number>();
  const byKind = new Map<string, number[]>();
  run.events.forEach((e, i) => {
    if (e.type === 'action-start') startAt.set(e.action, run.eventAt[i]!);
    if (e.type === 'action-done' && startAt.has(e.action) && e.action.startsWith('repoint-workers-')) {
      const kind = e.action.split('/').slice(2).join('/');
      byKind.set(kind, [...(byKind.get(kind) ?? []), run.eventAt[i]! - startAt.get(e.action)!]);
    }
  });
  const ms = (x: number) => `${Math.round(x)} ms`;
  const steps = [...run.stepMs].filter(([s]) => s.startsWith('repoint-workers-')).map(([s, t]) => `${s} ${ms(t)}`);
  const kinds = [...byKind].map(([k, xs]) => `${k} median ${ms(median(xs))} max ${ms(Math.max(...xs))}`);
  return `  last ha-wizard round: ${steps.join(', ')}\n  per action: ${kinds.join('; ')}\n`;
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
    const setup = await repointFleet(lab, true, BATCH);
    if (setup.outcome.status !== 'finished') throw new Error(`setup run: ${JSON.stringify(setup.outcome)}`);
    const engine: number[] = [fleetMs(setup)];
    // The same runs without the canary step (repoint-workers-1): the part parallel-ssh's bare edit compares to.
    const batches: number[] = [fleetMs(setup) - (setup.stepMs.get('repoint-workers-1') ?? 0)];
    let last: StepsRun = setup;
    const pssh: number[] = [];
    // How busy the 2 cores were during each measured run (the nodes' sshd, node agents and the apiserver share them).
    const busyEngine: number[] = [];
    const busyPssh: number[] = [];
    // Above 50 workers, also parallel-ssh at ha-wizard's own cap of hosts at once (DEFAULT_MAX_PARALLEL_HOSTS, 50).
    const capped = WORKERS > CAP;
    const psshCapped: number[] = [];
    for (let i = 0; i < rounds; i++) {
      if (capped) {
        restoreKubeletConfs(lab, original);
        await parallelSsh(dir, hostsFile, back);
        psshCapped.push(await parallelSsh(dir, hostsFile, sed, CAP));
      }
      restoreKubeletConfs(lab, original);
      await parallelSsh(dir, hostsFile, back);
      pssh.push(await withBusy(() => parallelSsh(dir, hostsFile, sed), busyPssh));
      if (i === rounds - 1 && engine.length >= rounds) break;
      restoreKubeletConfs(lab, original);
      await parallelSsh(dir, hostsFile, back);
      // CPU sampled from the first worker step's start to the last one's end (discovery and planning excluded).
      const span: { from?: { busy: number; total: number }; to?: { busy: number; total: number } } = {};
      const run = await repointFleet(lab, false, BATCH, (e) => {
        if (e.type === 'step-start' && e.step.startsWith('repoint-workers-')) span.from ??= cpuTimes();
        if (e.type === 'step-done' && e.step.startsWith('repoint-workers-')) span.to = cpuTimes();
      });
      if (span.from && span.to) busyEngine.push((span.to.busy - span.from.busy) / Math.max(1, span.to.total - span.from.total));
      if (run.outcome.status !== 'finished') throw new Error(`round ${i + 1}: ${JSON.stringify(run.outcome)}`);
      engine.push(fleetMs(run));
      batches.push(fleetMs(run) - (run.stepMs.get('repoint-workers-1') ?? 0));
      last = run;
    }
    restoreKubeletConfs(lab, original);
    const me = median(engine);
    const mp = median(pssh);
    process.stdout.write(
      `repoint ${WORKERS} workers' kubelet.conf to ${url} and restart the kubelet\n` +
        `  ha-wizard repoint-workers steps (canary 1, then batches of up to ${BATCH}, with health gates): median ${(me / 1000).toFixed(2)} s  [${engine.map((x) => (x / 1000).toFixed(2)).join(', ')}]\n` +
        `  parallel-ssh -p ${WORKERS}, sed -i + systemctl restart kubelet:             median ${(mp / 1000).toFixed(2)} s  [${pssh.map((x) => (x / 1000).toFixed(2)).join(', ')}]\n` +
        `  ratio ha-wizard / parallel-ssh: ${(me / mp).toFixed(2)} (target ≤ 1.5)\n` +
        `  without the canary step (its batches of up to ${BATCH} only): median ${(median(batches) / 1000).toFixed(2)} s, ratio ${(median(batches) / mp).toFixed(2)}\n` +
        (capped
          ? `  parallel-ssh -p ${CAP} (ha-wizard's cap of hosts at once): median ${(median(psshCapped) / 1000).toFixed(2)} s  [${psshCapped.map((x) => (x / 1000).toFixed(2)).join(', ')}]; ratio ha-wizard / parallel-ssh -p ${CAP}: ${(me / median(psshCapped)).toFixed(2)}\n`
          : '') +
        `  machine CPU busy (all cores, median): during ha-wizard's worker steps ${(median(busyEngine) * 100).toFixed(0)} %, during parallel-ssh ${(median(busyPssh) * 100).toFixed(0)} %\n` +
        breakdown(last),
    );
  } finally {
    await labDown(dir).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

await runInPrivateNetns(import.meta.url, main);
