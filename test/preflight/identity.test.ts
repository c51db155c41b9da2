/**
 * Issue #13 parts 1 and 3 as pure functions: node identity (swapped addresses, a node not in the cluster, two
 * entries reaching one host), what a node to promote already is (complete, leftover learner, a member without a
 * control plane, old etcd data) and the order of the findings. The lab tests (test/e2e/real-clusters.lab.test.ts)
 * prove the same on the real components.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityChecks } from '../../src/preflight/identity.js';
import { classifyPromoteNode, memberRemoveCommand, type HostIdentity, type PromoteNodeFacts } from '../../src/discovery/node-state.js';
import { parseIdentity } from '../../src/discovery/parse.js';
import { evaluatePreflight, orderFindings, type CheckResult, type PreflightData } from '../../src/preflight/checks.js';
import type { EtcdMember } from '../../src/discovery/facts.js';

const NODES = [
  { name: 'cp1', internalIP: '10.0.0.11' },
  { name: 'cp2', internalIP: '10.0.0.12' },
  { name: 'cp3', internalIP: '10.0.0.13' },
  { name: 'w1', internalIP: '10.0.0.101' },
];
const MEMBERS: EtcdMember[] = [{ id: '8e9e05c52164694d', name: 'cp1', peerURLs: ['https://10.0.0.11:2380'], clientURLs: [], isLearner: false }];

/** The identity of the real host `node` when the config calls it `host` at `address` (what SSH reached). */
function seen(host: string, field: string, address: string, real: string, role: HostIdentity['role'] = 'promote'): HostIdentity {
  const ip = NODES.find((n) => n.name === real)!.internalIP;
  return { host, field, role, address, hostname: real, hostnameOverride: null, kubeletNode: real, addresses: [ip] };
}

const fails = (r: CheckResult[]) => r.filter((c) => c.status === 'fail');

test('a config that matches the hosts passes NodeIdentity for every node', () => {
  const r = identityChecks({
    identities: [seen('cp1', 'controlPlane.existing', '10.0.0.11', 'cp1', 'master'), seen('cp2', 'controlPlane.promote[0]', '10.0.0.12', 'cp2'), seen('cp3', 'controlPlane.promote[1]', '10.0.0.13', 'cp3')],
    clusterNodes: NODES,
    members: MEMBERS,
  });
  assert.deepEqual(fails(r), []);
  assert.equal(r.filter((c) => c.name === 'NodeIdentity' && c.status === 'pass').length, 3);
});

test('swapped addresses are one NodeIdentity failure naming both nodes and what to write', () => {
  const r = fails(
    identityChecks({
      identities: [seen('cp2', 'controlPlane.promote[0]', '10.0.0.13', 'cp3'), seen('cp3', 'controlPlane.promote[1]', '10.0.0.12', 'cp2')],
      clusterNodes: NODES,
      members: MEMBERS,
    }),
  );
  assert.equal(r.length, 1, JSON.stringify(r));
  assert.equal(r[0]!.name, 'NodeIdentity');
  assert.match(r[0]!.message, /controlPlane\.promote\[0\] \(cp2\) and controlPlane\.promote\[1\] \(cp3\) have their addresses swapped/);
  assert.match(r[0]!.message, /kubelet certificate system:node:cp3/);
  assert.match(r[0]!.fix, /\{ name: cp2, address: 10\.0\.0\.12 \}.*\{ name: cp3, address: 10\.0\.0\.13 \}/);
});

test('one wrong address: expected, found (host, kubelet certificate, Node) and what to write instead', () => {
  const r = fails(identityChecks({ identities: [seen('cp2', 'controlPlane.promote[0]', '10.0.0.101', 'w1')], clusterNodes: NODES, members: MEMBERS }));
  assert.equal(r.length, 1);
  assert.match(r[0]!.message, /expected the host at 10\.0\.0\.101 to be cp2; found: the host at 10\.0\.0\.101 is w1 \(kubelet certificate system:node:w1, hostname w1\); Node w1 has InternalIP 10\.0\.0\.101; Node cp2 has InternalIP 10\.0\.0\.12/);
  assert.match(r[0]!.fix, /write \{ name: cp2, address: 10\.0\.0\.12 \}/);
});

test('a hostname override and an etcd member that disagree are caught too', () => {
  const i = { ...seen('cp1', 'controlPlane.existing', '10.0.0.11', 'cp1', 'master'), kubeletNode: null, hostnameOverride: 'cp9' };
  assert.match(fails(identityChecks({ identities: [i], clusterNodes: NODES, members: MEMBERS }))[0]!.message, /--hostname-override=cp9/);
  const members = [{ ...MEMBERS[0]!, name: 'other' }];
  assert.match(fails(identityChecks({ identities: [seen('cp1', 'controlPlane.existing', '10.0.0.11', 'cp1', 'master')], clusterNodes: NODES, members }))[0]!.message, /the etcd member at https:\/\/10\.0\.0\.11:2380 is other/);
});

