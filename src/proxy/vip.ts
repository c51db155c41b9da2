/**
 * The virtual IP of placement `vip`: where its files live and how they are rendered from assets/. Pure: a spec in,
 * text out, every value checked before it reaches a config file, a script or a manifest.
 *
 *   keepalived  Debian's package as a systemd service on every control-plane node: /etc/keepalived/keepalived.conf
 *               (VRRPv3, every node BACKUP with nopreempt, its own priority) and a health check script that passes
 *               while the node's apiserver (and its proxy, when there is one) answers /readyz over TLS.
 *   kube-vip    a static pod on every control-plane node: ARP (IPv4) or NDP (IPv6), leader election on a Lease
 *               through the node's own apiserver (`kubernetes` → 127.0.0.1 by hostAliases, as `kube-vip manifest
 *               pod` writes it), admin.conf as its kubeconfig.
 */
import { canonicalIP } from '../pki/ip.js';
import { checkHost, urlHost } from '../pki/hosts.js';
import { assetTemplate, renderTemplate } from './template.js';

export type VipProvider = 'keepalived' | 'kube-vip';

export const KEEPALIVED_PATHS = {
  /** Debian's keepalived.service reads this file (ConditionFileNotEmpty): without it the service does not start. */
  config: '/etc/keepalived/keepalived.conf',
  check: '/etc/keepalived/ha-wizard-check-apiserver.sh',
  dir: '/etc/keepalived',
} as const;

export const KUBE_VIP_MANIFEST = '/etc/kubernetes/manifests/kube-vip.yaml';
export const KUBE_VIP_DEFAULT_IMAGE = 'ghcr.io/kube-vip/kube-vip:v1.0.0';
/** The Lease kube-vip's control-plane leader election holds (its default, `vip_leasename`). */
export const KUBE_VIP_LEASE = 'plndr-cp-lock';

/** keepalived's priority for the i-th control-plane node (0: the master): 150, 140, … (1..254 allowed). */
export function keepalivedPriority(index: number): number {
  return Math.max(1, 150 - 10 * index);
}

/** The virtual IP: `vip.address`, else the endpoint host (then an IP address). Null when neither is an IP. */
export function vipAddressOf(endpointHost: string, vip?: { address?: string }): string | null {
  const a = vip?.address ?? endpointHost;
  return canonicalIP(a);
}

/** 32 for IPv4, 128 for IPv6: the address alone, so no route or subnet comes with it. */
export function hostPrefix(address: string): number {
  return address.includes(':') ? 128 : 32;
}

const INTERFACE = /^[A-Za-z0-9_.:@-]{1,15}$/;
const SAFE_PATH = /^\/[A-Za-z0-9._/-]+$/;
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/;

function checkInterface(name: string): string {
  if (!INTERFACE.test(name)) throw new Error(`interface "${name}" is not a network interface name`);
  return name;
}

function checkPath(path: string, what: string): string {
  if (!SAFE_PATH.test(path)) throw new Error(`${what} "${path}" must be an absolute path of letters, digits, '.', '_', '-' and '/'`);
  return path;
}

function checkIP(address: string, what: string): string {
  const ip = canonicalIP(address);
  if (ip === null) throw new Error(`${what} "${address}" is not an IP address`);
  return ip;
}

