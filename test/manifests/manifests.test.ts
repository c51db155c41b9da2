import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { joiningEtcdManifest, masterEtcdManifestWithPeerAddress, normalizeEtcdFlagsForVersion } from '../../src/manifests/etcd.js';
import { apiserverManifestFor } from '../../src/manifests/apiserver.js';
import { controllerManagerManifestFor } from '../../src/manifests/controller-manager.js';
import { schedulerManifestFor } from '../../src/manifests/scheduler.js';
import { StaticPod } from '../../src/manifests/static-pod.js';
import { versionFromImage } from '../../src/manifests/versions.js';
import { BadInputError } from '../../src/exit-codes.js';
import { REFERENCE_VERSIONS, referenceFiles, referenceManifest, referenceTemplate, referenceVersion, toTemplate, type ReferenceMinor } from './reference.js';

// kubeadm's own output: cp1 ran `kubeadm init`, cp2 `kubeadm join --control-plane` (etcd: cp1 and cp2 in --initial-cluster).
const NODES = {
  cp1: { role: 'init', nodeName: 'cp1', address: '10.200.0.11' },
  cp2: { role: 'join', nodeName: 'cp2', address: '10.200.0.12', initialCluster: 'cp1=https://10.200.0.11:2380,cp2=https://10.200.0.12:2380' },
} as const;
const read = (minor: ReferenceMinor, node: 'cp1' | 'cp2', file: string) => {
  const { role, ...values } = NODES[node];
  return referenceManifest(referenceVersion(minor), role, file, { ...values, serviceCidr: '10.96.0.0/12', dnsDomain: 'cluster.local' });
};
const opts = { address: '10.200.0.12', masterAddress: '10.200.0.11' };

for (const version of ['1.35', '1.36', '1.37'] as const) {
  test(`etcd.yaml for a joining member equals kubeadm's (${version})`, () => {
    const master = read(version, 'cp1', 'etcd.yaml');
    const etcdVersion = versionFromImage(StaticPod.parse(master, 'etcd').image)!;
    const out = joiningEtcdManifest(master, {
      ...opts,
      nodeName: 'cp2',
      etcdVersion,
      initialCluster: [
        { name: 'cp1', peerURL: 'https://10.200.0.11:2380' },
        { name: 'cp2', peerURL: 'https://10.200.0.12:2380' },
      ],
    });
    assert.deepEqual(parse(out), parse(read(version, 'cp2', 'etcd.yaml')));
    assert.equal(out, read(version, 'cp2', 'etcd.yaml'), 'byte-identical, kubeadm layout kept');
  });

  test(`kube-apiserver.yaml for a new node equals kubeadm's (${version})`, () => {
    const out = apiserverManifestFor(read(version, 'cp1', 'kube-apiserver.yaml'), opts);
    assert.deepEqual(parse(out), parse(read(version, 'cp2', 'kube-apiserver.yaml')));
    assert.equal(out, read(version, 'cp2', 'kube-apiserver.yaml'));
  });

  test(`controller-manager and scheduler manifests are the master's, byte for byte (${version})`, () => {
    for (const [file, build] of [
      ['kube-controller-manager.yaml', controllerManagerManifestFor],
      ['kube-scheduler.yaml', schedulerManifestFor],
    ] as const) {
      const master = read(version, 'cp1', file);
      assert.equal(build(master, opts), master);
      assert.equal(build(master, opts), read(version, 'cp2', file));
    }
  });
}

test('operator customisations on the master carry over; node-specific values are replaced', () => {
  const master = read('1.37', 'cp1', 'kube-apiserver.yaml')
    .replace('    - --allow-privileged=true\n', '    - --allow-privileged=true\n    - --audit-log-maxage=30\n')
    .replace('    - --tls-private-key-file=/etc/kubernetes/pki/apiserver.key\n', '    - --tls-private-key-file=/etc/kubernetes/pki/apiserver.key\n    - --bind-address=10.200.0.11\n');
  const pod = StaticPod.parse(apiserverManifestFor(master, opts), 'kube-apiserver');
  assert.equal(pod.flag('audit-log-maxage'), '30');
  assert.equal(pod.flag('bind-address'), '10.200.0.12');
  assert.equal(pod.flag('advertise-address'), '10.200.0.12');
  assert.deepEqual(pod.probeHosts(), ['10.200.0.12', '10.200.0.12', '10.200.0.12']);
  assert.equal(pod.annotation('kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint'), '10.200.0.12:6443');
});

test('a master apiserver on another etcd endpoint still gets the local member (stacked etcd)', () => {
  const master = read('1.37', 'cp1', 'kube-apiserver.yaml').replace('--etcd-servers=https://127.0.0.1:2379', '--etcd-servers=https://10.200.0.11:2379');
  assert.equal(StaticPod.parse(apiserverManifestFor(master, opts), 'kube-apiserver').flag('etcd-servers'), 'https://127.0.0.1:2379');
});

test('a non-default secure port flows into the endpoint annotation', () => {
  const master = read('1.37', 'cp1', 'kube-apiserver.yaml').replace('--secure-port=6443', '--secure-port=8443');
  assert.equal(StaticPod.parse(apiserverManifestFor(master, opts), 'kube-apiserver').annotation('kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint'), '10.200.0.12:8443');
});

/** An etcd 3.5 manifest as kubeadm 1.31–1.33 wrote it (a cluster that pinned an older etcd image still has one). */
const etcd35 = () =>
  read('1.35', 'cp1', 'etcd.yaml')
    .replace('    - --feature-gates=InitialCorruptCheck=true\n', '    - --experimental-initial-corrupt-check=true\n')
    .replace('    - --watch-progress-notify-interval=5s\n', '    - --experimental-watch-progress-notify-interval=5s\n')
    .replace('registry.k8s.io/etcd:3.6.6-0', 'registry.k8s.io/etcd:3.5.15-0');

