/**
 * The kubelet's API side, with the kubelet's own credentials (credentials.ts) against the real
 * kube-apiserver, so the Node authorizer and NodeRestriction judge every call: it registers its Node,
 * renews its Lease in kube-node-lease, posts node status, keeps a mirror pod for each static pod (owned
 * by its Node, as NodeRestriction requires) with the containers' real state, and reports status for the
 * pods the real scheduler binds to it (kube-proxy's DaemonSet pods, CoreDNS), finishing their deletion
 * as a kubelet does once their containers are gone.
 *
 * Bound pods run no process (there are no images here). A kube-proxy pod reads the kube-proxy
 * ConfigMap's kubeconfig.conf server once, when it starts, like the real kube-proxy, and is Ready only
 * while that server answers /healthz with the cluster CA check (checked at every pod sync, at least every
 * 5 s; two failures in a row make it not Ready, as a readiness probe's failure threshold does), so a
 * repointed kube-proxy is observable,
 * and so is one that was not restarted. A pod whose environment sets KUBERNETES_SERVICE_HOST (a literal
 * value, `valueFrom.configMapKeyRef` or `envFrom.configMapRef`, resolved once when it starts, as the
 * kubelet does), a kube-proxy-free CNI agent pinned to an API server, is judged the same way on
 * https://KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT. Other bound pods are Ready once started.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { arch, release } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { loadKubeletConf, tlsBootstrap } from './credentials.js';
import { ApiError, KubeClient, kubeTime, microTime } from './kubeclient.js';
import type { KubeletSettings } from './settings.js';
import type { StaticPod, StaticPods } from './staticpods.js';

const CLUSTER_CA = '/etc/kubernetes/pki/ca.crt';
const HEARTBEAT_MS = 5000;
/** Failed /healthz checks in a row that make a pod judged by its server not Ready. */
const READINESS_FAILURE_THRESHOLD = 2;
/**
 * At most one readiness check per pod in this time (the real kubelet's periodSeconds, whose minimum is 1 s): a
 * watch event and the periodic sync coming together must not count one moment's answer twice. Without it, a
 * restarted apiserver's brief 500 seen by two syncs 18 ms apart made a pod not Ready (CI, clients.lab).
 */
const READINESS_PERIOD_MS = 1000;
const LEASE_SECONDS = 40;
/** What every lab node offers the scheduler: a small machine, room for kubeadm's control plane and addons. */
const NODE_CAPACITY = { cpu: '2', memory: '4Gi', pods: '110', 'ephemeral-storage': '20Gi', 'hugepages-2Mi': '0' };

type Logger = (...parts: unknown[]) => void;

interface BoundPod {
  server: string | null;
  /** Its container runs (its config could be read); until then it is not Ready. */
  started: boolean;
  /** Failed readiness checks in a row. */
  failures: number;
  /** When its last readiness check ran (Date.now()), 0: never. */
  checkedAt: number;
  startedAt: string;
  ready: boolean;
  lastStatus: string;
}

export class Kubelet {
  private client: KubeClient | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private inTick = false;
  private bootstrapping = false;
  private readyTransition = kubeTime();
  private lastStatusOk = false;
  private nodeUid = '';
  private readonly boundPods = new Map<string, BoundPod>();
  private podWatch: { client: KubeClient; stop: () => void } | null = null;
  private podsDirty = false;
  private inPodSync = false;
  private pokeTimer: NodeJS.Timeout | null = null;
  private readonly mirrorStatus = new Map<string, string>();
  /** The "installed kubelet package": the release of the kubeadm the lab put on this node's PATH. */
  private readonly version = installedVersion();

  constructor(
    private settings: KubeletSettings,
    private readonly log: Logger,
    private readonly staticPods: StaticPods | null,
  ) {}

  get nodeName(): string {
    return this.settings.nodeName;
  }

  /** (Re)reads kubelet.conf, as a kubelet process start does. */
  reload(settings: KubeletSettings): void {
    this.settings = settings;
    this.podWatch?.stop();
    this.podWatch = null;
    this.client?.close();
    this.client = null;
    this.lastStatusOk = false;
    this.nodeUid = '';
    const creds = loadKubeletConf(this.log);
    if (creds) {
      this.client = new KubeClient(creds, `kubelet/${this.version} (linux/amd64) kubernetes/lab`);
      this.log('kubelet: node', this.nodeName, 'using', 'server', creds.server);
    }
    this.boundPods.clear();
    this.mirrorStatus.clear();
  }

