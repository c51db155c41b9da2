/**
 * Issue #13 part 2: every host path a static pod depends on. kubeadm's own manifests name nothing to carry; each
 * customisation an operator adds (a flag naming a file, a hostPath volume of each type) is found, outputs told apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hostPathRefs, isKubeadmFile, underAllowed } from '../../src/manifests/host-paths.js';

const REF = (version: string, role: string, c: string) => readFileSync(fileURLToPath(new URL(`../../../test/fixtures/manifests/kubeadm/${version}/${role}/${c}.yaml`, import.meta.url)), 'utf8');

test("kubeadm's own manifests depend on nothing to carry (every release, init and join)", () => {
  for (const v of ['1.35.4', '1.36.3', '1.37.2']) {
    for (const role of ['init', 'join']) {
      for (const c of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) {
        const refs = hostPathRefs(REF(v, role, c), c).filter((r) => !r.output);
        assert.deepEqual(refs, [], `${v} ${role} ${c}`);
      }
    }
  }
});

test('customisations: flags naming files (with or without a volume), volumes of every type, outputs apart', () => {
  const text = REF('1.37.2', 'init', 'kube-apiserver')
    .replace(
      '    - --advertise-address=',
      [
        '    - --audit-policy-file=/etc/kubernetes/audit/policy.yaml',
        '    - --audit-log-path=/var/log/kubernetes/audit/audit.log',
        '    - --encryption-provider-config=/etc/kubernetes/enc/enc.yaml',
        '    - --oidc-ca-file=/etc/kubernetes/pki/oidc-ca.crt',
        '    - --admission-control-config-file=/opt/policy/admission.yaml,/opt/policy/extra.yaml',
        '    - --advertise-address=',
      ].join('\n'),
    )
    .replace(
      '  volumes:\n',
      [
        '  volumes:',
        '  - hostPath: { path: /etc/kubernetes/audit, type: DirectoryOrCreate }',
        '    name: audit',
        '  - hostPath: { path: /var/log/kubernetes/audit/, type: DirectoryOrCreate }',
        '    name: audit-log',
        '  - hostPath: { path: /etc/kubernetes/enc/enc.yaml, type: File }',
        '    name: enc',
        '  - hostPath: { path: /opt/policy }',
        '    name: policy',
        '',
      ].join('\n'),
    );
  const refs = hostPathRefs(text, 'kube-apiserver');
  const show = refs.map((r) => `${r.path} ${r.via}${r.output ? ' (output)' : ''}`).sort();
  assert.deepEqual(show, [
    '/etc/kubernetes/audit volume audit (hostPath, type DirectoryOrCreate)',
    '/etc/kubernetes/audit/policy.yaml --audit-policy-file',
    '/etc/kubernetes/enc/enc.yaml --encryption-provider-config',
    '/etc/kubernetes/enc/enc.yaml volume enc (hostPath, type File)',
    '/etc/kubernetes/pki/oidc-ca.crt --oidc-ca-file',
    '/opt/policy volume policy (hostPath)',
    '/opt/policy/admission.yaml --admission-control-config-file',
    '/opt/policy/extra.yaml --admission-control-config-file',
    '/var/log/kubernetes/audit volume audit-log (hostPath, type DirectoryOrCreate) (output)',
    '/var/log/kubernetes/audit/audit.log --audit-log-path (output)',
  ]);
});

test("kubeadm's files are recognised; other files in its directories are not", () => {
  for (const p of ['/etc/kubernetes/pki/ca.crt', '/etc/kubernetes/pki/etcd/peer.key', '/etc/kubernetes/pki/sa.pub', '/etc/kubernetes/controller-manager.conf', '/etc/ssl/certs', '/var/lib/etcd']) assert.ok(isKubeadmFile(p), p);
  for (const p of ['/etc/kubernetes/pki/oidc-ca.crt', '/etc/kubernetes/audit/policy.yaml', '/etc/kubernetes/pki/etcd/extra.crt']) assert.ok(!isKubeadmFile(p), p);
  assert.ok(underAllowed('/opt/policy/a.yaml', ['/opt/policy/']) && !underAllowed('/opt/policyx/a', ['/opt/policy']));
});
