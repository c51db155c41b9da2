import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiserverAltNames,
  apiserverEtcdClientSpec,
  apiserverKubeletClientSpec,
  apiserverServiceIP,
  etcdAltNames,
  etcdHealthcheckClientSpec,
  kubeconfigClientSpec,
  nodeCertificates,
} from '../../src/pki/kubeadm-certs.js';
import { canonicalIP, formatIP, indexedIP, parseIP } from '../../src/pki/ip.js';

const base = { nodeName: 'node2', nodeIP: '10.200.0.12', serviceSubnet: '10.96.0.0/12', dnsDomain: 'cluster.local' };

test('apiserver SANs are kubeadm\'s set, DNS names sorted, IPs in kubeadm order', () => {
  const alt = apiserverAltNames({ ...base, endpointHost: 'k8s-api.example.org:6443' });
  assert.deepEqual(alt.dnsNames, ['k8s-api.example.org', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'node2']);
  assert.deepEqual(alt.ipAddresses, ['10.96.0.1', '10.200.0.12']);
  assert.deepEqual(alt.warnings, []);
});

test('non-default service CIDR and DNS domain', () => {
  const alt = apiserverAltNames({ ...base, serviceSubnet: '10.32.0.0/16', dnsDomain: 'corp.internal' });
  assert.ok(alt.dnsNames.includes('kubernetes.default.svc.corp.internal'));
  assert.ok(!alt.dnsNames.includes('kubernetes.default.svc.cluster.local'));
  assert.equal(alt.ipAddresses[0], '10.32.0.1');
  assert.equal(apiserverServiceIP('10.32.5.7/16'), '10.32.0.1', 'host bits of the CIDR are ignored');
});

test('IPv6 and dual-stack service subnets: the first CIDR\'s first IP', () => {
  assert.equal(apiserverServiceIP('fd00:10:96::/112'), 'fd00:10:96::1');
  assert.equal(apiserverServiceIP('fd00:10:96::/112,10.96.0.0/12'), 'fd00:10:96::1');
  assert.equal(apiserverServiceIP('10.96.0.0/12, fd00::/108'), '10.96.0.1');
  const alt = apiserverAltNames({ ...base, nodeIP: 'fd00::12', serviceSubnet: 'fd00:10:96::/112' });
  assert.deepEqual(alt.ipAddresses, ['fd00:10:96::1', 'fd00::12']);
  assert.throws(() => apiserverServiceIP('10.0.0.0/32'), /subnet too small/);
});

test('endpoint as IP, IPv6 with brackets, DNS; certSANs deduped, invalid ones dropped with kubeadm\'s warning', () => {
  assert.deepEqual(apiserverAltNames({ ...base, endpointHost: '10.200.0.100:6443' }).ipAddresses, ['10.96.0.1', '10.200.0.12', '10.200.0.100']);
  assert.deepEqual(apiserverAltNames({ ...base, endpointHost: '[fd00::100]:6443' }).ipAddresses, ['10.96.0.1', '10.200.0.12', 'fd00::100']);
  const alt = apiserverAltNames({
    ...base,
    endpointHost: 'lb.example:6443',
    certSANs: ['lb.example', '10.200.0.12', 'Upper.Case', 'under_score', '*.apps.example', '0:0:0:0:0:0:0:1', 'kubernetes'],
  });
  assert.deepEqual(alt.dnsNames, ['*.apps.example', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'lb.example', 'node2']);
  assert.deepEqual(alt.ipAddresses, ['10.96.0.1', '10.200.0.12', '::1']);
  assert.equal(alt.warnings.length, 2);
  assert.match(alt.warnings[0]!, /'Upper\.Case' was not added to the 'apiserver' SAN, because it is not a valid IP or RFC-1123 compliant DNS entry/);
  assert.match(alt.warnings[1]!, /'under_score'/);
});

test('etcd server/peer SANs: node name, localhost, node IP, 127.0.0.1, ::1', () => {
  const alt = etcdAltNames({ nodeName: 'node2', nodeIP: '10.200.0.12' }, 'etcd/server');
  assert.deepEqual(alt.dnsNames, ['localhost', 'node2']);
  assert.deepEqual(alt.ipAddresses, ['10.200.0.12', '127.0.0.1', '::1']);
  assert.throws(() => etcdAltNames({ nodeName: 'n', nodeIP: 'not-an-ip' }, 'etcd/peer'), /not a valid textual representation of an IP address/);
});

