/**
 * The stable endpoint as every endpoint step sees it: its URL, the URL node-local clients use, the SANs every
 * apiserver certificate must carry, the hosts that play each role, and the well-known paths those steps read.
 * Pure functions of the facts, so all endpoint steps agree on one answer.
 */
import type { CertSpec } from '../engine/model/actions.js';
import type { ClusterFacts } from '../discovery/facts.js';
import type { ConfigNode } from '../discovery/config-like.js';
import { canonicalIP } from '../pki/ip.js';

/** Where kubeadm puts things; paths are fixed by kubeadm, not by the cluster. */
export const KUBERNETES_DIR = '/etc/kubernetes';
export const MANIFESTS_DIR = `${KUBERNETES_DIR}/manifests`;
export const ADMIN_CONF = `${KUBERNETES_DIR}/admin.conf`;
export const SUPER_ADMIN_CONF = `${KUBERNETES_DIR}/super-admin.conf`;
export const KUBELET_CONF = `${KUBERNETES_DIR}/kubelet.conf`;
/** The cluster CA on every kubeadm node, workers included (kubeadm join writes it). */
export const NODE_CA = `${KUBERNETES_DIR}/pki/ca.crt`;
/** The kubelet's rotated client certificate and key in one PEM (a node identity on every worker). */
export const KUBELET_CLIENT_PEM = '/var/lib/kubelet/pki/kubelet-client-current.pem';

/** DNS-1123 subdomain, or an IP literal: the only endpoint hosts that can appear in a SAN and a config file. */
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isIP(host: string): boolean {
  return canonicalIP(host) !== null;
}

/** Throws unless host is an IP literal or a lowercase DNS name: it goes into certificates, proxy configs and shell-free argv. */
export function checkHost(host: string, what: string): string {
  if (isIP(host) || DNS_NAME.test(host)) return host;
  throw new Error(`${what} "${host}" is neither an IP address nor a lowercase DNS name`);
}

/** `host:port` with IPv6 brackets, as kubeadm's controlPlaneEndpoint and proxy configs spell it. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function endpointOf(facts: ClusterFacts): { host: string; port: number } {
  const { host, port } = facts.config.endpoint;
  checkHost(host, 'endpoint host');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`endpoint port ${port} is not a TCP port`);
  return { host, port };
}

/** `https://<endpoint>:<port>`: what kubeadm-config, cluster-info and admin kubeconfigs name after the conversion. */
export function endpointURL(facts: ClusterFacts): string {
  const { host, port } = endpointOf(facts);
  return `https://${hostPort(host, port)}`;
}

/** The master's apiserver URL as clients reach it today (what the conversion moves them away from). */
export function masterURL(facts: ClusterFacts): string {
  return `https://${hostPort(facts.master.advertiseAddress, facts.master.apiserverPort)}`;
}

/** Per-node placement: every node has the API on 127.0.0.1:<port> (a local proxy on workers, the apiserver itself on control-plane nodes). */
export const LOCAL_PROXY_ADDRESS = '127.0.0.1';

/**
 * The server node-local clients (worker kubelets, kube-proxy) use: the local proxy for per-node placement,
 * the endpoint otherwise. Per-node needs the endpoint port to equal the apiserver port, because on a
 * control-plane node nothing but the apiserver itself listens on localhost.
 */
export function nodeLocalServer(facts: ClusterFacts): { url: string; address: string; port: number; serverName: string } {
  const { host, port } = endpointOf(facts);
  if (facts.config.proxy.placement === 'per-node') {
    if (port !== facts.master.apiserverPort) {
      throw new Error(
        `per-node proxy placement needs the endpoint port (${port}) to equal the apiserver port (${facts.master.apiserverPort}): on control-plane nodes 127.0.0.1:${port} is the apiserver itself`,
      );
    }
    return { url: `https://${hostPort(LOCAL_PROXY_ADDRESS, port)}`, address: LOCAL_PROXY_ADDRESS, port, serverName: LOCAL_PROXY_ADDRESS };
  }
  return { url: `https://${hostPort(host, port)}`, address: host, port, serverName: host };
}

