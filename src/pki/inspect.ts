/**
 * Reading certificates for preflight, verify and probe messages. The messages quote Go's crypto/x509
 * error strings, because that is what the operator will see from kubectl and the kubelet:
 *   x509: certificate is valid for A, B, not C        (HostnameError.Error)
 *   x509: certificate signed by unknown authority      (UnknownAuthorityError)
 *   x509: certificate has expired or is not yet valid: current time T is after N   (CertificateInvalidError)
 */
import { createHash, createPublicKey, X509Certificate as NodeX509, type KeyObject } from 'node:crypto';
import { x509 } from './x509.js';
import { algorithmOfKeyObject, loadPrivateKey, type KeyAlgorithm } from './keys.js';
import { formatIP, ipEqual, parseIP } from './ip.js';
import type { LeafSpec } from './issue.js';

export interface CertInfo {
  subject: { commonName: string; organization: string[] };
  issuer: { commonName: string; organization: string[] };
  /** RFC 4514-ish text as @peculiar/x509 renders it, e.g. "CN=kube-apiserver". */
  subjectText: string;
  issuerText: string;
  serialNumber: string;
  dnsNames: string[];
  /** Canonical text (Go's IP.String()). */
  ipAddresses: string[];
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  usages: Array<'serverAuth' | 'clientAuth'>;
  /** Lowercase hex SHA-256 of the DER (`openssl x509 -fingerprint -sha256` without colons). */
  sha256: string;
  /** Lowercase hex SHA-256 of the SubjectPublicKeyInfo, to match a cert to its key without holding the key. */
  publicKeySha256: string;
  keyAlgorithm: KeyAlgorithm;
  der: Buffer;
}

/** Parses the first certificate of a PEM (or a DER buffer). */
export function parseCertificate(input: string | Buffer | Uint8Array, label = 'certificate'): CertInfo {
  let der: Buffer;
  let cert: x509.X509Certificate;
  try {
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
    if (text.includes('-----BEGIN CERTIFICATE-----')) {
      const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(text)!;
      der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
    } else {
      der = Buffer.from(input as Uint8Array);
    }
    cert = new x509.X509Certificate(der);
  } catch {
    throw new Error(`${label}: not a readable X.509 certificate`);
  }
  const sanExt = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const names = sanExt?.names.toJSON() ?? [];
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const ekus = (eku?.usages ?? []).map(String);
  const usages: CertInfo['usages'] = [];
  if (ekus.includes(x509.ExtendedKeyUsage.serverAuth)) usages.push('serverAuth');
  if (ekus.includes(x509.ExtendedKeyUsage.clientAuth)) usages.push('clientAuth');
  const spki = Buffer.from(cert.publicKey.rawData);
  return {
    subject: nameParts(cert.subjectName),
    issuer: nameParts(cert.issuerName),
    subjectText: cert.subject,
    issuerText: cert.issuer,
    serialNumber: cert.serialNumber,
    dnsNames: names.filter((n) => n.type === 'dns').map((n) => n.value),
    ipAddresses: names.filter((n) => n.type === 'ip').map((n) => {
      const ip = parseIP(n.value);
      return ip ? formatIP(ip) : n.value;
    }),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    isCA: cert.getExtension(x509.BasicConstraintsExtension)?.ca ?? false,
    usages,
    sha256: createHash('sha256').update(der).digest('hex'),
    publicKeySha256: createHash('sha256').update(spki).digest('hex'),
    keyAlgorithm: algorithmOfKeyObject(createPublicKey({ key: spki, format: 'der', type: 'spki' })),
    der,
  };
}

function nameParts(name: x509.Name): { commonName: string; organization: string[] } {
  return { commonName: name.getField('CN')[0] ?? '', organization: name.getField('O') };
}

/** "AB:CD:…" as openssl prints fingerprints. */
export function colonHex(hex: string): string {
  return hex.toUpperCase().replace(/(..)(?!$)/g, '$1:');
}

/** The key algorithm of a certificate's public key (e.g. the CA's, to pick new keys' algorithm without reading the CA key). */
export function certKeyAlgorithm(certPem: string | Buffer): KeyAlgorithm {
  return parseCertificate(certPem).keyAlgorithm;
}