  start(settings: KubeletSettings): void {
    this.reload(settings);
    this.running = true;
    this.timer ??= setInterval(() => void this.tick(), HEARTBEAT_MS);
    void this.tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.podWatch?.stop();
    this.podWatch = null;
    this.client?.close();
    this.client = null;
  }

  get active(): boolean {
    return this.running;
  }

  /** Pods changed (a static pod started or stopped, a watch event): sync the pods soon, not at the next beat. */
  poke(): void {
    if (!this.running) return;
    this.podsDirty = true;
    this.pokeTimer ??= setTimeout(() => {
      this.pokeTimer = null;
      void this.syncPodsNow();
    }, 100);
  }

  /** One pod sync at a time; a change seen meanwhile runs another right after. */
  private async syncPodsNow(): Promise<void> {
    const kc = this.client;
    if (!this.running || !kc || this.inPodSync) return;
    this.inPodSync = true;
    try {
      while (this.podsDirty && this.client === kc) {
        this.podsDirty = false;
        await this.syncPods(kc);
      }
    } catch (e) {
      this.log('kubelet:', e instanceof ApiError ? e.message : `${(e as Error).message}`);
    } finally {
      this.inPodSync = false;
    }
  }

  private async tick(): Promise<void> {
    if (!this.running || this.inTick) return;
    if (!this.client) {
      await this.bootstrap();
      if (!this.client) return;
    }
    this.inTick = true;
    const kc = this.client;
    try {
      await this.heartbeat(kc);
      await this.renewLease(kc);
      this.podsDirty = true;
      await this.syncPodsNow();
    } catch (e) {
      this.log('kubelet:', e instanceof ApiError ? e.message : `${(e as Error).message}`);
    } finally {
      this.inTick = false;
    }
  }

  /** No kubelet.conf: TLS bootstrap if kubeadm left a bootstrap kubeconfig, else wait (systemd would restart us). */
  private async bootstrap(): Promise<void> {
    if (this.bootstrapping) return;
    this.bootstrapping = true;
    try {
      if (await tlsBootstrap(this.nodeName, this.log, () => !this.running)) this.reload(this.settings);
    } catch (e) {
      this.log('kubelet: TLS bootstrap failed:', (e as Error).message);
    } finally {
      this.bootstrapping = false;
    }
  }

