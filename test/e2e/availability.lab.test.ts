/**
 * No failed API request during a conversion: while `ha-wizard apply` turns the lab's single master into
 * three (dedicated nginx, one worker, no failover drill), two streams of authenticated reads and writes
 * run: one against the master's own address for the whole conversion, one against the endpoint from the
 * moment it answers with a certificate valid for its name. Every request must succeed; the longest gap
 * and the write latency (which the etcd member adds and promotions would show) are reported.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { hostPath, labDown, labExec, labUp, type LabState } from '../../lab/lab.js';
import { adminCredentials, applyUnderLoad, type LoadReport } from './client-load.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hawe2e-avail-'));

after(async () => {
  await labDown(dir).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

const line = (what: string, r: LoadReport) =>
  `${what}: ${r.requests} requests, ${r.failed} failed, longest gap ${(r.longestGapMs / 1000).toFixed(1)} s, writes median ${r.writeMs.median} ms p99 ${r.writeMs.p99} ms max ${r.writeMs.max} ms`;

test('a 1 -> 3 conversion fails no API request, on the master\'s address or on the endpoint once it answers', async () => {
  const s: LabState = await labUp({ dir, name: `av${process.pid % 100000}`, promote: 2, workers: 1, proxyHost: true });
  const cp1 = s.nodes.find((n) => n.name === 'cp1')!;
  const creds = adminCredentials(hostPath(cp1, '/etc/kubernetes/admin.conf'));
  const endpoint = (parse(readFileSync(join(dir, 'cluster.yaml'), 'utf8')) as { endpoint: { host: string; port: number } }).endpoint;
  const run = await applyUnderLoad(
    (argv) => labExec(dir, argv, { timeoutMs: 600_000 }),
    CLI,
    join(dir, 'cluster.yaml'),
    join(dir, 'state'),
    `https://${cp1.address}:6443`,
    `https://${endpoint.host}:${endpoint.port}`,
    creds,
  );
  const { apply: result, master: m, endpoint: e } = run;
  process.stdout.write(`# ${line("master's address", m)}\n`);
  if (e) process.stdout.write(`# ${line('endpoint', e)}\n`);
  assert.equal(result.code, 0, `apply failed:\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`);
  assert.ok(m.requests > 50, `only ${m.requests} requests against the master`);
  assert.deepEqual(m.failures, [], `requests against the master's address failed (${m.failed})`);
  assert.ok(e && e.requests > 10, 'the endpoint never answered with a valid certificate during the conversion');
  assert.deepEqual(e.failures, [], `requests through the endpoint failed (${e.failed})`);
});
