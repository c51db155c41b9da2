/**
 * The kubelet's static pod source: runs what /etc/kubernetes/manifests describes. Kubelet semantics:
 * a pod starts when its manifest appears, is replaced when the manifest's content changes, stops when
 * the manifest goes away, and is restarted (with back-off) when it exits. Stopping or restarting the
 * kubelet does not touch running static pods. Each container runs its manifest's own command line:
 * etcd is the real etcd (flags mapped for 3.4, see etcdflags.ts), the Kubernetes components are the
 * stand-ins in ../standins, started with the manifest's flags.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { etcd34Args, etcdProbePath } from './etcdflags.js';

const STANDINS = fileURLToPath(new URL('../standins/', import.meta.url));
const STANDIN_FOR: Record<string, string> = {
  'kube-apiserver': 'apiserver.js',
  'kube-controller-manager': 'controller-manager.js',
  'kube-scheduler': 'scheduler.js',
};

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
  ready: boolean;
  /** Why the container is not running (CrashLoopBackOff, CreateContainerError…). */
  waiting: { reason: string; message: string } | null;
  retryTimer: NodeJS.Timeout | null;
  removed: boolean;
}

type Logger = (...parts: unknown[]) => void;

/** Debian's nginx (nginx-light) has stream as a dynamic module; the nginx image has it built in. */
export const LAB_NGINX_STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

/**
 * A container path seen through the pod's hostPath volumes: the file the container would read at `arg`
 * is the host's file at the volume's path (a node-local proxy reads its config this way, as in kubespray).
 */
export function hostPathOf(pod: any, container: any, arg: string): string {
  const volumes = new Map<string, string>();
  for (const v of pod?.spec?.volumes ?? []) if (v?.name && typeof v.hostPath?.path === 'string') volumes.set(v.name, v.hostPath.path);
  for (const m of container?.volumeMounts ?? []) {
    const host = volumes.get(m?.name);
    const at = typeof m?.mountPath === 'string' ? m.mountPath.replace(/\/+$/, '') : '';
    if (!host || !at) continue;
    if (arg === at) return host;
    if (arg.startsWith(`${at}/`)) return `${host.replace(/\/+$/, '')}${arg.slice(at.length)}`;
  }
  return arg;
}

/**
 * nginx from an image runs as Debian's nginx: the stream module loaded with -g when the config does not
 * load it (-g directives are parsed before the file), errors to stderr (the pod's log) instead of the
 * compiled-in /var/log/nginx/error.log, and in the foreground whatever the manifest says.
 */
function nginxArgs(args: string[], configText: (path: string) => string | null): string[] {
  const out: string[] = [];
  const globals: string[] = [];
  let config: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-g') {
      globals.push(args[++i] ?? '');
      continue;
    }
    if (a === '-c') config = args[i + 1] ?? null;
    out.push(a);
  }
  const text = config ? configText(config) : null;
  const g = globals.join(' ').replace(/\bdaemon\s+\w+\s*;/g, '').trim();
  const loads = text !== null && /^\s*load_module\s+\S*ngx_stream_module\.so\s*;/m.test(text);
  const builtin = text === null || !/^\s*stream\s*\{/m.test(text);
  const pre = loads || builtin ? '' : `load_module ${LAB_NGINX_STREAM_MODULE}; `;
  return ['-e', 'stderr', ...out, '-g', `${pre}daemon off; ${g}`.trim()];
}

