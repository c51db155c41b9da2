/**
 * audit: references to the old master address outside what repoint changes, with the exact object and field;
 * nothing reported for addresses that merely start with the master's, for CIDRs, or for the repointed fields.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFindings, findOldMasterReferences, unreachableNodes } from '../../steps/audit.js';
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
