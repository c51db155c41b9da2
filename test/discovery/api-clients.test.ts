/**
 * Issue #17's audit, pure parts and the paged reads against a fake API: Cilium-, Calico- (manifest and tigera-operator)
 * and other-workload offers; what is only reported (rendered workloads, StatefulSets, CronJobs, Secrets, node files,
 * apiserver flags) and with what advice; Secret values never leave the scan; the audit stays bounded on a cluster of
 * thousands of objects (one page in memory, findings capped, the rest counted).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupOffers, namesMaster, scanOfferConfigMap, scanOfferWorkload, chooseOffers } from '../../src/discovery/api-clients.js';
import {
  AuditSink,
  MAX_FINDINGS,
  NODE_KUBECONFIGS_SCRIPT,
  SECRET_VALUE,
  apiserverFlagFindings,
  auditOldMasterReferences,
  helmFollowUps,
  linkFindings,
  matchers,
  nodeFileFindings,
  oldAddressReport,
} from '../../src/discovery/old-address.js';
import { auditCluster } from '../../src/discovery/audit.js';
import { renderOldAddressReport } from '../../src/reporters/old-address-text.js';
import type { KubeApi, KubeObject } from '../../src/engine/model/ports.js';
import { makeFacts } from '../steps/facts-fixture.js';

const M = '10.200.0.11';
const ms = matchers(M, 6443);

const cm = (namespace: string, name: string, data: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, ...extra }, data });

const HELM = { labels: { 'app.kubernetes.io/managed-by': 'Helm', 'helm.sh/chart': 'cilium-1.16.5' }, annotations: { 'meta.helm.sh/release-name': 'cilium', 'meta.helm.sh/release-namespace': 'kube-system' } };

interface W {
  kind?: 'DaemonSet' | 'Deployment';
  ns: string;
  name: string;
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  envFrom?: unknown[];
  volumes?: unknown[];
  image?: string;
  hostNetwork?: boolean;
  meta?: Record<string, unknown>;
  strategy?: Record<string, unknown>;
}

function workload(w: W): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: w.kind ?? 'DaemonSet',
    metadata: { name: w.name, namespace: w.ns, ...(w.meta ?? {}) },
    spec: {
      selector: { matchLabels: { 'k8s-app': w.name } },
      ...(w.strategy ? { updateStrategy: w.strategy } : {}),
      template: {
        metadata: { labels: { 'k8s-app': w.name } },
        spec: {
          ...(w.hostNetwork ? { hostNetwork: true } : {}),
          containers: [{ name: 'main', image: w.image ?? 'example/x:1', ...(w.env ? { env: w.env } : {}), ...(w.envFrom ? { envFrom: w.envFrom } : {}) }],
          ...(w.volumes ? { volumes: w.volumes } : {}),
        },
      },
    },
  };
}

const pinned = [
  { name: 'KUBERNETES_SERVICE_HOST', value: M },
  { name: 'KUBERNETES_SERVICE_PORT', value: '6443' },
];

/** A Cilium (Helm), a Calico by manifest, a monitoring DaemonSet pinning the master, and unrelated objects. */
function cluster(): { configMaps: KubeObject[]; daemonSets: KubeObject[]; deployments: KubeObject[] } {
  return {
    configMaps: [
      cm('kube-system', 'cilium-config', { 'k8s-service-host': M, 'k8s-service-port': '6443', 'cluster-pool-ipv4-cidr': '10.0.0.0/8' }, HELM),
      cm('kube-system', 'kubernetes-services-endpoint', { KUBERNETES_SERVICE_HOST: M, KUBERNETES_SERVICE_PORT: '6443' }),
      cm('monitoring', 'agent-config', { apiServer: `https://${M}:6443` }),
      cm('kube-system', 'unrelated', { a: '10.200.0.111' }),
    ],
    daemonSets: [
      workload({ ns: 'kube-system', name: 'cilium', env: pinned, image: 'quay.io/cilium/cilium:v1.16.5', hostNetwork: true, volumes: [{ name: 'cfg', configMap: { name: 'cilium-config' } }], meta: HELM, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2, maxSurge: 0 } } }),
      workload({ ns: 'kube-system', name: 'calico-node', envFrom: [{ configMapRef: { name: 'kubernetes-services-endpoint', optional: true } }], image: 'docker.io/calico/node:v3.29.0', hostNetwork: true, strategy: { type: 'RollingUpdate' } }),
      workload({ ns: 'monitoring', name: 'node-agent', env: pinned }),
      workload({ ns: 'kube-system', name: 'other', env: [{ name: 'KUBERNETES_SERVICE_HOST', value: '10.200.0.12' }] }),
    ],
    deployments: [workload({ kind: 'Deployment', ns: 'kube-system', name: 'cilium-operator', env: pinned, image: 'quay.io/cilium/operator-generic:v1.16.5', hostNetwork: true, meta: HELM })],
  };
}

