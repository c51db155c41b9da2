/**
 * The worker fleet on its own: a lab with a dedicated proxy host and many workers, where only the endpoint
 * steps the fleet needs run (proxy, the master's certificate with the endpoint, the workers' kubelet.conf
 * in batches), built by the real steps from discovered facts. Shared by test/e2e/fleet.lab.test.ts and
 * test/bench/fleet.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { hostPath, labUp, type LabState } from '../../lab/lab.js';
import { proxyStep } from '../../steps/proxy.js';
import { endpointCertStep } from '../../steps/endpoint-cert.js';
import { repointStep } from '../../steps/repoint.js';
import { runSteps, type StepsRun } from './endpoint-run.js';
import type { EngineEvent } from '../../src/engine/model/events.js';

export const KUBELET_CONF = '/etc/kubernetes/kubelet.conf';

export async function fleetLab(dir: string, name: string, workers: number): Promise<LabState> {
  // Two nodes to promote: the config needs 3 control-plane nodes in total; nothing here promotes them.
  return labUp({ dir, name, promote: 2, workers, proxyHost: true });
}

export function workersOf(s: LabState): LabState['nodes'] {
  return s.nodes.filter((n) => n.role === 'worker');
}

export function endpointOfLab(s: LabState): { host: string; port: number; url: string } {
  const doc = parse(readFileSync(join(s.dir, 'cluster.yaml'), 'utf8')) as { endpoint: { host: string; port: number } };
  return { ...doc.endpoint, url: `https://${doc.endpoint.host}:${doc.endpoint.port}` };
}

/** Every worker's kubelet.conf as it is now (to put back between measured rounds). */
export function saveKubeletConfs(s: LabState): Map<string, Buffer> {
  return new Map(workersOf(s).map((w) => [w.name, readFileSync(hostPath(w, KUBELET_CONF))]));
}

export function restoreKubeletConfs(s: LabState, saved: Map<string, Buffer>): void {
  for (const w of workersOf(s)) writeFileSync(hostPath(w, KUBELET_CONF), saved.get(w.name)!, { mode: 0o600 });
}

/**
 * Repoints every worker's kubelet through the engine. `setup`: also the proxy and the master's certificate
 * (once per lab). Returns the run; the fleet's wall time is the sum of the repoint-workers-* steps.
 */
export function repointFleet(s: LabState, setup: boolean, batchSize = 50, onEvent?: (e: EngineEvent) => void): Promise<StepsRun> {
  return runSteps(
    join(s.dir, 'cluster.yaml'),
    (facts, ctx) => [
    ...(setup ? [...proxyStep.build(facts, ctx), ...endpointCertStep.build(facts, ctx)] : []),
      ...repointStep.build(facts, { ...ctx, batchSize }).filter((step) => step.id.startsWith('repoint-workers-')),
    ],
    onEvent ? { onEvent } : {},
  );
}

export function fleetMs(run: StepsRun): number {
  let ms = 0;
  for (const [step, t] of run.stepMs) if (step.startsWith('repoint-workers-')) ms += t;
  return ms;
}
