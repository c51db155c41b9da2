/**
 * kubeadm's static pod manifests, the one reference set (test/fixtures/manifests/kubeadm/<version>/):
 * `init/` is what `kubeadm init` writes on the first control-plane node, `join/` what
 * `kubeadm join --control-plane` writes on every further one. Node-specific values are placeholders.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REFERENCE_DIR = fileURLToPath(new URL('../../../test/fixtures/manifests/kubeadm/', import.meta.url));

/** The Kubernetes versions the set holds, e.g. `1.31.0`. */
export const REFERENCE_VERSIONS = ['1.28.0', '1.31.0', '1.34.1'] as const;
export type ReferenceVersion = (typeof REFERENCE_VERSIONS)[number];

export type Role = 'init' | 'join';

export interface NodeValues {
  nodeName: string;
  address: string;
  serviceCidr: string;
  dnsDomain: string;
  /** `join` only: kubeadm's `--initial-cluster`, `name=https://ip:2380` of every member including this one. */
  initialCluster?: string;
}

export function referenceFiles(version: ReferenceVersion, role: Role): string[] {
  return readdirSync(`${REFERENCE_DIR}${version}/${role}`).sort();
}

/** The raw file, placeholders and all. */
export function referenceTemplate(version: ReferenceVersion, role: Role, file: string): string {
  return readFileSync(`${REFERENCE_DIR}${version}/${role}/${file}`, 'utf8');
}

/** The file with this node's values in place of the placeholders. */
export function referenceManifest(version: ReferenceVersion, role: Role, file: string, v: NodeValues): string {
  const values: Record<string, string | undefined> = {
    NODE_NAME: v.nodeName,
    NODE_IP: v.address,
    SERVICE_CIDR: v.serviceCidr,
    DNS_DOMAIN: v.dnsDomain,
    INITIAL_CLUSTER: v.initialCluster,
  };
  return referenceTemplate(version, role, file).replace(/\$\{([A-Z_]+)\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`${version}/${role}/${file}: no value for \${${key}}`);
    return value;
  });
}

/** Reference versions by minor (`1.31` → `1.31.0`). */
export function referenceVersion(minor: '1.28' | '1.31' | '1.34'): ReferenceVersion {
  return REFERENCE_VERSIONS.find((v) => v.startsWith(`${minor}.`))!;
}
