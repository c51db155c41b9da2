/**
 * The engine's Materializer: turns key, certificate, kubeconfig and copy recipes into bytes at apply
 * time. CA keys are read from their host into memory, imported as non-extractable WebCrypto keys and
 * cached for the run; they are never written anywhere. Node keys read to derive a public key are
 * zeroed right after.
 */
import { createHash } from 'node:crypto';
import type { CertSpec, Content } from '../engine/model/actions.js';
import type { Hosts, Materializer } from '../engine/model/ports.js';
import { generatePrivateKeyPem, loadPrivateKey, parseKeyAlgorithm, publicKeyDer } from './keys.js';
import { issueCertificate, loadCA, type LoadedCA } from './issue.js';
import { certMatchesKey, parseCertificate, specMismatches, validityError, verifyAgainstCA } from './inspect.js';
import { buildKubeconfig, credentials, getServer, parseKubeconfig, setServerInText } from '../kube/kubeconfig.js';

type Recipe = Exclude<Content, { type: 'literal' }>;

export interface PkiMaterializerOptions {
  /** The clock used for notBefore/notAfter and expiry checks (tests). */
  now?: () => Date;
}

export class PkiMaterializer implements Materializer {
  private readonly cas = new Map<string, Promise<LoadedCA>>();
  private readonly now: () => Date;

  constructor(opts: PkiMaterializerOptions = {}) {
    this.now = opts.now ?? (() => new Date());
  }

  async materialize(content: Recipe, targetHost: string, hosts: Hosts): Promise<Buffer> {
    switch (content.type) {
      case 'private-key':
        return Buffer.from(await generatePrivateKeyPem(parseKeyAlgorithm(content.algorithm)));
      case 'certificate': {
        const spki = await this.publicKeyOf(targetHost, content.keyPath, hosts);
        const ca = await this.ca(content.spec.ca, hosts);
        return Buffer.from(await issueCertificate(content.spec, spki, ca, this.now()));
      }
      case 'kubeconfig': {
        const ca = await this.ca(content.client.ca, hosts);
        const clusterCa = await readText(hosts, content.caHost, content.caCertPath);
        // kubeadm issues kubeconfig keys with the cluster's encryptionAlgorithm, which is the CA's.
        const keyPem = await generatePrivateKeyPem(ca.signer.algorithm);
        const certPem = await issueCertificate(content.client, publicKeyDer(keyPem), ca, this.now());
        return Buffer.from(
          buildKubeconfig({ clusterName: content.clusterName, server: content.server, caPem: clusterCa, userName: content.userName, certPem, keyPem }),
        );
      }
      case 'kubeconfig-server': {
        const label = `${targetHost}:${content.fromPath}`;
        return Buffer.from(setServerInText(await readText(hosts, targetHost, content.fromPath), content.server, label));
      }
      case 'copy': {
        const host = await hosts.get(content.fromHost);
        const bytes = await host.readFile(content.fromPath);
        const now = sha256(bytes);
        if (now !== content.sha256) {
          if (content.sensitive) bytes.fill(0);
          throw new Error(
            `source changed since plan: ${content.fromHost}:${content.fromPath} has sha256 ${now}, the plan was built with ${content.sha256}; build a new plan`,
          );
        }
        return bytes;
      }
    }
  }

  async satisfies(content: Recipe, targetHost: string, current: Buffer, hosts: Hosts): Promise<boolean> {
    try {
      switch (content.type) {
        case 'private-key':
          return loadPrivateKey(current).algorithm === parseKeyAlgorithm(content.algorithm);
        case 'certificate': {
          const ok = await this.certificateSatisfies(current.toString('utf8'), content.spec, hosts);
          if (!ok) return false;
          const spki = await this.publicKeyOf(targetHost, content.keyPath, hosts);
          return parseCertificate(current).publicKeySha256 === sha256(spki);
        }
        case 'kubeconfig': {
          const kc = parseKubeconfig(current);
          const creds = credentials(kc);
          if (creds.server !== content.server || !creds.caPem || !creds.certPem || !creds.keyPem) return false;
          const clusterCa = await readText(hosts, content.caHost, content.caCertPath);
          if (parseCertificate(creds.caPem).sha256 !== parseCertificate(clusterCa).sha256) return false;
          if (!(await this.certificateSatisfies(creds.certPem, content.client, hosts))) return false;
          return certMatchesKey(parseCertificate(creds.certPem), creds.keyPem);
        }
        case 'kubeconfig-server':
          return getServer(parseKubeconfig(current)) === content.server;
        case 'copy':
          return sha256(current) === content.sha256;
      }
    } catch {
      // Unreadable or foreign content does not satisfy the recipe; the engine will (re)write it.
      return false;
    }
  }

  /** Subject, SANs, usages match the spec; issued by the spec's CA and valid now. */
  private async certificateSatisfies(certPem: string, spec: CertSpec, hosts: Hosts): Promise<boolean> {
    const cert = parseCertificate(certPem);
    if (specMismatches(cert, spec).length > 0 || validityError(cert, this.now()) !== null) return false;
    const ca = await this.ca(spec.ca, hosts);
    return verifyAgainstCA(certPem, ca.certPem, this.now()).ok;
  }

  private async publicKeyOf(hostName: string, keyPath: string, hosts: Hosts): Promise<Buffer> {
    const host = await hosts.get(hostName);
    const keyPem = await host.readFile(keyPath);
    try {
      return publicKeyDer(keyPem, `${hostName}:${keyPath}`);
    } finally {
      keyPem.fill(0);
    }
  }

  private ca(ref: CertSpec['ca'], hosts: Hosts): Promise<LoadedCA> {
    const id = `${ref.host}\0${ref.certPath}\0${ref.keyPath}`;
    let pending = this.cas.get(id);
    if (!pending) {
      pending = (async () => {
        const host = await hosts.get(ref.host);
        const certPem = (await host.readFile(ref.certPath)).toString('utf8');
        const keyPem = await host.readFile(ref.keyPath);
        try {
          return await loadCA({ certPem, keyPem }, `${ref.host}:${ref.certPath}`, `${ref.host}:${ref.keyPath}`);
        } finally {
          keyPem.fill(0);
        }
      })();
      // A failed read (host down, sudo refused) must not poison the cache for a retry.
      pending.catch(() => this.cas.delete(id));
      this.cas.set(id, pending);
    }
    return pending;
  }
}

async function readText(hosts: Hosts, hostName: string, path: string): Promise<string> {
  return (await (await hosts.get(hostName)).readFile(path)).toString('utf8');
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
