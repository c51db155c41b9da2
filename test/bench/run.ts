/**
 * `npm run bench`: every benchmark, one after another (they share 2 cores; running them together would
 * measure the contention). Each prints its own medians and the ratio to a baseline measured in the same
 * run; this runner adds a summary table at the end. Not part of `npm test`: speed is never a test verdict.
 *
 *   node dist/test/bench/run.js [name ...]     names: fanout fleet fleet100 fleet100-batch100 fleet-sim discovery availability conversion certs coldstart planning
 *
 * Needs root for the lab benchmarks (fanout, fleet, discovery, availability, conversion) and parallel-ssh; Ansible for the
 * fan-out comparison is optional (bench-only: `apt-get install ansible-core`, never installed by CI).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

interface Bench {
  name: string;
  file: string;
  args: string[];
  needsRoot: boolean;
  /** Pull "label → value" lines for the summary out of the benchmark's output. */
  summary: Array<[string, RegExp]>;
}

const BENCHES: Bench[] = [
  {
    name: 'fanout',
    file: 'fanout.js',
    args: ['5'],
    needsRoot: true,
    summary: [
      ['fan-out: ha-wizard / parallel-ssh (target ≤ 0.7)', /ratio ha-wizard \/ parallel-ssh: ([\d.]+)/],
      ['fan-out: ha-wizard / Ansible (target ≤ 0.1)', /ratio ha-wizard \/ ansible: ([\d.]+)/],
    ],
  },
  { name: 'fleet', file: 'fleet.js', args: ['5', '50'], needsRoot: true, summary: [['fleet 50: ha-wizard / parallel-ssh bare edit (target ≤ 1.5)', /ratio ha-wizard \/ parallel-ssh: ([\d.]+)/]] },
  {
    name: 'fleet100',
    file: 'fleet.js',
    args: ['3', '100'],
    needsRoot: true,
    summary: [
      ['fleet 100: ha-wizard / parallel-ssh -p 100 bare edit (target ≤ 1.5)', /ratio ha-wizard \/ parallel-ssh: ([\d.]+)/],
      ['fleet 100: ha-wizard / parallel-ssh -p 50 (same hosts at once)', /ratio ha-wizard \/ parallel-ssh -p 50: ([\d.]+)/],
    ],
  },
  {
    name: 'fleet100-batch100',
    file: 'fleet.js',
    args: ['3', '100', '100'],
    needsRoot: true,
    summary: [['fleet 100, workerBatchSize 100: ha-wizard / parallel-ssh -p 100 (target ≤ 1.5)', /ratio ha-wizard \/ parallel-ssh: ([\d.]+)/]],
  },
  {
    name: 'fleet-sim',
    file: 'fleet-sim.js',
    args: ['500', '5000'],
    needsRoot: false,
    summary: [
      ['simulated fleet 500, batch 50: wall / zero-overhead critical path (same run)', /fleet 500 workers, batch 50 .*?wall ([\d.]+ s), zero-overhead critical path ([\d.]+ s)/],
      ['simulated fleet 5,000, batch 50: wall', /fleet 5000 workers, batch 50 .*?wall ([\d.]+ s)/],
      ['simulated fleet 5,000, batch 50: wall / critical path', /fleet 5000 workers, batch 50 .*?\(ratio ([\d.]+)\)/],
    ],
  },
  {
    name: 'discovery',
    file: 'discovery.js',
    args: ['3', '5000'],
    needsRoot: true,
    summary: [
      ['discovery+audit+plan on the lab apiserver: as the lab is', /as the lab is \(\d+ Nodes\): median ([\d.]+ s)/],
      ['discovery+audit+plan with 5,000 kwok-style Nodes more', /kwok-style Nodes more: median ([\d.]+ s)/],
      ['discovery+audit+plan with 5,000 Nodes: peak RSS', /kwok-style Nodes more: .*peak RSS (\d+ MB)/],
      ['discovery+audit+plan: with / without the 5,000 Nodes', /ratio with \/ without: ([\d.]+)/],
    ],
  },
  {
    name: 'availability',
    file: 'availability.js',
    args: [],
    needsRoot: true,
    summary: [
      ['client load during a 1→3 conversion: failed requests (target 0)', /failed requests during the conversion: (\d+)/],
      ['client load during a 1→3 conversion: longest gap (baseline in the same run)', /longest gap ([\d.]+ s \(baseline [\d.]+ s\))/],
    ],
  },
  {
    name: 'conversion',
    file: 'conversion.js',
    args: ['1'],
    needsRoot: true,
    summary: [
      ['1→3: wall', /wall ([\d.]+ s)/],
      ["1→3: ha-wizard's own work (CPU) / wall (target ≤ 5 %)", /own work \(its process's CPU\) \/ wall: ([\d.]+ %)/],
      ['1→3: wall / waiting on the cluster (target ≤ 1.3)', /wall \/ waiting on the cluster: ([\d.]+)/],
    ],
  },
  {
    name: 'certs',
    file: 'certs.js',
    args: ['5'],
    needsRoot: false,
    summary: [
      ['certs rsa: in-process / openssl CLI (target ≤ 1.0)', /rsa-pkcs1 .*openssl\/in-process ([\d.]+)x/],
      ['certs ec: in-process / openssl CLI (target ≤ 1.0)', /ec-p256 .*openssl\/in-process ([\d.]+)x/],
    ],
  },
  { name: 'coldstart', file: 'coldstart.js', args: ['30'], needsRoot: false, summary: [['--help / node -e 0 (target ≤ 2.5)', /ratio ([\d.]+) \(target/]] },
  {
    name: 'planning',
    file: 'planning.js',
    args: ['5'],
    needsRoot: false,
    summary: [
      ['planning 5+1,000: median (target < 3000 ms)', /5 control-plane nodes \+ 1,000 workers[^\n]*\n  median (\d+ ms)/],
      ['planning 5+1,000: peak RSS (target < 400 MB)', /5 control-plane nodes \+ 1,000 workers[^\n]*\n[^\n]*peak RSS (\d+ MB)/],
      ['planning 5+5,000: median (target < 3000 ms)', /5 control-plane nodes \+ 5,000 workers[^\n]*\n  median (\d+ ms)/],
      ['planning 5+5,000: peak RSS (target < 400 MB)', /5 control-plane nodes \+ 5,000 workers[^\n]*\n[^\n]*peak RSS (\d+ MB)/],
      ['planning 5,000 / 1,000 workers, same run (linear ≤ 5)', /same run, module load excluded\): ([\d.]+)×/],
    ],
  },
];

const wanted = process.argv.slice(2);
const rows: Array<[string, string]> = [];
let failed = 0;
for (const b of BENCHES) {
  if (wanted.length && !wanted.includes(b.name)) continue;
  process.stdout.write(`\n== ${b.name}\n`);
  if (b.needsRoot && process.getuid?.() !== 0) {
    process.stdout.write('skipped: needs root (the lab)\n');
    continue;
  }
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [here(b.file), ...b.args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  process.stdout.write(r.stdout);
  process.stdout.write(`(${b.name}: ${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`${b.name} failed (exit ${r.status})\n`);
  }
  for (const [label, re] of b.summary) {
    // certs prints openssl/in-process: turn it into in-process/openssl so every ratio reads "ours / baseline".
    const m = re.exec(r.stdout)?.[1];
    rows.push([label, m === undefined ? 'n/a' : b.name === 'certs' ? (1 / Number(m)).toFixed(2) : m]);
  }
}
process.stdout.write(`\n== summary (medians; ratios are ha-wizard / baseline from the same run)\n`);
const w = Math.max(...rows.map(([l]) => l.length));
for (const [label, value] of rows) process.stdout.write(`  ${label.padEnd(w)}  ${value}\n`);
process.exitCode = failed ? 1 : 0;
