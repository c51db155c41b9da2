/**
 * Benchmark (not a test): planning a conversion to 7 control-plane nodes (1 + 6 promoted) with 1,000
 * workers, discovery stubbed with recorded facts (test/steps/facts-fixture.ts, built from kubeadm's
 * reference manifests). Times steps → plan (certificates included) → serialized plan, in a fresh process
 * per run so module loading and JIT warm-up count as they do for an operator; reports the peak RSS.
 * Target: < 2 s and < 300 MB. Run: `node dist/test/bench/planning.js [runs]`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 5);

async function once(): Promise<void> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const t0 = performance.now();
  const { makeFacts } = await import('../steps/facts-fixture.js');
  const { factsFingerprint } = await import('../../src/discovery/parse.js');
  const { planConversion } = await import('../../src/conversion/pipeline.js');
  const { serializePlan } = await import('../../src/engine/model/plan.js');
  const tLoaded = performance.now();
  const facts = makeFacts({ promote: 6, workers: 1000 });
  const plan = planConversion({ facts, fingerprint: factsFingerprint(facts), checks: [] });
  const text = serializePlan(plan);
  const t1 = performance.now();
  peak = Math.max(peak, process.memoryUsage().rss);
  clearInterval(sampler);
  process.stdout.write(`${JSON.stringify({ ms: t1 - t0, loadMs: tLoaded - t0, actions: plan.actions.length, steps: plan.steps.length, planBytes: text.length, peakRss: peak })}\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface PlanningResult {
  medianMs: number;
  peakRssMB: number;
  actions: number;
  planMB: number;
}

export function benchPlanning(n = runs): PlanningResult {
  const results: Array<{ ms: number; loadMs: number; actions: number; planBytes: number; peakRss: number }> = [];
  for (let i = 0; i < n; i++) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--once'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`planning run failed: ${r.stderr}`);
    results.push(JSON.parse(r.stdout.trim().split('\n').at(-1)!));
  }
  const out: PlanningResult = {
    medianMs: median(results.map((r) => r.ms)),
    peakRssMB: Math.max(...results.map((r) => r.peakRss)) / 2 ** 20,
    actions: results[0]!.actions,
    planMB: results[0]!.planBytes / 2 ** 20,
  };
  process.stdout.write(
    `planning 7 control-plane nodes + 1,000 workers (discovery stubbed), ${n} fresh processes\n` +
      `  median ${out.medianMs.toFixed(0)} ms [${results.map((r) => r.ms.toFixed(0)).join(', ')}] (module load ${median(results.map((r) => r.loadMs)).toFixed(0)} ms of it), ` +
      `peak RSS ${out.peakRssMB.toFixed(0)} MB, ${out.actions} actions, plan ${out.planMB.toFixed(1)} MB (target < 2000 ms, < 300 MB)\n`,
  );
  return out;
}

if (process.argv[2] === '--once') await once();
else if (process.argv[1] === fileURLToPath(import.meta.url)) benchPlanning();
