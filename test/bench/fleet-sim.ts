/**
 * Benchmark (not a test): the worker fleet step at scale, simulated. The real engine (plan from the real
 * repoint steps, session, journal with its fsyncs, lanes, health gates, batches) runs against simulated hosts
 * whose every remote call takes the latency measured per call on the lab's 50-worker fleet (SSH round trip for
 * a stat or a read, an atomic write, `systemctl restart kubelet`, the Node read through the endpoint, the gate's
 * kubectl). Nothing else is simulated: the workstation's CPU, memory and event loop are the real ones.
 *
 * Reports per fleet size and batch size: wall time of the repoint-workers steps, the wizard's CPU, peak RSS,
 * hosts busy at once (= SSH connections in use at once), hosts connected in total (the pool keeps a connection
 * per host until the end: the file descriptors a real run needs), and the same-run baseline: the sum of the
 * batches' critical paths (the slowest host of each batch plus its gate), what a wizard with zero overhead
 * would take. Run: `node dist/test/bench/fleet-sim.js [workers ...]` (default 50 500 5000).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { makeFacts } from '../steps/facts-fixture.js';
import { repointStep } from '../../steps/repoint.js';
import { buildPlan } from '../../src/engine/model/plan.js';
import { createSession } from '../../src/engine/records/session.js';
import { apply } from '../../src/engine/run/executor.js';
import type { EngineDeps, Hosts, Prober } from '../../src/engine/model/ports.js';
import type { ExecResult, FileStat, RemoteHost, WriteOptions } from '../../src/engine/model/remote-host.js';
import { testMaterializer } from '../engine/fixtures.js';
import { actionHost } from '../../src/engine/model/actions.js';

/**
 * Per-call latencies (ms, uniform in [lo, hi]) from the lab's 50-worker fleet (BENCHMARKS.md, fleet: per worker
 * in the batch kubelet active 0.2 s, backup + atomic write + check 0.6-1.1 s over 5 calls, restart 0.3-0.8 s, the
 * Node read 1.2-1.9 s, the gate 0.3 s).
 */
export const LATENCY = {
  roundTrip: [80, 220] as const, // stat, sha256, read of a small file over SFTP, `systemctl is-active`
  write: [200, 400] as const, // atomic write: temp, fsync, rename
  restart: [300, 800] as const, // systemctl restart kubelet
  nodeRead: [1200, 1900] as const, // TLS handshake with the kubelet's credentials + GET of its Node
  gate: [250, 350] as const, // kubectl get nodes on the master
};

/**
 * The lab's per-action figures are spans measured under contention (50 handshakes and restarts on 2 cores) and
 * overlap; drawn as they are, 50 simulated workers take 9.3 s where the lab's fleet took 4.4 s. Every latency is
 * scaled by this factor so that the simulated 50-worker fleet matches the lab's (calibration, not measurement).
 */
export const CALIBRATION = Number(process.env['HAW_SIM_CALIBRATION'] ?? 0.47);

const rand = ([lo, hi]: readonly [number, number]) => CALIBRATION * (lo + Math.random() * (hi - lo));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

class Counter {
  busy = 0;
  peakBusy = 0;
  connected = new Set<string>();
  perHost = new Map<string, number>();
  /** Simulated time each host spent in remote calls, and how many calls. */
  slept = new Map<string, number>();
  calls = new Map<string, number>();
  charge(host: string, ms: number): void {
    this.slept.set(host, (this.slept.get(host) ?? 0) + ms);
    this.calls.set(host, (this.calls.get(host) ?? 0) + 1);
  }
  enter(host: string): void {
    this.connected.add(host);
    const n = (this.perHost.get(host) ?? 0) + 1;
    this.perHost.set(host, n);
    if (n === 1) this.peakBusy = Math.max(this.peakBusy, ++this.busy);
  }
  leave(host: string): void {
    const n = this.perHost.get(host)! - 1;
    this.perHost.set(host, n);
    if (n === 0) this.busy--;
  }
}

class SimHost implements RemoteHost {
  readonly address: string;
  private readonly files = new Map<string, { data: Buffer; mode: number }>();
  constructor(
    readonly name: string,
    private readonly counter: Counter,
    seed: Record<string, string>,
  ) {
    this.address = name;
    for (const [path, text] of Object.entries(seed)) this.files.set(path, { data: Buffer.from(text), mode: 0o600 });
  }
  private async call<T>(latency: readonly [number, number], fn: () => T): Promise<T> {
    this.counter.enter(this.name);
    try {
      const ms = rand(latency);
      this.counter.charge(this.name, ms);
      await sleep(ms);
      return fn();
    } finally {
      this.counter.leave(this.name);
    }
  }
  exec(argv: readonly string[]): Promise<ExecResult> {
    const lat = argv[1] === 'restart' ? LATENCY.restart : argv[0] === 'sh' ? LATENCY.gate : LATENCY.roundTrip;
    return this.call(lat, () => ({ code: 0, signal: null, stdout: '', stderr: '' }));
  }
  readFile(path: string): Promise<Buffer> {
    return this.call(LATENCY.roundTrip, () => {
      const f = this.files.get(path);
      if (!f) throw Object.assign(new Error(`${this.name}: cannot read ${path}`), { code: 'ENOENT' });
      return f.data;
    });
  }
  stat(path: string): Promise<FileStat> {
    return this.call(LATENCY.roundTrip, () => {
      const f = this.files.get(path);
      return f ? { exists: true, mode: f.mode, uid: 0, gid: 0, size: f.data.length } : { exists: false };
    });
  }
  sha256(path: string): Promise<string | null> {
    return this.call(LATENCY.roundTrip, () => {
      const f = this.files.get(path);
      return f ? (require_sha(f.data) as string) : null;
    });
  }
  writeFileAtomic(path: string, data: Buffer | string, opts: WriteOptions): Promise<void> {
    return this.call(LATENCY.write, () => void this.files.set(path, { data: Buffer.from(data), mode: opts.mode }));
  }
  forwardOut(): Promise<Duplex> {
    return Promise.reject(new Error('simulated host: no network'));
  }
  async close(): Promise<void> {}
}