  private nodeObject(): Record<string, unknown> {
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: this.nodeName,
        labels: {
          'beta.kubernetes.io/arch': 'amd64',
          'beta.kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/hostname': this.nodeName,
          'kubernetes.io/os': 'linux',
          ...this.settings.labels,
        },
        annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
      },
      spec: this.settings.taints.length ? { taints: this.settings.taints } : {},
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
        ...(this.settings.nodeIPs ?? [this.settings.nodeIP]).map((address) => ({ type: 'InternalIP', address })),
        { type: 'Hostname', address: this.nodeName },
      ],
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      // The scheduler fits pods against these: a node without them takes none ("Too many pods").
      capacity: NODE_CAPACITY,
      allocatable: NODE_CAPACITY,
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: arch() === 'x64' ? 'amd64' : arch(),
        bootID: '',
        containerRuntimeVersion: 'lab://0.0.0',
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
    const path = `/api/v1/nodes/${this.nodeName}`;
    try {
      const node = await kc.call('PATCH', `${path}/status`, { status: this.nodeStatus() }, 'application/strategic-merge-patch+json');
      this.nodeUid = node.metadata?.uid ?? this.nodeUid;
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) {
        if (this.lastStatusOk) this.log('kubelet: node status update failed:', (e as Error).message);
        this.lastStatusOk = false;
        throw e;
      }
      this.readyTransition = kubeTime();
      const node = await kc.call('POST', '/api/v1/nodes', this.nodeObject());
      this.nodeUid = node.metadata?.uid ?? '';
      this.log('kubelet: registered node', this.nodeName);
    }
    if (!this.lastStatusOk) this.log('kubelet: node status posted to', kc.creds.server);
    this.lastStatusOk = true;
  }

  /** The node's heartbeat Lease (kube-node-lease/<node>), owned by its Node as the kubelet's lease controller does. */
  private async renewLease(kc: KubeClient): Promise<void> {
    const base = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
    const spec = { holderIdentity: this.nodeName, leaseDurationSeconds: LEASE_SECONDS, renewTime: microTime() };
    const lease = await kc.find(`${base}/${this.nodeName}`);
    if (!lease) {
      const ownerReferences = this.nodeUid ? [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: this.nodeUid }] : [];
      await kc.ensure(base, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.nodeName, namespace: 'kube-node-lease', ownerReferences }, spec });
      return;
    }
    await kc.call('PUT', `${base}/${this.nodeName}`, { ...lease, spec: { ...lease.spec, ...spec } });
  }

  private async syncPods(kc: KubeClient): Promise<void> {
    const selector = `fieldSelector=spec.nodeName%3D${encodeURIComponent(this.nodeName)}`;
    const list = await kc.get<{ metadata: { resourceVersion: string }; items: any[] }>(`/api/v1/pods?${selector}`);
    this.watchPods(kc, selector, list.metadata.resourceVersion);
    const mirrors = new Map<string, any>();
    const others: any[] = [];
    for (const p of list.items) {
      if (p.metadata?.annotations?.['kubernetes.io/config.mirror']) mirrors.set(`${p.metadata.namespace}/${p.metadata.name}`, p);
      else others.push(p);
    }
    await this.syncMirrors(kc, mirrors);
    await this.syncBoundPods(kc, others);
  }

  /**
   * Watches this node's pods, as the kubelet does, so a pod bound to it or deleted is acted on within a
   * moment instead of at the next heartbeat. One watch per client; any event asks for a sync.
   */
  private watchPods(kc: KubeClient, selector: string, resourceVersion: string): void {
    if (this.podWatch?.client === kc) return;
    this.podWatch?.stop();
    const stop = kc.watch(
      `/api/v1/pods?${selector}&watch=1&allowWatchBookmarks=false&resourceVersion=${encodeURIComponent(resourceVersion)}`,
      () => this.poke(),
      () => {
        if (this.podWatch?.client === kc) this.podWatch = null; // the next sync lists and watches again
      },
    );
    this.podWatch = { client: kc, stop };
  }

  private mirrorOf(sp: StaticPod): any {
    const m = sp.manifest;
    const name = `${sp.name}-${this.nodeName}`;
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
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: this.nodeUid, controller: true }],
      },
      spec: { ...m.spec, nodeName: this.nodeName },
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
      hostIP: this.settings.nodeIP,
      podIP: this.settings.nodeIP,
      podIPs: [{ ip: this.settings.nodeIP }],
      startTime: started,
      qosClass: qosClass(sp.manifest),
      containerStatuses: [
        {
          name: c.name,
          image: c.image,
          imageID: '',
          containerID: running ? `lab://${sp.child!.pid}` : '',
          ready: sp.ready,
          started: running && sp.started,
          restartCount: sp.restartCount,
          state: running ? { running: { startedAt: started } } : { waiting: sp.waiting ?? { reason: 'ContainerCreating' } },
          lastState: sp.lastExit ? { terminated: { exitCode: sp.lastExit.code ?? 137, reason: 'Error', finishedAt: kubeTime(sp.lastExit.at) } } : {},
        },
      ],
    };
  }

  private async syncMirrors(kc: KubeClient, existing: Map<string, any>): Promise<void> {
    if (!this.nodeUid) return; // NodeRestriction checks the mirror pod's owner against the Node's UID
    const wanted = new Set<string>();
    for (const sp of this.staticPods?.pods.values() ?? []) {
      if (sp.removed) continue;
      const mirror = this.mirrorOf(sp);
      const id = `${sp.namespace}/${mirror.metadata.name}`;
      wanted.add(id);
      const base = `/api/v1/namespaces/${sp.namespace}/pods/${mirror.metadata.name}`;
      const cur = existing.get(id);
      if (cur && cur.metadata.annotations['kubernetes.io/config.mirror'] !== sp.hash) {
        await kc.call('DELETE', base, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 }).catch(() => undefined);
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
      if (!wanted.has(id)) {
        await kc.call('DELETE', `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 }).catch(() => undefined);
      }
    }
  }

  private async syncBoundPods(kc: KubeClient, pods: any[]): Promise<void> {
    const live = new Set<string>();
    for (const p of pods) {
      const uid = p.metadata.uid as string;
      const path = `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`;
      if (p.metadata?.deletionTimestamp) {
        // Nothing runs for it: its containers are gone at once, and the kubelet finishes the deletion.
        this.boundPods.delete(uid);
        await kc
          .call('DELETE', path, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid } })
          .catch((e: Error) => this.log('kubelet: cannot finish deleting', `${p.metadata.namespace}/${p.metadata.name}:`, e.message));
        continue;
      }
      live.add(uid);
      const isProxy = p.metadata.labels?.['k8s-app'] === 'kube-proxy';
      let state = this.boundPods.get(uid);
      if (!state) {
        state = { server: null, started: false, failures: 0, checkedAt: 0, startedAt: kubeTime(), ready: false, lastStatus: '' };
        this.boundPods.set(uid, state);
      }
      if (!state.started) {
        // The container starts once the kubelet can read what it is configured from: kube-proxy's ConfigMap (its
        // volume), the ConfigMaps its env names (a pod whose env refers to a ConfigMap it cannot read does not start,
        // as with the real kubelet). The Node authorizer learns of a pod's binding a moment after it, so a read may
        // be refused at first: tried again on the next sync. Resolved once, when it starts, as a process reads its
        // env and kubeconfig once.
        const server = isProxy ? await this.kubeProxyServer(kc) : await this.envServer(kc, p);
        if (server !== undefined && (server !== null || !isProxy)) {
          state.started = true;
          state.server = server;
          state.ready = server === null;
          this.log('kubelet: started pod', `${p.metadata.namespace}/${p.metadata.name}`, server ? `apiserver ${server}` : '');
        }
      }
      if (state.started && state.server !== null && Date.now() - state.checkedAt >= READINESS_PERIOD_MS) {
        state.checkedAt = Date.now();
        // A readiness probe with a failure threshold of 2 (the real kubelet's default is 3): one failed check (a
        // kept-alive connection reset when an apiserver behind the endpoint stops, a starting apiserver's 500) is
        // said and tolerated; two in a row make the pod not Ready. Not Ready until its first success.
        const was = state.ready;
        const h = await healthz(state.server);
        state.failures = h.ok ? 0 : state.failures + 1;
        state.ready = h.ok || (state.ready && state.failures < READINESS_FAILURE_THRESHOLD);
        const name = `${p.metadata.namespace}/${p.metadata.name}`;
        if (was !== state.ready && state.lastStatus) this.log('kubelet: pod', name, state.ready ? 'Ready again:' : 'not Ready:', state.server, state.ready ? 'answers' : `does not answer (${h.why})`);
        else if (!h.ok && state.ready) this.log('kubelet: pod', name, 'check failed once, still Ready:', state.server, `(${h.why})`);
      }
      const containers: any[] = p.spec?.containers ?? [];
      const t = state.ready ? 'True' : 'False';
      const st = {
        phase: 'Running',
        conditions: [
          { type: 'Initialized', status: 'True' },
          { type: 'Ready', status: t },
          { type: 'ContainersReady', status: t },
          { type: 'PodScheduled', status: 'True' },
        ],
        hostIP: this.settings.nodeIP,
        podIP: this.settings.nodeIP,
        podIPs: [{ ip: this.settings.nodeIP }],
        startTime: state.startedAt,
        containerStatuses: containers.map((c) => ({ name: c.name, image: c.image, imageID: '', ready: state!.ready, started: true, restartCount: 0, state: { running: { startedAt: state!.startedAt } } })),
      };
      const key = JSON.stringify(st);
      if (state.lastStatus !== key) {
        await kc.call('PATCH', `${path}/status`, { status: st }, 'application/merge-patch+json');
        state.lastStatus = key;
      }
    }
    for (const uid of this.boundPods.keys()) if (!live.has(uid)) this.boundPods.delete(uid);
  }

  /**
   * https://KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT when a container of the pod sets the host (literal, from a
   * ConfigMap key, or from a whole ConfigMap; the Node authorizer lets a node read ConfigMaps its pods reference), else
   * null; undefined when a ConfigMap it names cannot be read (yet).
   */
  private async envServer(kc: KubeClient, pod: any): Promise<string | null | undefined> {
    const ns = pod.metadata.namespace as string;
    const maps = new Map<string, Record<string, string>>();
    const cm = async (name: string): Promise<Record<string, string>> => {
      if (!maps.has(name)) maps.set(name, (await kc.get<{ data?: Record<string, string> }>(`/api/v1/namespaces/${ns}/configmaps/${name}`)).data ?? {});
      return maps.get(name)!;
    };
    try {
      return await this.envServerFrom(pod, cm);
    } catch (e) {
      this.log('kubelet: cannot read a ConfigMap of pod', `${ns}/${pod.metadata.name}:`, (e as Error).message);
      return undefined;
    }
  }

  private async envServerFrom(pod: any, cm: (name: string) => Promise<Record<string, string>>): Promise<string | null> {
    for (const c of (pod.spec?.containers ?? []) as any[]) {
      const env: Record<string, string> = {};
      for (const f of c.envFrom ?? []) if (f.configMapRef?.name) Object.assign(env, await cm(f.configMapRef.name));
      for (const e of c.env ?? []) {
        if (typeof e.value === 'string') env[e.name] = e.value;
        else if (e.valueFrom?.configMapKeyRef?.name) {
          const v = (await cm(e.valueFrom.configMapKeyRef.name))[e.valueFrom.configMapKeyRef.key];
          if (v !== undefined) env[e.name] = v;
        }
      }
      const host = env['KUBERNETES_SERVICE_HOST'];
      if (host) return `https://${host.includes(':') ? `[${host}]` : host}:${env['KUBERNETES_SERVICE_PORT'] || '443'}`;
    }
    return null;
  }

  /** The server of kube-proxy's kubeconfig (the kube-proxy ConfigMap, which the pod mounts: the Node authorizer allows the read). */
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

function installedVersion(): string {
  try {
    const m = /\/v(\d+\.\d+\.\d+)\//.exec(readlinkSync('/usr/local/bin/kubeadm'));
    return m ? `v${m[1]}` : 'v0.0.0';
  } catch {
    return 'v0.0.0';
  }
}

let caAgent: Agent | null = null;

/** GET <server>/healthz verifying the server against the cluster CA (what kube-proxy's client does); why not, in words. */
function healthz(server: string): Promise<{ ok: boolean; why: string }> {
  caAgent ??= new Agent({ keepAlive: true, maxSockets: 2, ca: readFileSync(CLUSTER_CA) });
  return new Promise((resolve) => {
    const req = request(new URL('/healthz', server), { agent: caAgent!, timeout: 2000, headers: { 'User-Agent': 'kube-proxy/lab' } }, (res) => {
      res.resume();
      resolve({ ok: res.statusCode === 200, why: `HTTP ${res.statusCode}` });
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 2 s')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, why: e.code ?? e.message }));
    req.end();
  });
}

/**
 * The pod's QoS class as the API server computes it when the mirror pod is created (and then refuses to change):
 * BestEffort without any request or limit, Guaranteed when every container's limits equal its requests for cpu
 * and memory, Burstable otherwise. kubeadm's control-plane pods request cpu: Burstable; kube-vip's has none.
 */
export function qosClass(manifest: any): 'BestEffort' | 'Burstable' | 'Guaranteed' {
  const containers: any[] = [...(manifest?.spec?.initContainers ?? []), ...(manifest?.spec?.containers ?? [])];
  const empty = (o: unknown) => !o || typeof o !== 'object' || Object.keys(o as object).length === 0;
  if (containers.every((c) => empty(c?.resources?.requests) && empty(c?.resources?.limits))) return 'BestEffort';
  const guaranteed = containers.every((c) => {
    const limits = c?.resources?.limits ?? {};
    const requests = { ...limits, ...(c?.resources?.requests ?? {}) };
    return ['cpu', 'memory'].every((r) => limits[r] !== undefined && String(requests[r]) === String(limits[r]));
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
