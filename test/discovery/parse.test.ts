import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadInputError } from '../../src/exit-codes.js';
import {
  certificateInfo,
  clockOffsetMs,
  factsFingerprint,
  keyAlgorithmOfCert,
  parseClusterConfiguration,
  parseDfFree,
  parseEndpointHealth,
  parseListeningPorts,
  parseMemberList,
  parseNodes,
} from '../../src/discovery/parse.js';
import { makeFacts } from '../steps/facts-fixture.js';

const isBadInput = (re: RegExp) => (e: unknown) => e instanceof BadInputError && re.test(e.message) && !!e.hint;

test('member list: uint64 ids kept exactly and printed in hex; learners and unstarted members', () => {
  const text = '{"header":{"cluster_id":14841639068965178418,"member_id":10276657743932975437,"raft_term":2},"members":[{"ID":10276657743932975437,"name":"cp1","peerURLs":["https://10.200.0.11:2380"],"clientURLs":["https://10.200.0.11:2379"]},{"ID":1,"peerURLs":["https://10.200.0.12:2380"],"isLearner":true}]}';
  assert.deepEqual(parseMemberList(text), [
    { id: '8e9e05c52164694d', name: 'cp1', peerURLs: ['https://10.200.0.11:2380'], clientURLs: ['https://10.200.0.11:2379'], isLearner: false },
    { id: '1', name: '', peerURLs: ['https://10.200.0.12:2380'], clientURLs: [], isLearner: true },
  ]);
  assert.throws(() => parseMemberList('Error: context deadline exceeded'), isBadInput(/not JSON/));
  assert.throws(() => parseMemberList('{"members":[]}'), isBadInput(/members/));
  assert.throws(() => parseMemberList('{"members":[{"ID":"abc"}]}'), isBadInput(/ID/));
});

test('endpoint health', () => {
  assert.deepEqual(parseEndpointHealth('[{"endpoint":"https://127.0.0.1:2379","health":true,"took":"9.1ms"}]'), [{ endpoint: 'https://127.0.0.1:2379', health: true }]);
  const bad = parseEndpointHealth('[{"endpoint":"https://127.0.0.1:2379","health":false,"took":"5s","error":"context deadline exceeded"}]');
  assert.equal(bad[0]!.error, 'context deadline exceeded');
  assert.throws(() => parseEndpointHealth('{"health":true}'), BadInputError);
});

test('ClusterConfiguration v1beta3/v1beta4 with defaults; external etcd noticed; surprises refused', () => {
  const v4 = parseClusterConfiguration('apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking:\n  serviceSubnet: 172.20.0.0/16\n  dnsDomain: corp.example\napiServer:\n  certSANs: [api.corp.example]\nencryptionAlgorithm: ECDSA-P256\n');
  assert.equal(v4.serviceSubnet, '172.20.0.0/16');
  assert.equal(v4.dnsDomain, 'corp.example');
  assert.deepEqual(v4.certSANs, ['api.corp.example']);
  assert.equal(v4.encryptionAlgorithm, 'ECDSA-P256');
  assert.equal(v4.clusterName, 'kubernetes');
  assert.equal(v4.externalEtcd, false);
  const v3 = parseClusterConfiguration('apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\napiServer: {}\netcd:\n  external:\n    endpoints: [https://10.0.0.5:2379]\n');
  assert.equal(v3.serviceSubnet, '10.96.0.0/12');
  assert.equal(v3.dnsDomain, 'cluster.local');
  assert.equal(v3.externalEtcd, true);
  assert.throws(() => parseClusterConfiguration('apiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterConfiguration\n'), isBadInput(/apiVersion/));
  assert.throws(() => parseClusterConfiguration('apiVersion: [\n'), isBadInput(/YAML/));
});

