import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPreview, objectKey } from '../../src/engine/preview/preview.js';
import { renderPreview } from '../../src/reporters/preview-text.js';
import { buildPlan } from '../../src/engine/model/plan.js';
import type { Action } from '../../src/engine/model/actions.js';
import { representativePlan } from './fixtures.js';

function inputs() {
  const files = new Map<string, Buffer | null>();
  for (const n of ['node1', 'node2', 'node3']) {
    files.set(`${n}:/etc/kubernetes/manifests/kube-apiserver.yaml`, Buffer.from(`apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\nspec:\n  advertise: ${n}\n  port: 6443\n`));
    files.set(`${n}:/etc/kubernetes/pki/new.key`, null);
  }
  files.set('node2:/etc/kubernetes/proxy.conf', Buffer.from('upstream node2\n'));
  files.set('node3:/etc/kubernetes/old.conf', Buffer.from('obsolete\n'));
  return { files, objects: new Map() };
}

test('preview: unified diffs against the host, sensitive keys never shown, Terraform-like summary', () => {
  const text = renderPreview(buildPreview(representativePlan(), inputs()));
  assert.match(text, /~ replace \/etc\/kubernetes\/manifests\/kube-apiserver\.yaml \(0600\)/);
  assert.match(text, /\+  endpoint: lb\.example:6443/);
  assert.match(text, /\+ create  \/etc\/kubernetes\/pki\/new\.key \(0600\)\n\s+\(sensitive: private key, ecdsa-p256, generated at apply\)/);
  assert.match(text, /- remove  \/etc\/kubernetes\/old\.conf/);
  assert.match(text, /-obsolete/);
  // The second write of proxy.conf diffs against the first one's result.
  assert.match(text, / upstream node2\n\s+\+upstream node3/);
  assert.match(text, /\$ touch \/etc\/kubernetes\/marker\n.*\n\s+undo: rm -f \/etc\/kubernetes\/marker\n\s+done when: node1:\/etc\/kubernetes\/marker exists/);
  assert.match(text, /… wait: the marker is there\n\s+until node1:\/etc\/kubernetes\/marker exists, at most 2 s/);
  assert.doesNotMatch(text, /PRIVATE KEY-----/);
  assert.match(text, /Plan: 8 files to write \(5 replace\), 1 file to remove, 1 command, 0 object patches, 1 wait, 3 control-plane restarts\.\n$/);
});

test('preview: certificates by spec, existing secrets by hash, commands redacted, object patches before → after, JSON', () => {
  const a: Action[] = [
    {
      id: 'c/crt', step: 'c', description: 'cert', risk: 'reversible', type: 'write-file', host: 'n1', path: '/etc/kubernetes/pki/apiserver.crt', mode: 0o644,
      content: { type: 'certificate', keyPath: '/etc/kubernetes/pki/apiserver.key', spec: { ca: { host: 'n1', certPath: '/etc/kubernetes/pki/ca.crt', keyPath: '/etc/kubernetes/pki/ca.key' }, subject: { commonName: 'kube-apiserver' }, dnsNames: ['n1', 'kubernetes'], ipAddresses: ['10.96.0.1'], usages: ['serverAuth'], validityDays: 365 } },
    },
    { id: 'c/conf', step: 'c', description: 'literal over a secret', risk: 'reversible', type: 'write-file', host: 'n1', path: '/etc/kubernetes/x.conf', mode: 0o600, content: { type: 'literal', text: 'server: https://lb:6443\n' } },
    { id: 'c/join', step: 'c', description: 'join', risk: 'point-of-no-easy-return', type: 'run', host: 'n1', argv: ['kubeadm', 'token', 'create', '--certificate-key=abc123'] },
    { id: 'c/cm', step: 'c', description: 'kube-proxy', risk: 'disruptive', type: 'patch-object', host: 'n1', object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'kube-proxy' }, edits: [{ path: ['data', 'kubeconfig.conf'], yamlPath: ['clusters', '0', 'cluster', 'server'], value: 'https://lb:6443' }] },
  ];
  const plan = buildPlan({ cluster: 'c', factsFingerprint: 'f', steps: [{ id: 'c', title: 'C', description: '', risk: 'reversible', actions: a }] });
  const files = new Map<string, Buffer | null>([
    ['n1:/etc/kubernetes/pki/apiserver.crt', null],
    ['n1:/etc/kubernetes/x.conf', Buffer.from('users:\n- user:\n    client-key-data: SECRETSECRET\n')],
  ]);
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-proxy', namespace: 'kube-system' }, data: { 'kubeconfig.conf': 'apiVersion: v1\nclusters:\n- cluster:\n    server: https://10.0.0.1:6443\n  name: default\n' } };
  const objects = new Map([[objectKey('n1', a[3]!.type === 'patch-object' ? a[3]!.object : (null as never)), cm]]);
  const preview = buildPreview(plan, { files, objects });
  const text = renderPreview(preview);
  assert.match(text, /CN=kube-apiserver; SANs DNS:n1, DNS:kubernetes, IP:10\.96\.0\.1; usages serverAuth; valid 365 days; issuer n1:\/etc\/kubernetes\/pki\/ca\.crt/);
  assert.doesNotMatch(text, /SECRETSECRET/);
  assert.match(text, /~ replace \/etc\/kubernetes\/x\.conf \(0600\)\n\s+\(sensitive, sha256:[0-9a-f]{16}…\)/);
  assert.match(text, /\$ kubeadm token create '--certificate-key=\*\*\*'/);
  assert.doesNotMatch(text, /abc123/);
  assert.match(text, /!! POINT OF NO EASY RETURN/);
  assert.match(text, /data\.kubeconfig\.conf » clusters\.0\.cluster\.server: "https:\/\/10\.0\.0\.1:6443" → "https:\/\/lb:6443"/);
  assert.match(preview.summary.line, /1 object patch, 1 control-plane restart/);
  const json = JSON.parse(JSON.stringify(preview));
  assert.equal(json.steps[0].entries[0].change, 'create');
  assert.doesNotMatch(JSON.stringify(json), /SECRETSECRET|abc123/);
});