test('a node not in the cluster, and two entries reaching one host', () => {
  const ghost: HostIdentity = { host: 'cp4', field: 'controlPlane.promote[1]', role: 'promote', address: '10.0.0.14', hostname: 'cp4', hostnameOverride: null, kubeletNode: null, addresses: ['10.0.0.14'] };
  const r1 = fails(identityChecks({ identities: [ghost], clusterNodes: NODES, members: MEMBERS }));
  assert.equal(r1[0]!.name, 'NodeInCluster');
  assert.match(r1[0]!.message, /no Node is named cp4 or has InternalIP 10\.0\.0\.14/);
  const twice = [seen('cp2', 'controlPlane.promote[0]', '10.0.0.12', 'cp2'), { ...seen('cp3', 'controlPlane.promote[1]', 'cp2.example', 'cp2') }];
  const r2 = fails(identityChecks({ identities: twice, clusterNodes: NODES, members: MEMBERS }));
  assert.equal(r2[0]!.name, 'DuplicateHost');
  assert.match(r2[0]!.message, /controlPlane\.promote\[0\] \(cp2, 10\.0\.0\.12\) and controlPlane\.promote\[1\] \(cp3, cp2\.example\) reach the same host/);
});

test('the identity probe output: host name, override, own addresses without loopback, no certificate', () => {
  const p = parseIdentity('hostname=cp2\noverride=CP2\naddr=127.0.0.1/8\naddr=10.0.0.12/24\naddr=::1/128\naddr=fe80::1/64\naddr=fd00::12/64\n');
  assert.deepEqual(p, { hostname: 'cp2', hostnameOverride: 'cp2', addresses: ['10.0.0.12', 'fd00::12'], kubeletNode: null });
});

const base: PromoteNodeFacts = { host: 'cp2', nodeName: 'cp2', address: '10.0.0.12', master: 'cp1', members: MEMBERS, apiserverManifest: false, etcdManifest: false, etcdDataPresent: false, listening: [22, 10250], dataDir: '/var/lib/etcd' };
const member = (m: Partial<EtcdMember>): EtcdMember => ({ id: 'abc123', name: 'cp2', peerURLs: ['https://10.0.0.12:2380'], clientURLs: [], isLearner: false, ...m });

test('promote states: fresh, complete, reusable learner', () => {
  assert.equal(classifyPromoteNode(base).kind, 'fresh');
  const complete = classifyPromoteNode({ ...base, members: [...MEMBERS, member({})], apiserverManifest: true, etcdManifest: true, etcdDataPresent: true, listening: [2379, 2380, 6443] });
  assert.equal(complete.kind, 'complete');
  const learner = classifyPromoteNode({ ...base, members: [...MEMBERS, member({ name: '', isLearner: true })] });
  assert.deepEqual(learner, { kind: 'learner', memberId: 'abc123' });
});

