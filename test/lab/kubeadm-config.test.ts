/** The kubeadm configuration files the lab's cluster is made from (lab/cluster/kubeadm-config.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments, parse } from 'yaml';
import { initConfiguration, joinConfiguration, toV1beta3 } from '../../lab/cluster/kubeadm-config.js';
import { bootstrapToken, caCertHash } from '../../lab/cluster/index.js';
import { settingsFrom } from '../../lab/layout.js';

test('init configuration: no controlPlaneEndpoint, the lab options as kubeadm v1beta4 fields, preflight skipped', () => {
  const docs = parseAllDocuments(
    initConfiguration({ k8sVersion: '1.36.3', keyAlgorithm: 'ecdsa-p384', serviceCidr: '10.100.0.0/16', dnsDomain: 'lab.example', apiserverPort: 8443, master: { name: 'cp1', address: '10.200.3.11' }, token: 'abcdef.0123456789abcdef' }),
  ).map((d) => d.toJS());
  const [init, cluster, kubelet] = docs;
  assert.equal(init.kind, 'InitConfiguration');
  assert.deepEqual(init.localAPIEndpoint, { advertiseAddress: '10.200.3.11', bindPort: 8443 });
  assert.deepEqual(init.skipPhases, ['preflight']);
  assert.equal(init.bootstrapTokens[0].token, 'abcdef.0123456789abcdef');
  assert.equal(cluster.kind, 'ClusterConfiguration');
  assert.equal(cluster.controlPlaneEndpoint, undefined);
  assert.equal(cluster.kubernetesVersion, 'v1.36.3');
  assert.equal(cluster.encryptionAlgorithm, 'ECDSA-P384');
  assert.deepEqual(cluster.networking, { serviceSubnet: '10.100.0.0/16', dnsDomain: 'lab.example' });
  assert.equal(kubelet.kind, 'KubeletConfiguration');
  const join = parse(joinConfiguration({ nodeName: 'w1', apiServerEndpoint: '10.200.3.11:8443', token: 'abcdef.0123456789abcdef', caCertHash: 'sha256:00' }));
  assert.deepEqual(join.discovery.bootstrapToken, { apiServerEndpoint: '10.200.3.11:8443', token: 'abcdef.0123456789abcdef', caCertHashes: ['sha256:00'] });
  assert.equal(join.controlPlane, undefined);
});

test('a v1beta4 ClusterConfiguration in its v1beta3 form: extraArgs as maps, v1beta4-only fields gone', () => {
  const v4 = [
    'apiServer:',
    '  extraArgs:',
    '  - name: audit-log-maxage',
    '    value: "30"',
    'apiVersion: kubeadm.k8s.io/v1beta4',
    'caCertificateValidityPeriod: 87600h0m0s',
    'certificateValidityPeriod: 8760h0m0s',
    'encryptionAlgorithm: RSA-2048',
    'etcd:',
    '  local:',
    '    dataDir: /var/lib/etcd',
    '    extraArgs:',
    '    - name: quota-backend-bytes',
    '      value: "8589934592"',
    'kind: ClusterConfiguration',
    'kubernetesVersion: v1.35.4',
    '',
  ].join('\n');
  const v3 = parse(toV1beta3(v4));
  assert.equal(v3.apiVersion, 'kubeadm.k8s.io/v1beta3');
  assert.deepEqual(v3.apiServer, { extraArgs: { 'audit-log-maxage': '30' }, timeoutForControlPlane: '4m0s' });
  assert.deepEqual(v3.etcd.local.extraArgs, { 'quota-backend-bytes': '8589934592' });
  for (const k of ['encryptionAlgorithm', 'certificateValidityPeriod', 'caCertificateValidityPeriod']) assert.equal(v3[k], undefined, k);
  assert.throws(() => toV1beta3(toV1beta3(v4)), /not a v1beta4/);
});

test('lab options: releases by minor, v1beta3 only where kubeadm still reads it', () => {
  assert.equal(settingsFrom({ dir: '/tmp/x', k8sVersion: '1.35' }).settings.k8sVersion, '1.35.4');
  assert.equal(settingsFrom({ dir: '/tmp/x', k8sVersion: 'v1.37.2' }).settings.k8sVersion, '1.37.2');
  assert.throws(() => settingsFrom({ dir: '/tmp/x', k8sVersion: '1.34' }), /no Kubernetes 1\.34 \(it runs 1\.37\.2, 1\.36\.3, 1\.35\.4/);
  assert.throws(() => settingsFrom({ dir: '/tmp/x', k8sVersion: '1.37', kubeadmConfigApi: 'v1beta3' }), /v1beta3 needs Kubernetes 1\.35 or 1\.36/);
  assert.equal(settingsFrom({ dir: '/tmp/x', k8sVersion: '1.36', kubeadmConfigApi: 'v1beta3' }).settings.kubeadmConfigApi, 'v1beta3');
});

test('bootstrap tokens have kubeadm\'s shape; the CA hash is sha256 of the SubjectPublicKeyInfo', async () => {
  for (let i = 0; i < 20; i++) assert.match(bootstrapToken(), /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
  const { execFileSync } = await import('node:child_process');
  const cert = execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=kubernetes', '-days', '1'], { encoding: 'utf8' });
  // kubeadm's documented recipe: openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum
  const der = execFileSync('sh', ['-c', 'openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | sha256sum'], { input: cert, encoding: 'utf8' });
  assert.equal(caCertHash(cert), `sha256:${der.split(' ')[0]}`);
});
