import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyIgnores, evaluatePreflight, kubernetesVersionCheck, preflightFailed, type PreflightData } from '../../src/preflight/checks.js';

const GiB = 1024 ** 3;
const node = (host: string) => ({ host, reachable: true, sudo: true, listening: [22], clockOffsetMs: 12, diskFree: [{ path: '/var/lib/etcd', bytes: 20 * GiB }], etcdDataPresent: false, kubeletConfReadable: true });

function healthy(): PreflightData {
  return {
    now: new Date('2026-01-01T00:00:00Z'),
    kubernetesVersion: '1.37.2',
    master: 'cp1',
    promote: [
      { host: 'cp2', nodeName: 'cp2', ready: true },
      { host: 'cp3', nodeName: 'cp3', ready: true },
    ],
    nodes: [node('cp1'), node('cp2'), node('cp3')],
    etcd: { external: false, healthy: true, members: [{ name: 'cp1', peerURLs: ['https://10.200.0.11:2380'], isLearner: false }], etcdctlAvailable: true },
    sharedKeys: Object.fromEntries(['ca.key', 'sa.key', 'sa.pub', 'front-proxy-ca.key', 'etcd/ca.key'].map((k) => [`/etc/kubernetes/pki/${k}`, true])),
    certificates: [
      { path: '/etc/kubernetes/pki/ca.crt', notAfter: new Date('2035-01-01T00:00:00Z') },
      { path: '/etc/kubernetes/pki/apiserver.crt', notAfter: new Date('2026-12-01T00:00:00Z') },
    ],
    apiserverCount: 1,
    manifestErrors: {},
  };
}

const failing = (d: PreflightData) => evaluatePreflight(d).filter((r) => r.status === 'fail');
const only = (d: PreflightData, name: string) => {
  const f = failing(d);
  assert.deepEqual([...new Set(f.map((r) => r.name))], [name], JSON.stringify(f));
  assert.ok(f.every((r) => r.fix.length > 0), 'every failure says how to fix it');
  return f;
};

test('a healthy single-master cluster passes every check', () => {
  const results = evaluatePreflight(healthy());
  assert.equal(preflightFailed(results), false, JSON.stringify(results.filter((r) => r.status !== 'pass')));
  assert.ok(results.some((r) => r.name === 'Port-2380' && r.host === 'cp3'));
});

test('each refusal names its check', () => {
  const cases: Array<[string, (d: PreflightData) => void, RegExp?]> = [
    ['SSH', (d) => (d.nodes[1] = { ...d.nodes[1]!, reachable: false, reachError: 'connect ECONNREFUSED' }), /ECONNREFUSED/],
    ['Sudo', (d) => (d.nodes[2]!.sudo = false)],
    ['Port-6443', (d) => (d.nodes[1]!.listening = [22, 6443]), /cp2: port 6443/],
    ['ClockSkew', (d) => (d.nodes[2]!.clockOffsetMs = -2_500), /-2\.5 s/],
    ['DiskSpace', (d) => (d.nodes[0]!.diskFree = [{ path: '/var/lib/etcd', bytes: 100 * 1024 ** 2 }])],
    ['NodeReady', (d) => (d.promote[0]!.ready = false), /not Ready/],
    ['NodeReady', (d) => (d.promote[1]!.ready = null), /not in the cluster/],
    ['KubernetesVersion', (d) => (d.kubernetesVersion = '1.34.9'), /older than this ha-wizard supports \(1\.35–1\.37\)/],
    ['KubernetesVersion', (d) => (d.kubernetesVersion = '1.38.0'), /1\.38\.0 is newer than this ha-wizard knows: it supports 1\.35–1\.37/],
    ['Manifests', (d) => (d.manifestErrors = { 'kube-apiserver': 'not valid YAML' }), /kube-apiserver: not valid YAML/],
    ['ExternalEtcd', (d) => (d.etcd.external = true)],
    ['Etcdctl', (d) => (d.etcd.etcdctlAvailable = false), /not installed/],
    ['EtcdHealthy', (d) => Object.assign(d.etcd, { healthy: false, healthError: 'context deadline exceeded' }), /deadline/],
    ['EtcdMembers', (d) => d.etcd.members.push({ name: '', peerURLs: ['https://10.200.0.12:2380'], isLearner: true }), /unstarted/],
    ['AlreadyHA', (d) => (d.apiserverCount = 3)],
    ['SharedKeys', (d) => (d.sharedKeys['/etc/kubernetes/pki/etcd/ca.key'] = false), /etcd\/ca\.key/],
    ['CertificateExpiry', (d) => (d.certificates[1]!.notAfter = new Date('2025-12-01T00:00:00Z')), /expired 31 days ago/],
    ['EtcdDataDir', (d) => (d.nodes[1]!.etcdDataPresent = true)],
    ['KubeletConf', (d) => (d.nodes[2]!.kubeletConfReadable = false)],
  ];
  for (const [name, mutate, message] of cases) {
    const d = healthy();
    mutate(d);
    const f = only(d, name);
    if (message) assert.match(f[0]!.message, message);
  }
});

test('every release in support passes; the fix for a newer one names the escape hatch, for an older one kubeadm upgrade', () => {
  for (const v of ['1.35.0', '1.36.3', '1.37.2', '1.37.99']) assert.equal(kubernetesVersionCheck(v).status, 'pass', v);
  const newer = kubernetesVersionCheck('1.38.1');
  assert.equal(newer.status, 'fail');
  assert.ok(newer.ignorable);
  assert.match(newer.fix, /a ha-wizard release that supports 1\.38, or --ignore-preflight-errors=KubernetesVersion/);
  assert.match(kubernetesVersionCheck('1.34.0').fix, /kubeadm upgrade plan/);
  assert.match(kubernetesVersionCheck(null).message, /unknown/);
});

test('warnings that do not block: localhost peer URL, even control-plane count, certificate expiring soon', () => {
  const d = healthy();
  d.etcd.members[0]!.peerURLs = ['https://localhost:2380'];
  d.promote.pop();
  d.nodes.pop();
  d.certificates[1]!.notAfter = new Date('2026-01-20T00:00:00Z');
  const results = evaluatePreflight(d);
  assert.equal(preflightFailed(results), false);
  const warns = results.filter((r) => r.status === 'warn').map((r) => r.name).sort();
  assert.deepEqual(warns, ['CertificateExpiry', 'ControlPlaneCount', 'EtcdPeerURL']);
});

test('--ignore-preflight-errors downgrades only the checks where that is safe', () => {
  const d = healthy();
  d.kubernetesVersion = '1.34.3';
  d.apiserverCount = 2;
  const { results, notIgnorable } = applyIgnores(evaluatePreflight(d), ['KubernetesVersion', 'alreadyha']);
  assert.equal(results.find((r) => r.name === 'KubernetesVersion')!.status, 'warn');
  assert.match(results.find((r) => r.name === 'KubernetesVersion')!.message, /\(ignored\)/);
  assert.equal(results.find((r) => r.name === 'AlreadyHA')!.status, 'fail');
  assert.deepEqual(notIgnorable, ['AlreadyHA']);
  assert.ok(preflightFailed(results));
  const all = applyIgnores(evaluatePreflight({ ...healthy(), kubernetesVersion: '1.40.0' }), ['all']);
  assert.equal(preflightFailed(all.results), false);
});
