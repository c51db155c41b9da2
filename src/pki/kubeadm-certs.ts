/**
 * The certificates kubeadm makes for a control-plane node, as data (pure functions of facts).
 *
 * Sources (kubernetes/kubernetes):
 *   - cmd/kubeadm/app/phases/certs/certlist.go: GetDefaultCertList (subjects, CAs, usages; the etcd
 *     server/peer CN is the node name, setCommonNameToNodeName)
 *   - cmd/kubeadm/app/util/pkiutil/pki_helpers.go: GetAPIServerAltNames, getAltNames (etcd),
 *     appendSANsToAltNames (invalid SANs dropped with a warning), RemoveDuplicateAltNames (DNS names
 *     deduped *and sorted* by sets.List, IPs deduped in order)
 *   - cmd/kubeadm/app/phases/kubeconfig/kubeconfig.go: getKubeConfigSpecsBase (client names and groups)
 *   - cmd/kubeadm/app/constants: GetAPIServerVirtualIP (first IP of the first service CIDR),
 *     CertificateValidityPeriod (365 d)
 *
 * Version-dependent subjects, changed in v1.29 and v1.36:
 *   - apiserver-kubelet-client: O=system:masters → O=kubeadm:cluster-admins (v1.29, k/k PR #121837) → no
 *     group (v1.36: kubeadm init and upgrade bind the user to system:kubelet-api-admin instead, the
 *     ClusterRoleBinding kubeadm:apiserver-kubelet-client; found by the e2e suite's kubeadm judge)
 *   - etcd/healthcheck-client: O=system:masters dropped (k/k PR #119859)
 *   - apiserver-etcd-client: O=system:masters dropped (k/k PR #120521)
 *   - admin.conf: O=system:masters → O=kubeadm:cluster-admins; super-admin.conf (O=system:masters) added (KEP-4214, k/k PR #121305)
 */
import type { CertSpec } from '../engine/model/actions.js';
import type { LeafSpec } from './issue.js';
import { canonicalIP, indexedIP } from './ip.js';

export const DEFAULT_VALIDITY_DAYS = 365;
export const PKI_DIR = '/etc/kubernetes/pki';

/** The three CAs of a kubeadm cluster (stacked etcd), by kubeadm's cert names. */
export const KUBEADM_CAS = {
  ca: { certPath: `${PKI_DIR}/ca.crt`, keyPath: `${PKI_DIR}/ca.key` },
  'front-proxy-ca': { certPath: `${PKI_DIR}/front-proxy-ca.crt`, keyPath: `${PKI_DIR}/front-proxy-ca.key` },
  'etcd-ca': { certPath: `${PKI_DIR}/etcd/ca.crt`, keyPath: `${PKI_DIR}/etcd/ca.key` },
} as const;
export type KubeadmCA = keyof typeof KUBEADM_CAS;

/**
 * kubeadm's certsToTransfer for stacked etcd: identical on every control-plane node (keys 0600, certificates
 * 0644, sa.pub as kubeadm writes it). Discovery hashes them on the master; the shared-pki step copies them.
 */
export const SHARED_PKI_FILES: ReadonlyArray<{ path: string; sensitive: boolean; mode: number }> = [
  { path: `${PKI_DIR}/ca.crt`, sensitive: false, mode: 0o644 },
  { path: `${PKI_DIR}/ca.key`, sensitive: true, mode: 0o600 },
  { path: `${PKI_DIR}/sa.key`, sensitive: true, mode: 0o600 },
  { path: `${PKI_DIR}/sa.pub`, sensitive: false, mode: 0o600 },
  { path: `${PKI_DIR}/front-proxy-ca.crt`, sensitive: false, mode: 0o644 },
  { path: `${PKI_DIR}/front-proxy-ca.key`, sensitive: true, mode: 0o600 },
  { path: `${PKI_DIR}/etcd/ca.crt`, sensitive: false, mode: 0o644 },
  { path: `${PKI_DIR}/etcd/ca.key`, sensitive: true, mode: 0o600 },
];

const SYSTEM_MASTERS = 'system:masters';
const CLUSTER_ADMINS = 'kubeadm:cluster-admins';