function goTime(d: Date): string {
  // Go prints t.UTC().Format(time.RFC3339) in CertificateInvalidError.
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** null when the certificate is within its validity at `now`, else Go's message. */
export function validityError(cert: CertInfo, now: Date = new Date()): string | null {
  if (now < cert.notBefore) return `x509: certificate has expired or is not yet valid: current time ${goTime(now)} is before ${goTime(cert.notBefore)}`;
  if (now > cert.notAfter) return `x509: certificate has expired or is not yet valid: current time ${goTime(now)} is after ${goTime(cert.notAfter)}`;
  return null;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * Whether `certPem` was issued by `caPem` (issuer name, signature) and is within its validity.
 * A chain check with one CA and no intermediates, as kubeadm's clusters have.
 */
export function verifyAgainstCA(certPem: string | Buffer, caPem: string | Buffer, now: Date = new Date()): Verdict {
  const cert = parseCertificate(certPem);
  const ca = parseCertificate(caPem, 'CA certificate');
  const leaf = new NodeX509(cert.der);
  const root = new NodeX509(ca.der);
  if (!leaf.checkIssued(root) || !leaf.verify(root.publicKey)) return { ok: false, reason: 'x509: certificate signed by unknown authority' };
  const invalid = validityError(cert, now) ?? validityError(ca, now);
  return invalid ? { ok: false, reason: invalid } : { ok: true };
}

/** Go's matchHostnames: case-insensitive, trailing dot ignored, "*." matches exactly one leftmost label. */
function matchHostname(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  const h = host.toLowerCase().replace(/\.$/, '');
  if (p.length === 0 || h.length === 0) return false;
  const pl = p.split('.');
  const hl = h.split('.');
  if (pl.length !== hl.length) return false;
  return pl.every((label, i) => (i === 0 && label === '*' ? hl[0]!.length > 0 : label === hl[i]));
}

/**
 * null when the certificate is valid for `host` (a DNS name or an IP literal), else Go's
 * HostnameError text: for an IP the IP SANs are listed, for a name the DNS SANs.
 */
export function hostnameError(cert: CertInfo, host: string): string | null {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const ip = parseIP(bare);
  if (ip) {
    if (cert.ipAddresses.some((s) => { const b = parseIP(s); return b !== null && ipEqual(b, ip); })) return null;
    if (cert.ipAddresses.length === 0) return `x509: cannot validate certificate for ${bare} because it doesn't contain any IP SANs`;
    return `x509: certificate is valid for ${cert.ipAddresses.join(', ')}, not ${bare}`;
  }
  if (cert.dnsNames.some((n) => matchHostname(n, bare))) return null;
  if (cert.dnsNames.length === 0 && matchHostname(cert.subject.commonName, bare)) {
    return 'x509: certificate relies on legacy Common Name field, use SANs instead';
  }
  if (cert.dnsNames.length === 0) return `x509: certificate is not valid for any names, but wanted to match ${bare}`;
  return `x509: certificate is valid for ${cert.dnsNames.join(', ')}, not ${bare}`;
}

/** Whether the certificate covers a host name or IP. */
export function covers(cert: CertInfo, host: string): boolean {
  return hostnameError(cert, host) === null;
}

/** Whether a private key (PEM or KeyObject) is the key of the certificate. */
export function certMatchesKey(cert: CertInfo, privateKey: string | Buffer | KeyObject, label?: string): boolean {
  const key = typeof privateKey === 'string' || Buffer.isBuffer(privateKey) ? loadPrivateKey(privateKey, label).key : privateKey;
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex') === cert.publicKeySha256;
}

/** A one-line summary for previews: "CN=kube-apiserver, SANs: a, b, 10.96.0.1; expires 2027-01-01". */
export function describeCertificate(cert: CertInfo): string {
  const sans = [...cert.dnsNames, ...cert.ipAddresses];
  return `${cert.subjectText}${sans.length ? `, SANs: ${sans.join(', ')}` : ''}; issuer ${cert.issuerText}; valid until ${cert.notAfter.toISOString().slice(0, 10)}`;
}

/** How a certificate differs from a spec (empty when it matches): subject, SANs, usages, CA:FALSE. */
export function specMismatches(cert: CertInfo, spec: LeafSpec): string[] {
  const out: string[] = [];
  const sameSet = (a: readonly string[], b: readonly string[]) => a.length === new Set(a).size && new Set(a).size === new Set(b).size && a.every((x) => b.includes(x));
  if (cert.subject.commonName !== spec.subject.commonName) out.push(`CN is "${cert.subject.commonName}", want "${spec.subject.commonName}"`);
  const wantO = spec.subject.organization ?? [];
  if (!sameSet(cert.subject.organization, wantO)) out.push(`O is [${cert.subject.organization.join(', ')}], want [${wantO.join(', ')}]`);
  const dnsHave = cert.dnsNames.map((n) => n.toLowerCase());
  const dnsWant = spec.dnsNames.map((n) => n.toLowerCase());
  const missingDns = dnsWant.filter((n) => !dnsHave.includes(n));
  const extraDns = dnsHave.filter((n) => !dnsWant.includes(n));
  const canon = (s: string) => { const b = parseIP(s); return b ? formatIP(b) : s; };
  const ipHave = cert.ipAddresses.map(canon);
  const ipWant = spec.ipAddresses.map(canon);
  const missingIp = ipWant.filter((n) => !ipHave.includes(n));
  const extraIp = ipHave.filter((n) => !ipWant.includes(n));
  if (missingDns.length + missingIp.length > 0) out.push(`SANs missing: ${[...missingDns, ...missingIp].join(', ')}`);
  if (extraDns.length + extraIp.length > 0) out.push(`SANs not in the spec: ${[...extraDns, ...extraIp].join(', ')}`);
  if (!sameSet(cert.usages, spec.usages)) out.push(`extended key usages are [${cert.usages.join(', ')}], want [${spec.usages.join(', ')}]`);
  if (cert.isCA) out.push('is a CA certificate');
  return out;
}