test('key algorithm and SANs from public certificates (openssl-made, like the lab)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'haw-disc-'));
  try {
    const make = (name: string, keyArgs: string[]) => {
      execFileSync('openssl', ['req', '-x509', '-nodes', '-newkey', ...keyArgs, '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`), '-days', '30', '-subj', '/CN=kube-apiserver', '-addext', 'subjectAltName=DNS:cp1,DNS:kubernetes,IP:10.96.0.1,IP:10.200.0.11'], { stdio: 'ignore' });
      return readFileSync(join(dir, `${name}.crt`), 'utf8');
    };
    assert.equal(keyAlgorithmOfCert(make('rsa', ['rsa:2048']), 'ca.crt'), 'rsa-2048');
    const ec = make('ec', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    assert.equal(keyAlgorithmOfCert(ec, 'ca.crt'), 'ecdsa-p256');
    assert.equal(keyAlgorithmOfCert(make('ec384', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-384']), 'ca.crt'), 'ecdsa-p384');
    assert.throws(() => keyAlgorithmOfCert(make('ed', ['ed25519']), '/etc/kubernetes/pki/ca.crt'), isBadInput(/ed25519/));
    const info = certificateInfo(ec, 'apiserver.crt');
    assert.deepEqual(info.dnsNames, ['cp1', 'kubernetes']);
    assert.deepEqual(info.ipAddresses, ['10.96.0.1', '10.200.0.11']);
    assert.ok(info.notAfter.getTime() > Date.now());
    assert.throws(() => certificateInfo('-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n', '/etc/kubernetes/pki/apiserver.crt'), isBadInput(/apiserver\.crt/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ss, df, date and Node objects', () => {
  const ss = 'LISTEN 0      4096       127.0.0.1:2379       0.0.0.0:*\nLISTEN 0      128          0.0.0.0:22         0.0.0.0:*\nLISTEN 0      4096               *:10250            *:*\nLISTEN 0 4096 [::]:6443 [::]:*\n';
  assert.deepEqual(parseListeningPorts(ss), [22, 2379, 6443, 10250]);
  assert.deepEqual(parseListeningPorts(''), []);
  assert.equal(parseDfFree('Filesystem 1-blocks Used Available Capacity Mounted on\n/dev/sda1 100000 40000 60000 40% /\n', '/var/lib/etcd', 'cp1'), 60000);
  assert.throws(() => parseDfFree('df: /x: No such file or directory\n', '/x', 'cp1'), isBadInput(/cp1/));
  assert.equal(clockOffsetMs('1000.250000000\n', 1_000_000, 1_000_200, 'cp1'), 150);
  assert.throws(() => clockOffsetMs('Thu Jan 1\n', 0, 0, 'cp2'), isBadInput(/cp2/));
  const nodes = parseNodes([
    { metadata: { name: 'cp1', labels: { a: 'b' } }, spec: { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }, status: { addresses: [{ type: 'Hostname', address: 'cp1' }, { type: 'InternalIP', address: '10.200.0.11' }], conditions: [{ type: 'Ready', status: 'True' }] } },
    { metadata: { name: 'w1' } },
  ]);
  assert.deepEqual(nodes[0], { name: 'cp1', internalIP: '10.200.0.11', ready: true, labels: { a: 'b' }, taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });
  assert.deepEqual(nodes[1], { name: 'w1', internalIP: null, ready: false, labels: {}, taints: [] });
  assert.throws(() => parseNodes([{ metadata: {} }]), isBadInput(/item 0/));
});

test('facts fingerprint: stable under key order, changes with content', () => {
  const a = makeFacts();
  const reordered = Object.fromEntries(Object.entries(a).reverse()) as unknown as typeof a;
  assert.deepEqual(Object.keys(reordered)[0], 'files');
  assert.equal(factsFingerprint(reordered), factsFingerprint(a));
  assert.equal(factsFingerprint(a), factsFingerprint(makeFacts()));
  assert.match(factsFingerprint(a), /^[0-9a-f]{64}$/);
  a.etcd.members[0]!.peerURLs = ['https://127.0.0.1:2380'];
  assert.notEqual(factsFingerprint(a), factsFingerprint(makeFacts()));
});
