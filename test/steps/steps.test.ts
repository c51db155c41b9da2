import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import type { Action, CertSpec, WriteFileAction } from '../../src/engine/model/actions.js';
import type { Step } from '../../src/engine/model/step.js';
import { buildPlan } from '../../src/engine/model/plan.js';
import { BadInputError } from '../../src/exit-codes.js';
import { buildSteps } from '../../steps/index.js';
import { sharedPkiStep } from '../../steps/shared-pki.js';
import { markControlPlaneStep, controlPlaneMarks } from '../../steps/mark-control-plane.js';
import { kubeletStep } from '../../steps/kubelet.js';
import { promotedNodes } from '../../src/discovery/nodes.js';
import { makeFacts } from './facts-fixture.js';

const ctx = { session: 's-20260101-abc' };
const actionsOf = (steps: Step[]) => steps.flatMap((s) => s.actions);
const byId = (steps: Step[], id: string) => {
  const a = actionsOf(steps).find((x) => x.id === id);
  assert.ok(a, `action ${id} exists`);
  return a;
};
const write = (a: Action) => {
  assert.equal(a.type, 'write-file');
  return a as WriteFileAction;
};
const certSpec = (steps: Step[], id: string): CertSpec => {
  const c = write(byId(steps, id)).content;
  assert.equal(c.type, 'certificate');
  return (c as { spec: CertSpec }).spec;
};
const flags = (yamlText: string) => (parse(yamlText) as { spec: { containers: Array<{ command: string[] }> } }).spec.containers[0]!.command;

for (const promote of [2, 4]) {
  test(`1→${promote + 1}: steps in kubeadm order, one node at a time, valid plan`, () => {
    const facts = makeFacts({ promote });
    const steps = buildSteps(facts, ctx);
    const perNode = promotedNodes(facts).flatMap((n) => [`shared-pki-${n.host}`, `etcd-${n.host}`, `control-plane-${n.host}`, `kubelet-${n.host}`]);
    const order = steps.map((s) => s.id);
    const first = order.indexOf(perNode[0]!);
    // Backup first; the endpoint (proxy, master certificate) before any member; nodes strictly in turn; marks before the proxy gets backends.
    assert.equal(order[0], 'backup');
    assert.ok(order.indexOf('endpoint-cert') > 0 && order.indexOf('endpoint-cert') < first);
    assert.deepEqual(order.slice(first, first + perNode.length + 1), [...perNode, 'mark-control-plane']);
    assert.ok(order.findIndex((id) => id.startsWith('proxy-backends')) > order.indexOf('mark-control-plane'));
    assert.equal(order.at(-1), 'verify');
    const plan = buildPlan({ cluster: 'lab', factsFingerprint: 'f'.repeat(64), steps, now: new Date(0) });
    assert.equal(plan.actions.length, actionsOf(steps).length);
    assert.equal(new Set(plan.actions.map((a) => a.id)).size, plan.actions.length, 'action ids are unique');
    // No private key bytes or kubeconfig credentials anywhere in the plan.
    const json = JSON.stringify(plan);
    assert.doesNotMatch(json, /PRIVATE KEY|client-key-data|client-certificate-data/);
    // Each member is voting and healthy before the next member is added.
    const ids = plan.actions.map((a) => a.id);
    for (let i = 1; i < promote; i++) {
      const prev = promotedNodes(facts)[i - 1]!.host;
      const next = promotedNodes(facts)[i]!.host;
      assert.ok(ids.indexOf(`etcd-${prev}/cp1/cluster-healthy`) < ids.indexOf(`etcd-${next}/cp1/member-add`));
    }
  });
}

