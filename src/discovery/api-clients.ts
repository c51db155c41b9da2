/**
 * API clients outside kubeadm's that ha-wizard can repoint, found by the audit (audit.ts reads, this file
 * decides; pure). Operators' outages after "HA" conversions come from exactly these: Cilium's k8sServiceHost and
 * the KUBERNETES_SERVICE_HOST env that kube-proxy-free CNIs pin to the first master (kubespray#12623), Calico's
 * kubernetes-services-endpoint (kubespray#9733).
 *
 *   cilium    a `cilium-config` ConfigMap whose `k8s-service-host` names the master, and Cilium's DaemonSets and
 *             Deployments in its namespace (the agent, the operator, envoy) that pin KUBERNETES_SERVICE_HOST to it
 *             or read that ConfigMap at start (env, envFrom, a volume)
 *   calico    a `kubernetes-services-endpoint` ConfigMap (tigera-operator, kube-system, calico-system) whose
 *             KUBERNETES_SERVICE_HOST names the master, and calico's workloads that pin the env or read it
 *   workload  any other DaemonSet or Deployment whose KUBERNETES_SERVICE_HOST names the master, one offer each
 *             (`DaemonSet/monitoring/node-agent`)
 *
 * Only literal values are changed: the `_HOST` value to the endpoint's host, the `_PORT` value (where it exists)
 * to its port. A workload a controller renders (an ownerReference, such as tigera-operator's calico-node) is
 * never patched: its source is (the ConfigMap the operator reads), and the operator rolls it out.
 */
import { z } from 'zod';
import type { KubeObject } from '../engine/model/ports.js';
import { canonicalIP } from '../pki/ip.js';
import type { ClientOffer, HelmRelease, OfferConfigMap, OfferWorkload } from './facts.js';

export const ENV_HOST = 'KUBERNETES_SERVICE_HOST';
export const ENV_PORT = 'KUBERNETES_SERVICE_PORT';
export const CILIUM_CONFIG = 'cilium-config';
export const CALICO_ENDPOINT = 'kubernetes-services-endpoint';
/** The ConfigMaps offers may change, and the keys naming the API host and port in each. */
const OFFER_CONFIGMAPS: Record<string, { host: string; port: string }> = {
  [CILIUM_CONFIG]: { host: 'k8s-service-host', port: 'k8s-service-port' },
  [CALICO_ENDPOINT]: { host: ENV_HOST, port: ENV_PORT },
};
/** How many workloads the audit keeps as candidates (memory stays bounded on any cluster). */
export const MAX_CANDIDATES = 200;

/** Whether a host value (an env value, a ConfigMap value) is the master's address, as written or canonically. */
export function namesMaster(value: string, master: string): boolean {
  const v = value.trim().replace(/^\[(.*)\]$/, '$1');
  if (v.toLowerCase() === master.toLowerCase()) return true;
  const a = canonicalIP(v);
  return a !== null && a === canonicalIP(master);
}

// ---- zod: only what is read -------------------------------------------------------------------------------

const meta = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().min(1),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  ownerReferences: z.array(z.looseObject({ apiVersion: z.string(), kind: z.string(), name: z.string(), controller: z.boolean().optional() })).optional(),
});

const envVar = z.looseObject({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z.looseObject({ configMapKeyRef: z.looseObject({ name: z.string().optional() }).optional() }).optional(),
});
const container = z.looseObject({
  name: z.string(),
  image: z.string().optional(),
  env: z.array(envVar).optional(),
  envFrom: z.array(z.looseObject({ configMapRef: z.looseObject({ name: z.string().optional() }).optional() })).optional(),
});
const workloadSchema = z.looseObject({
  metadata: meta,
  spec: z.looseObject({
    selector: z.looseObject({ matchLabels: z.record(z.string(), z.string()).optional() }).optional(),
    updateStrategy: z.record(z.string(), z.unknown()).optional(),
    template: z.looseObject({
      spec: z.looseObject({
        hostNetwork: z.boolean().optional(),
        containers: z.array(container).optional(),
        initContainers: z.array(container).optional(),
        volumes: z.array(z.looseObject({ configMap: z.looseObject({ name: z.string().optional() }).optional() })).optional(),
      }),
    }),
  }),
});
const configMapSchema = z.looseObject({ metadata: meta, data: z.record(z.string(), z.string()).optional() });