/** Major and minor of "v1.29.3", "1.30", "v1.31.0-rc.1". */
export function parseMinor(version: string): { major: number; minor: number } {
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim());
  if (!m) throw new Error(`not a Kubernetes version: "${version}"`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

function atLeast(version: string, major: number, minor: number): boolean {
  const v = parseMinor(version);
  return v.major > major || (v.major === major && v.minor >= minor);
}

/** kubeadm's groups moved off system:masters in 1.29. */
function since129(version: string): boolean {
  return atLeast(version, 1, 29);
}

/** apiserver-kubelet-client's groups: system:masters, then kubeadm:cluster-admins (1.29), then none (1.36). */
function kubeletClientGroups(version: string): string[] | undefined {
  if (atLeast(version, 1, 36)) return undefined;
  return [since129(version) ? CLUSTER_ADMINS : SYSTEM_MASTERS];
}

// k8s.io/apimachinery validation.IsDNS1123Subdomain / IsWildcardDNS1123Subdomain
const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);
const WILDCARD_DNS1123 = new RegExp(`^\\*\\.${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);

function isDNS1123Subdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}
function isWildcardDNS1123Subdomain(s: string): boolean {
  return s.length <= 253 && WILDCARD_DNS1123.test(s);
}

export interface AltNames {
  dnsNames: string[];
  ipAddresses: string[];
  /** kubeadm's warning for each SAN it dropped. */
  warnings: string[];
}

interface AltNamesBuilder {
  dns: string[];
  ips: string[];
  warnings: string[];
}

/** appendSANsToAltNames: IPs, RFC-1123 names and wildcards are kept; anything else is dropped with kubeadm's warning. */
function appendSANs(b: AltNamesBuilder, sans: readonly string[], certName: string): void {
  for (const san of sans) {
    const ip = canonicalIP(san);
    if (ip) b.ips.push(ip);
    else if (isDNS1123Subdomain(san) || isWildcardDNS1123Subdomain(san)) b.dns.push(san);
    else b.warnings.push(`[certificates] WARNING: '${san}' was not added to the '${certName}' SAN, because it is not a valid IP or RFC-1123 compliant DNS entry`);
  }
}

/** RemoveDuplicateAltNames: DNS names become a sorted set (sets.List), IPs keep first-seen order. */
function finish(b: AltNamesBuilder): AltNames {
  return {
    dnsNames: [...new Set(b.dns)].sort(),
    ipAddresses: [...new Set(b.ips)],
    warnings: b.warnings,
  };
}

function requireIP(value: string, what: string): string {
  const ip = canonicalIP(value);
  if (!ip) throw new Error(`error parsing ${what} ${value}: is not a valid textual representation of an IP address`);
  return ip;
}

/** The host part of "host:port", "[v6]:port", or a bare host. */
export function endpointHost(endpoint: string): string {
  const e = endpoint.trim().replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (e.startsWith('[')) {
    const end = e.indexOf(']');
    if (end < 0) throw new Error(`error parsing cluster controlPlaneEndpoint "${endpoint}"`);
    return e.slice(1, end);
  }
  if (canonicalIP(e)) return e; // a bare IPv6 (or IPv4) without a port
  const colon = e.lastIndexOf(':');
  return colon < 0 ? e : e.slice(0, colon);
}

/** First IP of the first service CIDR (kubeadmconstants.GetAPIServerVirtualIP), e.g. 10.96.0.0/12 → 10.96.0.1. */
export function apiserverServiceIP(serviceSubnet: string): string {
  const first = serviceSubnet.split(',')[0]!.trim();
  try {
    return indexedIP(first, 1);
  } catch (e) {
    throw new Error(`unable to get first IP address from the given CIDR: ${serviceSubnet}: ${(e as Error).message}`);
  }
}

export interface ApiserverFacts {
  nodeName: string;
  /** localAPIEndpoint.advertiseAddress of this node. */
  nodeIP: string;
  /** networking.serviceSubnet, e.g. "10.96.0.0/12" or "10.96.0.0/12,fd00::/112". */
  serviceSubnet: string;
  /** networking.dnsDomain, e.g. "cluster.local". */
  dnsDomain: string;
  /** controlPlaneEndpoint ("host:port", "host", "[v6]:port"), or empty. */
  endpointHost?: string;
  /** apiServer.certSANs. */
  certSANs?: readonly string[];
}

/** GetAPIServerAltNames. */
export function apiserverAltNames(f: ApiserverFacts): AltNames {
  const b: AltNamesBuilder = {
    dns: [f.nodeName, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${f.dnsDomain}`],
    ips: [apiserverServiceIP(f.serviceSubnet), requireIP(f.nodeIP, 'LocalAPIEndpoint AdvertiseAddress')],
    warnings: [],
  };
  if (f.endpointHost) {
    const host = endpointHost(f.endpointHost);
    const ip = canonicalIP(host);
    if (ip) b.ips.push(ip);
    else b.dns.push(host);
  }
  appendSANs(b, f.certSANs ?? [], 'apiserver');
  return finish(b);
}