import { createHash } from 'node:crypto';
function require_sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

export interface SimResult {
  workers: number;
  batchSize: number;
  wallMs: number;
  criticalMs: number;
  cpuMs: number;
  peakRssMB: number;
  peakBusyHosts: number;
  hostsConnected: number;
  peakFds: number;
  callsPerWorker: number;
  status: string;
}

export async function simulate(workers: number, batchSize: number, maxParallelHosts = batchSize): Promise<SimResult> {
  const facts = makeFacts({ promote: 4, workers });
  const session = `sim-${workers}-${batchSize}-${process.pid}`;
  const steps = repointStep.build(facts, { session, batchSize }).filter((s) => s.id.startsWith('repoint-workers-'));
  const plan = buildPlan({ cluster: facts.config.name, factsFingerprint: 'sim', session, steps });
  const stateDir = mkdtempSync(join(tmpdir(), 'haw-fleet-sim-'));
  const counter = new Counter();
  const hosts = new Map<string, SimHost>();
  const seed = (name: string): Record<string, string> => {
    const text = facts.kubeconfigTexts?.[`${name}:/etc/kubernetes/kubelet.conf`];
    return text ? { '/etc/kubernetes/kubelet.conf': text } : {};
  };
  const simHosts: Hosts = {
    async get(name: string) {
      let h = hosts.get(name);
      if (!h) hosts.set(name, (h = new SimHost(name, counter, seed(name))));
      return h;
    },
  };
  const prober: Prober = {
    async https(probe) {
      counter.enter(probe.host);
      try {
        const ms = rand(LATENCY.nodeRead);
        counter.charge(probe.host, ms);
        await sleep(ms);
        return { ok: true, detail: 'GET: 200 (simulated)' };
      } finally {
        counter.leave(probe.host);
      }
    },
  };
  const deps: EngineDeps = { hosts: simHosts, materializer: testMaterializer, kube: { forHost: () => Promise.reject(new Error('no API in the simulation')) }, prober };
  const s = createSession(plan, { env: { ...process.env, HA_WIZARD_STATE_DIR: stateDir } });
  let peakRss = process.memoryUsage().rss;
  let peakFds = 0;
  let callsPerWorker = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    try {
      peakFds = Math.max(peakFds, readdirSync('/proc/self/fd').length);
    } catch {
      /* not Linux */
    }
  }, 50);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    const outcome = await apply(plan, s, deps, { factsFingerprint: 'sim', maxParallelHosts });
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    // Zero-overhead baseline from the latencies this run drew: per batch its slowest worker's remote time, plus
    // every gate (the master's remote time). What a wizard with no CPU cost and no scheduling gaps would take.
    const master = facts.config.controlPlane.existing.name;
    let criticalMs = counter.slept.get(master) ?? 0;
    for (const step of steps) {
      let slowest = 0;
      for (const a of step.actions) {
        const h = actionHost(a);
        if (h !== master) slowest = Math.max(slowest, counter.slept.get(h) ?? 0);
      }
      criticalMs += slowest;
    }
    const workerCalls = [...counter.calls].filter(([h]) => h !== master).map(([, n]) => n);
    callsPerWorker = workerCalls.reduce((x, y) => x + y, 0) / Math.max(1, workerCalls.length);
    return {
      workers,
      batchSize,
      wallMs,
      criticalMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      peakRssMB: peakRss / 2 ** 20,
      peakBusyHosts: counter.peakBusy,
      hostsConnected: counter.connected.size,
      peakFds,
      callsPerWorker,
      status: outcome.status,
    };
  } finally {
    clearInterval(sampler);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  const runs: Array<[number, number]> = [];
  for (const w of sizes.length ? sizes : [50, 500, 5000]) for (const b of w <= 50 ? [50] : [50, 100, 250]) runs.push([w, b]);
  for (const [w, b] of runs) {
    const r = await simulate(w, b);
    process.stdout.write(
      `simulated fleet ${w} workers, batch ${b} (parallel ${b}): wall ${(r.wallMs / 1000).toFixed(1)} s, ` +
        `zero-overhead critical path ${(r.criticalMs / 1000).toFixed(1)} s (ratio ${(r.wallMs / r.criticalMs).toFixed(2)}), ` +
        `wizard CPU ${(r.cpuMs / 1000).toFixed(1)} s, peak RSS ${r.peakRssMB.toFixed(0)} MB, hosts busy at once ${r.peakBusyHosts}, ` +
        `remote calls per worker ${r.callsPerWorker.toFixed(1)}, hosts connected ${r.hostsConnected}, peak fds ${r.peakFds} (simulated hosts hold none; a real run adds one per host connected), ${r.status}\n`,
    );
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main();
