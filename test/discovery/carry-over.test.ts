/**
 * Issue #13 part 2, discovery: which files the master's manifests name are carried over (under /etc/kubernetes or
 * carryOver.allowPaths, with owner, mode, sha256; public ones with their text, secret ones without), and which
 * are refused (CarriedFiles) because ha-wizard will not copy them and a node to promote lacks them. Hosts are local
 * directories (test/engine/dir-host.ts); the real ones are in test/e2e/customised.lab.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DirHost } from '../engine/dir-host.js';
import { discoverCarriedFiles } from '../../src/discovery/carry-over.js';
import { evaluatePreflight, type PreflightData } from '../../src/preflight/checks.js';

const MANIFEST = `apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
spec:
  containers:
  - command:
    - kube-apiserver
    - --audit-policy-file=/etc/kubernetes/audit/policy.yaml
    - --encryption-provider-config=/etc/kubernetes/enc/encryption.yaml
    - --tls-cert-file=/etc/kubernetes/pki/apiserver.crt
    - --authentication-config=/opt/authn/config.yaml
    - --audit-log-path=/var/log/audit.log
    image: registry.k8s.io/kube-apiserver:v1.37.2
    name: kube-apiserver
`;

function put(root: string, path: string, text: string, mode: number): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
  chmodSync(join(root, path), mode);
}

test("files under /etc/kubernetes are carried with mode and text (public) or hash only (secret); others must be on the nodes already", async () => {
  const base = mkdtempSync(join(tmpdir(), 'haw-carry-'));
  const [m, cp2] = [new DirHost('cp1', join(base, 'cp1')), new DirHost('cp2', join(base, 'cp2'))];
  put(m.root, '/etc/kubernetes/audit/policy.yaml', 'kind: Policy\n', 0o640);
  put(m.root, '/etc/kubernetes/enc/encryption.yaml', 'secret: c2VjcmV0\n', 0o600);
  put(m.root, '/opt/authn/config.yaml', 'kind: AuthenticationConfiguration\n', 0o644);
  mkdirSync(cp2.root, { recursive: true });

  const { files, problems } = await discoverCarriedFiles(m, [cp2], { 'kube-apiserver': MANIFEST }, []);
  assert.deepEqual(
    files.map((f) => [f.path, f.mode.toString(8), f.sensitive, f.text ?? null, f.neededBy]),
    [
      ['/etc/kubernetes/audit/policy.yaml', '640', false, 'kind: Policy\n', ['kube-apiserver.yaml --audit-policy-file']],
      ['/etc/kubernetes/enc/encryption.yaml', '600', true, null, ['kube-apiserver.yaml --encryption-provider-config']],
    ],
  );
  assert.ok(files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256)));
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.problem, /^\/opt\/authn\/config\.yaml on cp1 is needed by kube-apiserver\.yaml --authentication-config, and cp2 does not have it; ha-wizard copies only files under \/etc\/kubernetes/);
  assert.match(problems[0]!.fix, /carryOver: \{ allowPaths: \[\/opt\/authn\] \}/);

  // The preflight failure names the file, the manifest and flag, and the fix.
  const d = { now: new Date(), kubernetesVersion: '1.37.2', master: 'cp1', promote: [], nodes: [], etcd: { external: false, healthy: true, members: [{ name: 'cp1', peerURLs: [], isLearner: false }], etcdctlAvailable: true }, sharedKeys: {}, certificates: [], apiserverCount: 1, manifestErrors: {}, carryProblems: problems } satisfies PreflightData;
  const fail = evaluatePreflight(d).filter((r) => r.status === 'fail');
  assert.deepEqual(fail.map((r) => r.name), ['CarriedFiles']);

  // Allowed, it is carried; already identical on the node, it needs nothing.
  assert.deepEqual((await discoverCarriedFiles(m, [cp2], { 'kube-apiserver': MANIFEST }, ['/opt/authn'])).problems, []);
  put(cp2.root, '/opt/authn/config.yaml', 'kind: AuthenticationConfiguration\n', 0o644);
  const again = await discoverCarriedFiles(m, [cp2], { 'kube-apiserver': MANIFEST }, []);
  assert.deepEqual(again.problems, []);
  assert.ok(!again.files.some((f) => f.path.startsWith('/opt/')));
});
