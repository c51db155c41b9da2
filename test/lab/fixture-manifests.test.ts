/** The lab fixture's manifests stay what kubeadm init writes (test/fixtures/manifests/kubeadm/<version>/init), per Kubernetes version. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { allManifests } from '../../lab/fixture/manifests.js';
import { k8sRelease, nthAddress } from '../../lab/fixture/versions.js';
import { etcd34Args } from '../../lab/agent/etcdflags.js';

const refDir = fileURLToPath(new URL('../../../test/fixtures/manifests/kubeadm/', import.meta.url));
const placeholders = { nodeName: '${NODE_NAME}', address: '${NODE_IP}', serviceCidr: '${SERVICE_CIDR}', dnsDomain: '${DNS_DOMAIN}' };

for (const version of ['1.28.0', '1.31.0', '1.34.1']) {
  test(`manifests for ${version} match the reference copies byte for byte`, () => {
    const rendered = allManifests({ release: k8sRelease(version), ...placeholders });
    assert.deepEqual(Object.keys(rendered).sort(), readdirSync(`${refDir}/${version}/init`).sort());
    for (const [file, text] of Object.entries(rendered)) assert.equal(text, readFileSync(`${refDir}/${version}/init/${file}`, 'utf8'), `${version}/${file}`);
  });
}

test('version differences: etcd probes, named probe port, etcd 3.6 flags, creationTimestamp', () => {
  const m = (v: string) => allManifests({ release: k8sRelease(v), nodeName: 'cp1', address: '10.200.0.11', serviceCidr: '10.96.0.0/12', dnsDomain: 'cluster.local' });
  const etcd = (v: string) => parse(m(v)['etcd.yaml']!);
  assert.equal(etcd('1.28.0').spec.containers[0].livenessProbe.httpGet.path, '/health?exclude=NOSPACE&serializable=true');
  assert.equal(etcd('1.28.0').spec.containers[0].readinessProbe, undefined);
  assert.equal(etcd('1.31.0').spec.containers[0].readinessProbe.httpGet.path, '/readyz');
  assert.equal(etcd('1.31.0').metadata.creationTimestamp, null);
  assert.equal('creationTimestamp' in etcd('1.34.1').metadata, false);
  assert.equal(etcd('1.34.1').spec.containers[0].livenessProbe.httpGet.port, 'probe-port');
  assert.ok(etcd('1.34.1').spec.containers[0].command.includes('--feature-gates=InitialCorruptCheck=true'));
  assert.ok(etcd('1.33.0').spec.containers[0].command.includes('--experimental-initial-corrupt-check=true'));
  assert.equal(etcd('1.33.0').spec.containers[0].image, 'registry.k8s.io/etcd:3.5.21-0');
  const api = parse(m('1.30.2')['kube-apiserver.yaml']!);
  assert.equal(api.spec.containers[0].image, 'registry.k8s.io/kube-apiserver:v1.30.2');
  assert.equal(api.metadata.annotations['kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint'], '10.200.0.11:6443');
  assert.throws(() => k8sRelease('1.27.0'), /unsupported/);
});

test('first service IP and cluster DNS are computed from the CIDR', () => {
  assert.equal(nthAddress('10.96.0.0/12', 1), '10.96.0.1');
  assert.equal(nthAddress('10.100.0.0/16', 10), '10.100.0.10');
  assert.equal(nthAddress('172.20.128.0/17', 1), '172.20.128.1');
  assert.equal(nthAddress('10.96.5.7/12', 1), '10.96.0.1');
});

test('etcd 3.4 gets mapped flags: gates, renamed and dropped 3.5/3.6 flags', () => {
  assert.deepEqual(
    etcd34Args([
      '--data-dir=/var/lib/etcd',
      '--feature-gates=InitialCorruptCheck=true,StopGRPCServiceOnDefrag=true',
      '--watch-progress-notify-interval=5s',
      '--experimental-max-learners=1',
      '--experimental-initial-corrupt-check=true',
      '--tls-min-version=TLS1.2',
    ]),
    ['--data-dir=/var/lib/etcd', '--experimental-initial-corrupt-check=true', '--experimental-watch-progress-notify-interval=5s', '--experimental-initial-corrupt-check=true'],
  );
});
