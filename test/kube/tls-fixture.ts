/** A CA (openssl) and certificates issued with our own code, for local TLS servers in unit tests. */
import { generatePrivateKeyPem, publicKeyDer } from '../../src/pki/keys.js';
import { issueCertificate, loadCA, type LeafSpec } from '../../src/pki/issue.js';
import { makeCA, tempDir } from '../pki/helpers.js';

export interface Fixture {
  caPem: string;
  otherCaPem: string;
  issue(spec: LeafSpec): Promise<{ certPem: string; keyPem: string }>;
}

export async function tlsFixture(): Promise<Fixture> {
  const tmp = tempDir('tls');
  try {
    const ca = makeCA(tmp.dir, 'ec-p256');
    const other = makeCA(tmp.dir, 'ec-p256', 'kubernetes', 'other');
    const loaded = await loadCA({ certPem: ca.certPem, keyPem: ca.keyPem });
    return {
      caPem: ca.certPem,
      otherCaPem: other.certPem,
      async issue(spec) {
        const keyPem = await generatePrivateKeyPem('ecdsa-p256');
        return { certPem: await issueCertificate(spec, publicKeyDer(keyPem), loaded), keyPem };
      },
    };
  } finally {
    tmp.cleanup();
  }
}
