/**
 * A fleet of 50 workers repointed by the real repoint-workers steps (canary of one, then a batch of 49),
 * after the proxy and the master's certificate: every kubelet.conf names the endpoint, and every node is
 * Ready through it as kubectl sees it. The timing against parallel-ssh lives in test/bench/fleet.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostPath, labDown, labExec, type LabState } from '../../lab/lab.js';
import { KUBELET_CONF, endpointOfLab, fleetLab, fleetMs, repointFleet, workersOf } from './endpoint-fleet.js';
import { fileOf, ok, serverOf } from './endpoint-judge.js';

const WORKERS = 50;
const dir = mkdtempSync(join(tmpdir(), 'haw-e2e-fleet-'));
const kubeCache = mkdtempSync(join(tmpdir(), 'haw-e2e-kcache-'));
let s: LabState;

before(async () => {
  s = await fleetLab(dir, `f${process.pid % 100000}`, WORKERS);
});

after(async () => {
  await labDown(dir).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  rmSync(kubeCache, { recursive: true, force: true });
});

test(`${WORKERS} workers repointed in batches: kubelet.conf names the endpoint, every node Ready through it`, async () => {
  const { url } = endpointOfLab(s);
  const run = await repointFleet(s, true);
  assert.deepEqual(run.outcome.status, 'finished', JSON.stringify(run.outcome));
  assert.deepEqual(
    run.plan.steps.map((st) => st.id),
    ['proxy', 'endpoint-cert', 'repoint-workers-1', 'repoint-workers-2'],
  );
  process.stdout.write(`# fleet of ${WORKERS}: repoint-workers steps took ${(fleetMs(run) / 1000).toFixed(1)} s\n`);
  for (const w of workersOf(s)) assert.equal(serverOf(readFileSync(hostPath(w, KUBELET_CONF), 'utf8')), url, `${w.name} kubelet.conf`);
  const out = ok(
    await labExec(s.dir, ['kubectl', '--kubeconfig', fileOf(s, 'cp1', '/etc/kubernetes/admin.conf'), '--server', url, '--request-timeout=20s', 'get', 'nodes', '-o', 'json'], {
      env: { ...process.env, KUBECACHEDIR: kubeCache },
      timeoutMs: 60_000,
    }),
    'kubectl get nodes through the endpoint',
  );
  const nodes = (JSON.parse(out) as { items: Array<{ metadata: { name: string }; status: { conditions: Array<{ type: string; status: string }> } }> }).items;
  const workers = nodes.filter((n) => /^w\d+$/.test(n.metadata.name));
  assert.equal(workers.length, WORKERS);
  for (const n of workers) assert.equal(n.status.conditions.find((c) => c.type === 'Ready')?.status, 'True', `${n.metadata.name} Ready`);
});
