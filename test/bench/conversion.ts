/**
 * Benchmark (not a test): a full 1 → 3 conversion on the lab (nginx on a dedicated host, 2 workers) with
 * `ha-wizard apply --yes`, a fresh lab per round. Splits the wall time with the session's own journal
 * (test/e2e/timing.ts): waiting on the cluster (wait actions and commands that retry until the cluster
 * lets them through) versus ha-wizard's own work; and reports the wizard process's CPU time and peak
 * RSS from /usr/bin/time. Targets: ha-wizard's own work (its CPU time) ≤ 5 % of the wall time, and the wall time
 * within 1.3× the time spent waiting on the cluster.
 * Run as root: `node dist/test/bench/conversion.js [rounds]`. It runs itself inside a private network namespace.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDown, labUp } from '../../lab/lab.js';
import { applyTiming, sessionDirs, type ApplyTiming } from '../e2e/timing.js';
import { runInPrivateNetns } from './netns.js';

const rounds = Number(process.argv[2] ?? 1);
const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

interface Round extends ApplyTiming {
  cpuMs: number;
  maxRssMB: number;
}

function run(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

async function oneRound(work: string, i: number): Promise<Round> {
  const dir = join(work, `lab${i}`);
  const state = join(work, `state${i}`);
  mkdirSync(state, { recursive: true });
  try {
    await labUp({ dir, name: `hawcv${process.pid % 10000}${i}`, promote: 2, workers: 2, proxyHost: true });
    const timeFile = join(work, `time${i}.txt`);
    const startedAt = Date.now();
    const t0 = performance.now();
    const r = await run(['/usr/bin/time', '-v', '-o', timeFile, process.execPath, cli, 'apply', '-c', join(dir, 'cluster.yaml'), '--yes'], { ...process.env, HA_WIZARD_STATE_DIR: state, NO_COLOR: '1', CI: '1' });
    const wallMs = performance.now() - t0;
    if (r.code !== 0) throw new Error(`apply exited ${r.code}: ${r.stderr.slice(-2000)}`);
    const time = readFileSync(timeFile, 'utf8');
    const num = (re: RegExp) => Number(re.exec(time)?.[1] ?? NaN);
    const cpuMs = (num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/)) * 1000;
    const maxRssMB = num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024;
    const [session] = sessionDirs(state);
    return { ...applyTiming(session!, startedAt, wallMs), cpuMs, maxRssMB };
  } finally {
    await labDown(dir).catch(() => undefined);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'haw-bench-convert-'));
  try {
    const all: Round[] = [];
    for (let i = 0; i < rounds; i++) all.push(await oneRound(work, i));
    const m = (f: (r: Round) => number) => median(all.map(f));
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const wall = m((r) => r.wallMs);
    const wait = m((r) => r.waitActionsMs + r.retryingCommandsMs);
    const own = m((r) => r.wizardMs);
    process.stdout.write(
      `1 → 3 conversion (nginx dedicated, 2 workers), apply --yes, ${rounds} round(s), medians\n` +
        `  wall ${s(wall)}: before the journal (connect, discovery, preflight, plan, certificates) ${s(m((r) => r.beforeJournalMs))}, ` +
        `journal span ${s(m((r) => r.journalMs))} = waiting on the cluster ${s(wait)} (wait actions ${s(m((r) => r.waitActionsMs))}, retrying commands ${s(m((r) => r.retryingCommandsMs))}) + ha-wizard's own work ${s(own)}\n` +
        `  wizard process CPU ${s(m((r) => r.cpuMs))} (${((m((r) => r.cpuMs) / wall) * 100).toFixed(1)} % of wall), peak RSS ${m((r) => r.maxRssMB).toFixed(0)} MB\n` +
        `  slowest actions: ${all[0]!.slowest.map((x) => `${x.action} ${s(x.ms)}`).join(', ')}\n` +
        `  ha-wizard's own work (its process's CPU) / wall: ${((m((r) => r.cpuMs) / wall) * 100).toFixed(1)} % (target ≤ 5 %)\n` +
        `  wall / waiting on the cluster: ${(wall / wait).toFixed(2)} (target ≤ 1.3)\n` +
        `  the rest of the journal span (SSH round trips, file writes, bookkeeping) / wall: ${((own / wall) * 100).toFixed(1)} %, with the pre-journal phase: ${(((own + m((r) => r.beforeJournalMs)) / wall) * 100).toFixed(1)} %\n`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await runInPrivateNetns(import.meta.url, main);
