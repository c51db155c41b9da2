/**
 * The kubelet's static pod source and container lifecycle, for a node without a container runtime: runs
 * what the static pod directory (/etc/kubernetes/manifests) describes, each container as a process
 * (containers.ts says which program). Kubelet semantics:
 *  - a pod starts when its manifest appears, is replaced when the manifest's content changes, stops when
 *    the manifest goes away; stopping or restarting the kubelet does not touch running static pods;
 *  - hostPath volumes are set up (and checked) before a container starts, and retried while they fail;
 *  - an exited container is restarted with back-off (10 s doubling to 5 min in the kubelet; 1 s doubling
 *    to 10 s here, to keep the lab brisk);
 *  - startup, liveness and readiness probes run as the manifest says (httpGet, tcpSocket): a container
 *    is ready only after its startup probe passed and while its readiness probe passes, and it is
 *    killed and restarted when its liveness probe fails `failureThreshold` times in a row;
 *  - stopping a container is SIGTERM, then SIGKILL after the pod's terminationGracePeriodSeconds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { commandFor, containerEnv, podHostsFile, setUpHostPaths, withHostsFile, type Waiting } from './containers.js';

export interface StaticPod {
  file: string;
  hash: string;
  manifest: any;
  name: string;
  namespace: string;
  component: string;
  child: ChildProcess | null;
  startedAt: Date | null;
  restartCount: number;
  lastExit: { code: number | null; signal: string | null; at: Date } | null;
  /** The startup probe passed (or there is none) since the container last started. */
  started: boolean;
  ready: boolean;
  /** Why the container is not running (CrashLoopBackOff, ContainerCreating, ErrImagePull…). */
  waiting: Waiting | null;
  retryTimer: NodeJS.Timeout | null;
  probeTimers: Set<NodeJS.Timeout>;
  removed: boolean;
}

type Logger = (...parts: unknown[]) => void;

const BACKOFF_MAX_MS = 10_000;
const VOLUME_RETRY_MS = 2_000;

