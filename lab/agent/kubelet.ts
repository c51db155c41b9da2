/**
 * The kubelet's API side: with /etc/kubernetes/kubelet.conf (server, CA check, the rotated client
 * certificate) it registers its Node, posts its status every 5 s, keeps mirror pods for its static
 * pods, and "runs" the DaemonSet pods (kube-proxy) scheduled to it. A kube-proxy pod reads the
 * kube-proxy ConfigMap's kubeconfig.conf server once, when it starts, like the real kube-proxy, and is
 * Ready only while that server answers /healthz with the cluster CA check, so a repointed kube-proxy
 * is observable, and so is one that was not restarted.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { arch, release } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { ApiError, KubeClient, kubeTime, loadKubeconfig } from '../standins/kubeclient.js';
import type { StaticPod, StaticPods } from './staticpods.js';

const KUBELET_CONF = '/etc/kubernetes/kubelet.conf';
const CLUSTER_CA = '/etc/kubernetes/pki/ca.crt';
const HEARTBEAT_MS = 5000;

type Logger = (...parts: unknown[]) => void;

interface ProxyPod {
  server: string | null;
  startedAt: string;
  ready: boolean;
  lastStatus: string;
}

export class Kubelet {
  private client: KubeClient | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private inTick = false;
  private readyTransition = kubeTime();
  private lastStatusOk = false;
  private readonly proxyPods = new Map<string, ProxyPod>();
  private readonly mirrorStatus = new Map<string, string>();
  private version = 'v1.31.0';

  constructor(
    private readonly node: string,
    private readonly role: string,
    private readonly address: string,
    private readonly log: Logger,
    private readonly staticPods: StaticPods | null,
  ) {}

  /** (Re)reads kubelet.conf, as a kubelet process start does. */
  reload(): void {
    this.client?.close();
    this.client = null;
    try {
      const creds = loadKubeconfig(KUBELET_CONF);
      this.client = new KubeClient(creds, `kubelet/${this.version} (linux/amd64) kubernetes/lab`);
      this.log('kubelet: using', KUBELET_CONF, 'server', creds.server);
    } catch (e) {
      this.log('kubelet: cannot load', KUBELET_CONF, (e as Error).message);
    }
    this.proxyPods.clear();
    this.mirrorStatus.clear();
  }

  start(): void {
    this.reload();
    this.running = true;
    this.timer ??= setInterval(() => void this.tick(), HEARTBEAT_MS);
    void this.tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.client?.close();
    this.client = null;
  }

  get active(): boolean {
    return this.running;
  }

  /** Something changed locally (a static pod started/stopped): sync soon rather than at the next beat. */
  poke(): void {
    if (this.running) setTimeout(() => void this.tick(), 100);
  }

  private async tick(): Promise<void> {
    if (!this.running || !this.client || this.inTick) return;
    this.inTick = true;
    const kc = this.client;
    try {
      await this.heartbeat(kc);
      await this.syncPods(kc);
    } catch (e) {
      this.log('kubelet:', e instanceof ApiError ? e.message : `${(e as Error).message}`);
    } finally {
      this.inTick = false;
    }
  }

  private nodeObject(): Record<string, unknown> {
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: this.node,
        labels: {
          'beta.kubernetes.io/arch': 'amd64',
          'beta.kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/hostname': this.node,
          'kubernetes.io/os': 'linux',
        },
        annotations: {
          'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
          'node.alpha.kubernetes.io/ttl': '0',
          'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        },
      },
      spec: {},
      status: this.nodeStatus(),
    };
  }

  private nodeStatus(): Record<string, unknown> {
    const now = kubeTime();
    const cond = (type: string, status: string, reason: string, message: string) => ({
      type,
      status,
      lastHeartbeatTime: now,
      lastTransitionTime: this.readyTransition,
      reason,
      message,
    });
    return {
      addresses: [
        { type: 'InternalIP', address: this.address },
        { type: 'Hostname', address: this.node },
      ],
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: arch() === 'x64' ? 'amd64' : arch(),
        bootID: '',
        containerRuntimeVersion: 'containerd://1.7.0-lab',
        kernelVersion: release(),
        kubeProxyVersion: '',
        kubeletVersion: this.version,
        machineID: '',
        operatingSystem: 'linux',
        osImage: 'ha-wizard lab (Debian GNU/Linux 12)',
        systemUUID: '',
      },
    };
  }

  private async heartbeat(kc: KubeClient): Promise<void> {
    const path = `/api/v1/nodes/${this.node}`;
    try {
      // The lab's kubelet reports the control plane's version (asked once per connection).
      if (!this.lastStatusOk) {
        const v = await kc.get<{ gitVersion?: string }>('/version');
        if (v.gitVersion) this.version = v.gitVersion;
      }
      await kc.call('PATCH', `${path}/status`, { status: this.nodeStatus() }, 'application/strategic-merge-patch+json');
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) {
        if (this.lastStatusOk) this.log('kubelet: node status update failed:', (e as Error).message);
        this.lastStatusOk = false;
        throw e;
      }
      this.readyTransition = kubeTime();
      await kc.call('POST', '/api/v1/nodes', this.nodeObject());
      this.log('kubelet: registered node', this.node);
    }
    if (!this.lastStatusOk) this.log('kubelet: node status posted to', kc.creds.server);
    this.lastStatusOk = true;
  }

  private async syncPods(kc: KubeClient): Promise<void> {
    const list = await kc.get<{ items: any[] }>(`/api/v1/pods?fieldSelector=spec.nodeName%3D${encodeURIComponent(this.node)}`);
    const mirrors = new Map<string, any>();
    const others: any[] = [];
    for (const p of list.items) {
      if (p.metadata?.annotations?.['kubernetes.io/config.mirror']) mirrors.set(`${p.metadata.namespace}/${p.metadata.name}`, p);
      else others.push(p);
    }
    await this.syncMirrors(kc, mirrors);
    await this.syncProxyPods(kc, others);
  }

  private mirrorOf(sp: StaticPod): any {
    const m = sp.manifest;
    const name = `${sp.name}-${this.node}`;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: sp.namespace,
        labels: m.metadata.labels ?? {},
        annotations: {
          ...(m.metadata.annotations ?? {}),
          'kubernetes.io/config.hash': sp.hash,
          'kubernetes.io/config.mirror': sp.hash,
          'kubernetes.io/config.seen': kubeTime(),
          'kubernetes.io/config.source': 'file',
        },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.node, uid: '', controller: true }],
      },
      spec: { ...m.spec, nodeName: this.node },
    };
  }

  private staticStatus(sp: StaticPod): Record<string, unknown> {
    const c = sp.manifest.spec.containers[0];
    const running = sp.child !== null;
    const t = (v: boolean) => (v ? 'True' : 'False');
    const started = sp.startedAt ? kubeTime(sp.startedAt) : kubeTime();
    return {
      phase: 'Running',
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: t(sp.ready) },
        { type: 'ContainersReady', status: t(sp.ready) },
        { type: 'PodScheduled', status: 'True' },
      ],
      hostIP: this.address,
      podIP: this.address,
      podIPs: [{ ip: this.address }],
      startTime: started,
      qosClass: 'Burstable',
      containerStatuses: [
        {
          name: c.name,
          image: c.image,
          imageID: '',
          containerID: running ? `lab://${sp.child!.pid}` : '',
          ready: sp.ready,
          started: running,
          restartCount: sp.restartCount,
          state: running ? { running: { startedAt: started } } : { waiting: sp.waiting ?? { reason: 'ContainerCreating' } },
          lastState: sp.lastExit ? { terminated: { exitCode: sp.lastExit.code ?? 137, reason: 'Error', finishedAt: kubeTime(sp.lastExit.at) } } : {},
        },
      ],
    };
  }

  private async syncMirrors(kc: KubeClient, existing: Map<string, any>): Promise<void> {
    const wanted = new Set<string>();
    for (const sp of this.staticPods?.pods.values() ?? []) {
      if (sp.removed) continue;
      const mirror = this.mirrorOf(sp);
      const id = `${sp.namespace}/${mirror.metadata.name}`;
      wanted.add(id);
      const base = `/api/v1/namespaces/${sp.namespace}/pods/${mirror.metadata.name}`;
      const cur = existing.get(id);
      if (cur && cur.metadata.annotations['kubernetes.io/config.mirror'] !== sp.hash) {
        await kc.call('DELETE', base).catch(() => undefined);
      }
      if (!cur || cur.metadata.annotations['kubernetes.io/config.mirror'] !== sp.hash) {
        await kc.ensure(`/api/v1/namespaces/${sp.namespace}/pods`, mirror);
        this.mirrorStatus.delete(id);
      }
      const st = this.staticStatus(sp);
      const key = JSON.stringify({ ...st, startTime: 0, conditions: st.conditions });
      if (this.mirrorStatus.get(id) !== key) {
        await kc.call('PATCH', `${base}/status`, { status: st }, 'application/merge-patch+json');
        this.mirrorStatus.set(id, key);
      }
    }
    for (const [id, p] of existing) {
      if (!wanted.has(id)) await kc.call('DELETE', `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`).catch(() => undefined);
    }
  }

  private async syncProxyPods(kc: KubeClient, pods: any[]): Promise<void> {
    const live = new Set<string>();
    for (const p of pods) {
      if (p.metadata?.deletionTimestamp) continue;
      const uid = p.metadata.uid as string;
      live.add(uid);
      let state = this.proxyPods.get(uid);
      if (!state) {
        state = { server: await this.kubeProxyServer(kc), startedAt: kubeTime(), ready: false, lastStatus: '' };
        this.proxyPods.set(uid, state);
        this.log('kubelet: started pod', `${p.metadata.namespace}/${p.metadata.name}`, 'apiserver', state.server ?? '(none)');
      }
      state.ready = state.server ? await healthz(state.server) : false;
      const c = p.spec?.containers?.[0] ?? { name: 'c', image: '' };
      const t = state.ready ? 'True' : 'False';
      const st = {
        phase: 'Running',
        conditions: [
          { type: 'Initialized', status: 'True' },
          { type: 'Ready', status: t },
          { type: 'ContainersReady', status: t },
          { type: 'PodScheduled', status: 'True' },
        ],
        hostIP: this.address,
        podIP: this.address,
        podIPs: [{ ip: this.address }],
        startTime: state.startedAt,
        containerStatuses: [{ name: c.name, image: c.image, imageID: '', ready: state.ready, started: true, restartCount: 0, state: { running: { startedAt: state.startedAt } } }],
      };
      const key = JSON.stringify(st);
      if (state.lastStatus !== key) {
        await kc.call('PATCH', `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}/status`, { status: st }, 'application/merge-patch+json');
        state.lastStatus = key;
      }
    }
    for (const uid of this.proxyPods.keys()) if (!live.has(uid)) this.proxyPods.delete(uid);
  }

  private async kubeProxyServer(kc: KubeClient): Promise<string | null> {
    try {
      const cm = await kc.get<{ data?: Record<string, string> }>('/api/v1/namespaces/kube-system/configmaps/kube-proxy');
      const conf = parseYaml(cm.data?.['kubeconfig.conf'] ?? '') as { clusters?: Array<{ cluster?: { server?: string } }> };
      return conf?.clusters?.[0]?.cluster?.server ?? null;
    } catch (e) {
      this.log('kubelet: cannot read the kube-proxy ConfigMap:', (e as Error).message);
      return null;
    }
  }
}

let caAgent: Agent | null = null;

/** GET <server>/healthz verifying the server against the cluster CA (what kube-proxy's client does). */
function healthz(server: string): Promise<boolean> {
  caAgent ??= new Agent({ keepAlive: true, maxSockets: 2, ca: readFileSync(CLUSTER_CA) });
  return new Promise((resolve) => {
    const req = request(new URL('/healthz', server), { agent: caAgent!, timeout: 2000, headers: { 'User-Agent': 'kube-proxy/lab' } }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