function offersOf(c: ReturnType<typeof cluster>) {
  const cms = c.configMaps.map((o) => scanOfferConfigMap(o, M)).filter((x) => x !== null);
  const ws = [...c.daemonSets.map((o) => scanOfferWorkload('DaemonSet', o, M)), ...c.deployments.map((o) => scanOfferWorkload('Deployment', o, M))].filter((x) => x !== null);
  return groupOffers(cms, ws);
}

test('a host names the master as written or canonically, never a longer address', () => {
  assert.ok(namesMaster('10.200.0.11', M));
  assert.ok(namesMaster(' 10.200.0.11 ', M));
  assert.ok(namesMaster('[fd00::11]', 'fd00:0::11'));
  assert.ok(!namesMaster('10.200.0.110', M));
  assert.ok(!namesMaster('k8s-api.example.com', M));
});

test('offers: Cilium (ConfigMap, agent, operator), Calico by manifest (its ConfigMap read through envFrom), one other workload; nothing else', () => {
  const { offers, rendered } = offersOf(cluster());
  assert.deepEqual(
    offers.map((o) => [o.id, o.title]),
    [
      ['cilium', 'Cilium: ConfigMap kube-system/cilium-config, DaemonSet kube-system/cilium, Deployment kube-system/cilium-operator'],
      ['calico', 'Calico: ConfigMap kube-system/kubernetes-services-endpoint, DaemonSet kube-system/calico-node'],
      ['DaemonSet/monitoring/node-agent', 'DaemonSet monitoring/node-agent'],
    ],
  );
  assert.deepEqual(rendered, []);
  const cilium = offers[0]!;
  assert.deepEqual(cilium.configMaps[0], { namespace: 'kube-system', name: 'cilium-config', hostKey: 'k8s-service-host', host: M, portKey: 'k8s-service-port', port: '6443', helm: { release: 'cilium', namespace: 'kube-system', chart: 'cilium-1.16.5' } });
  const agent = cilium.workloads[0]!;
  assert.deepEqual(agent.env, [
    { list: 'containers', container: 'main', name: 'KUBERNETES_SERVICE_HOST', value: M },
    { list: 'containers', container: 'main', name: 'KUBERNETES_SERVICE_PORT', value: '6443' },
  ]);
  assert.deepEqual(agent.reads, ['cilium-config']);
  assert.equal(agent.hostNetwork, true);
  assert.deepEqual(agent.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2, maxSurge: 0 } });
  const calicoNode = offers[1]!.workloads[0]!;
  assert.deepEqual(calicoNode.env, [], 'its env comes from the ConfigMap, which is what changes');
  assert.deepEqual(calicoNode.reads, ['kubernetes-services-endpoint']);
});