export class StaticPods {
  readonly pods = new Map<string, StaticPod>();
  private paused = false;
  /** Manifests whose old pod is still stopping: left alone until the replacement is launched. */
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly dir: string,
    private readonly nodeAddress: string,
    private readonly nodeName: string,
    private readonly components: string,
    private readonly log: Logger,
    private readonly onChange: () => void,
  ) {}

  start(): void {
    this.paused = false;
    this.sync();
    this.timer ??= setInterval(() => this.sync(), 200);
  }

  /** kubelet stopped: running containers keep running, but nothing is synced, restarted or probed. */
  pause(): void {
    this.paused = true;
  }

  private sync(): void {
    if (this.paused) return;
    const seen = new Set<string>();
    let files: string[] = [];
    try {
      files = readdirSync(this.dir).filter((f) => !f.startsWith('.'));
    } catch {
      /* no manifest dir: no static pods */
    }
    for (const f of files) {
      if (this.pending.has(f)) {
        seen.add(f);
        continue;
      }
      const path = join(this.dir, f);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        continue; // a directory or a file being replaced
      }
      const hash = createHash('sha256').update(text).digest('hex').slice(0, 32);
      const current = this.pods.get(f);
      if (current && current.hash === hash) {
        seen.add(f);
        continue;
      }
      let manifest: any;
      try {
        manifest = parseYaml(text);
        if (manifest?.kind !== 'Pod' || !manifest?.metadata?.name || !manifest?.spec?.containers?.length) throw new Error('not a Pod with containers');
      } catch (e) {
        if (current?.hash !== hash) this.log('static pod', f, 'ignored: cannot parse manifest:', (e as Error).message);
        continue;
      }
      seen.add(f);
      if (current) {
        this.log('static pod', current.name, 'manifest changed: replacing');
        this.pending.add(f);
        void this.stop(current).then(() => {
          this.pending.delete(f);
          this.launch(f, hash, manifest);
        });
      } else this.launch(f, hash, manifest);
    }
    for (const [f, pod] of this.pods) {
      if (!seen.has(f) && !pod.removed && !this.pending.has(f)) {
        this.log('static pod', pod.name, 'manifest removed: stopping');
        void this.stop(pod).then(() => {
          if (this.pods.get(f) === pod) this.pods.delete(f);
          this.onChange();
        });
      }
    }
  }

  private launch(file: string, hash: string, manifest: any): void {
    const pod: StaticPod = {
      file,
      hash,
      manifest,
      name: manifest.metadata.name,
      namespace: manifest.metadata.namespace ?? 'default',
      component: manifest.metadata.labels?.component ?? manifest.metadata.name,
      child: null,
      startedAt: null,
      restartCount: 0,
      lastExit: null,
      started: false,
      ready: false,
      waiting: { reason: 'ContainerCreating', message: '' },
      retryTimer: null,
      probeTimers: new Set(),
      removed: false,
    };
    this.pods.set(file, pod);
    this.run(pod);
    this.onChange();
  }

  private retry(pod: StaticPod, ms: number): void {
    pod.retryTimer = setTimeout(() => {
      pod.retryTimer = null;
      if (!this.paused) this.run(pod);
      else pod.waiting = { reason: 'ContainerCreating', message: 'kubelet is stopped' };
    }, ms);
  }

  private backoffMs(pod: StaticPod): number {
    return Math.min(BACKOFF_MAX_MS, 1000 * 2 ** Math.min(Math.max(pod.restartCount - 1, 0), 4));
  }

  private run(pod: StaticPod): void {
    if (pod.removed) return;
    const container = pod.manifest.spec.containers[0];
    const volumes = setUpHostPaths(pod.manifest);
    if (volumes) {
      if (pod.waiting?.message !== volumes.message) this.log('static pod', pod.name, volumes.message);
      pod.waiting = volumes;
      this.onChange();
      this.retry(pod, VOLUME_RETRY_MS);
      return;
    }
    const cmd = commandFor(container, pod.manifest, { components: this.components });
    if ('error' in cmd) {
      if (pod.waiting?.message !== cmd.error.message) this.log('static pod', pod.name, cmd.error.message);
      pod.waiting = cmd.error;
      pod.restartCount++;
      this.onChange();
      this.retry(pod, this.backoffMs(pod));
      return;
    }
    const logFile = `/var/log/${pod.component}.log`;
    const fd = openSync(logFile, 'a');
    const env = containerEnv(container, pod.manifest, { name: this.nodeName, address: this.nodeAddress }, { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' });
    let argv = cmd.argv;
    const hosts = podHostsFile(readFileSync('/etc/hosts', 'utf8'), pod.manifest);
    if (hosts !== null) {
      // As the kubelet does for a hostNetwork pod: the node's /etc/hosts plus the pod's hostAliases.
      const dir = `/var/lib/kubelet/pods/${pod.name}`;
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}/etc-hosts`, hosts);
      argv = withHostsFile(argv, `${dir}/etc-hosts`);
    }
    // Its own process group, so stopping the container stops everything it started.
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', fd, fd], env });
    closeSync(fd);
    pod.child = child;
    pod.startedAt = new Date();
    pod.waiting = null;
    pod.ready = false;
    pod.started = false;
    this.log('static pod', pod.name, 'started pid', child.pid, 'log', logFile);
    child.on('error', (e) => this.log('static pod', pod.name, 'cannot start:', e.message));
    child.on('exit', (code, signal) => {
      if (pod.child !== child) return;
      this.clearProbes(pod);
      pod.child = null;
      pod.ready = false;
      pod.started = false;
      pod.lastExit = { code, signal, at: new Date() };
      if (pod.removed) return;
      pod.restartCount++;
      const delay = this.backoffMs(pod);
      pod.waiting = { reason: 'CrashLoopBackOff', message: `back-off ${delay / 1000}s restarting failed container=${container.name} pod=${pod.name} (exit ${code ?? signal})` };
      this.log('static pod', pod.name, `exited (${code ?? signal}), restart ${pod.restartCount} in ${delay} ms`);
      this.onChange();
      this.retry(pod, delay);
    });
    this.startProbes(pod, child, container);
  }

  /** The kubelet's prober workers: startup first, then liveness and readiness, each on its own period. */
  private startProbes(pod: StaticPod, child: ChildProcess, container: any): void {
    const startup = container.startupProbe ?? null;
    const liveness = container.livenessProbe ?? null;
    const readiness = container.readinessProbe ?? null;
    const alive = () => pod.child === child && !pod.removed;
    const later = (fn: () => void, ms: number) => {
      const t = setTimeout(() => {
        pod.probeTimers.delete(t);
        fn();
      }, ms);
      pod.probeTimers.add(t);
    };
    const every = (probe: any, onResult: (ok: boolean) => boolean | void) => {
      const period = 1000 * Number(probe.periodSeconds ?? 10);
      const tick = async () => {
        if (!alive()) return;
        const ok = this.paused ? null : await this.probe(pod, container, probe);
        if (!alive()) return;
        if (ok !== null && onResult(ok) === false) return;
        later(() => void tick(), period);
      };
      later(() => void tick(), 1000 * Number(probe.initialDelaySeconds ?? 0));
    };
    const afterStartup = () => {
      pod.started = true;
      if (liveness) {
        let fails = 0;
        every(liveness, (ok) => {
          fails = ok ? 0 : fails + 1;
          if (fails < Number(liveness.failureThreshold ?? 3)) return;
          this.log('static pod', pod.name, `liveness probe failed ${fails} times: killing the container`);
          this.kill(child, 'SIGTERM', this.grace(pod));
          return false;
        });
      }
      if (readiness) {
        let fails = 0;
        let passes = 0;
        every(readiness, (ok) => {
          fails = ok ? 0 : fails + 1;
          passes = ok ? passes + 1 : 0;
          const was = pod.ready;
          if (passes >= Number(readiness.successThreshold ?? 1)) pod.ready = true;
          if (fails >= Number(readiness.failureThreshold ?? 3)) pod.ready = false;
          if (pod.ready !== was) this.onChange();
        });
      } else {
        pod.ready = true;
        this.onChange();
      }
    };
    if (!startup) return afterStartup();
    let fails = 0;
    every(startup, (ok) => {
      if (ok) {
        afterStartup();
        return false;
      }
      fails++;
      if (fails < Number(startup.failureThreshold ?? 3)) return;
      this.log('static pod', pod.name, `startup probe failed ${fails} times: killing the container`);
      this.kill(child, 'SIGTERM', this.grace(pod));
      return false;
    });
  }

  private clearProbes(pod: StaticPod): void {
    for (const t of pod.probeTimers) clearTimeout(t);
    pod.probeTimers.clear();
  }

  private grace(pod: StaticPod): number {
    const s = pod.manifest.spec.terminationGracePeriodSeconds;
    return 1000 * (typeof s === 'number' && s >= 0 ? s : 30);
  }

  /** Signals the container's process group; SIGKILL after `graceMs` if it is still there. Resolves on exit. */
  private kill(child: ChildProcess, sig: NodeJS.Signals, graceMs: number): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const send = (s: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, s);
        } catch {
          /* already gone */
        }
      };
      const hard = setTimeout(() => send('SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(hard);
        resolve();
      });
      send(sig);
    });
  }

  private stop(pod: StaticPod): Promise<void> {
    pod.removed = true;
    if (pod.retryTimer) clearTimeout(pod.retryTimer);
    this.clearProbes(pod);
    const child = pod.child;
    if (!child) return Promise.resolve();
    return this.kill(child, 'SIGTERM', this.grace(pod));
  }

  /** One probe attempt: true on success, false on failure (the kubelet's httpGet accepts 200-399). */
  private probe(pod: StaticPod, container: any, p: any): Promise<boolean> {
    const timeoutMs = 1000 * Number(p.timeoutSeconds ?? 1);
    const portOf = (port: unknown): number | undefined => {
      if (typeof port === 'string' && !/^\d+$/.test(port)) return (container.ports ?? []).find((x: any) => x.name === port)?.containerPort;
      return port === undefined ? undefined : Number(port);
    };
    if (p.tcpSocket) {
      const port = portOf(p.tcpSocket.port);
      if (!port) return Promise.resolve(false);
      return new Promise((resolve) => {
        const s = connect({ host: p.tcpSocket.host || this.nodeAddress, port, timeout: timeoutMs });
        s.on('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.on('timeout', () => s.destroy());
        s.on('error', () => resolve(false));
        s.on('close', () => resolve(false));
      });
    }
    const g = p.httpGet;
    if (!g) return Promise.resolve(true);
    const port = portOf(g.port);
    if (!port) return Promise.resolve(false);
    const https = String(g.scheme ?? 'HTTP').toUpperCase() === 'HTTPS';
    return new Promise((resolve) => {
      const req = (https ? httpsRequest : httpRequest)(
        { host: g.host || this.nodeAddress, port, path: g.path ?? '/', method: 'GET', timeout: timeoutMs, rejectUnauthorized: false, headers: { 'User-Agent': 'kube-probe/lab' } },
        (res) => {
          res.resume();
          resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    });
  }
}
