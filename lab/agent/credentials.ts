/**
 * The kubelet's client credentials, as the real kubelet gets them (pkg/kubelet/certificate/bootstrap):
 *  - /etc/kubernetes/kubelet.conf when it is there. A certificate embedded in it (kubeadm init writes
 *    one for the first control-plane node) is also stored as the rotatable
 *    /var/lib/kubelet/pki/kubelet-client-current.pem, which kubeadm's kubelet-finalize phase then points
 *    kubelet.conf at.
 *  - Otherwise TLS bootstrap with /etc/kubernetes/bootstrap-kubelet.conf (what `kubeadm join` writes):
 *    a new ECDSA P-256 key, a CertificateSigningRequest for `system:node:<name>` with the
 *    kube-apiserver-client-kubelet signer, approved and signed by the real kube-controller-manager, then
 *    the key and certificate in kubelet-client-<time>.pem and a kubelet.conf that references it.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { KubeClient, loadKubeconfig, type KubeConfigCreds } from './kubeclient.js';

export const KUBELET_CONF = '/etc/kubernetes/kubelet.conf';
export const BOOTSTRAP_CONF = '/etc/kubernetes/bootstrap-kubelet.conf';
export const KUBELET_PKI = '/var/lib/kubelet/pki';
export const CURRENT_PEM = join(KUBELET_PKI, 'kubelet-client-current.pem');

type Logger = (...parts: unknown[]) => void;

/** Writes `text` to `path` through a temp file and a rename, as the kubelet's file stores do. */
function atomicWrite(path: string, text: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

/** kubelet-client-<time>.pem holding certificate and key, and the kubelet-client-current.pem link to it. */
function storeClientPem(certPem: string, keyPem: string): void {
  mkdirSync(KUBELET_PKI, { recursive: true, mode: 0o755 });
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, '').replace(/:/g, '-');
  const file = `kubelet-client-${stamp}.pem`;
  atomicWrite(join(KUBELET_PKI, file), `${certPem.trim()}\n${keyPem.trim()}\n`, 0o600);
  const link = `${CURRENT_PEM}.tmp-${process.pid}`;
  rmSync(link, { force: true });
  symlinkSync(file, link);
  renameSync(link, CURRENT_PEM);
}

/**
 * kubelet.conf's credentials; an embedded client certificate is stored as the current rotatable pem if
 * there is none yet. Null when there is no kubelet.conf (or it cannot be read).
 */
export function loadKubeletConf(log: Logger): KubeConfigCreds | null {
  if (!existsSync(KUBELET_CONF)) return null;
  let creds: KubeConfigCreds;
  try {
    creds = loadKubeconfig(KUBELET_CONF);
  } catch (e) {
    log('kubelet: cannot load', KUBELET_CONF, (e as Error).message);
    return null;
  }
  if (creds.cert && creds.key && !existsSync(CURRENT_PEM)) {
    const text = readFileSync(KUBELET_CONF, 'utf8');
    if (/client-certificate-data:/.test(text)) {
      storeClientPem(creds.cert.toString('utf8'), creds.key.toString('utf8'));
      log('kubelet: stored the client certificate of', KUBELET_CONF, 'as', CURRENT_PEM);
    }
  }
  return creds;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * TLS bootstrap: from bootstrap-kubelet.conf to a signed client certificate and kubelet.conf. Returns
 * false when there is no bootstrap kubeconfig; throws when the CSR is denied or fails.
 */
export async function tlsBootstrap(nodeName: string, log: Logger, shouldStop: () => boolean): Promise<boolean> {
  if (!existsSync(BOOTSTRAP_CONF)) return false;
  const boot = loadKubeconfig(BOOTSTRAP_CONF);
  const bootText = parseYaml(readFileSync(BOOTSTRAP_CONF, 'utf8')) as any;
  const client = new KubeClient(boot, 'kubelet/lab (tls-bootstrap)');
  try {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const keyPem = privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    // openssl needs the key in a file; it stays 0600 in the kubelet's own pki directory only as long as that.
    mkdirSync(KUBELET_PKI, { recursive: true, mode: 0o755 });
    const keyFile = join(KUBELET_PKI, `.bootstrap-${process.pid}.key`);
    writeFileSync(keyFile, keyPem, { mode: 0o600 });
    let csrPem: string;
    try {
      csrPem = execFileSync('openssl', ['req', '-new', '-key', keyFile, '-subj', `/O=system:nodes/CN=system:node:${nodeName}`]).toString();
    } finally {
      rmSync(keyFile, { force: true });
    }
    const created = await client.call('POST', '/apis/certificates.k8s.io/v1/certificatesigningrequests', {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { generateName: 'csr-' },
      spec: {
        request: Buffer.from(csrPem).toString('base64'),
        signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
        usages: ['digital signature', 'client auth'],
      },
    });
    const name = created.metadata.name as string;
    log('kubelet: TLS bootstrap: created', name, 'for', `system:node:${nodeName}`);
    for (;;) {
      if (shouldStop()) return false;
      const csr = await client.get(`/apis/certificates.k8s.io/v1/certificatesigningrequests/${name}`);
      const bad = (csr.status?.conditions ?? []).find((c: any) => c.type === 'Denied' || c.type === 'Failed');
      if (bad) throw new Error(`certificate signing request ${name} ${bad.type}: ${bad.message ?? bad.reason ?? ''}`);
      if (csr.status?.certificate) {
        storeClientPem(Buffer.from(csr.status.certificate, 'base64').toString('utf8'), keyPem);
        break;
      }
      await sleep(500);
    }
    const cluster = bootText.clusters?.[0]?.cluster ?? {};
    const kubeconfig = {
      apiVersion: 'v1',
      clusters: [{ cluster: { 'certificate-authority-data': cluster['certificate-authority-data'] ?? boot.ca.toString('base64'), server: boot.server }, name: 'default-cluster' }],
      contexts: [{ context: { cluster: 'default-cluster', namespace: 'default', user: 'default-auth' }, name: 'default-context' }],
      'current-context': 'default-context',
      kind: 'Config',
      preferences: {},
      users: [{ name: 'default-auth', user: { 'client-certificate': CURRENT_PEM, 'client-key': CURRENT_PEM } }],
    };
    atomicWrite(KUBELET_CONF, stringify(kubeconfig), 0o600);
    log('kubelet: TLS bootstrap done: wrote', KUBELET_CONF);
    return true;
  } finally {
    client.close();
  }
}
