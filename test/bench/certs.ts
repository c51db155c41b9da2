/**
 * Benchmark: the full per-node certificate set (7 keys + certs, kubeadm's specs) for two new nodes,
 * in-process (@peculiar/x509 + node:crypto) vs the openssl CLI doing the same work (genpkey, req, x509),
 * same algorithms. Prints medians of several runs and the ratio.
 *   node dist/test/bench/certs.js [runs]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePrivateKeyPem, publicKeyDer } from '../../src/pki/keys.js';
import { issueCertificate, loadCA } from '../../src/pki/issue.js';
import { nodeCertificates, type NodeCert } from '../../src/pki/kubeadm-certs.js';
import { makeCA, tempDir, type CaKind } from '../pki/helpers.js';

const runs = Number(process.argv[2] ?? 5);
const nodes = [
  { nodeName: 'node2', nodeIP: '10.200.0.12' },
  { nodeName: 'node3', nodeIP: '10.200.0.13' },
];
const specsFor = (n: { nodeName: string; nodeIP: string }) =>
  nodeCertificates({ ...n, k8sVersion: 'v1.30.0', serviceSubnet: '10.96.0.0/12', dnsDomain: 'cluster.local', endpointHost: 'k8s.example:6443' }).certs;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

function opensslOne(dir: string, c: NodeCert, i: number, kind: CaKind, caCrt: string, caKey: string): void {
  const q = { stdio: 'ignore' as const };
  const key = join(dir, `k${i}.key`);
  const csr = join(dir, `k${i}.csr`);
  const crt = join(dir, `k${i}.crt`);
  const ext = join(dir, `k${i}.ext`);
  if (kind === 'rsa-pkcs1') execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key], q);
  else execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], q);
  const subj = `${(c.spec.subject.organization ?? []).map((o) => `/O=${o}`).join('')}/CN=${c.spec.subject.commonName}`;
  execFileSync('openssl', ['req', '-new', '-key', key, '-subj', subj, '-out', csr], q);
  const sans = [...c.spec.dnsNames.map((d) => `DNS:${d}`), ...c.spec.ipAddresses.map((ip) => `IP:${ip}`)];
  writeFileSync(
    ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${c.spec.usages.join(',')}`,
      'authorityKeyIdentifier=keyid',
      ...(sans.length ? [`subjectAltName=${sans.join(',')}`] : []),
    ].join('\n'),
  );
  execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', caCrt, '-CAkey', caKey, '-CAcreateserial', '-days', '365', '-extfile', ext, '-out', crt], q);
}

async function bench(kind: CaKind) {
  const tmp = tempDir(`bench-${kind}`);
  try {
    const ca = makeCA(tmp.dir, kind);
    const caKeyFile = join(tmp.dir, 'ca.key');
    const inProc: number[] = [];
    const cli: number[] = [];
    for (let r = 0; r < runs; r++) {
      let t = performance.now();
      const loaded = await loadCA({ certPem: ca.certPem, keyPem: ca.keyPem });
      for (const n of nodes) {
        for (const c of specsFor(n)) {
          const key = await generatePrivateKeyPem(loaded.signer.algorithm);
          await issueCertificate(c.spec, publicKeyDer(key), loaded);
        }
      }
      inProc.push(performance.now() - t);

      t = performance.now();
      let i = 0;
      for (const n of nodes) for (const c of specsFor(n)) opensslOne(tmp.dir, c, i++, kind, ca.certFile, caKeyFile);
      cli.push(performance.now() - t);
    }
    const a = median(inProc);
    const b = median(cli);
    console.log(`${kind.padEnd(10)} 2 nodes x 7 certs: in-process median ${a.toFixed(0)} ms (min ${Math.min(...inProc).toFixed(0)}), openssl CLI median ${b.toFixed(0)} ms (min ${Math.min(...cli).toFixed(0)}), openssl/in-process ${(b / a).toFixed(1)}x`);
  } finally {
    tmp.cleanup();
  }
}

console.log(`runs: ${runs}`);
await bench('rsa-pkcs1');
await bench('ec-p256');
