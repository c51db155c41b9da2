/**
 * Private keys: what algorithm and PEM format a key has, new keys in kubeadm's format, and
 * import of a CA key for signing.
 *
 * kubeadm writes RSA keys as PKCS#1 ("RSA PRIVATE KEY") and ECDSA keys as SEC1 ("EC PRIVATE KEY")
 * (client-go keyutil.MarshalPrivateKeyToPEM); its parser also accepts PKCS#8 ("PRIVATE KEY").
 * kubeadm's algorithms (ClusterConfiguration.encryptionAlgorithm): RSA-2048 (default), RSA-3072,
 * RSA-4096, ECDSA-P256, ECDSA-P384 (pki_helpers.go GeneratePrivateKey).
 *
 * Key bytes never enter an error message: errors name the key's label (a host:path), never content.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, KeyObject, type webcrypto } from 'node:crypto';
import { promisify } from 'node:util';

export type KeyAlgorithm = `rsa-${number}` | 'ecdsa-p256' | 'ecdsa-p384';
export type KeyPemFormat = 'pkcs1' | 'sec1' | 'pkcs8';

const CURVES: Record<string, 'ecdsa-p256' | 'ecdsa-p384'> = { prime256v1: 'ecdsa-p256', secp384r1: 'ecdsa-p384' };
const NAMED_CURVE: Record<'ecdsa-p256' | 'ecdsa-p384', { node: string; web: 'P-256' | 'P-384'; hash: 'SHA-256' | 'SHA-384' }> = {
  'ecdsa-p256': { node: 'prime256v1', web: 'P-256', hash: 'SHA-256' },
  'ecdsa-p384': { node: 'secp384r1', web: 'P-384', hash: 'SHA-384' },
};

/** Validates an algorithm name from a plan ('rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ecdsa-p256' | 'ecdsa-p384'). */
export function parseKeyAlgorithm(name: string): KeyAlgorithm {
  if (name === 'ecdsa-p256' || name === 'ecdsa-p384') return name;
  const m = /^rsa-(\d+)$/.exec(name);
  if (m && Number(m[1]) >= 2048 && Number(m[1]) <= 16384 && Number(m[1]) % 8 === 0) return name as KeyAlgorithm;
  throw new Error(`unsupported key algorithm "${name}" (expected rsa-2048, rsa-3072, rsa-4096, ecdsa-p256 or ecdsa-p384)`);
}

/** kubeadm's encryptionAlgorithm value (RSA-2048, ECDSA-P256, …) for a key algorithm. */
export function kubeadmAlgorithmName(alg: KeyAlgorithm): string {
  return alg.toUpperCase();
}

/** The algorithm of a private or public KeyObject. */
export function algorithmOfKeyObject(key: KeyObject): KeyAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return `rsa-${key.asymmetricKeyDetails?.modulusLength ?? 0}`;
  const curve = key.asymmetricKeyType === 'ec' ? CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''] : undefined;
  if (!curve) {
    const detail = key.asymmetricKeyType === 'ec' ? `EC curve ${key.asymmetricKeyDetails?.namedCurve}` : String(key.asymmetricKeyType);
    throw new Error(`unsupported key type ${detail} (kubeadm uses RSA or ECDSA P-256/P-384)`);
  }
  return curve;
}

/** The PEM format of a private key, from its armour line. */
export function keyPemFormat(pem: string | Buffer): KeyPemFormat {
  const text = typeof pem === 'string' ? pem : pem.toString('latin1');
  const m = /-----BEGIN ((?:RSA |EC )?PRIVATE KEY)-----/.exec(text);
  if (!m) throw new Error('not a PEM private key (expected RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY)');
  return m[1] === 'RSA PRIVATE KEY' ? 'pkcs1' : m[1] === 'EC PRIVATE KEY' ? 'sec1' : 'pkcs8';
}

export interface KeyInfo {
  algorithm: KeyAlgorithm;
  format: KeyPemFormat;
}