test('tigera-operator: calico-node is rendered by the operator, so only its ConfigMap is changed; other rendered workloads are reported with their owner', () => {
  const owner = { ownerReferences: [{ apiVersion: 'operator.tigera.io/v1', kind: 'Installation', name: 'default', controller: true }] };
  const c = {
    configMaps: [cm('tigera-operator', 'kubernetes-services-endpoint', { KUBERNETES_SERVICE_HOST: M, KUBERNETES_SERVICE_PORT: '6443' })],
    daemonSets: [
      workload({ ns: 'calico-system', name: 'calico-node', env: pinned, image: 'docker.io/calico/node:v3.29.0', hostNetwork: true, meta: owner }),
      workload({ ns: 'apps', name: 'pinned-by-operator', env: pinned, meta: { ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Agent', name: 'a', controller: true }] } }),
    ],
    deployments: [],
  };
  const { offers, rendered } = offersOf(c);
  assert.deepEqual(offers.map((o) => o.id), ['calico']);
  assert.equal(offers[0]!.workloads[0]!.owner, 'Installation default (operator.tigera.io/v1)');
  assert.deepEqual(rendered, [{ object: 'DaemonSet apps/pinned-by-operator', owner: 'Agent a (example.com/v1)' }]);
  const findings = linkFindings(auditOldMasterReferences({ configMaps: c.configMaps, daemonSets: c.daemonSets, deployments: [] }, { address: M, port: 6443 }).findings, offers, rendered);
  const byObject = Object.fromEntries(findings.filter((f) => f.field.includes('HOST') || f.field.startsWith('data.')).map((f) => [f.object, f]));
  assert.equal(byObject['ConfigMap tigera-operator/kubernetes-services-endpoint']!.offer, 'calico');
  assert.equal(byObject['DaemonSet calico-system/calico-node']!.offer, 'calico');
  assert.match(byObject['DaemonSet apps/pinned-by-operator']!.advice!, /^rendered by Agent a \(example\.com\/v1\): change the setting there/);
});

test('choosing: none by default, all, by name; a name the cluster does not have is reported, one it has with nothing to do is not', () => {
  const { offers } = offersOf(cluster());
  const seen = { cilium: true, calico: true, workloads: ['Deployment/apps/done-already'] };
  assert.deepEqual(chooseOffers(offers, undefined, seen), { chosen: [], unknown: [] });
  assert.deepEqual(chooseOffers(offers, 'all', seen).chosen.map((o) => o.id), ['cilium', 'calico', 'DaemonSet/monitoring/node-agent']);
  assert.deepEqual(chooseOffers(offers, ['calico', 'Deployment/apps/done-already'], seen), { chosen: [offers[1]!], unknown: [] });
  assert.deepEqual(chooseOffers([], ['cilium', 'DaemonSet/x/y'], { cilium: false, calico: false, workloads: [] }).unknown, ['cilium', 'DaemonSet/x/y']);
});

test('Helm: the exact helm upgrade command with the installed chart version, never run', () => {
  const facts = makeFacts();
  const { offers } = offersOf(cluster());
  assert.deepEqual(helmFollowUps(facts.config, offers[0]!), [
    'Cilium is installed by Helm (release cilium in kube-system): its values must follow, or the next helm upgrade puts the old address back. Run: helm upgrade cilium cilium/cilium --version 1.16.5 --namespace kube-system --reuse-values --set k8sServiceHost=k8s-api.lab.example --set k8sServicePort=6443',
  ]);
  assert.deepEqual(helmFollowUps(facts.config, offers[1]!), [], 'Calico by manifest: no Helm');
});

test('workloads of every kind and namespace, Secrets compared only (value never in a finding), the handled ConfigMaps left out', () => {
  const kubeconfig = `apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: QUJD\n    server: https://${M}:6443\n  name: c\nusers:\n- name: u\n  user:\n    token: s3cr3t-token-value\n`;
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const r = auditOldMasterReferences(
    {
      configMaps: [cm('kube-public', 'cluster-info', { kubeconfig: `clusters:\n- cluster:\n    server: https://${M}:6443\n` })],
      secrets: [
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'remote', namespace: 'ci' }, type: 'Opaque', data: { kubeconfig: b64(kubeconfig), note: b64(`not a kubeconfig but ${M}`) } },
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'elsewhere', namespace: 'ci' }, data: { kubeconfig: b64(kubeconfig.replace(M, '10.9.9.9')) } },
      ],
      daemonSets: [],
      deployments: [],
      statefulSets: [workload({ kind: 'Deployment', ns: 'db', name: 'pg', env: [{ name: 'API', value: `https://${M}:6443` }] })],
      cronJobs: [{ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'backup', namespace: 'ops' }, spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'b', args: [`--server=https://${M}:6443`] }] } } } } } }],
    },
    { address: M, port: 6443 },
  );
  assert.deepEqual(
    r.findings.map((f) => `${f.object} ${f.field}`),
    ['Secret ci/remote data.kubeconfig', 'StatefulSet db/pg spec.template.spec.containers[name=main].env[name=API].value', 'CronJob ops/backup spec.jobTemplate.spec.template.spec.containers[name=b].args[0]'],
  );
  assert.equal(r.findings[0]!.value, SECRET_VALUE);
  assert.equal(r.findings[0]!.secret, true);
  assert.doesNotMatch(JSON.stringify(r), /s3cr3t|QUJD|certificate-authority-data/);
});

test('apiserver flags that name the master: reported with what changing them costs, never a plan change', () => {
  const facts = makeFacts();
  const manifest = facts.manifests['kube-apiserver']!.replace('    - --service-account-issuer=https://kubernetes.default.svc.cluster.local', `    - --service-account-issuer=https://kubernetes.default.svc.cluster.local\n    - --service-account-issuer=https://${M}:6443\n    - --service-account-jwks-uri=https://${M}:6443/openid/v1/jwks`);
  assert.notEqual(manifest, facts.manifests['kube-apiserver']);
  const f = apiserverFlagFindings(manifest, 'cp1', ms, 'https://k8s-api.lab.example:6443');
  assert.deepEqual(f.map((x) => `${x.object} ${x.field}=${x.value}`), [`Flag kube-apiserver on cp1 --service-account-issuer=https://${M}:6443`, `Flag kube-apiserver on cp1 --service-account-jwks-uri=https://${M}:6443/openid/v1/jwks`]);
  assert.match(f[0]!.advice!, /^left unchanged .*invalidates the tokens in use/);
  assert.match(f[1]!.advice!, /https:\/\/k8s-api\.lab\.example:6443\/openid\/v1\/jwks/);
  assert.deepEqual(apiserverFlagFindings(facts.manifests['kube-apiserver'], 'cp1', ms, 'x'), [], "kubeadm's default issuer names no node");
});