test('etcd member: certs, learner add with a safe undo, manifest, promote with retry, health', () => {
  const facts = makeFacts({ promote: 2 });
  const steps = buildSteps(facts, ctx);
  const etcd = steps.find((s) => s.id === 'etcd-cp3')!;
  assert.deepEqual(
    etcd.actions.map((a) => a.id.split('/').slice(1).join('/')),
    [
      'cp3/etcd-server.key', 'cp3/etcd-server.crt', 'cp3/etcd-peer.key', 'cp3/etcd-peer.crt',
      'cp3/etcd-healthcheck-client.key', 'cp3/etcd-healthcheck-client.crt', 'cp3/apiserver-etcd-client.key', 'cp3/apiserver-etcd-client.crt',
      'cp3/data-dir-empty', 'cp1/no-other-learner', 'cp1/member-add', 'cp3/etcd.yaml', 'cp1/learner-started', 'cp1/member-promote', 'cp1/cluster-healthy',
    ],
  );
  const add = byId(steps, 'etcd-cp3/cp1/member-add');
  assert.ok(add.type === 'run');
  assert.deepEqual(add.argv.slice(-4), ['add', 'cp3', '--peer-urls=https://10.200.0.13:2380', '--learner']);
  assert.equal(add.risk, 'disruptive');
  // Undo: a fixed script; the name and URL only as positional arguments.
  assert.equal(add.undo![0], 'sh');
  assert.deepEqual(add.undo!.slice(-2), ['cp3', 'https://10.200.0.13:2380']);
  assert.ok(!add.undo![2]!.includes('cp3') && !add.undo![2]!.includes('10.200.0.13'));
  const promote = byId(steps, 'etcd-cp3/cp1/member-promote');
  assert.ok(promote.type === 'run' && promote.retry && promote.retry.onlyIfStderrIncludes!.some((s) => s.includes('in sync')));
  assert.equal(promote.risk, 'point-of-no-easy-return');
  // The member's manifest names every member, including the one added just before it.
  const manifest = write(byId(steps, 'etcd-cp3/cp3/etcd.yaml'));
  assert.ok(manifest.content.type === 'literal');
  const cmd = flags(manifest.content.text);
  assert.ok(cmd.includes('--initial-cluster=cp1=https://10.200.0.11:2380,cp2=https://10.200.0.12:2380,cp3=https://10.200.0.13:2380'));
  assert.ok(cmd.includes('--initial-cluster-state=existing'));
  assert.ok(cmd.includes('--name=cp3'));
  // etcd certificates per kubeadm: CN node name, SANs name, localhost, IP, loopbacks; signed by the etcd CA on the master.
  const server = certSpec(steps, 'etcd-cp3/cp3/etcd-server.crt');
  assert.equal(server.subject.commonName, 'cp3');
  assert.deepEqual(server.dnsNames, ['cp3', 'localhost']);
  assert.deepEqual(server.ipAddresses, ['10.200.0.13', '127.0.0.1', '::1']);
  assert.deepEqual(server.ca, { host: 'cp1', certPath: '/etc/kubernetes/pki/etcd/ca.crt', keyPath: '/etc/kubernetes/pki/etcd/ca.key' });
  assert.equal(write(byId(steps, 'etcd-cp3/cp3/etcd-server.key')).mode, 0o600);
});

test('1.35 cluster: joining etcd uses the 3.6 flag spellings', () => {
  const steps = buildSteps(makeFacts({ version: '1.35' }), ctx);
  const m = write(byId(steps, 'etcd-cp2/cp2/etcd.yaml'));
  assert.ok(m.content.type === 'literal');
  const cmd = flags(m.content.text);
  assert.ok(cmd.includes('--feature-gates=InitialCorruptCheck=true'));
  assert.ok(cmd.includes('--watch-progress-notify-interval=5s'));
  assert.ok(!cmd.some((f) => f.startsWith('--experimental-')));
});

for (const keyAlgorithm of ['rsa-2048', 'ecdsa-p256'] as const) {
  test(`new keys use the CA's algorithm (${keyAlgorithm})`, () => {
    const steps = buildSteps(makeFacts({ keyAlgorithm }), ctx);
    const keys = actionsOf(steps).filter((a): a is WriteFileAction => a.type === 'write-file' && a.content.type === 'private-key');
    assert.equal(keys.length, 2 * (4 + 3));
    for (const k of keys) assert.deepEqual(k.content, { type: 'private-key', algorithm: keyAlgorithm });
  });
}

