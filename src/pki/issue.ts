/**
 * Issues a leaf certificate the way kubeadm does (cmd/kubeadm/app/util/pkiutil/pki_helpers.go
 * NewSignedCert, phases/certs/certlist.go GetConfig):
 *   - serial: random in [1, 2^63-1) (kubeadm: cryptorand.Int(MaxInt64-1)+1)
 *   - notBefore: now - 5 min (kubeadmconstants.CertificateBackdate); notAfter: now + validity
 *     (CertificateValidityPeriod, 365 d), and never after the CA's own notAfter
 *   - basicConstraints CA:FALSE, critical (Go marks it critical whenever BasicConstraintsValid)
 *   - keyUsage digitalSignature + keyEncipherment, critical, for every key type: released kubeadm sets
 *     both for ECDSA leaves too (pki_helpers.go `keyUsage := KeyUsageKeyEncipherment | KeyUsageDigitalSignature`);
 *     kubernetes/kubernetes#142037 (open) would restrict keyEncipherment to RSA. Match what is shipped.
 *   - extKeyUsage from the spec; AKI = the CA's SKI (Go copies parent.SubjectKeyId); no SKI on leaves (Go adds it only for CAs)
 *   - subject O then CN (Go's pkix.Name order); issuer = the CA's subject DER, byte for byte
 *   - signature: by the CA key (SHA-256 with RSA, ECDSA P-256 with SHA-256, P-384 with SHA-384)
 */
import { randomBytes, X509Certificate as NodeX509 } from 'node:crypto';
import { x509 } from './x509.js';
import { importSigningKey, loadPrivateKey, type SigningKey } from './keys.js';
import { canonicalIP } from './ip.js';

/** A CertSpec without the CA location: what to put in the certificate. */
export interface LeafSpec {
  subject: { commonName: string; organization?: string[] };
  dnsNames: string[];
  ipAddresses: string[];
  usages: Array<'serverAuth' | 'clientAuth'>;
  validityDays: number;
}

/** A CA loaded in memory for signing. Build once per run with `loadCA`; the key cannot be exported back. */
export interface LoadedCA {
  cert: x509.X509Certificate;
  certPem: string;
  signer: SigningKey;
}

export const CERTIFICATE_BACKDATE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

export async function loadCA(ca: { certPem: string; keyPem: string | Buffer }, label = 'CA', keyLabel = `${label} key`): Promise<LoadedCA> {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(firstPemBlock(ca.certPem, 'CERTIFICATE'));
  } catch {
    throw new Error(`${label}: the CA certificate is not a readable PEM certificate`);
  }
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  if (!bc?.ca) throw new Error(`${label}: the certificate is not a CA (basicConstraints CA:TRUE missing)`);
  const { key } = loadPrivateKey(ca.keyPem, keyLabel);
  if (!new NodeX509(Buffer.from(cert.rawData)).checkPrivateKey(key)) {
    throw new Error(`${keyLabel}: the CA key does not belong to the CA certificate ${label}`);
  }
  const signer = await importSigningKey(ca.keyPem, keyLabel);
  return { cert, certPem: cert.toString('pem'), signer };
}

/** The first PEM block of the given type (CA files may hold a bundle). */
export function firstPemBlock(pem: string, type: string): string {
  const re = new RegExp(`-----BEGIN ${type}-----[\\s\\S]*?-----END ${type}-----`);
  const m = re.exec(pem);
  if (!m) throw new Error(`no ${type} PEM block`);
  return m[0] + '\n';
}

/** A positive serial in [1, 2^63-1), as kubeadm draws it, hex-encoded. */
function kubeadmSerial(): string {
  for (;;) {
    const b = randomBytes(8);
    b[0]! &= 0x7f;
    if (b.some((v) => v !== 0)) return b.toString('hex');
  }
}

const EKU: Record<LeafSpec['usages'][number], string> = {
  serverAuth: x509.ExtendedKeyUsage.serverAuth,
  clientAuth: x509.ExtendedKeyUsage.clientAuth,
};

/** Go's pkix.Name order for what kubeadm sets: O attributes first, then CN. */
export function subjectName(subject: LeafSpec['subject']): x509.Name {
  const json: x509.JsonName = [];
  for (const o of subject.organization ?? []) json.push({ O: [o] });
  json.push({ CN: [subject.commonName] });
  return new x509.Name(json);
}

/**
 * Issues a certificate for `publicKey` (SubjectPublicKeyInfo DER) signed by `ca`; returns PEM.
 * `now` is for tests. SANs are used as given: kubeadm-certs.ts already deduped and validated them.
 */
export async function issueCertificate(spec: LeafSpec, publicKey: Uint8Array, ca: LoadedCA, now: Date = new Date()): Promise<string> {
  if (!spec.subject.commonName) throw new Error('certificate spec without a common name');
  if (spec.usages.length === 0) throw new Error(`certificate spec for ${spec.subject.commonName} without an extended key usage`);
  const notBefore = new Date(now.getTime() - CERTIFICATE_BACKDATE_MS);
  const notAfter = new Date(Math.min(now.getTime() + spec.validityDays * DAY_MS, ca.cert.notAfter.getTime()));
  if (notAfter <= now) throw new Error(`the CA ${ca.cert.subject} has expired (${ca.cert.notAfter.toISOString()})`);

  const extensions: x509.Extension[] = [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(spec.usages.map((u) => EKU[u])),
    new x509.BasicConstraintsExtension(false, undefined, true),
  ];
  const ski = ca.cert.getExtension(x509.SubjectKeyIdentifierExtension);
  extensions.push(ski ? new x509.AuthorityKeyIdentifierExtension(ski.keyId) : await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey));
  const sans: x509.JsonGeneralName[] = [
    ...spec.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...spec.ipAddresses.map((value) => ({ type: 'ip' as const, value: canonicalIP(value) ?? value })),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans));

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: kubeadmSerial(),
    subject: subjectName(spec.subject),
    issuer: ca.cert.subjectName,
    notBefore,
    notAfter,
    publicKey: new Uint8Array(publicKey),
    signingKey: ca.signer.key,
    signingAlgorithm: ca.signer.signingAlgorithm,
    extensions,
  });
  return cert.toString('pem') + '\n';
}