function checkPort(port: number, what: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${what} ${port} is not a TCP port`);
  return port;
}

export interface KeepalivedSpec {
  vip: string;
  /** The endpoint as clients name it (`host:port`), for the header comment. */
  endpoint: string;
  /** This node's name (router_id). */
  nodeName: string;
  interface: string;
  routerId: number;
  priority: number;
  advertIntervalSeconds: number;
  /** A proxy on this node in front of the apiservers (the endpoint port is not the apiserver's). */
  proxied: boolean;
}

export function renderKeepalivedConfig(spec: KeepalivedSpec): string {
  if (!NAME.test(spec.nodeName)) throw new Error(`node name "${spec.nodeName}" is not a DNS-1123 name`);
  if (!Number.isInteger(spec.routerId) || spec.routerId < 1 || spec.routerId > 255) throw new Error(`virtual router id ${spec.routerId} is not 1..255`);
  if (!Number.isInteger(spec.priority) || spec.priority < 1 || spec.priority > 254) throw new Error(`priority ${spec.priority} is not 1..254`);
  const cs = Math.round(spec.advertIntervalSeconds * 100);
  if (cs < 10 || cs > 4095) throw new Error(`advertisement interval ${spec.advertIntervalSeconds} s is not 0.1..40.95 s`);
  const vip = checkIP(spec.vip, 'virtual IP');
  return renderTemplate(assetTemplate('keepalived.conf.tmpl'), {
    vip,
    prefix: hostPrefix(vip),
    endpoint: spec.endpoint,
    routerName: spec.nodeName,
    interface: checkInterface(spec.interface),
    routerId: spec.routerId,
    priority: spec.priority,
    advertInt: cs % 100 === 0 ? String(cs / 100) : (cs / 100).toFixed(2).replace(/0$/, ''),
    checkScript: KEEPALIVED_PATHS.check,
    proxied: spec.proxied,
  });
}

export interface CheckScriptSpec {
  vip: string;
  endpoint: string;
  /** This node's apiserver: its address and port. */
  nodeAddress: string;
  apiserverPort: number;
  /** The local proxy's port, when there is one (checked on the loopback address of the VIP's family). */
  proxyPort: number | null;
  caFile: string;
  clientCert: string;
  clientKey: string;
}

export function renderKeepalivedCheck(spec: CheckScriptSpec): string {
  const vip = checkIP(spec.vip, 'virtual IP');
  return renderTemplate(assetTemplate('keepalived-check-apiserver.sh.tmpl'), {
    vip,
    endpoint: spec.endpoint,
    nodeAddress: urlHost(checkIP(spec.nodeAddress, 'node address')),
    apiserverPort: checkPort(spec.apiserverPort, 'apiserver port'),
    proxied: spec.proxyPort !== null,
    proxyAddress: vip.includes(':') ? '[::1]' : '127.0.0.1',
    proxyPort: spec.proxyPort === null ? 0 : checkPort(spec.proxyPort, 'proxy port'),
    caFile: checkPath(spec.caFile, 'CA file'),
    clientCert: checkPath(spec.clientCert, 'client certificate'),
    clientKey: checkPath(spec.clientKey, 'client key'),
  });
}

export interface KubeVipSpec {
  vip: string;
  endpoint: string;
  image: string;
  interface: string;
  /** The port kube-vip reaches its own apiserver on (`kubernetes:<port>`, 127.0.0.1): the apiserver's. */
  apiserverPort: number;
  /** kube-vip's kubeconfig on the node (mounted at /etc/kubernetes/admin.conf, where kube-vip reads it). */
  kubeconfig: string;
}

/**
 * kube-vip's static pod as `kube-vip manifest pod --controlplane --arp --leaderElection --interface IF --address VIP`
 * (v1.0.0) writes it, with ha-wizard's header. kube-vip reads /etc/kubernetes/admin.conf and talks to
 * `kubernetes:<port>`, which hostAliases maps to 127.0.0.1: its own node's apiserver, never the VIP it holds.
 */
export function renderKubeVipManifest(spec: KubeVipSpec): string {
  if (!IMAGE.test(spec.image)) throw new Error(`image "${spec.image}" is not an image reference`);
  const vip = checkIP(spec.vip, 'virtual IP');
  checkHost(vip, 'virtual IP');
  return renderTemplate(assetTemplate('kube-vip.yaml.tmpl'), {
    vip,
    cidr: hostPrefix(vip),
    endpoint: spec.endpoint,
    image: spec.image,
    interface: checkInterface(spec.interface),
    port: checkPort(spec.apiserverPort, 'apiserver port'),
    kubeconfig: checkPath(spec.kubeconfig, 'kubeconfig'),
    lease: KUBE_VIP_LEASE,
  });
}