/** The SANs the endpoint adds to every apiserver certificate: its host, plus localhost for per-node placement. */
export function endpointSANs(facts: ClusterFacts): { dnsNames: string[]; ipAddresses: string[] } {
  const { host } = endpointOf(facts);
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  const add = (name: string) => {
    const ip = canonicalIP(name);
    if (ip) {
      if (!ipAddresses.includes(ip)) ipAddresses.push(ip);
    } else if (!dnsNames.includes(name)) dnsNames.push(name);
  };
  add(host);
  if (facts.config.proxy.placement === 'per-node') {
    add(LOCAL_PROXY_ADDRESS);
    add('localhost');
  }
  return { dnsNames, ipAddresses };
}

/** The endpoint SANs a certificate spec lacks (empty: it covers the endpoint). IPs compare canonically. */
export function missingEndpointSANs(spec: Pick<CertSpec, 'dnsNames' | 'ipAddresses'>, facts: ClusterFacts): string[] {
  const want = endpointSANs(facts);
  const ips = new Set(spec.ipAddresses.map((ip) => canonicalIP(ip) ?? ip));
  const dns = new Set(spec.dnsNames.map((d) => d.toLowerCase()));
  return [...want.dnsNames.filter((d) => !dns.has(d)), ...want.ipAddresses.filter((ip) => !ips.has(ip))];
}

export interface ControlPlaneHost {
  name: string;
  address: string;
  /** The existing master (true) or a node being promoted. */
  existing: boolean;
}

/** Every control-plane node after the conversion, the existing master first, then the promoted ones in config order. */
export function controlPlaneHosts(facts: ClusterFacts): ControlPlaneHost[] {
  const { existing, promote } = facts.config.controlPlane;
  return [{ name: existing.name, address: facts.master.advertiseAddress, existing: true }, ...promote.map((n) => ({ name: n.name, address: n.address, existing: false }))];
}

/** Workers the wizard reaches over SSH: configured workers that are not control-plane nodes. */
export function workerHosts(facts: ClusterFacts): ConfigNode[] {
  const cp = new Set(controlPlaneHosts(facts).map((h) => h.name));
  return (facts.config.workers ?? []).filter((w) => !cp.has(w.name));
}

/** Node names: the lowercase DNS-1123 form Kubernetes requires, checked because they reach shell scripts in probes. */
export function checkNodeName(name: string): string {
  if (!DNS_NAME.test(name)) throw new Error(`node name "${name}" is not a DNS-1123 subdomain`);
  return name;
}

/** The master's apiserver flags (`--name=value`) from its static pod manifest, as discovered. */
export function apiserverFlags(facts: ClusterFacts): Map<string, string> {
  const text = facts.manifests['kube-apiserver'] ?? '';
  const flags = new Map<string, string>();
  // Flags are list items of `command:`; a line-based read avoids trusting the document's layout beyond that.
  for (const m of text.matchAll(/^\s*-\s*["']?--([a-z0-9-]+)=(.*?)["']?\s*$/gm)) flags.set(m[1]!, m[2]!);
  return flags;
}

/** kubeadm's certificatesDir (ClusterConfiguration), default /etc/kubernetes/pki. */
export function certificatesDir(facts: ClusterFacts): string {
  const m = /^certificatesDir:\s*["']?([^"'\s]+)["']?\s*$/m.exec(facts.clusterConfiguration.raw);
  return m?.[1] ?? `${KUBERNETES_DIR}/pki`;
}

/** Files a control-plane host uses to probe apiservers as an authenticated client (any authenticated user may GET /readyz). */
export function controlPlaneProbeClient(facts: ClusterFacts): { caPath: string; clientCertPath: string; clientKeyPath: string } {
  const dir = certificatesDir(facts);
  return { caPath: `${dir}/ca.crt`, clientCertPath: `${dir}/apiserver-kubelet-client.crt`, clientKeyPath: `${dir}/apiserver-kubelet-client.key` };
}
