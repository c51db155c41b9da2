/**
 * Benchmark (not a test): planning a conversion to 5 control-plane nodes (1 + 4 promoted) with 1,000 and with
 * 5,000 workers, discovery stubbed with recorded facts (test/steps/facts-fixture.ts, built from kubeadm's
 * reference manifests). Times steps → plan (certificates included) → serialized plan → preview → folded
 * preview text, in a fresh process per run so module loading and JIT warm-up count as they do for an
 * operator; reports the peak RSS. The same-run baseline is the 1,000-worker plan: 5,000 workers should cost
 * at most 5× its per-worker part (linear). Target: < 3 s and < 400 MB at 5,000 workers.
 * Run: `node dist/test/bench/planning.js [runs]`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 5);

interface Once {
  ms: number;
  /** CPU time of the process (user + system): what the load of a shared machine does not inflate. */
  cpuMs: number;
  loadMs: number;
  planMs: number;
  previewMs: number;
  actions: number;
  steps: number;
  planBytes: number;
  previewLines: number;
  peakRss: number;
}

async function once(workers: number): Promise<void> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const t0 = performance.now();
  const { makeFacts } = await import('../steps/facts-fixture.js');
  const { factsFingerprint } = await import('../../src/discovery/parse.js');
  const { planConversion } = await import('../../src/conversion/pipeline.js');
  const { serializePlan } = await import('../../src/engine/model/plan.js');
  const { buildPreview } = await import('../../src/engine/preview/preview.js');
  const { renderPreview } = await import('../../src/reporters/preview-text.js');
  const tLoaded = performance.now();
  const facts = makeFacts({ promote: 4, workers });
  const plan = planConversion({ facts, fingerprint: factsFingerprint(facts), checks: [] });
  const text = serializePlan(plan);
  const tPlan = performance.now();
  const preview = renderPreview(buildPreview(plan, { files: new Map(), objects: new Map() }));
  const t1 = performance.now();
  peak = Math.max(peak, process.memoryUsage().rss);
  clearInterval(sampler);
  const cpu = process.cpuUsage();
  const out: Once = {
    ms: t1 - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    loadMs: tLoaded - t0,
    planMs: tPlan - tLoaded,
    previewMs: t1 - tPlan,
    actions: plan.actions.length,
    steps: plan.steps.length,
    planBytes: text.length,
    previewLines: preview.split('\n').length,
    peakRss: peak,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface PlanningResult {
  workers: number;
  medianMs: number;
  medianCpuMs: number;
  medianLoadMs: number;
  peakRssMB: number;
  actions: number;
  planMB: number;
  previewLines: number;
}

function summarize(workers: number, results: Once[]): PlanningResult {
  return {
    workers,
    medianMs: median(results.map((r) => r.ms)),
    medianCpuMs: median(results.map((r) => r.cpuMs)),
    medianLoadMs: median(results.map((r) => r.loadMs)),
    peakRssMB: Math.max(...results.map((r) => r.peakRss)) / 2 ** 20,
    actions: results[0]!.actions,
    planMB: results[0]!.planBytes / 2 ** 20,
    previewLines: results[0]!.previewLines,
  };
}

export function benchPlanning(n = runs): PlanningResult[] {
  const sizes = [1000, 5000];
  const results = new Map<number, Once[]>(sizes.map((s) => [s, []]));
  // Interleaved, so both sizes see the same machine load.
  for (let i = 0; i < n; i++) {
    for (const workers of sizes) {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--once', String(workers)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`planning run failed: ${r.stderr}`);
      results.get(workers)!.push(JSON.parse(r.stdout.trim().split('\n').at(-1)!));
    }
  }
  const out = sizes.map((s) => summarize(s, results.get(s)!));
  for (const r of out) {
    const raw = results.get(r.workers)!;
    process.stdout.write(
      `planning 5 control-plane nodes + ${r.workers.toLocaleString('en-US')} workers (discovery stubbed), ${n} fresh processes\n` +
        `  median ${r.medianMs.toFixed(0)} ms [${raw.map((x) => x.ms.toFixed(0)).join(', ')}] (CPU ${r.medianCpuMs.toFixed(0)} ms; module load ${r.medianLoadMs.toFixed(0)} ms, plan ${median(raw.map((x) => x.planMs)).toFixed(0)} ms, preview ${median(raw.map((x) => x.previewMs)).toFixed(0)} ms), ` +
        `peak RSS ${r.peakRssMB.toFixed(0)} MB, ${r.actions} actions, plan ${r.planMB.toFixed(1)} MB, folded preview ${r.previewLines} lines (target < 3000 ms, < 400 MB)\n`,
    );
  }
  const [small, big] = out as [PlanningResult, PlanningResult];
  const perWorker = (r: PlanningResult) => r.medianMs - r.medianLoadMs;
  process.stdout.write(
    `  5,000 workers / 1,000 workers (same run, module load excluded): ${(perWorker(big) / perWorker(small)).toFixed(2)}× (linear: ≤ 5×; actions ${(big.actions / small.actions).toFixed(2)}×)\n`,
  );
  return out;
}

if (process.argv[2] === '--once') await once(Number(process.argv[3] ?? 1000));
else if (process.argv[1] === fileURLToPath(import.meta.url)) benchPlanning();