test('apiserver SANs are computed from the cluster: service CIDR, DNS domain, endpoint, certSANs', () => {
  const facts = makeFacts({ serviceSubnet: '172.20.0.0/16', dnsDomain: 'corp.example', certSANs: ['api.corp.example', '192.0.2.10'], endpointHost: '10.200.0.5' });
  const spec = certSpec(buildSteps(facts, ctx), 'control-plane-cp2/cp2/apiserver.crt');
  assert.equal(spec.subject.commonName, 'kube-apiserver');
  assert.deepEqual(spec.dnsNames, ['api.corp.example', 'cp2', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.corp.example']);
  assert.deepEqual(spec.ipAddresses, ['172.20.0.1', '10.200.0.12', '10.200.0.5', '192.0.2.10']);
  assert.deepEqual(spec.usages, ['serverAuth']);
  const dnsEndpoint = certSpec(buildSteps(makeFacts({ endpointHost: 'k8s-api.lab.example' }), ctx), 'control-plane-cp2/cp2/apiserver.crt');
  assert.ok(dnsEndpoint.dnsNames.includes('k8s-api.lab.example'));
  assert.ok(dnsEndpoint.dnsNames.includes('kubernetes.default.svc.cluster.local'));
  assert.ok(dnsEndpoint.ipAddresses.includes('10.96.0.1'));
});

test('control plane: kubeconfigs on the local apiserver, admin.conf on the endpoint, readyz checked by IP and by name', () => {
  const steps = buildSteps(makeFacts(), ctx);
  const cm = write(byId(steps, 'control-plane-cp2/cp2/controller-manager.conf'));
  assert.ok(cm.content.type === 'kubeconfig');
  assert.equal(cm.content.server, 'https://10.200.0.12:6443');
  assert.equal(cm.content.client.subject.commonName, 'system:kube-controller-manager');
  assert.equal(cm.mode, 0o600);
  const admin = write(byId(steps, 'control-plane-cp2/cp2/admin.conf'));
  assert.ok(admin.content.type === 'kubeconfig');
  assert.equal(admin.content.server, 'https://k8s-api.lab.example:6443');
  assert.deepEqual(admin.content.client.subject.organization, ['kubeadm:cluster-admins']);
  const api = write(byId(steps, 'control-plane-cp2/cp2/kube-apiserver.yaml'));
  assert.ok(api.content.type === 'literal');
  assert.ok(flags(api.content.text).includes('--advertise-address=10.200.0.12'));
  for (const [id, serverName] of [['readyz-ip', '10.200.0.12'], ['readyz-name', 'cp2']]) {
    const w = byId(steps, `control-plane-cp2/cp1/${id}`);
    assert.ok(w.type === 'wait' && w.probe.type === 'https');
    assert.deepEqual(
      { host: w.probe.host, address: w.probe.address, port: w.probe.port, path: w.probe.path, serverName: w.probe.serverName },
      { host: 'cp1', address: '10.200.0.12', port: 6443, path: '/readyz', serverName },
    );
  }
});

test('shared PKI: byte-identical copies with the discovered sha256, keys 0600 and sensitive', () => {
  const facts = makeFacts();
  const step = sharedPkiStep.build(facts, ctx)[0]!;
  assert.equal(step.actions.length, 8);
  for (const a of step.actions.map(write)) {
    assert.ok(a.content.type === 'copy');
    assert.equal(a.content.fromHost, 'cp1');
    assert.equal(a.content.fromPath, a.path);
    assert.equal(a.content.sha256, facts.files[`cp1:${a.path}`]);
    const isKey = a.path.endsWith('.key');
    assert.equal(a.content.sensitive, isKey);
    if (isKey) assert.equal(a.mode, 0o600);
  }
  const missing = makeFacts();
  delete missing.files['cp1:/etc/kubernetes/pki/etcd/ca.key'];
  assert.throws(() => sharedPkiStep.build(missing, ctx), (e: unknown) => e instanceof BadInputError && /etcd\/ca\.key/.test(e.message));
});

test('kubelet: local apiserver, restart after the write, and on rollback a restart after the restore', () => {
  const facts = makeFacts();
  const step = kubeletStep.build(facts, ctx)[0]!;
  assert.deepEqual(step.actions.map((a) => a.id.split('/').pop()), ['restart-after-restore', 'kubelet.conf', 'restart-kubelet', 'node-ready']);
  const conf = write(step.actions[1]!);
  assert.ok(conf.content.type === 'literal');
  const kc = parse(conf.content.text) as { clusters: Array<{ cluster: { server: string } }>; users: Array<{ user: Record<string, string> }> };
  assert.equal(kc.clusters[0]!.cluster.server, 'https://10.200.0.12:6443');
  assert.equal(kc.users[0]!.user['client-certificate'], '/var/lib/kubelet/pki/kubelet-client-current.pem');
  // Undone in reverse: the file restore comes before the first action's undo, which restarts kubelet.
  const first = step.actions[0]!;
  assert.ok(first.type === 'run');
  assert.deepEqual(first.undo, ['systemctl', 'restart', 'kubelet']);
  const noConf = makeFacts();
  delete noConf.kubeconfigTexts['cp2:/etc/kubernetes/kubelet.conf'];
  assert.throws(() => kubeletStep.build(noConf, ctx), BadInputError);
});

test('mark-control-plane: labels and taint, existing taints kept, master forms only before 1.24', () => {
  const facts = makeFacts();
  facts.nodes.find((n) => n.name === 'cp2')!.taints = [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }];
  const [step] = markControlPlaneStep.build(facts, ctx);
  const patch = step!.actions[0]!;
  assert.ok(patch.type === 'patch-object');
  assert.deepEqual(patch.object, { apiVersion: 'v1', kind: 'Node', name: 'cp2' });
  assert.deepEqual(patch.edits, [
    { path: ['metadata', 'labels', 'node-role.kubernetes.io/control-plane'], value: '' },
    { path: ['metadata', 'labels', 'node.kubernetes.io/exclude-from-external-load-balancers'], value: '' },
    { path: ['spec', 'taints'], value: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }, { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] },
  ]);
  const legacy = controlPlaneMarks('1.23.17');
  assert.ok(legacy.labels.includes('node-role.kubernetes.io/master'));
  assert.deepEqual(legacy.taints.map((t) => t.key), ['node-role.kubernetes.io/master', 'node-role.kubernetes.io/control-plane']);
  assert.ok(!controlPlaneMarks('1.24.0').labels.includes('node-role.kubernetes.io/master'));
});

