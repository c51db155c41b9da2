/**
 * Benchmark (not a test): discovery, preflight, the old-address audit and planning (`ha-wizard plan --json`)
 * against the lab's real kube-apiserver, first as the lab is (its handful of Nodes: the same-run baseline), then
 * with 5,000 more Node objects: kwok-style, no host behind them, each with an InternalIP, created through the
 * real apiserver in Lists of 500. ha-wizard reads Nodes in pages of 500; those Nodes have no host to reach, so
 * the audit reports each as a node whose kubelet keeps the old address (in the plan's JSON: checked here).
 * Prints the medians, the ratio and ha-wizard's CPU and peak RSS (from /usr/bin/time).
 * Run as root: `node dist/test/bench/discovery.js [rounds] [extra Nodes] [real workers]`. It runs itself inside a private network namespace.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDown, labExec, labUp, type LabState } from '../../lab/lab.js';
import { runInPrivateNetns } from './netns.js';

const rounds = Number(process.argv[2] ?? 3);
const EXTRA = Number(process.argv[3] ?? 5000);
/** Real workers in the lab (each with its sshd and node agent; the config lists them, so discovery connects to each). */
const WORKERS = Number(process.argv[4] ?? 1);
const PAGE = 500;
const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

interface Round {
  wallMs: number;
  cpuMs: number;
  maxRssMB: number;
  nodesSeen: number;
}

function run(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** One `plan --json`: wall, CPU, peak RSS, and how many Nodes the plan's audit names as unreachable. */
async function planOnce(lab: LabState, work: string, i: number): Promise<Round> {
  const timeFile = join(work, `time-${i}.txt`);
  const t0 = performance.now();
  const r = await run(['/usr/bin/time', '-v', '-o', timeFile, process.execPath, cli, 'plan', '-c', join(lab.dir, 'cluster.yaml'), '--json'], {
    ...process.env,
    HA_WIZARD_STATE_DIR: join(work, 'state'),
    NO_COLOR: '1',
  });
  const wallMs = performance.now() - t0;
  if (r.code !== 0) throw new Error(`plan exited ${r.code}: ${r.stderr.slice(-2000)}`);
  const time = readFileSync(timeFile, 'utf8');
  const num = (re: RegExp) => Number(re.exec(time)?.[1] ?? NaN);
  // Every extra Node's name appears in the output (the audit's list of nodes that cannot be reached).
  const nodesSeen = (r.stdout.match(/"kwok-\d+"/g) ?? []).length;
  return {
    wallMs,
    cpuMs: (num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/)) * 1000,
    maxRssMB: num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024,
    nodesSeen,
  };
}

function kwokNodes(from: number, count: number): string {
  const items = Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: `kwok-${i}`, labels: { 'kubernetes.io/hostname': `kwok-${i}`, type: 'kwok' } },
      spec: { taints: [{ key: 'kwok.x-k8s.io/node', value: 'fake', effect: 'NoSchedule' }] },
      status: { addresses: [{ type: 'InternalIP', address: `10.250.${Math.floor(i / 250)}.${(i % 250) + 1}` }] },
    };
  });
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

async function addNodes(lab: LabState): Promise<number> {
  const t0 = performance.now();
  const admin = join(lab.nodes.find((n) => n.role === 'master')!.hostDir, 'etc-kubernetes', 'admin.conf');
  for (let from = 0; from < EXTRA; from += PAGE) {
    const r = await labExec(lab.dir, ['kubectl', '--kubeconfig', admin, 'create', '-f', '-', '-o', 'name'], { input: kwokNodes(from, Math.min(PAGE, EXTRA - from)), timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`creating Nodes ${from}..: ${r.stderr.slice(-1000)}`);
  }
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function summary(label: string, all: Round[]): string {
  const m = (f: (r: Round) => number) => median(all.map(f));
  return `  ${label}: median ${(m((r) => r.wallMs) / 1000).toFixed(2)} s [${all.map((r) => (r.wallMs / 1000).toFixed(2)).join(', ')}], CPU ${(m((r) => r.cpuMs) / 1000).toFixed(2)} s, peak RSS ${m((r) => r.maxRssMB).toFixed(0)} MB\n`;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'haw-bench-discovery-'));
  const dir = join(work, 'lab');
  try {
    const lab = await labUp({ dir, name: `hawdsc${process.pid % 10000}`, promote: 2, workers: WORKERS, proxyHost: true });
    await planOnce(lab, work, -1); // warm-up: page cache, sshd, the apiserver's caches
    const before: Round[] = [];
    for (let i = 0; i < rounds; i++) before.push(await planOnce(lab, work, i));
    const createdMs = await addNodes(lab);
    const after: Round[] = [];
    for (let i = 0; i < rounds; i++) after.push(await planOnce(lab, work, rounds + i));
    const seen = Math.min(...after.map((r) => r.nodesSeen));
    if (seen < EXTRA) throw new Error(`the plan named ${seen} of the ${EXTRA} extra Nodes: discovery did not read them all`);
    const ratio = median(after.map((r) => r.wallMs)) / median(before.map((r) => r.wallMs));
    process.stdout.write(
      `discovery + preflight + audit + plan (ha-wizard plan --json) on the lab's kube-apiserver (1 master, 2 to promote, ${WORKERS} worker${WORKERS === 1 ? '' : 's'} in the config)\n` +
        summary(`as the lab is (${lab.nodes.filter((n) => ['master', 'promote', 'worker'].includes(n.role)).length} Nodes)`, before) +
        summary(`with ${EXTRA.toLocaleString('en-US')} kwok-style Nodes more`, after) +
        `  ${EXTRA.toLocaleString('en-US')} Nodes created through the apiserver in ${(createdMs / 1000).toFixed(1)} s; each plan named all of them\n` +
        `  ratio with / without: ${ratio.toFixed(2)}\n`,
    );
  } finally {
    await labDown(dir).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

await runInPrivateNetns(import.meta.url, main);