test('node kubeconfigs: only server lines are read; each finding says the exact command; kubeadm\'s own files are skipped by the script', () => {
  assert.match(NODE_KUBECONFIGS_SCRIPT, /\/etc\/kubernetes\/admin\.conf\|.*\/etc\/kubernetes\/kubelet\.conf/);
  assert.match(NODE_KUBECONFIGS_SCRIPT, /grep -nE .*server:/);
  const out = [`/root/.kube/config:5:    server: https://${M}:6443`, '/home/ops/.kube/config:4:    server: https://k8s-api.lab.example:6443', 'garbage'].join('\n');
  const f = nodeFileFindings('w1', out, ms, `https://${M}:6443`, 'https://k8s-api.lab.example:6443');
  assert.equal(f.length, 1);
  assert.equal(f[0]!.object, 'File w1:/root/.kube/config');
  assert.equal(f[0]!.field, 'server (line 5)');
  assert.ok(f[0]!.advice!.endsWith("on w1: sed -i 's#https://10\\.200\\.0\\.11:6443#https://k8s-api.lab.example:6443#' /root/.kube/config"), f[0]!.advice);
});

test('the report: chosen offers are repointed (with Helm follow-ups), the others carry the repoint hint, the rest what to do', () => {
  const facts = makeFacts();
  const c = cluster();
  const { offers, rendered } = offersOf(c);
  const found = auditOldMasterReferences(c, { address: M, port: 6443 });
  facts.audit = { findings: linkFindings(found.findings, offers, rendered), notes: [] };
  facts.apiClients = { offers, seen: { cilium: true, calico: true, workloads: [] } };
  const none = oldAddressReport(facts);
  assert.deepEqual(none.repointed, []);
  assert.ok(none.findings.some((f) => f.offer === 'cilium' && /add cilium to repoint/.test(f.advice!)));
  facts.config.repoint = ['cilium'];
  const r = oldAddressReport(facts);
  assert.deepEqual(
    r.repointed.map((f) => `${f.object} ${f.field}`),
    [
      'ConfigMap kube-system/cilium-config data.k8s-service-host',
      'DaemonSet kube-system/cilium spec.template.spec.containers[name=main].env[name=KUBERNETES_SERVICE_HOST].value',
      'Deployment kube-system/cilium-operator spec.template.spec.containers[name=main].env[name=KUBERNETES_SERVICE_HOST].value',
    ],
  );
  assert.deepEqual(r.offers.map((o) => `${o.id}:${o.chosen}`), ['cilium:true', 'calico:false', 'DaemonSet/monitoring/node-agent:false']);
  const text = renderOldAddressReport(r);
  assert.match(text, /that ha-wizard does not change \(\d+\); what to do about each:\n/);
  assert.match(text, /ConfigMap monitoring\/agent-config data\.apiServer: https:\/\/10\.200\.0\.11:6443 \(refers to https:\/\/10\.200\.0\.11; repoint it to the endpoint yourself\)/);
  assert.match(text, /DaemonSet monitoring\/node-agent .*ha-wizard can repoint this: add DaemonSet\/monitoring\/node-agent to repoint/);
  assert.match(text, /that ha-wizard repoints to the endpoint \(repoint: cilium; 3\):/);
  assert.match(text, /Run: helm upgrade cilium cilium\/cilium --version 1\.16\.5 /);
});

test('paging: a cluster of thousands of objects is read one page at a time, the findings capped and the rest counted', async () => {
  const total = 6000;
  let live = 0;
  let maxLive = 0;
  const api: KubeApi = {
    get: async () => null,
    replace: async (_r, o) => o,
    list: async () => assert.fail('the audit never lists whole'),
    listPage: async (_v, kind, opts) => {
      if (kind !== 'ConfigMap') return { items: [], continue: null };
      const from = Number(opts.continue ?? 0);
      const items = Array.from({ length: Math.min(opts.limit, total - from) }, (_, i) => cm(`ns${from + i}`, 'agent', { server: `https://${M}:6443` }));
      live = items.length;
      maxLive = Math.max(maxLive, live);
      const next = from + items.length;
      return { items, continue: next < total ? String(next) : null };
    },
  };
  const sink = new AuditSink();
  const r = await auditCluster(api, ms, M, sink);
  assert.equal(r.pages['ConfigMap'], Math.ceil(total / 250));
  assert.equal(maxLive, 250);
  const out = sink.result();
  assert.equal(out.findings.length, MAX_FINDINGS);
  assert.deepEqual(out.notes, [`${total - MAX_FINDINGS} more references to the old address not listed (the audit keeps the first ${MAX_FINDINGS})`]);
});
