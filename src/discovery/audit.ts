/**
 * The audit's reads (I/O; the scans are pure, in old-address.ts and api-clients.ts): every namespace's ConfigMaps,
 * kubeconfig-like Secrets, DaemonSets, Deployments, StatefulSets and CronJobs, page by page (`limit`/`continue`),
 * each page scanned and dropped, so memory is bounded by a page and the findings kept, on any cluster; and the
 * kubeconfig files on each node, of which only `server:` lines cross the wire.
 */
import type { KubeApi, KubeObject } from '../engine/model/ports.js';
import type { RemoteHost } from '../engine/model/remote-host.js';
import type { ClientOffer, Finding } from './facts.js';
import { CALICO_ENDPOINT, CILIUM_CONFIG, MAX_CANDIDATES, groupOffers, offerId, scanOfferConfigMap, scanOfferWorkload } from './api-clients.js';
import { NODE_KUBECONFIGS_SCRIPT, nodeFileFindings, scanObject, type AuditKind, type AuditSink, type Matchers } from './old-address.js';

/** Objects per page: small enough that a page of large objects stays a few MB, large enough for few round trips. */
export const PAGE_LIMIT = 250;
/** Secrets can be up to 1 MiB each: smaller pages. */
export const SECRET_PAGE_LIMIT = 50;
/**
 * Secret types that never hold a kubeconfig, left out by the API itself (fieldSelector), so the audit never reads
 * them: service-account tokens, bootstrap tokens, TLS pairs, registry credentials, Helm's release records.
 */
export const SECRET_TYPES_SKIPPED = ['kubernetes.io/service-account-token', 'bootstrap.kubernetes.io/token', 'kubernetes.io/tls', 'kubernetes.io/dockerconfigjson', 'kubernetes.io/dockercfg', 'helm.sh/release.v1'];

const KINDS: Array<{ apiVersion: string; kind: AuditKind; limit: number; fieldSelector?: string }> = [
  { apiVersion: 'v1', kind: 'ConfigMap', limit: PAGE_LIMIT },
  { apiVersion: 'v1', kind: 'Secret', limit: SECRET_PAGE_LIMIT, fieldSelector: SECRET_TYPES_SKIPPED.map((t) => `type!=${t}`).join(',') },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', limit: PAGE_LIMIT },
  { apiVersion: 'apps/v1', kind: 'Deployment', limit: PAGE_LIMIT },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', limit: PAGE_LIMIT },
  { apiVersion: 'batch/v1', kind: 'CronJob', limit: PAGE_LIMIT },
];

export interface ClusterAudit {
  offers: ClientOffer[];
  /** Workloads pinning the master that a controller renders: reported with their owner. */
  rendered: Array<{ object: string; owner: string }>;
  seen: { cilium: boolean; calico: boolean; workloads: string[] };
  /** Pages read per kind (the audit's size, for tests and benchmarks). */
  pages: Record<string, number>;
}

/**
 * Every namespace, every kind, page by page: findings into the sink, and what ha-wizard can repoint. A list the API
 * refuses (or a continue token that expired mid-way) is a note naming how far it got; the audit goes on.
 * `wanted`: the config's `repoint` items that name a workload, checked for existence.
 */
export async function auditCluster(k: KubeApi, ms: Matchers, masterAddress: string, sink: AuditSink, wanted: readonly string[] = []): Promise<ClusterAudit> {
  const configMaps: NonNullable<ReturnType<typeof scanOfferConfigMap>>[] = [];
  const candidates: NonNullable<ReturnType<typeof scanOfferWorkload>>[] = [];
  const seen = { cilium: false, calico: false, workloads: [] as string[] };
  const pages: Record<string, number> = {};
  let candidatesDropped = 0;
  for (const { apiVersion, kind, limit, fieldSelector } of KINDS) {
    let token: string | undefined;
    let page = 0;
    let index = 0;
    do {
      let items: KubeObject[];
      try {
        const r = await k.listPage(apiVersion, kind, { limit, ...(fieldSelector ? { fieldSelector } : {}), ...(token ? { continue: token } : {}) });
        if (!Array.isArray(r.items)) throw new Error('the API did not return a list');
        items = r.items;
        token = r.continue ?? undefined;
      } catch (e) {
        sink.note(`${kind} list${page ? ` (after ${page} ${page === 1 ? 'page' : 'pages'} of ${limit})` : ''} not read: ${(e as Error).message.split('\n')[0]}`);
        break;
      }
      page++;
      for (const raw of items) {
        scanObject(kind, raw, index++, ms, sink);
        const name = (raw.metadata?.name ?? '') as string;
        if (kind === 'ConfigMap') {
          if (name === CILIUM_CONFIG) seen.cilium = true;
          if (name === CALICO_ENDPOINT) seen.calico = true;
          const cm = scanOfferConfigMap(raw, masterAddress);
          if (cm) configMaps.push(cm);
        } else if (kind === 'DaemonSet' || kind === 'Deployment') {
          if (kind === 'DaemonSet' && name === 'cilium') seen.cilium = true;
          if (kind === 'DaemonSet' && name === 'calico-node') seen.calico = true;
          const id = offerId({ kind, namespace: (raw.metadata?.namespace ?? '') as string, name });
          if (wanted.includes(id) && !seen.workloads.includes(id)) seen.workloads.push(id);
          const w = scanOfferWorkload(kind, raw, masterAddress);
          if (w && candidates.length < MAX_CANDIDATES) candidates.push(w);
          else if (w) candidatesDropped++;
        }
      }
      // The page is dropped here: only findings and candidates stay.
    } while (token);
    pages[kind] = page;
  }
  if (candidatesDropped) sink.note(`${candidatesDropped} more workloads that name the old address were not considered for repointing (the audit keeps ${MAX_CANDIDATES})`);
  const { offers, rendered } = groupOffers(configMaps, candidates);
  return { offers, rendered, seen, pages };
}

/** One node's kubeconfigs outside kubeadm's that name the master (only their `server:` lines are read). */
export async function auditNodeFiles(host: RemoteHost, ms: Matchers, masterURL: string, endpointURL: string): Promise<{ findings: Finding[]; note?: string }> {
  const r = await host.exec(['sh', '-c', NODE_KUBECONFIGS_SCRIPT], { timeoutMs: 30_000 });
  if (r.code !== 0) return { findings: [], note: `kubeconfig files on ${host.name} not read: ${r.stderr.trim().split('\n')[0] ?? `exit ${r.code}`}` };
  return { findings: nodeFileFindings(host.name, r.stdout, ms, masterURL, endpointURL) };
}
