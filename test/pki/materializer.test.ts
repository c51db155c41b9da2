import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { PkiMaterializer } from '../../src/pki/materializer.js';
import { apiserverSpec, withCA } from '../../src/pki/kubeadm-certs.js';
import { hostnameError, parseCertificate, verifyAgainstCA, validityError } from '../../src/pki/inspect.js';
import { loadCA } from '../../src/pki/issue.js';
import { keyInfo } from '../../src/pki/keys.js';
import { FakeHost, fakeHosts, makeCA, pemBodySlices, tempDir } from './helpers.js';

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

function setup() {
  const tmp = tempDir('mat');
  const ca = makeCA(tmp.dir, 'ec-p256');
  const other = makeCA(tmp.dir, 'ec-p256', 'kubernetes', 'other');
  const master = new FakeHost('node1').put('/etc/kubernetes/pki/ca.crt', ca.certPem).put('/etc/kubernetes/pki/ca.key', ca.keyPem);
  const node = new FakeHost('node2');
  return { tmp, ca, other, master, node, hosts: fakeHosts(master, node) };
}

const facts = { nodeName: 'node2', nodeIP: '10.200.0.12', serviceSubnet: '10.96.0.0/12', dnsDomain: 'cluster.local' };

test('satisfies: a certificate with other SANs, another key or another CA does not satisfy the spec', async () => {
  const { tmp, other, master, node, hosts } = setup();
  try {
    const m = new PkiMaterializer();
    const key = await m.materialize({ type: 'private-key', algorithm: 'ecdsa-p256' }, 'node2', hosts);
    node.put('/k/apiserver.key', key);
    const spec = withCA(apiserverSpec(facts).spec, 'node1', 'ca');
    const content = { type: 'certificate' as const, keyPath: '/k/apiserver.key', spec };
    const cert = await m.materialize(content, 'node2', hosts);
    assert.equal(await m.satisfies(content, 'node2', cert, hosts), true);

    const moreSans = withCA(apiserverSpec({ ...facts, endpointHost: 'lb.example:6443' }).spec, 'node1', 'ca');
    assert.equal(await m.satisfies({ ...content, spec: moreSans }, 'node2', cert, hosts), false, 'missing SAN');

    node.put('/k/apiserver.key', await m.materialize({ type: 'private-key', algorithm: 'ecdsa-p256' }, 'node2', hosts));
    assert.equal(await m.satisfies(content, 'node2', cert, hosts), false, 'key changed');

    node.put('/k/apiserver.key', key);
    master.put('/etc/kubernetes/pki/other.crt', other.certPem).put('/etc/kubernetes/pki/other.key', other.keyPem);
    const foreign = await m.materialize({ ...content, spec: { ...spec, ca: { ...spec.ca, certPath: '/etc/kubernetes/pki/other.crt', keyPath: '/etc/kubernetes/pki/other.key' } } }, 'node2', hosts);
    assert.equal(await m.satisfies(content, 'node2', foreign, hosts), false, 'signed by another CA with the same name');
    assert.equal(await m.satisfies(content, 'node2', Buffer.from('garbage'), hosts), false);

    assert.equal(await m.satisfies({ type: 'private-key', algorithm: 'ecdsa-p256' }, 'node2', key, hosts), true);
    assert.equal(await m.satisfies({ type: 'private-key', algorithm: 'rsa-2048' }, 'node2', key, hosts), false);
    assert.deepEqual(keyInfo(key), { algorithm: 'ecdsa-p256', format: 'sec1' });
  } finally {
    tmp.cleanup();
  }
});

test('copy: carries bytes when the source is unchanged, refuses when it changed', async () => {
  const { tmp, master, hosts } = setup();
  try {
    const m = new PkiMaterializer();
    const saKey = master.files.get('/etc/kubernetes/pki/ca.key')!;
    const content = { type: 'copy' as const, fromHost: 'node1', fromPath: '/etc/kubernetes/pki/ca.key', sha256: sha(saKey), sensitive: true };
    assert.deepEqual(await m.materialize(content, 'node2', hosts), saKey);
    assert.equal(await m.satisfies(content, 'node2', saKey, hosts), true);
    const stale = { ...content, sha256: sha('old') };
    await assert.rejects(m.materialize(stale, 'node2', hosts), (e: Error) => {
      assert.match(e.message, /source changed since plan: node1:\/etc\/kubernetes\/pki\/ca\.key/);
      for (const slice of pemBodySlices(saKey.toString())) assert.ok(!e.message.includes(slice), 'no key material in the error');
      return true;
    });
  } finally {
    tmp.cleanup();
  }
});