test("a voting member is never advised to delete or move its data; a started learner gets the exact commands", () => {
  const s = classifyPromoteNode({ ...base, members: [...MEMBERS, member({})], etcdManifest: true, etcdDataPresent: true, listening: [2379, 2380] });
  assert.equal(s.kind, 'blocked');
  if (s.kind !== 'blocked') return;
  assert.match(s.message, /already a voting etcd member \(cp2, ID abc123/);
  assert.match(s.message, /will not touch a quorum member's data/);
  // The only data move offered comes after the member is removed, and keeps the data.
  assert.ok(s.fix.indexOf('member remove abc123') < s.fix.indexOf('mv /var/lib/etcd/member'), s.fix);
  assert.doesNotMatch(s.fix, /\brm\b|\bdelete\b/);
  const l = classifyPromoteNode({ ...base, members: [...MEMBERS, member({ isLearner: true })], etcdManifest: true, etcdDataPresent: true, listening: [2379, 2380] });
  assert.equal(l.kind, 'blocked');
  if (l.kind === 'blocked') assert.match(l.fix, new RegExp(`on cp1: ${memberRemoveCommand('abc123').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; on cp2: mv /etc/kubernetes/manifests/etcd.yaml`));
});

test('old etcd data: moved aside only when it belongs to no member and nothing listens', () => {
  const dead = classifyPromoteNode({ ...base, etcdDataPresent: true });
  assert.equal(dead.kind, 'blocked');
  if (dead.kind === 'blocked') {
    assert.equal(dead.check, 'EtcdDataDir');
    assert.match(dead.message, /belongs to no current member \(no member's peer URL names 10\.0\.0\.12, nothing listens on 2379\/2380 and there is no etcd manifest\)/);
    assert.match(dead.fix, /mv \/var\/lib\/etcd\/member \/var\/lib\/etcd\/member\.old/);
  }
  const live = classifyPromoteNode({ ...base, etcdDataPresent: true, listening: [2380] });
  if (live.kind === 'blocked') assert.doesNotMatch(live.fix, /\bmv\b|\brm\b/);
  else assert.fail('expected blocked');
});

function data(over: Partial<PreflightData> = {}): PreflightData {
  const node = (host: string, listening = [22]) => ({ host, reachable: true, sudo: true, listening, clockOffsetMs: 1, diskFree: [{ path: '/var/lib', bytes: 20 * 1024 ** 3 }], etcdDataPresent: false, kubeletConfReadable: true });
  return {
    now: new Date('2026-01-01T00:00:00Z'),
    kubernetesVersion: '1.37.2',
    master: 'cp1',
    promote: [
      { host: 'cp2', nodeName: 'cp2', ready: true },
      { host: 'cp3', nodeName: 'cp3', ready: true },
    ],
    nodes: [node('cp1'), node('cp2', [22, 2379, 2380, 6443, 10257, 10259]), node('cp3')],
    etcd: { external: false, healthy: true, members: [{ id: '8e9e05c52164694d', name: 'cp1', peerURLs: ['https://10.0.0.11:2380'], isLearner: false }], etcdctlAvailable: true },
    sharedKeys: {},
    certificates: [],
    apiserverCount: 2,
    manifestErrors: {},
    clusterNodes: NODES,
    masterAddress: '10.0.0.11',
    nodesAddresses: [
      { host: 'cp1', address: '10.0.0.11' },
      { host: 'cp2', address: '10.0.0.12' },
      { host: 'cp3', address: '10.0.0.13' },
    ],
    promoteStates: { cp2: { kind: 'fresh' }, cp3: { kind: 'fresh' } },
    apiserverNodes: ['cp1'],
    ...over,
  };
}

test('a complete control-plane node: its ports in use and its member are what it is, not failures', () => {
  const d = data({ promoteStates: { cp2: { kind: 'complete', memberId: 'abc123', detail: 'voting etcd member cp2' }, cp3: { kind: 'fresh' } }, apiserverNodes: ['cp1', 'cp2'] });
  d.etcd.members.push({ id: 'abc123', name: 'cp2', peerURLs: ['https://10.0.0.12:2380'], isLearner: false });
  const r = evaluatePreflight(d);
  assert.deepEqual(fails(r), []);
  assert.match(r.find((c) => c.name === 'NodeState' && c.host === 'cp2')!.message, /already a control-plane node/);
});

test('a member whose node is gone and a learner: exact commands, the learner said to be safe to remove', () => {
  const d = data({ nodes: data().nodes.map((n) => ({ ...n, listening: [22] })) });
  d.etcd.members.push({ id: 'deadbeef', name: '', peerURLs: ['https://10.0.0.99:2380'], isLearner: true });
  const r = fails(evaluatePreflight(d));
  assert.equal(r[0]!.name, 'EtcdMembers');
  assert.match(r[0]!.message, /learner \(unstarted\) \(ID deadbeef, https:\/\/10\.0\.0\.99:2380\): its node is gone/);
  assert.match(r[0]!.fix, /a learner has no vote, so removing it cannot cost quorum: on cp1: env 'ETCDCTL_API=3' etcdctl '--endpoints=https:\/\/127\.0\.0\.1:2379' .* member remove deadbeef$/);
});

test('findings: the deciding reason first, the consequences on a misidentified host folded into it', () => {
  const results: CheckResult[] = [
    { name: 'Port-6443', status: 'fail', message: 'cp2: port 6443 is in use', fix: 'x', ignorable: false, host: 'cp2' },
    { name: 'ClockSkew', status: 'pass', message: 'ok', fix: '', ignorable: true, host: 'cp2' },
    { name: 'KubernetesVersion', status: 'fail', message: 'old', fix: 'x', ignorable: true },
    { name: 'NodeIdentity', status: 'fail', message: 'cp2 is cp3', fix: 'x', ignorable: false, host: 'cp2' },
  ];
  const out = orderFindings(results).filter((r) => r.status === 'fail');
  assert.deepEqual(out.map((r) => r.name), ['NodeIdentity', 'KubernetesVersion']);
  assert.match(out[0]!.message, /1 other failed check of cp2 not shown/);
});