test('subjects by Kubernetes version (1.29 moved off system:masters)', () => {
  assert.deepEqual(apiserverKubeletClientSpec('v1.28.9').subject, { commonName: 'kube-apiserver-kubelet-client', organization: ['system:masters'] });
  assert.deepEqual(apiserverKubeletClientSpec('v1.29.0').subject, { commonName: 'kube-apiserver-kubelet-client', organization: ['kubeadm:cluster-admins'] });
  assert.deepEqual(apiserverKubeletClientSpec('v1.35.4').subject, { commonName: 'kube-apiserver-kubelet-client', organization: ['kubeadm:cluster-admins'] });
  // kubeadm 1.36 binds the user to system:kubelet-api-admin (ClusterRoleBinding kubeadm:apiserver-kubelet-client) instead.
  assert.deepEqual(apiserverKubeletClientSpec('v1.36.0').subject, { commonName: 'kube-apiserver-kubelet-client' });
  assert.deepEqual(apiserverKubeletClientSpec('v1.37.2').subject, { commonName: 'kube-apiserver-kubelet-client' });
  assert.deepEqual(apiserverEtcdClientSpec('1.28.2').subject.organization, ['system:masters']);
  assert.equal(apiserverEtcdClientSpec('1.30.1').subject.organization, undefined);
  assert.equal(etcdHealthcheckClientSpec('v1.33.0').subject.organization, undefined);
  assert.deepEqual(kubeconfigClientSpec('admin', 'v1.31.0').subject, { commonName: 'kubernetes-admin', organization: ['kubeadm:cluster-admins'] });
  assert.deepEqual(kubeconfigClientSpec('admin', 'v1.28.0').subject, { commonName: 'kubernetes-admin', organization: ['system:masters'] });
  assert.deepEqual(kubeconfigClientSpec('super-admin', 'v1.29.0').subject, { commonName: 'kubernetes-super-admin', organization: ['system:masters'] });
  assert.throws(() => kubeconfigClientSpec('super-admin', 'v1.28.0'), /1\.29/);
  assert.deepEqual(kubeconfigClientSpec('controller-manager', 'v1.30.0').subject, { commonName: 'system:kube-controller-manager' });
  assert.deepEqual(kubeconfigClientSpec('scheduler', 'v1.30.0').subject, { commonName: 'system:kube-scheduler' });
});

test('the per-node set: seven certificates with kubeadm\'s files, CAs and usages', () => {
  const { certs } = nodeCertificates({ ...base, k8sVersion: 'v1.30.2' });
  assert.deepEqual(
    certs.map((c) => [c.name, c.ca, c.certPath, c.spec.usages.join('+')]),
    [
      ['apiserver', 'ca', '/etc/kubernetes/pki/apiserver.crt', 'serverAuth'],
      ['apiserver-kubelet-client', 'ca', '/etc/kubernetes/pki/apiserver-kubelet-client.crt', 'clientAuth'],
      ['front-proxy-client', 'front-proxy-ca', '/etc/kubernetes/pki/front-proxy-client.crt', 'clientAuth'],
      ['etcd-server', 'etcd-ca', '/etc/kubernetes/pki/etcd/server.crt', 'serverAuth+clientAuth'],
      ['etcd-peer', 'etcd-ca', '/etc/kubernetes/pki/etcd/peer.crt', 'serverAuth+clientAuth'],
      ['etcd-healthcheck-client', 'etcd-ca', '/etc/kubernetes/pki/etcd/healthcheck-client.crt', 'clientAuth'],
      ['apiserver-etcd-client', 'etcd-ca', '/etc/kubernetes/pki/apiserver-etcd-client.crt', 'clientAuth'],
    ],
  );
  assert.equal(certs.find((c) => c.name === 'etcd-peer')!.spec.subject.commonName, 'node2');
  assert.ok(certs.every((c) => c.spec.validityDays === 365));
});

test('IP text is Go\'s canonical form', () => {
  assert.equal(canonicalIP('FD00:0:0:0:0:0:0:1'), 'fd00::1');
  assert.equal(canonicalIP('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(canonicalIP('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(canonicalIP('010.001.002.003'), '10.1.2.3');
  assert.equal(canonicalIP('1.2.3'), null);
  assert.equal(canonicalIP('kubernetes'), null);
  assert.equal(formatIP(parseIP('1:0:0:2:0:0:0:3')!), '1:0:0:2::3');
  assert.equal(indexedIP('fd00:10:96::/112', 10), 'fd00:10:96::a');
});