/** The Helm release that manages an object, from Helm's own labels and annotations. */
export function helmRelease(m: { labels?: Record<string, string> | undefined; annotations?: Record<string, string> | undefined; namespace: string }): HelmRelease | undefined {
  if (m.labels?.['app.kubernetes.io/managed-by'] !== 'Helm') return undefined;
  const release = m.annotations?.['meta.helm.sh/release-name'] ?? m.labels?.['app.kubernetes.io/instance'] ?? m.labels?.['release'];
  if (!release) return undefined;
  const chart = m.labels?.['helm.sh/chart'];
  return { release, namespace: m.annotations?.['meta.helm.sh/release-namespace'] ?? m.namespace, ...(chart ? { chart } : {}) };
}

/** A ConfigMap an offer may change: `cilium-config` or `kubernetes-services-endpoint` naming the master; else null. */
export function scanOfferConfigMap(raw: KubeObject, master: string): OfferConfigMap | null {
  const r = configMapSchema.safeParse(raw);
  if (!r.success) return null;
  const keys = OFFER_CONFIGMAPS[r.data.metadata.name];
  const host = keys ? r.data.data?.[keys.host] : undefined;
  if (!keys || host === undefined || !namesMaster(host, master)) return null;
  const port = r.data.data?.[keys.port];
  const helm = helmRelease(r.data.metadata);
  return {
    namespace: r.data.metadata.namespace,
    name: r.data.metadata.name,
    hostKey: keys.host,
    host,
    ...(port !== undefined ? { portKey: keys.port, port } : {}),
    ...(helm ? { helm } : {}),
  };
}

/**
 * A DaemonSet or Deployment that matters to an offer: its literal KUBERNETES_SERVICE_HOST names the master, or it
 * reads one of the offers' ConfigMaps at start. Null for every other workload.
 */
export function scanOfferWorkload(kind: 'DaemonSet' | 'Deployment', raw: KubeObject, master: string): (OfferWorkload & { images: string[]; labels: Record<string, string> }) | null {
  const r = workloadSchema.safeParse(raw);
  if (!r.success) return null;
  const { metadata: m, spec } = r.data;
  const pod = spec.template.spec;
  const env: OfferWorkload['env'] = [];
  const reads = new Set<string>();
  for (const [list, containers] of [
    ['initContainers', pod.initContainers ?? []],
    ['containers', pod.containers ?? []],
  ] as const) {
    for (const c of containers) {
      const host = c.env?.find((e) => e.name === ENV_HOST);
      if (host?.value !== undefined && namesMaster(host.value, master)) {
        env.push({ list, container: c.name, name: ENV_HOST, value: host.value });
        const port = c.env?.find((e) => e.name === ENV_PORT);
        if (port?.value !== undefined) env.push({ list, container: c.name, name: ENV_PORT, value: port.value });
      }
      for (const e of c.env ?? []) {
        const cm = e.valueFrom?.configMapKeyRef?.name;
        if (cm && OFFER_CONFIGMAPS[cm]) reads.add(cm);
      }
      for (const f of c.envFrom ?? []) {
        const cm = f.configMapRef?.name;
        if (cm && OFFER_CONFIGMAPS[cm]) reads.add(cm);
      }
    }
  }
  for (const v of pod.volumes ?? []) {
    const cm = v.configMap?.name;
    if (cm && OFFER_CONFIGMAPS[cm]) reads.add(cm);
  }
  if (!env.length && !reads.size) return null;
  const owner = m.ownerReferences?.find((o) => o.controller) ?? m.ownerReferences?.[0];
  const helm = helmRelease(m);
  return {
    kind,
    namespace: m.namespace,
    name: m.name,
    env,
    reads: [...reads].sort(),
    hostNetwork: pod.hostNetwork === true,
    selector: spec.selector?.matchLabels ?? {},
    ...(kind === 'DaemonSet' && spec.updateStrategy ? { updateStrategy: spec.updateStrategy } : {}),
    ...(owner ? { owner: `${owner.kind} ${owner.name} (${owner.apiVersion})` } : {}),
    ...(helm ? { helm } : {}),
    images: [...(pod.containers ?? []), ...(pod.initContainers ?? [])].map((c) => c.image ?? ''),
    labels: { ...(m.labels ?? {}), ...(spec.selector?.matchLabels ?? {}) },
  };
}

type Candidate = NonNullable<ReturnType<typeof scanOfferWorkload>>;