test('backup: snapshot on the master, a 0700 tarball on every touched node', () => {
  const [step] = buildSteps(makeFacts({ promote: 2, workers: 2 }), ctx);
  assert.equal(step!.id, 'backup');
  const snap = step!.actions[0]!;
  assert.ok(snap.type === 'run');
  assert.deepEqual(snap.argv.slice(-3), ['snapshot', 'save', '/var/lib/etcd/ha-wizard-s-20260101-abc.snapshot.db']);
  assert.deepEqual(step!.actions.slice(1).map((a) => (a.type === 'run' ? a.host : '')), ['cp1', 'cp2', 'cp3', 'w1', 'w2']);
  const tar = step!.actions[1]!;
  assert.ok(tar.type === 'run');
  assert.equal(tar.argv.at(-1), '/var/lib/ha-wizard/backups/s-20260101-abc');
  assert.match(tar.argv[2]!, /umask 077/);
});

test('a localhost peer URL is fixed before any member is added, and the new members see the fixed URL', () => {
  const facts = makeFacts();
  facts.etcd.members[0]!.peerURLs = ['https://127.0.0.1:2380'];
  const steps = buildSteps(facts, ctx);
  const order = steps.map((s) => s.id);
  assert.equal(order.indexOf('etcd-peer-url') + 1, order.indexOf('shared-pki-cp2'));
  assert.ok(order.indexOf('etcd-peer-url') > order.indexOf('backup'));
  const update = byId(steps, 'etcd-peer-url/cp1/member-update');
  assert.ok(update.type === 'run');
  assert.deepEqual(update.argv.slice(-2), ['https://127.0.0.1:2380', 'https://10.200.0.11:2380']);
  assert.deepEqual(update.undo!.slice(-2), ['https://10.200.0.11:2380', 'https://127.0.0.1:2380']);
  const peer = certSpec(steps, 'etcd-peer-url/cp1/etcd-peer.crt');
  assert.ok(peer.ipAddresses.includes('10.200.0.11'));
  const m = write(byId(steps, 'etcd-cp2/cp2/etcd.yaml'));
  assert.ok(m.content.type === 'literal' && m.content.text.includes('--initial-cluster=cp1=https://10.200.0.11:2380,cp2=https://10.200.0.12:2380'));
});
