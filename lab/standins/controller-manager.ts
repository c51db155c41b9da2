/**
 * kube-controller-manager stand-in. Besides what component.ts gives it (kubeconfig, /healthz on 10257,
 * the Lease), the leader runs two tiny controllers:
 * - DaemonSet: one pod per matching node (named <ds>-<5 random chars>, labelled with the template hash),
 *   rolling replacement one node at a time (maxUnavailable 1) when the template changes, and the status
 *   fields `kubectl rollout status` reads.
 * - Node lifecycle: a node whose kubelet has not posted status for NODE_GRACE_S gets Ready=Unknown
 *   ("Kubelet stopped posting node status."), shown by kubectl as NotReady. The unreachable taints and
 *   pod eviction of the real controller are not imitated.
 */
import { createHash, randomInt } from 'node:crypto';
import { runComponent } from './component.js';
import { log } from './flags.js';
import { kubeTime, type KubeClient } from './kubeclient.js';

const NODE_GRACE_S = 20;
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

const isReady = (o: any) => (o?.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');

function templateHash(template: unknown): string {
  return createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 10);
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

async function syncDaemonSet(kc: KubeClient, ds: any, nodes: any[], allPods: any[]): Promise<void> {
  const ns = ds.metadata.namespace;
  const hash = templateHash(ds.spec.template);
  const eligible = nodes.filter((n) => selects(ds.spec.template?.spec?.nodeSelector, n.metadata.labels)).map((n) => n.metadata.name as string);
  const owned = allPods.filter((p) => (p.metadata.ownerReferences ?? []).some((o: any) => o.uid === ds.metadata.uid) && !p.metadata.deletionTimestamp);
  const byNode = new Map<string, any[]>();
  for (const p of owned) byNode.set(p.spec.nodeName, [...(byNode.get(p.spec.nodeName) ?? []), p]);
  const podsPath = `/api/v1/namespaces/${ns}/pods`;
  const del = (p: any) => kc.call('DELETE', `${podsPath}/${p.metadata.name}`).catch(() => undefined);

  for (const node of eligible) {
    const ps = byNode.get(node) ?? [];
    if (ps.length === 0) {
      const name = `${ds.metadata.name}-${Array.from({ length: 5 }, () => NAME_CHARS[randomInt(NAME_CHARS.length)]).join('')}`;
      const tpl = ds.spec.template;
      await kc.ensure(podsPath, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace: ns,
          labels: { ...(tpl.metadata?.labels ?? {}), 'controller-revision-hash': hash, 'pod-template-generation': String(ds.metadata.generation ?? 1) },
          annotations: tpl.metadata?.annotations ?? {},
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata.name, uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true }],
        },
        spec: { ...tpl.spec, nodeName: node },
        status: { phase: 'Pending' },
      });
      log(`daemonset ${ns}/${ds.metadata.name}: created pod ${name} on ${node}`);
    }
    for (const extra of ps.slice(1)) await del(extra);
  }
  for (const [node, ps] of byNode) if (!eligible.includes(node)) for (const p of ps) await del(p);

  // Rolling update, maxUnavailable 1: replace an old pod only while every other node is available.
  const onEligible = owned.filter((p) => eligible.includes(p.spec.nodeName));
  const old = onEligible.filter((p) => p.metadata.labels?.['controller-revision-hash'] !== hash);
  const available = onEligible.filter(isReady).length;
  const unavailable = eligible.length - available;
  const maxUnavailable = Number(ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1) || 1;
  if (ds.spec.updateStrategy?.type !== 'OnDelete') {
    const notReadyOld = old.filter((p) => !isReady(p));
    for (const p of notReadyOld) await del(p);
    const budget = maxUnavailable - unavailable;
    for (const p of old.filter(isReady).slice(0, Math.max(0, budget))) {
      log(`daemonset ${ns}/${ds.metadata.name}: replacing ${p.metadata.name} on ${p.spec.nodeName} (template changed)`);
      await del(p);
    }
  }

  const nodesWith = (pred: (p: any) => boolean) => eligible.filter((n) => (byNode.get(n) ?? []).some(pred)).length;
  const status = {
    currentNumberScheduled: nodesWith(() => true),
    desiredNumberScheduled: eligible.length,
    numberAvailable: available,
    numberMisscheduled: [...byNode.keys()].filter((n) => !eligible.includes(n)).length,
    numberReady: available,
    numberUnavailable: Math.max(0, eligible.length - available),
    observedGeneration: ds.metadata.generation ?? 1,
    updatedNumberScheduled: nodesWith((p) => p.metadata.labels?.['controller-revision-hash'] === hash),
  };
  const cur = ds.status ?? {};
  if (Object.entries(status).some(([k, v]) => cur[k] !== v)) {
    await kc.call('PATCH', `/apis/apps/v1/namespaces/${ns}/daemonsets/${ds.metadata.name}/status`, { status }, 'application/merge-patch+json');
  }
}

async function nodeLifecycle(kc: KubeClient, nodes: any[]): Promise<void> {
  const now = Date.now();
  for (const n of nodes) {
    const ready = (n.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
    if (!ready || ready.status === 'Unknown') continue;
    const beat = Date.parse(ready.lastHeartbeatTime ?? '');
    if (Number.isFinite(beat) && now - beat < NODE_GRACE_S * 1000) continue;
    const t = kubeTime();
    const unknown = (type: string) => ({ type, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: t });
    await kc.call(
      'PATCH',
      `/api/v1/nodes/${n.metadata.name}/status`,
      { status: { conditions: ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map(unknown) } },
      'application/strategic-merge-patch+json',
    );
    log(`node ${n.metadata.name}: no status for more than ${NODE_GRACE_S}s, Ready=Unknown`);
  }
}

await runComponent({
  name: 'kube-controller-manager',
  port: 10257,
  loopMs: 1000,
  lead: async (kc) => {
    const [nodes, dss, pods] = await Promise.all([
      kc.get<{ items: any[] }>('/api/v1/nodes'),
      kc.get<{ items: any[] }>('/apis/apps/v1/daemonsets'),
      kc.get<{ items: any[] }>('/api/v1/pods'),
    ]);
    for (const ds of dss.items) await syncDaemonSet(kc, ds, nodes.items, pods.items);
    await nodeLifecycle(kc, nodes.items);
  },
});
