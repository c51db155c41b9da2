/**
 * Issue #13 in the steps: a complete control-plane node keeps its place (its promote steps are left out, its etcd
 * member stays in --initial-cluster), a leftover learner is reused, and the carried-over files become writes on each
 * node to promote: public ones as text the plan shows, secret ones as host-to-host copies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSteps } from '../../steps/index.js';
import { initialClusterFor } from '../../steps/etcd-member.js';
import { makeFacts, sha } from './facts-fixture.js';

const ctx = { session: 's-20260101-abc' };

test('a complete control-plane node: no promote step of its own; the next node joins an etcd that counts it', () => {
  const f = makeFacts({ promote: 2, workers: 0 });
  const [cp2, cp3] = f.config.controlPlane.promote;
  f.promoteStates = { [cp2!.name]: 'complete', [cp3!.name]: 'fresh' };
  // etcdctl lists members by ID: the master's need not come first.
  const masterURL = f.etcd.members[0]!.peerURLs[0];
  f.etcd.members.unshift({ id: 'abc', name: cp2!.name, peerURLs: [`https://${cp2!.address}:2380`], clientURLs: [], isLearner: false });
  const ids = buildSteps(f, ctx).map((s) => s.id);
  assert.ok(!ids.some((id) => id.endsWith(`-${cp2!.name}`) && /^(shared-pki|carry-over|etcd|control-plane|kubelet)-/.test(id)), ids.join(' '));
  assert.ok(ids.includes(`etcd-${cp3!.name}`) && ids.includes(`control-plane-${cp3!.name}`));
  assert.deepEqual(
    initialClusterFor(f, 0).map((p) => `${p.name}=${p.peerURL}`).sort(),
    [`${f.master.name}=${masterURL}`, `${cp2!.name}=https://${cp2!.address}:2380`, `${cp3!.name}=https://${cp3!.address}:2380`].sort(),
    'each member at its own peer URL (no duplicate: etcd refuses to start)',
  );
});

test('a leftover learner for the node: member-add is described as reusing it, and the learner is not an existing member', () => {
  const f = makeFacts({ promote: 2, workers: 0 });
  const [cp2] = f.config.controlPlane.promote;
  f.promoteStates = { [cp2!.name]: 'learner' };
  f.etcd.members.push({ id: 'abc', name: '', peerURLs: [`https://${cp2!.address}:2380`], clientURLs: [], isLearner: true });
  const add = buildSteps(f, ctx).flatMap((s) => s.actions).find((a) => a.id.endsWith('/member-add'))!;
  assert.match(add.description, /already has this learner from an earlier attempt \(never started\), so it is reused/);
  assert.deepEqual(initialClusterFor(f, 0).map((p) => p.name), [f.master.name, cp2!.name], 'the unstarted learner is not listed twice');
});

test('carried files: a write per file on each node to promote, before its etcd; secrets copied host to host, never as text', () => {
  const f = makeFacts({ promote: 2, workers: 0 });
  f.carriedFiles = [
    { path: '/etc/kubernetes/audit/policy.yaml', sha256: sha('a'), mode: 0o644, uid: 0, gid: 0, sensitive: false, text: 'kind: Policy\n', neededBy: ['kube-apiserver.yaml --audit-policy-file'] },
    { path: '/etc/kubernetes/enc/encryption.yaml', sha256: sha('b'), mode: 0o600, uid: 0, gid: 0, sensitive: true, neededBy: ['kube-apiserver.yaml --encryption-provider-config'] },
  ];
  const steps = buildSteps(f, ctx);
  const ids = steps.map((s) => s.id);
  for (const n of f.config.controlPlane.promote) {
    assert.ok(ids.indexOf(`carry-over-${n.name}`) > ids.indexOf(`shared-pki-${n.name}`) && ids.indexOf(`carry-over-${n.name}`) < ids.indexOf(`etcd-${n.name}`), ids.join(' '));
    const actions = steps.find((s) => s.id === `carry-over-${n.name}`)!.actions;
    assert.deepEqual(
      actions.map((a) => (a.type === 'write-file' ? [a.path, a.mode, a.owner, a.content.type] : [])),
      [
        ['/etc/kubernetes/audit/policy.yaml', 0o644, '0:0', 'literal'],
        ['/etc/kubernetes/enc/encryption.yaml', 0o600, '0:0', 'copy'],
      ],
    );
    const secret = actions[1]!;
    assert.ok(secret.type === 'write-file' && secret.content.type === 'copy' && secret.content.sensitive && secret.content.fromHost === f.config.controlPlane.existing.name);
  }
  assert.ok(!JSON.stringify(steps).includes('secret:'), 'no secret text in the plan');
});