/** `apiserver.crt`: CN kube-apiserver, serverAuth, kubeadm's SAN set. */
export function apiserverSpec(f: ApiserverFacts, validityDays = DEFAULT_VALIDITY_DAYS): { spec: LeafSpec; warnings: string[] } {
  const alt = apiserverAltNames(f);
  return {
    spec: { subject: { commonName: 'kube-apiserver' }, dnsNames: alt.dnsNames, ipAddresses: alt.ipAddresses, usages: ['serverAuth'], validityDays },
    warnings: alt.warnings,
  };
}

function clientSpec(commonName: string, organization: string[] | undefined, validityDays: number): LeafSpec {
  return {
    subject: organization && organization.length > 0 ? { commonName, organization } : { commonName },
    dnsNames: [],
    ipAddresses: [],
    usages: ['clientAuth'],
    validityDays,
  };
}

/** `apiserver-kubelet-client.crt` (CA: ca). */
export function apiserverKubeletClientSpec(k8sVersion: string, validityDays = DEFAULT_VALIDITY_DAYS): LeafSpec {
  return clientSpec('kube-apiserver-kubelet-client', kubeletClientGroups(k8sVersion), validityDays);
}

/** `front-proxy-client.crt` (CA: front-proxy-ca). */
export function frontProxyClientSpec(validityDays = DEFAULT_VALIDITY_DAYS): LeafSpec {
  return clientSpec('front-proxy-client', undefined, validityDays);
}

/** `apiserver-etcd-client.crt` (CA: etcd-ca). */
export function apiserverEtcdClientSpec(k8sVersion: string, validityDays = DEFAULT_VALIDITY_DAYS): LeafSpec {
  return clientSpec('kube-apiserver-etcd-client', since129(k8sVersion) ? undefined : [SYSTEM_MASTERS], validityDays);
}

/** `etcd/healthcheck-client.crt` (CA: etcd-ca). */
export function etcdHealthcheckClientSpec(k8sVersion: string, validityDays = DEFAULT_VALIDITY_DAYS): LeafSpec {
  return clientSpec('kube-etcd-healthcheck-client', since129(k8sVersion) ? undefined : [SYSTEM_MASTERS], validityDays);
}

export interface EtcdFacts {
  nodeName: string;
  nodeIP: string;
  /** etcd.local.serverCertSANs / peerCertSANs. */
  extraSANs?: readonly string[];
}

/** getAltNames: node name, localhost, node IP, 127.0.0.1, ::1 (+ extra SANs). */
export function etcdAltNames(f: EtcdFacts, certName: 'etcd/server' | 'etcd/peer'): AltNames {
  const b: AltNamesBuilder = {
    dns: [f.nodeName, 'localhost'],
    ips: [requireIP(f.nodeIP, 'LocalAPIEndpoint AdvertiseAddress'), '127.0.0.1', '::1'],
    warnings: [],
  };
  appendSANs(b, f.extraSANs ?? [], certName);
  return finish(b);
}

function etcdSpec(f: EtcdFacts, certName: 'etcd/server' | 'etcd/peer', validityDays: number): LeafSpec {
  const alt = etcdAltNames(f, certName);
  return {
    subject: { commonName: f.nodeName },
    dnsNames: alt.dnsNames,
    ipAddresses: alt.ipAddresses,
    // certlist.go: etcd 3.2 requires clientAuth on the server cert too (etcd-io/etcd#9785).
    usages: ['serverAuth', 'clientAuth'],
    validityDays,
  };
}

/** `etcd/server.crt` (CA: etcd-ca). */
export function etcdServerSpec(f: EtcdFacts, validityDays = DEFAULT_VALIDITY_DAYS): LeafSpec {
  return etcdSpec(f, 'etcd/server', validityDays);
}

/** `etcd/peer.crt` (CA: etcd-ca). */
export function etcdPeerSpec(f: EtcdFacts, validityDays = DEFAULT_VALIDITY_DAYS): LeafSpec {
  return etcdSpec(f, 'etcd/peer', validityDays);
}

/** Kubeconfig users kubeadm creates on a control-plane node (kubelet.conf uses TLS bootstrap instead). */
export type KubeconfigKind = 'admin' | 'super-admin' | 'controller-manager' | 'scheduler';

export const KUBECONFIG_FILES: Record<KubeconfigKind, string> = {
  admin: '/etc/kubernetes/admin.conf',
  'super-admin': '/etc/kubernetes/super-admin.conf',
  'controller-manager': '/etc/kubernetes/controller-manager.conf',
  scheduler: '/etc/kubernetes/scheduler.conf',
};