test('etcd flags follow the image version: 3.5 manifest rewritten for 3.6 and back', () => {
  const old = StaticPod.parse(etcd35(), 'etcd');
  normalizeEtcdFlagsForVersion(old, '3.6.4');
  assert.equal(old.flag('feature-gates'), 'InitialCorruptCheck=true');
  assert.equal(old.flag('watch-progress-notify-interval'), '5s');
  assert.equal(old.flag('experimental-initial-corrupt-check'), undefined);
  assert.equal(old.flag('experimental-watch-progress-notify-interval'), undefined);

  const modern = StaticPod.parse(read('1.37', 'cp1', 'etcd.yaml'), 'etcd');
  normalizeEtcdFlagsForVersion(modern, '3.5.15');
  assert.equal(modern.flag('feature-gates'), undefined);
  assert.equal(modern.flag('experimental-initial-corrupt-check'), 'true');
  assert.equal(modern.flag('experimental-watch-progress-notify-interval'), '5s');
  // kubeadm's alphabetical order is kept for inserted flags.
  const names = modern.flags().map(([n]) => n);
  assert.deepEqual(names, [...names].sort());
});

test('other feature gates survive the etcd flag translation', () => {
  const text = read('1.37', 'cp1', 'etcd.yaml').replace('--feature-gates=InitialCorruptCheck=true', '--feature-gates=InitialCorruptCheck=true,StopGRPCServiceOnDefrag=true');
  const pod = normalizeEtcdFlagsForVersion(StaticPod.parse(text, 'etcd'), '3.5.21');
  assert.equal(pod.flag('feature-gates'), 'StopGRPCServiceOnDefrag=true');
  assert.equal(pod.flag('experimental-initial-corrupt-check'), 'true');
});

test('a joining member on IPv6 gets bracketed URLs and the ::1 loopback for the apiserver', () => {
  const master = read('1.37', 'cp1', 'etcd.yaml').replaceAll('10.200.0.11', '[fd00::11]').replace('https://127.0.0.1:2379,', 'https://[::1]:2379,');
  const out = StaticPod.parse(
    joiningEtcdManifest(master, { nodeName: 'cp2', address: 'fd00::12', masterAddress: 'fd00::11', etcdVersion: '3.5.15', initialCluster: [{ name: 'cp2', peerURL: 'https://[fd00::12]:2380' }] }),
    'etcd',
  );
  assert.equal(out.flag('listen-client-urls'), 'https://[::1]:2379,https://[fd00::12]:2379');
  assert.equal(out.flag('listen-peer-urls'), 'https://[fd00::12]:2380');
  const api = read('1.37', 'cp1', 'kube-apiserver.yaml').replaceAll('10.200.0.11', 'fd00::11');
  assert.equal(StaticPod.parse(apiserverManifestFor(api, { address: 'fd00::12', masterAddress: 'fd00::11' }), 'kube-apiserver').flag('etcd-servers'), 'https://[::1]:2379');
});

test('moving a localhost peer URL onto the node address', () => {
  const master = read('1.35', 'cp1', 'etcd.yaml')
    .replace('--listen-peer-urls=https://10.200.0.11:2380', '--listen-peer-urls=https://127.0.0.1:2380')
    .replace('--initial-advertise-peer-urls=https://10.200.0.11:2380', '--initial-advertise-peer-urls=https://127.0.0.1:2380');
  const pod = StaticPod.parse(masterEtcdManifestWithPeerAddress(master, '10.200.0.11'), 'etcd');
  assert.equal(pod.flag('listen-peer-urls'), 'https://10.200.0.11:2380');
  assert.equal(pod.flag('initial-advertise-peer-urls'), 'https://10.200.0.11:2380');
  assert.equal(pod.flag('listen-client-urls'), 'https://127.0.0.1:2379,https://10.200.0.11:2379');
});

test('hand-edited manifests that cannot be followed are refused with the file and a fix', () => {
  const good = read('1.37', 'cp1', 'kube-apiserver.yaml');
  const cases: Array<[string, RegExp]> = [
    ['apiVersion: v1\nkind: Pod\nmetadata: [unclosed\n', /not valid YAML/],
    [good.replace('kind: Pod', 'kind: Deployment'), /kind/],
    [good.replace('    - --secure-port=6443\n', '    - --secure-port\n    - "6443"\n'), /"6443".*--flag=value/],
    [good.replace(/  - command:\n(    - .*\n)+/, '  - args: []\n'), /command/],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => StaticPod.parse(text, 'kube-apiserver'),
      (e: unknown) => e instanceof BadInputError && message.test(e.message) && e.message.includes('/etc/kubernetes/manifests/kube-apiserver.yaml') && !!e.hint,
    );
  }
});

test('toTemplate undoes referenceManifest for every reference file (what regenerate.ts and the kubeadm judge rely on)', () => {
  for (const version of REFERENCE_VERSIONS) {
    for (const role of ['init', 'join'] as const) {
      for (const file of referenceFiles(version, role)) {
        const values = { nodeName: 'cp2', address: '10.200.7.12', serviceCidr: '10.100.0.0/16', dnsDomain: 'lab.example' };
        const initialCluster = 'cp1=https://10.200.7.11:2380,cp2=https://10.200.7.12:2380';
        const text = referenceManifest(version, role, file, { ...values, initialCluster });
        assert.equal(toTemplate(text, values), referenceTemplate(version, role, file), `${version}/${role}/${file}`);
      }
    }
  }
});
