/**
 * The stable endpoint as every step sees it: its URL, the URL node-local clients use, the SANs every apiserver
 * certificate must carry, and the client files a probe of an apiserver presents. Pure functions of the facts,
 * so all steps agree on one answer.
 */
import type { CertSpec } from '../../src/engine/model/actions.js';
import type { ClusterFacts } from '../../src/discovery/facts.js';
import { apiserverURL } from '../../src/discovery/nodes.js';
import { checkHost } from '../../src/pki/hosts.js';
import { canonicalIP } from '../../src/pki/ip.js';
import { KUBELET_CLIENT_PEM, NODE_CA, certificatesDir } from './paths.js';

export function endpointOf(facts: ClusterFacts): { host: string; port: number } {
  const { host, port } = facts.config.endpoint;
  checkHost(host, 'endpoint host');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`endpoint port ${port} is not a TCP port`);
  return { host, port };
}

/** `https://<endpoint>:<port>`: what kubeadm-config, cluster-info and admin kubeconfigs name after the conversion. */
export function endpointURL(facts: ClusterFacts): string {
  const { host, port } = endpointOf(facts);
  return apiserverURL(host, port);
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
    return { url: apiserverURL(LOCAL_PROXY_ADDRESS, port), address: LOCAL_PROXY_ADDRESS, port, serverName: LOCAL_PROXY_ADDRESS };
  }
  return { url: apiserverURL(host, port), address: host, port, serverName: host };
}

/** The SANs the endpoint adds to every apiserver certificate: its host (and the virtual IP), plus localhost for per-node placement. */
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
  // Placement vip with a DNS-name endpoint: clients may also dial the virtual IP itself.
  if (facts.config.proxy.placement === 'vip' && facts.config.proxy.vip?.address) add(facts.config.proxy.vip.address);
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

/** Files a control-plane host uses to probe apiservers as an authenticated client (any authenticated user may GET /readyz). */
export function controlPlaneProbeClient(facts: ClusterFacts): { caPath: string; clientCertPath: string; clientKeyPath: string } {
  const dir = certificatesDir(facts);
  return { caPath: `${dir}/ca.crt`, clientCertPath: `${dir}/apiserver-kubelet-client.crt`, clientKeyPath: `${dir}/apiserver-kubelet-client.key` };
}

/** Files a worker probes the API with: its node identity, verified against the node's CA, as its kubelet does. */
export const WORKER_PROBE_CLIENT = { caPath: NODE_CA, clientCertPath: KUBELET_CLIENT_PEM, clientKeyPath: KUBELET_CLIENT_PEM } as const;

/** The client files a probe from `host` presents: a worker's kubelet identity, or a control-plane node's. */
export function probeClient(facts: ClusterFacts, from: { worker: boolean }): { caPath: string; clientCertPath: string; clientKeyPath: string } {
  return from.worker ? { ...WORKER_PROBE_CLIENT } : controlPlaneProbeClient(facts);
}