/** argv for a container, or an error message when the lab has nothing to run for it. */
export function commandFor(container: any, pod: any = null, configText: (path: string) => string | null = readOrNull): { argv: string[] } | { error: string } {
  const argv: string[] = [...(container.command ?? []), ...(container.args ?? [])].map(String);
  const exe = basename(argv[0] ?? '');
  if (exe === 'etcd') return { argv: ['/usr/bin/etcd', ...etcd34Args(argv.slice(1))] };
  const standin = STANDIN_FOR[exe];
  if (standin) return { argv: [process.execPath, join(STANDINS, standin), ...argv.slice(1)] };
  // Node-local apiserver proxies (kubespray's nginx-proxy / haproxy pods): the real programs, host network.
  const args = argv.slice(1).map((a) => hostPathOf(pod, container, a));
  if (exe === 'nginx') return { argv: ['/usr/sbin/nginx', ...nginxArgs(args, configText)] };
  if (exe === 'haproxy') return { argv: ['/usr/sbin/haproxy', ...args] };
  return { error: `the lab has no stand-in for command ${JSON.stringify(argv[0] ?? '')} (image ${container.image ?? '?'})` };
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export class StaticPods {
  readonly pods = new Map<string, StaticPod>();
  private paused = false;
  /** Manifests whose old pod is still stopping: left alone until the replacement is launched. */
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private probeTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly dir: string,
    private readonly nodeAddress: string,
    private readonly log: Logger,
    private readonly onChange: () => void,
  ) {}

  start(): void {
    this.paused = false;
    this.sync();
    this.timer ??= setInterval(() => this.sync(), 200);
    this.probeTimer ??= setInterval(() => void this.probeAll(), 2000);
  }

  /** kubelet stopped: running pods keep running, but nothing is synced, restarted or probed. */
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
      ready: false,
      waiting: null,
      retryTimer: null,
      removed: false,
    };
    this.pods.set(file, pod);
    this.run(pod);
    this.onChange();
  }

  private run(pod: StaticPod): void {
    if (pod.removed) return;
    const container = pod.manifest.spec.containers[0];
    const cmd = commandFor(container, pod.manifest);
    if ('error' in cmd) {
      pod.waiting = { reason: 'CreateContainerError', message: cmd.error };
      this.log('static pod', pod.name, cmd.error);
      return;
    }
    const logFile = `/var/log/${pod.component}.log`;
    const fd = openSync(logFile, 'a');
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LAB_IMAGE: container.image ?? '' };
    for (const e of container.env ?? []) if (e?.name && typeof e.value === 'string') env[e.name] = e.value;
    // Its own process group, so stopping the pod stops everything it started.
    const child = spawn(cmd.argv[0]!, cmd.argv.slice(1), { detached: true, stdio: ['ignore', fd, fd], env });
    closeSync(fd);
    pod.child = child;
    pod.startedAt = new Date();
    pod.waiting = null;
    pod.ready = false;
    this.log('static pod', pod.name, 'started pid', child.pid, 'log', logFile);
    child.on('exit', (code, signal) => {
      if (pod.child !== child) return;
      pod.child = null;
      pod.ready = false;
      pod.lastExit = { code, signal, at: new Date() };
      if (pod.removed) return;
      pod.restartCount++;
      // The kubelet's back-off (10 s doubling to 5 min) scaled down for the lab: 1, 2, 4, 8, 10 s.
      const delay = Math.min(10_000, 1000 * 2 ** Math.min(pod.restartCount - 1, 4));
      pod.waiting = { reason: 'CrashLoopBackOff', message: `back-off ${delay / 1000}s restarting failed container=${container.name} (exit ${code ?? signal})` };
      this.log('static pod', pod.name, `exited (${code ?? signal}), restart ${pod.restartCount} in ${delay} ms`);
      this.onChange();
      pod.retryTimer = setTimeout(() => {
        pod.retryTimer = null;
        if (!this.paused) this.run(pod);
        else pod.waiting = { reason: 'ContainerCreating', message: 'kubelet is stopped' };
      }, delay);
    });
  }

  private stop(pod: StaticPod): Promise<void> {
    pod.removed = true;
    if (pod.retryTimer) clearTimeout(pod.retryTimer);
    const child = pod.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = (sig: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, sig);
        } catch {
          /* already gone */
        }
      };
      // etcd can take seconds to stop when its peers are gone: TERM, then KILL after a grace of 2 s.
      const hard = setTimeout(() => kill('SIGKILL'), 2000);
      child.once('exit', () => {
        clearTimeout(hard);
        resolve();
      });
      kill('SIGTERM');
    });
  }

  private async probeAll(): Promise<void> {
    if (this.paused) return;
    let changed = false;
    await Promise.all(
      [...this.pods.values()].map(async (pod) => {
        const before = pod.ready;
        if (!pod.child) pod.ready = false;
        else {
          const c = pod.manifest.spec.containers[0];
          const probe = c.readinessProbe ?? null;
          pod.ready = probe?.httpGet ? await this.httpProbe(pod, c, probe.httpGet) : true;
        }
        if (pod.ready !== before) changed = true;
      }),
    );
    if (changed) this.onChange();
  }

  private httpProbe(pod: StaticPod, container: any, g: any): Promise<boolean> {
    let port = g.port;
    if (typeof port === 'string' && !/^\d+$/.test(port)) port = (container.ports ?? []).find((p: any) => p.name === port)?.containerPort;
    if (!port) return Promise.resolve(false);
    const path = pod.component === 'etcd' ? etcdProbePath(g.path ?? '/') : (g.path ?? '/');
    const https = String(g.scheme ?? 'HTTP').toUpperCase() === 'HTTPS';
    return new Promise((resolve) => {
      const req = (https ? httpsRequest : httpRequest)(
        { host: g.host || this.nodeAddress, port: Number(port), path, method: 'GET', timeout: 2000, rejectUnauthorized: false, headers: { 'User-Agent': 'kube-probe/lab' } },
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