/** The client certificate in a kubeconfig (CA: ca). The user name in the file is the CN. */
export function kubeconfigClientSpec(kind: KubeconfigKind, k8sVersion: string, validityDays = DEFAULT_VALIDITY_DAYS): LeafSpec {
  switch (kind) {
    case 'admin':
      return clientSpec('kubernetes-admin', [since129(k8sVersion) ? CLUSTER_ADMINS : SYSTEM_MASTERS], validityDays);
    case 'super-admin':
      if (!since129(k8sVersion)) throw new Error(`super-admin.conf exists only on Kubernetes 1.29 and newer (cluster is ${k8sVersion})`);
      return clientSpec('kubernetes-super-admin', [SYSTEM_MASTERS], validityDays);
    case 'controller-manager':
      return clientSpec('system:kube-controller-manager', undefined, validityDays);
    case 'scheduler':
      return clientSpec('system:kube-scheduler', undefined, validityDays);
  }
}

/** Adds the CA location (on `caHost`) to a leaf spec. */
export function withCA(spec: LeafSpec, caHost: string, ca: KubeadmCA | { certPath: string; keyPath: string }): CertSpec {
  const paths = typeof ca === 'string' ? KUBEADM_CAS[ca] : ca;
  return { ...spec, ca: { host: caHost, certPath: paths.certPath, keyPath: paths.keyPath } };
}

/** One per-node certificate kubeadm writes, with its files. */
export interface NodeCert {
  /** kubeadm's cert name, e.g. "apiserver", "etcd-server". */
  name: string;
  ca: KubeadmCA;
  certPath: string;
  keyPath: string;
  spec: LeafSpec;
}

export interface NodeFacts {
  nodeName: string;
  nodeIP: string;
  k8sVersion: string;
  serviceSubnet: string;
  dnsDomain: string;
  endpointHost?: string;
  certSANs?: readonly string[];
  etcdServerCertSANs?: readonly string[];
  etcdPeerCertSANs?: readonly string[];
  validityDays?: number;
}

/** Every per-node certificate of a stacked-etcd control-plane node (GetDefaultCertList minus the CAs), and the SAN warnings. */
export function nodeCertificates(f: NodeFacts): { certs: NodeCert[]; warnings: string[] } {
  const days = f.validityDays ?? DEFAULT_VALIDITY_DAYS;
  const api = apiserverSpec(f, days);
  const serverAlt = etcdAltNames({ nodeName: f.nodeName, nodeIP: f.nodeIP, extraSANs: f.etcdServerCertSANs ?? [] }, 'etcd/server');
  const peerAlt = etcdAltNames({ nodeName: f.nodeName, nodeIP: f.nodeIP, extraSANs: f.etcdPeerCertSANs ?? [] }, 'etcd/peer');
  const file = (base: string) => ({ certPath: `${PKI_DIR}/${base}.crt`, keyPath: `${PKI_DIR}/${base}.key` });
  const certs: NodeCert[] = [
    { name: 'apiserver', ca: 'ca', ...file('apiserver'), spec: api.spec },
    { name: 'apiserver-kubelet-client', ca: 'ca', ...file('apiserver-kubelet-client'), spec: apiserverKubeletClientSpec(f.k8sVersion, days) },
    { name: 'front-proxy-client', ca: 'front-proxy-ca', ...file('front-proxy-client'), spec: frontProxyClientSpec(days) },
    { name: 'etcd-server', ca: 'etcd-ca', ...file('etcd/server'), spec: etcdServerSpec({ nodeName: f.nodeName, nodeIP: f.nodeIP, extraSANs: f.etcdServerCertSANs ?? [] }, days) },
    { name: 'etcd-peer', ca: 'etcd-ca', ...file('etcd/peer'), spec: etcdPeerSpec({ nodeName: f.nodeName, nodeIP: f.nodeIP, extraSANs: f.etcdPeerCertSANs ?? [] }, days) },
    { name: 'etcd-healthcheck-client', ca: 'etcd-ca', ...file('etcd/healthcheck-client'), spec: etcdHealthcheckClientSpec(f.k8sVersion, days) },
    { name: 'apiserver-etcd-client', ca: 'etcd-ca', ...file('apiserver-etcd-client'), spec: apiserverEtcdClientSpec(f.k8sVersion, days) },
  ];
  return { certs, warnings: [...api.warnings, ...serverAlt.warnings, ...peerAlt.warnings] };
}
