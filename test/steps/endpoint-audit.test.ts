/**
 * audit: references to the old master address outside what repoint changes, with the exact object and field;
 * nothing reported for addresses that merely start with the master's, for CIDRs, or for the repointed fields.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditSink, auditOldMasterReferences, findOldMasterReferences, matchers, oldAddressReport, unreachableNodes } from '../../src/discovery/old-address.js';
import { describeFindings, renderOldAddressReport } from '../../src/reporters/old-address-text.js';
import { auditCluster } from '../../src/discovery/audit.js';
import { verifyStep } from '../../steps/verify.js';
import type { KubeApi, KubeObject } from '../../src/engine/model/ports.js';
import { makeFacts } from './facts-fixture.js';

const master = { address: '10.200.0.11', port: 6443 };

const cm = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'kube-system' }, data });

test('finds CNI settings, env values and args that name the master, with object and field', () => {
  const findings = findOldMasterReferences(
    {
      configMaps: [
        cm('cilium-config', { 'k8s-service-host': '10.200.0.11', 'k8s-service-port': '6443', 'cluster-pool-ipv4-cidr': '10.200.0.11/24' }),
        cm('calico-kubeconfig', { kubeconfig: 'apiVersion: v1\nclusters:\n- cluster:\n    server: https://10.200.0.11:6443\n  name: c\n' }),
        cm('kube-proxy', { 'kubeconfig.conf': 'clusters:\n- cluster:\n    server: https://10.200.0.11:6443\n' }),
        cm('kubeadm-config', { ClusterConfiguration: 'controlPlaneEndpoint: 10.200.0.11:6443\n' }),
        cm('unrelated', { a: '10.200.0.111', b: 'https://10.200.0.110:6443', c: '110.200.0.11', d: 'host-10.200.0.11.example' }),
      ],
      daemonSets: [
        {
          metadata: { name: 'cilium', namespace: 'kube-system' },
          spec: {
            template: {
              spec: {
                initContainers: [{ name: 'config', args: ['--k8s-api-server=10.200.0.11:6443'] }],
                containers: [{ name: 'cilium-agent', env: [{ name: 'KUBERNETES_SERVICE_HOST', value: '10.200.0.11' }, { name: 'KUBERNETES_SERVICE_PORT', value: '6443' }] }],
              },
            },
          },
        },
      ],
      deployments: [{ metadata: { name: 'monitor', namespace: 'kube-system' }, spec: { template: { spec: { containers: [{ name: 'm', command: ['run', '--server=https://10.200.0.11'] }] } } } }],
    },
    master,
  );
  const got = findings.map((f) => `${f.object} ${f.field} [${f.match}]`);
  assert.deepEqual(got, [
    'ConfigMap kube-system/cilium-config data.k8s-service-host [10.200.0.11]',
    'ConfigMap kube-system/calico-kubeconfig data.kubeconfig line 4 [https://10.200.0.11]',
    'DaemonSet kube-system/cilium spec.template.spec.initContainers[name=config].args[0] [10.200.0.11:6443]',
    'DaemonSet kube-system/cilium spec.template.spec.containers[name=cilium-agent].env[name=KUBERNETES_SERVICE_HOST].value [10.200.0.11]',
    'Deployment kube-system/monitor spec.template.spec.containers[name=m].command[1] [https://10.200.0.11]',
  ]);
  assert.equal(findings[1]!.value, 'server: https://10.200.0.11:6443');
  const lines = describeFindings(findings, ['w99'], '10.200.0.11');
  assert.equal(lines.length, 6);
  assert.match(lines[5]!, /Node w99: not in the config's workers/);
});

test('IPv6 master addresses match in brackets and bare', () => {
  const f = findOldMasterReferences(
    { configMaps: [cm('x', { a: 'https://[fd00::11]:6443', b: 'fd00::11', c: 'fd00::110' })], daemonSets: [], deployments: [] },
    { address: 'fd00::11', port: 6443 },
  );
  assert.deepEqual(
    f.map((x) => x.field),
    ['data.a', 'data.b'],
  );
});

test('nodes the config does not name cannot be repointed and are listed', () => {
  const facts = makeFacts({ promote: 2, workers: 2 });
  assert.deepEqual(unreachableNodes(facts), []);
  facts.nodes.push({ name: 'w9', internalIP: '10.200.0.99', ready: true, labels: {}, taints: [] });
  assert.deepEqual(unreachableNodes(facts), ['w9']);
});

test('remote objects are checked with zod: one that does not parse becomes a note, the others are still audited', () => {
  const r = auditOldMasterReferences(
    {
      configMaps: [{ metadata: { name: 'odd', namespace: 'kube-system' }, data: { n: 5 } } as unknown as ReturnType<typeof cm>, cm('ok', { host: 'https://10.200.0.11:6443' })],
      daemonSets: [{ metadata: { name: 'ds' }, spec: { template: { spec: { containers: 'nope' } } } }],
      deployments: [{ metadata: {} }, { metadata: { name: 'fine', namespace: 'kube-system' }, spec: { template: { spec: { containers: [{ name: 'c', env: [{ name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }] } } } }],
    },
    master,
  );
  assert.deepEqual(
    r.findings.map((f) => `${f.object} ${f.field}`),
    ['ConfigMap kube-system/ok data.host'],
  );
  assert.equal(r.notes.length, 3);
  assert.match(r.notes[0]!, /^ConfigMap kube-system\/odd not read: data\.n: /);
  assert.match(r.notes[1]!, /^DaemonSet kube-system\/ds not read: spec\.template\.spec\.containers: /);
  assert.match(r.notes[2]!, /^Deployment item 0 not read: metadata\.name: /);
});

test('discovery reads every namespace page by page through the API; a list the API refuses is a note, not a failure', async () => {
  const asked: string[] = [];
  const api: KubeApi = {
    get: async () => null,
    replace: async (_r, o) => o,
    list: async () => {
      throw new Error('the audit pages; it never lists whole');
    },
    listPage: async (apiVersion, kind, opts) => {
      asked.push(`${apiVersion} ${kind} ${opts.namespace ?? '*'} limit=${opts.limit}${opts.continue ? ` continue=${opts.continue}` : ''}${opts.fieldSelector ? ' fieldSelector' : ''}`);
      if (kind === 'ConfigMap' && !opts.continue) return { items: [cm('cni', { 'api-host': '10.200.0.11' })], continue: 'page2' };
      if (kind === 'ConfigMap') return { items: [{ ...cm('agent', { server: 'https://10.200.0.11:6443' }), metadata: { name: 'agent', namespace: 'monitoring' } }], continue: null };
      if (kind === 'Deployment') throw new Error('deployments.apps is forbidden: User cannot list resource\nmore');
      return { items: [] as KubeObject[], continue: null };
    },
  };
  const sink = new AuditSink();
  const r = await auditCluster(api, matchers(master.address, master.port), master.address, sink);
  assert.deepEqual(asked, [
    'v1 ConfigMap * limit=250',
    'v1 ConfigMap * limit=250 continue=page2',
    'v1 Secret * limit=50 fieldSelector',
    'apps/v1 DaemonSet * limit=250',
    'apps/v1 Deployment * limit=250',
    'apps/v1 StatefulSet * limit=250',
    'batch/v1 CronJob * limit=250',
  ]);
  assert.deepEqual(r.pages, { ConfigMap: 2, Secret: 1, DaemonSet: 1, Deployment: 0, StatefulSet: 1, CronJob: 1 });
  const out = sink.result();
  assert.deepEqual(out.findings.map((f) => `${f.object} ${f.field}`), ['ConfigMap kube-system/cni data.api-host', 'ConfigMap monitoring/agent data.server']);
  assert.deepEqual(out.notes, ['Deployment list not read: deployments.apps is forbidden: User cannot list resource']);
});

test('the report: heading with the old address, one line per reference, notes; the verify step names them too', () => {
  const facts = makeFacts({ promote: 2, workers: 1 });
  assert.equal(renderOldAddressReport(oldAddressReport(facts)), '', 'facts without an audit say nothing');
  facts.audit = { findings: [], notes: [] };
  assert.match(renderOldAddressReport(oldAddressReport(facts)), /that ha-wizard does not change: none found \(ConfigMaps, kubeconfig Secrets, DaemonSets, Deployments, StatefulSets and CronJobs of every namespace; kubeconfig files on the nodes; the apiserver flags\)\.$/);
  assert.doesNotMatch(verifyStep.build(facts, { session: 's1' })[0]!.description, /Not changed by ha-wizard/);
  facts.audit = {
    findings: findOldMasterReferences({ configMaps: [cm('cilium-config', { 'k8s-service-host': '10.200.0.11' })], daemonSets: [], deployments: [] }, master),
    notes: ['Deployment list in kube-system not read: forbidden'],
  };
  const report = oldAddressReport(facts);
  assert.equal(report.oldAddress, 'https://10.200.0.11:6443');
  const text = renderOldAddressReport(report);
  assert.equal(
    text,
    [
      'References to the old address https://10.200.0.11:6443 that ha-wizard does not change (1); what to do about each:',
      '  - ConfigMap kube-system/cilium-config data.k8s-service-host: 10.200.0.11 (refers to 10.200.0.11; repoint it to the endpoint yourself)',
      '  The audit is incomplete (1 note):',
      '    Deployment list in kube-system not read: forbidden',
    ].join('\n'),
  );
  assert.match(verifyStep.build(facts, { session: 's1' })[0]!.description, /Not changed by ha-wizard, still naming https:\/\/10\.200\.0\.11:6443: ConfigMap kube-system\/cilium-config data\.k8s-service-host\.$/);
});
