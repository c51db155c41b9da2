/**
 * Issues every kubeadm certificate kind from CAs that openssl made (RSA PKCS#1, EC P-256, EC P-384,
 * RSA PKCS#8) through the materializer, and lets openssl judge the results.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PkiMaterializer } from '../../src/pki/materializer.js';
import { kubeconfigClientSpec, nodeCertificates, withCA } from '../../src/pki/kubeadm-certs.js';
import { certKeyAlgorithm } from '../../src/pki/inspect.js';
import { parseKubeconfig, credentials } from '../../src/kube/kubeconfig.js';
import { FakeHost, fakeHosts, makeCA, openssl, tempDir, writeTemp, type CaKind } from './helpers.js';

const HEADER: Record<CaKind, RegExp> = {
  'rsa-pkcs1': /^-----BEGIN RSA PRIVATE KEY-----/,
  'rsa-pkcs8': /^-----BEGIN RSA PRIVATE KEY-----/, // new keys are always kubeadm's format
  'ec-p256': /^-----BEGIN EC PRIVATE KEY-----/,
  'ec-p384': /^-----BEGIN EC PRIVATE KEY-----/,
};
const SIG: Record<CaKind, string> = {
  'rsa-pkcs1': 'sha256WithRSAEncryption',
  'rsa-pkcs8': 'sha256WithRSAEncryption',
  'ec-p256': 'ecdsa-with-SHA256',
  'ec-p384': 'ecdsa-with-SHA384',
};

for (const kind of ['rsa-pkcs1', 'ec-p256', 'ec-p384', 'rsa-pkcs8'] as const) {
  test(`every kubeadm certificate from a ${kind} CA passes openssl`, async () => {
    const tmp = tempDir(`issue-${kind}`);
    try {
      const ca = makeCA(tmp.dir, kind, 'kubernetes', 'ca');
      const fp = makeCA(tmp.dir, kind, 'front-proxy-ca', 'front-proxy-ca');
      const etcd = makeCA(tmp.dir, kind, 'etcd-ca', 'etcd-ca');
      const master = new FakeHost('node1')
        .put('/etc/kubernetes/pki/ca.crt', ca.certPem).put('/etc/kubernetes/pki/ca.key', ca.keyPem)
        .put('/etc/kubernetes/pki/front-proxy-ca.crt', fp.certPem).put('/etc/kubernetes/pki/front-proxy-ca.key', fp.keyPem)
        .put('/etc/kubernetes/pki/etcd/ca.crt', etcd.certPem).put('/etc/kubernetes/pki/etcd/ca.key', etcd.keyPem);
      const node = new FakeHost('node2');
      const hosts = fakeHosts(master, node);
      const m = new PkiMaterializer();
      const algorithm = certKeyAlgorithm(ca.certPem);
      assert.equal(algorithm, kind.startsWith('rsa') ? 'rsa-2048' : kind === 'ec-p256' ? 'ecdsa-p256' : 'ecdsa-p384');
      const caFile = { ca: ca.certFile, 'front-proxy-ca': fp.certFile, 'etcd-ca': etcd.certFile };
      const caInfo = Object.fromEntries(
        Object.entries(caFile).map(([name, file]) => {
          const t = openssl(['x509', '-in', file, '-noout', '-subject', '-nameopt', 'RFC2253', '-text']);
          return [name, { subject: /^subject=(.*)$/m.exec(t)![1]!, ski: /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(t)![1]! }];
        }),
      ) as Record<keyof typeof caFile, { subject: string; ski: string }>;

      const { certs } = nodeCertificates({
        nodeName: 'node2', nodeIP: '10.200.0.12', k8sVersion: 'v1.30.0',
        serviceSubnet: '10.32.0.0/16', dnsDomain: 'corp.local', endpointHost: 'k8s.example:6443',
      });
      for (const c of certs) {
        const keyPem = (await m.materialize({ type: 'private-key', algorithm }, 'node2', hosts)).toString();
        assert.match(keyPem, HEADER[kind], `${c.name} key format`);
        node.put(c.keyPath, keyPem);
        const spec = withCA(c.spec, 'node1', c.ca);
        const content = { type: 'certificate' as const, keyPath: c.keyPath, spec };
        const certPem = (await m.materialize(content, 'node2', hosts)).toString();
        node.put(c.certPath, certPem);
        const crt = writeTemp(tmp.dir, `${c.name.replace('/', '-')}.crt`, certPem);
        const key = writeTemp(tmp.dir, `${c.name.replace('/', '-')}.key`, keyPem);

        for (const usage of c.spec.usages) {
          const purpose = usage === 'serverAuth' ? 'sslserver' : 'sslclient';
          assert.equal(openssl(['verify', '-CAfile', caFile[c.ca], '-purpose', purpose, crt]).trim(), `${crt}: OK`);
        }
        // One openssl call per certificate for everything it prints (spawns are the slow part here).
        const text = openssl(['x509', '-in', crt, '-noout', '-subject', '-issuer', '-nameopt', 'RFC2253', '-pubkey', '-text']);
        assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
        assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
        assert.match(text, new RegExp(`Signature Algorithm: ${SIG[kind]}`));
        const eku = c.spec.usages.map((u) => (u === 'serverAuth' ? 'TLS Web Server Authentication' : 'TLS Web Client Authentication')).join(', ');
        assert.match(text, new RegExp(`X509v3 Extended Key Usage: \\s+${eku}\\n`));
        assert.match(text, new RegExp(`Authority Key Identifier: \\s+(keyid:)?${caInfo[c.ca].ski}\\n`));
        const o = c.spec.subject.organization?.map((x) => `,O=${x}`).join('') ?? '';
        assert.match(text, new RegExp(`^subject=CN=${c.spec.subject.commonName}${o}\\n`));
        assert.ok(text.includes(`\nissuer=${caInfo[c.ca].subject}\n`), `${c.name} issuer is the CA subject`);
        const san = /X509v3 Subject Alternative Name: \n\s+(.*)\n/.exec(text)?.[1]?.trim() ?? '';
        const want = [...c.spec.dnsNames.map((d) => `DNS:${d}`), ...c.spec.ipAddresses.map((i) => `IP Address:${i === '::1' ? '0:0:0:0:0:0:0:1' : i}`)].join(', ');
        assert.equal(san, want, `${c.name} SANs`);
        const certPub = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----\n/.exec(text)![0];
        assert.equal(openssl(['pkey', '-in', key, '-pubout']), certPub, `${c.name}: key and certificate belong together`);
        assert.equal(await m.satisfies(content, 'node2', Buffer.from(certPem), hosts), true, `${c.name} satisfies its spec`);
      }
      const api = openssl(['x509', '-in', writeTemp(tmp.dir, 'a.crt', node.files.get('/etc/kubernetes/pki/apiserver.crt')!), '-noout', '-ext', 'subjectAltName']);
      assert.match(api, /DNS:kubernetes\.default\.svc\.corp\.local/);
      assert.match(api, /IP Address:10\.32\.0\.1, IP Address:10\.200\.0\.12/);

      for (const k of ['admin', 'controller-manager', 'scheduler', 'super-admin'] as const) {
        const spec = withCA(kubeconfigClientSpec(k, 'v1.30.0'), 'node1', 'ca');
        const content = {
          type: 'kubeconfig' as const, server: 'https://10.200.0.12:6443', clusterName: 'kubernetes',
          userName: spec.subject.commonName, caHost: 'node1', caCertPath: '/etc/kubernetes/pki/ca.crt', client: spec,
        };
        const conf = (await m.materialize(content, 'node2', hosts)).toString();
        const kc = parseKubeconfig(conf);
        assert.equal(kc['current-context'], `${spec.subject.commonName}@kubernetes`);
        const creds = credentials(kc);
        assert.equal(creds.caPem, ca.certPem);
        assert.match(creds.keyPem!, HEADER[kind]);
        const crt = writeTemp(tmp.dir, `${k}.crt`, creds.certPem!);
        assert.equal(openssl(['verify', '-CAfile', ca.certFile, '-purpose', 'sslclient', crt]).trim(), `${crt}: OK`);
        assert.equal(openssl(['pkey', '-pubout'], { input: creds.keyPem! }), openssl(['x509', '-in', crt, '-noout', '-pubkey']));
        assert.equal(await m.satisfies(content, 'node2', Buffer.from(conf), hosts), true);
        assert.equal(await m.satisfies({ ...content, server: 'https://lb:6443' }, 'node2', Buffer.from(conf), hosts), false);
      }
    } finally {
      tmp.cleanup();
    }
  });
}
