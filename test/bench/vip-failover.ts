/**
 * Benchmark (not a test) of issue #16's failover drill: a lab converted 1 → 3 onto a virtual IP (`ha-wizard apply
 * --yes`), then N drills in a row with the drill's own scripts (steps/kit/vip-drill.ts): a worker probes the
 * endpoint through the address every 100 ms (TLS verified, the kubelet's credentials), the node that holds it loses
 * its network (eth0 down) for 15 s; the recovery is the time from the last answer before the cut to the first of 20
 * answers in a row after it. Between drills the stopped node must be back: every apiserver answers, the agent runs
 * on every node, one node holds the address. Prints each drill, then median and worst.
 *
 * Run as root: `node dist/test/bench/vip-failover.js [keepalived|kube-vip] [drills] [advert-interval-s]` (defaults
 * keepalived, 5, the config's default 1 s; keepalived only: proxy.vip.advertIntervalSeconds written into cluster.yaml
 * before the conversion). It runs itself inside a private network namespace. About 1 minute per drill plus 2 for the
 * lab and the conversion.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { labDown, labUp, type LabState } from '../../lab/lab.js';
import { drillOnce, median, waitWhole, type DrillResult } from '../e2e/vip-lab.js';
import { runInPrivateNetns } from './netns.js';

const provider = (process.argv[2] ?? 'keepalived') as 'keepalived' | 'kube-vip';
const drills = Number(process.argv[3] ?? 5);
const advert = process.argv[4] === undefined ? null : Number(process.argv[4]);
const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

function apply(s: LabState, stateDir: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'apply', '-c', join(s.dir, 'cluster.yaml'), '--yes'], { env: { ...process.env, HA_WIZARD_STATE_DIR: stateDir, NO_COLOR: '1', CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}

async function main(): Promise<void> {
  if (provider !== 'keepalived' && provider !== 'kube-vip') throw new Error(`provider is keepalived or kube-vip, got ${provider}`);
  const dir = mkdtempSync(join(tmpdir(), 'haw-bench-vip-'));
  try {
    const t0 = Date.now();
    const s = await labUp({ dir, name: `hawvb${process.pid % 10000}`, vip: provider, promote: 2, workers: 1 });
    if (advert !== null) {
      const path = join(dir, 'cluster.yaml');
      const doc = parse(readFileSync(path, 'utf8')) as { proxy: { vip?: Record<string, unknown> } };
      doc.proxy.vip = { ...(doc.proxy.vip ?? {}), advertIntervalSeconds: advert };
      writeFileSync(path, stringify(doc));
    }
    const t1 = Date.now();
    const r = await apply(s, join(dir, 'state'));
    if (r.code !== 0) throw new Error(`apply exited ${r.code}: ${r.out.slice(-3000)}`);
    const t2 = Date.now();
    process.stdout.write(`${provider}${advert !== null ? ` (advert_int ${advert} s)` : ''}: lab up ${((t1 - t0) / 1000).toFixed(1)} s, conversion 1 -> 3 ${((t2 - t1) / 1000).toFixed(1)} s\n`);
    const cfg = parse(readFileSync(join(dir, 'cluster.yaml'), 'utf8')) as { endpoint: { host: string; port: number } };
    const o = { address: cfg.endpoint.host, endpoint: cfg.endpoint.host, endpointPort: cfg.endpoint.port, apiserverPort: s.options.apiserverPort, worker: 'w1', provider };
    const results: DrillResult[] = [];
    for (let i = 0; i < drills; i++) {
      await waitWhole(s, o);
      const d = await drillOnce(s, o);
      results.push(d);
      process.stdout.write(`  drill ${i + 1}: ${d.holder} cut, ${d.failed} of ${d.requests} requests failed, recovery ${d.recoverySeconds.toFixed(2)} s\n`);
    }
    await waitWhole(s, o);
    const rec = results.map((d) => d.recoverySeconds);
    process.stdout.write(
      `${provider}${advert !== null ? ` (advert_int ${advert} s)` : ''}, ${drills} drills: recovery median ${median(rec).toFixed(2)} s, worst ${Math.max(...rec).toFixed(2)} s, best ${Math.min(...rec).toFixed(2)} s; ` +
        `failed requests median ${median(results.map((d) => d.failed))}, worst ${Math.max(...results.map((d) => d.failed))}\n`,
    );
  } finally {
    await labDown(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await runInPrivateNetns(import.meta.url, main);