test('private keys never appear in error messages', async () => {
  const { tmp, ca, other, master, node, hosts } = setup();
  try {
    const m = new PkiMaterializer();
    const secrets = [ca.keyPem, other.keyPem];
    const noSecrets = (e: Error) => {
      for (const s of secrets) for (const slice of pemBodySlices(s)) assert.ok(!e.message.includes(slice) && !String(e.stack).includes(slice), `secret in: ${e.message}`);
      return true;
    };
    // CA key that does not belong to the CA certificate.
    master.put('/etc/kubernetes/pki/ca.key', other.keyPem);
    node.put('/k/a.key', ca.keyPem);
    const spec = withCA(apiserverSpec(facts).spec, 'node1', 'ca');
    await assert.rejects(m.materialize({ type: 'certificate', keyPath: '/k/a.key', spec }, 'node2', hosts), (e: Error) => {
      assert.match(e.message, /^node1:\/etc\/kubernetes\/pki\/ca\.key: the CA key does not belong to the CA certificate node1:\/etc\/kubernetes\/pki\/ca\.crt$/);
      return noSecrets(e);
    });
    // A truncated key file.
    master.put('/etc/kubernetes/pki/ca.key', ca.keyPem.slice(0, 200));
    await assert.rejects(m.materialize({ type: 'certificate', keyPath: '/k/a.key', spec }, 'node2', hosts), (e: Error) => {
      assert.match(e.message, /^node1:\/etc\/kubernetes\/pki\/ca\.key: not a readable private key/);
      return noSecrets(e);
    });
    // A key file on the node that is not a key at all (holds another secret's PEM body mangled).
    master.put('/etc/kubernetes/pki/ca.key', ca.keyPem);
    node.put('/k/a.key', other.keyPem.replace('EC PRIVATE KEY', 'EC PRIVATE KEX'));
    await assert.rejects(m.materialize({ type: 'certificate', keyPath: '/k/a.key', spec }, 'node2', hosts), (e: Error) => {
      assert.match(e.message, /node2:\/k\/a\.key/);
      return noSecrets(e);
    });
  } finally {
    tmp.cleanup();
  }
});

test('inspect: Go x509 messages for wrong names, unknown authority and expiry', async () => {
  const { tmp, ca, other, node, hosts } = setup();
  try {
    const m = new PkiMaterializer();
    node.put('/k/a.key', await m.materialize({ type: 'private-key', algorithm: 'ecdsa-p256' }, 'node2', hosts));
    const pem = (await m.materialize({ type: 'certificate', keyPath: '/k/a.key', spec: withCA(apiserverSpec(facts).spec, 'node1', 'ca') }, 'node2', hosts)).toString();
    const info = parseCertificate(pem);
    assert.equal(hostnameError(info, '10.200.0.12'), null);
    assert.equal(hostnameError(info, 'KUBERNETES.default.'), null);
    assert.equal(hostnameError(info, '10.24.138.208'), 'x509: certificate is valid for 10.96.0.1, 10.200.0.12, not 10.24.138.208');
    assert.equal(
      hostnameError(info, 'lb.example'),
      'x509: certificate is valid for kubernetes, kubernetes.default, kubernetes.default.svc, kubernetes.default.svc.cluster.local, node2, not lb.example',
    );
    assert.deepEqual(verifyAgainstCA(pem, ca.certPem), { ok: true });
    assert.deepEqual(verifyAgainstCA(pem, other.certPem), { ok: false, reason: 'x509: certificate signed by unknown authority' });
    const later = new Date(Date.now() + 400 * 86_400_000);
    assert.match(validityError(info, later)!, /^x509: certificate has expired or is not yet valid: current time \S+Z is after \S+Z$/);
    // Capped at the CA's expiry.
    const loaded = await loadCA({ certPem: ca.certPem, keyPem: ca.keyPem });
    assert.ok(info.notAfter <= loaded.cert.notAfter);
    assert.ok(Date.now() - info.notBefore.getTime() >= 5 * 60_000 - 5_000, 'backdated 5 minutes');
  } finally {
    tmp.cleanup();
  }
});