function isOf(w: Candidate, project: 'cilium' | 'calico'): boolean {
  const re = project === 'cilium' ? /^cilium(-|$)/ : /^calico(-|$)/;
  return (
    re.test(w.name) ||
    w.labels['app.kubernetes.io/part-of'] === project ||
    re.test(w.labels['k8s-app'] ?? '') ||
    w.images.some((i) => new RegExp(`(^|/)${project}/`).test(i)) ||
    (project === 'calico' && w.namespace === 'calico-system')
  );
}

/** A `repoint` item naming one workload: Kind/namespace/name. */
export const REPOINT_WORKLOAD = /^(?:DaemonSet|Deployment)\/[^/]+\/[^/]+$/;

export function offerId(w: { kind: string; namespace: string; name: string }): string {
  return `${w.kind}/${w.namespace}/${w.name}`;
}

function strip(w: Candidate): OfferWorkload {
  const { images: _i, labels: _l, ...rest } = w;
  return rest;
}

/**
 * The offers, from the ConfigMaps and workloads the audit kept: Cilium's and Calico's ConfigMaps and the workloads of
 * theirs that pin the master or read those ConfigMaps, then every other workload pinning the master on its own.
 * A workload that reads an offer's ConfigMap but pins nothing joins only when that ConfigMap names the master.
 * A workload a controller renders (ownerReferences) is offered only as calico-node under tigera-operator with its
 * ConfigMap in tigera-operator (the operator re-renders it); any other is `rendered`: reported with its owner.
 */
export function groupOffers(configMaps: readonly OfferConfigMap[], candidates: readonly Candidate[]): { offers: ClientOffer[]; rendered: Array<{ object: string; owner: string }> } {
  const offers: ClientOffer[] = [];
  const rendered: Array<{ object: string; owner: string }> = [];
  const taken = new Set<string>();
  for (const project of ['cilium', 'calico'] as const) {
    const cmName = project === 'cilium' ? CILIUM_CONFIG : CALICO_ENDPOINT;
    const cms = configMaps.filter((c) => c.name === cmName);
    const cmNamespaces = new Set(cms.map((c) => c.namespace));
    const operatorSource = project === 'calico' && cmNamespaces.has('tigera-operator');
    const ws = candidates.filter((w) => {
      if (!isOf(w, project)) return false;
      if (w.owner && !(operatorSource && /operator\.tigera\.io/.test(w.owner))) return false;
      return w.env.length > 0 || (w.reads.includes(cmName) && (cmNamespaces.has(w.namespace) || operatorSource));
    });
    if (!cms.length && !ws.length) continue;
    ws.forEach((w) => taken.add(offerId(w)));
    const label = project === 'cilium' ? 'Cilium' : 'Calico';
    const parts = [...cms.map((c) => `ConfigMap ${c.namespace}/${c.name}`), ...ws.map((w) => `${w.kind} ${w.namespace}/${w.name}`)];
    offers.push({ id: project, kind: project, title: `${label}: ${parts.join(', ')}`, configMaps: cms, workloads: ws.map(strip) });
  }
  for (const w of candidates) {
    if (taken.has(offerId(w)) || !w.env.length) continue;
    if (w.owner) {
      rendered.push({ object: `${w.kind} ${w.namespace}/${w.name}`, owner: w.owner });
      continue;
    }
    offers.push({ id: offerId(w), kind: 'workload', title: `${w.kind} ${w.namespace}/${w.name}`, configMaps: [], workloads: [strip(w)] });
  }
  return { offers, rendered };
}

/**
 * The offers the operator chose: `repoint` as written in the config (or as the wizard set it), `all`, or none.
 * Every item must name something the cluster has (an offer, or a Cilium/Calico install or workload that is
 * already on the endpoint: nothing to do); else it is a mistake, said with what the audit found.
 */
export function chooseOffers(offers: readonly ClientOffer[], repoint: 'all' | readonly string[] | undefined, seen: { cilium: boolean; calico: boolean; workloads: readonly string[] }): { chosen: ClientOffer[]; unknown: string[] } {
  if (repoint === undefined) return { chosen: [], unknown: [] };
  if (repoint === 'all') return { chosen: [...offers], unknown: [] };
  const chosen = offers.filter((o) => repoint.includes(o.id));
  const unknown = repoint.filter((item) => !offers.some((o) => o.id === item) && !(item === 'cilium' ? seen.cilium : item === 'calico' ? seen.calico : seen.workloads.includes(item)));
  return { chosen, unknown };
}