/** Parses a private key PEM; `label` (e.g. "node1:/etc/kubernetes/pki/ca.key") names it in errors. */
export function loadPrivateKey(pem: string | Buffer, label = 'private key'): { key: KeyObject } & KeyInfo {
  let format: KeyPemFormat;
  let key: KeyObject;
  try {
    format = keyPemFormat(pem);
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // The underlying error can quote nothing secret today, but a message is all we need: keep it ours.
    throw new Error(`${label}: not a readable private key (RSA PKCS#1, EC SEC1 or PKCS#8 PEM)`);
  }
  try {
    return { key, format, algorithm: algorithmOfKeyObject(key) };
  } catch (e) {
    throw new Error(`${label}: ${(e as Error).message}`);
  }
}

/** Algorithm and format of a private key PEM. */
export function keyInfo(pem: string | Buffer, label?: string): KeyInfo {
  const { algorithm, format } = loadPrivateKey(pem, label);
  return { algorithm, format };
}

/** The SubjectPublicKeyInfo DER of a private key's public half. */
export function publicKeyDer(privateKey: string | Buffer | KeyObject, label?: string): Buffer {
  const key = privateKey instanceof KeyObject ? privateKey : loadPrivateKey(privateKey, label).key;
  return createPublicKey(key).export({ type: 'spki', format: 'der' });
}

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * A new private key as PEM. `format` 'kubeadm' (the default) is PKCS#1 for RSA and SEC1 for ECDSA,
 * byte-compatible with what kubeadm writes; 'pkcs8' for callers that must match a PKCS#8 CA.
 * Generated on libuv's thread pool, so RSA keygen does not block the render loop.
 */
export async function generatePrivateKeyPem(algorithm: KeyAlgorithm | string, format: 'kubeadm' | 'pkcs8' = 'kubeadm'): Promise<string> {
  const alg = parseKeyAlgorithm(algorithm);
  if (alg.startsWith('rsa-')) {
    const modulusLength = Number(alg.slice(4));
    const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength, publicExponent: 0x10001 });
    return privateKey.export({ type: format === 'pkcs8' ? 'pkcs8' : 'pkcs1', format: 'pem' }) as string;
  }
  const curve = NAMED_CURVE[alg as 'ecdsa-p256' | 'ecdsa-p384'];
  const { privateKey } = await generateKeyPairAsync('ec', { namedCurve: curve.node });
  return privateKey.export({ type: format === 'pkcs8' ? 'pkcs8' : 'sec1', format: 'pem' }) as string;
}

/** A CA key ready for @peculiar/x509: a non-extractable WebCrypto key and the signature algorithm kubeadm's Go code would use. */
export interface SigningKey {
  key: webcrypto.CryptoKey;
  algorithm: KeyAlgorithm;
  /** RSA → sha256WithRSAEncryption; P-256 → ecdsa-with-SHA256; P-384 → ecdsa-with-SHA384 (Go's x509 defaults). */
  signingAlgorithm: webcrypto.RsaHashedImportParams | webcrypto.EcdsaParams;
}

/**
 * Imports a CA key (PKCS#1, SEC1 or PKCS#8) for signing. WebCrypto only takes PKCS#8, so the key is
 * converted in memory; the returned CryptoKey is not extractable.
 */
export async function importSigningKey(pem: string | Buffer, label = 'CA key'): Promise<SigningKey> {
  const { key, algorithm } = loadPrivateKey(pem, label);
  const der = key.export({ type: 'pkcs8', format: 'der' });
  try {
    if (algorithm.startsWith('rsa-')) {
      const params = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
      return { key: await crypto.subtle.importKey('pkcs8', der, params, false, ['sign']), algorithm, signingAlgorithm: params };
    }
    const curve = NAMED_CURVE[algorithm as 'ecdsa-p256' | 'ecdsa-p384'];
    const cryptoKey = await crypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: curve.web }, false, ['sign']);
    return { key: cryptoKey, algorithm, signingAlgorithm: { name: 'ECDSA', hash: curve.hash } };
  } finally {
    der.fill(0);
  }
}
