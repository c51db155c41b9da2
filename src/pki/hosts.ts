/**
 * Hosts as certificates, proxy configs, URLs and shell-free argv spell them: an IP literal or a lowercase DNS
 * name, checked before it goes anywhere, and IPv6 literals in brackets wherever a port follows.
 */
import { canonicalIP } from './ip.js';

/** DNS-1123 subdomain: the only names that can appear in a SAN, a config file and a Kubernetes node name. */
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isIP(host: string): boolean {
  return canonicalIP(host) !== null;
}

/** Throws unless host is an IP literal or a lowercase DNS name: it goes into certificates, proxy configs and shell-free argv. */
export function checkHost(host: string, what: string): string {
  if (isIP(host) || DNS_NAME.test(host)) return host;
  throw new Error(`${what} "${host}" is neither an IP address nor a lowercase DNS name`);
}

/** Node names: the lowercase DNS-1123 form Kubernetes requires, checked because they reach shell scripts in probes. */
export function checkNodeName(name: string): string {
  if (!DNS_NAME.test(name)) throw new Error(`node name "${name}" is not a DNS-1123 subdomain`);
  return name;
}

/** A host as URLs and `host:port` spell it: an IPv6 literal in brackets (`[fd00::1]`), anything else as it is. */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** `host:port` with IPv6 brackets, as kubeadm's controlPlaneEndpoint, proxy configs and URLs spell it. */
export function hostPort(host: string, port: number): string {
  return `${urlHost(host)}:${port}`;
}
