/**
 * Benchmark (not a test; the verdict is test/e2e/availability.lab.test.ts): authenticated reads and writes
 * (ConfigMap updates with the admin's client certificate, test/e2e/client-load.ts) during a 1 → 3 conversion
 * with `ha-wizard apply --yes` (dedicated nginx, one worker, no failover drill): one stream against the master's
 * own address for the whole conversion, one against the endpoint from the moment it answers with a certificate
 * valid for its name. Same-run baseline: the same stream against the master for BASELINE_S seconds before the
 * conversion starts (nothing changing). Prints requests, failed requests, the longest gap between two successful
 * requests and the write latency of each. Target: 0 failed requests.
 * Run as root: `node dist/test/bench/availability.js`. It runs itself inside a private network namespace.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { hostPath, labDown, labExec, labUp } from '../../lab/lab.js';
import { ClientLoad, adminCredentials, applyUnderLoad, type LoadReport } from '../e2e/client-load.js';
import { runInPrivateNetns } from './netns.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const BASELINE_S = 20;

const line = (what: string, r: LoadReport) =>
  `  ${what}: ${r.requests} requests, ${r.failed} failed, longest gap ${(r.longestGapMs / 1000).toFixed(2)} s, writes median ${r.writeMs.median} ms p99 ${r.writeMs.p99} ms max ${r.writeMs.max} ms\n`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'haw-bench-avail-'));
  try {
    const s = await labUp({ dir, name: `hawav${process.pid % 10000}`, promote: 2, workers: 1, proxyHost: true });
    const cp1 = s.nodes.find((n) => n.name === 'cp1')!;
    const creds = adminCredentials(hostPath(cp1, '/etc/kubernetes/admin.conf'));
    const endpoint = (parse(readFileSync(join(dir, 'cluster.yaml'), 'utf8')) as { endpoint: { host: string; port: number } }).endpoint;
    const masterUrl = `https://${cp1.address}:6443`;

    const idle = new ClientLoad(masterUrl, creds, 'load-idle');
    idle.start();
    await new Promise((r) => setTimeout(r, BASELINE_S * 1000));
    const baseline = await idle.stop();

    const run = await applyUnderLoad(
      (argv) => labExec(dir, argv, { timeoutMs: 600_000 }),
      CLI,
      join(dir, 'cluster.yaml'),
      join(dir, 'state'),
      masterUrl,
      `https://${endpoint.host}:${endpoint.port}`,
      creds,
    );
    const { apply: result, master: m, endpoint: e } = run;
    const wallS = run.wallMs / 1000;
    if (result.code !== 0) throw new Error(`apply exited ${result.code}: ${result.stderr.slice(-2000)}`);
    process.stdout.write(
      `client load during a 1 → 3 conversion (apply --yes, ${wallS.toFixed(1)} s; dedicated nginx, 1 worker, no drill)\n` +
        line(`baseline: the master's address, ${BASELINE_S} s before the conversion`, baseline) +
        line("during: the master's address, the whole conversion", m) +
        (e ? line('during: the endpoint, from its first valid answer', e) : '  the endpoint never answered with a valid certificate during the conversion\n') +
        `  failed requests during the conversion: ${m.failed + (e?.failed ?? 0)} (target 0); longest gap ${(Math.max(m.longestGapMs, e?.longestGapMs ?? 0) / 1000).toFixed(2)} s (baseline ${(baseline.longestGapMs / 1000).toFixed(2)} s)\n`,
    );
  } finally {
    await labDown(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await runInPrivateNetns(import.meta.url, main);
