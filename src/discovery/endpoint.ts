/**
 * What the endpoint is on the network before anything changes: for placement `vip`, the interface each
 * control-plane node would carry the virtual IP on, who holds it now, whether something else answers on it,
 * and what each node has for keepalived; for a DNS name, what it resolves to on every node. The scripts are
 * read-only; their output goes through the parsers here (pure, unit-tested).
 */
import type { RemoteHost } from '../engine/model/remote-host.js';
import { canonicalIP } from '../pki/ip.js';
import { vipAddressOf } from '../proxy/vip.js';
import type { ClusterConfigLike } from './config-like.js';

/** Every address of the host, with its interface: `addr=IFACE ADDRESS/PREFIX`; what keepalived would find. */
export const VIP_NODE_SCRIPT = [
  '{ ip -o addr show 2>/dev/null || true; } | awk \'{ print "addr=" $2 " " $4 }\'',
  'command -v keepalived >/dev/null 2>&1 && echo keepalived=yes',
  'command -v curl >/dev/null 2>&1 && echo curl=yes',
  'if [ -e /etc/keepalived/keepalived.conf ]; then if grep -q "^# Written by ha-wizard" /etc/keepalived/keepalived.conf; then echo keepalived_conf=ours; else echo keepalived_conf=foreign; fi; fi',
  'if [ -e /etc/kubernetes/manifests/ha-wizard-apiserver-proxy.yaml ]; then echo proxy_manifest=yes; fi',
  'exit 0',
].join('\n');

/**
 * From one control-plane node: the route to the virtual IP ($1), a TCP connection attempt to it on the endpoint
 * port ($2), which makes the kernel ask the network for the address (ARP or NDP), and the neighbour entry that
 * question left. The cached entry for the address is forgotten first (an address that moved, or was released,
 * leaves one behind for minutes), so the question goes out afresh. Nothing else changes: one question, one SYN.
 */
export const VIP_REACH_SCRIPT = [
  'printf "route=%s\\n" "$(ip route get "$1" 2>&1 | head -n 1)"',
  'case "$(ip route get "$1" 2>/dev/null | head -n 1)" in local*) ;; *) ip neigh flush to "$1" >/dev/null 2>&1 || true ;; esac',
  'if command -v bash >/dev/null 2>&1 && command -v timeout >/dev/null 2>&1; then timeout 3 bash -c \'exec 3<>"/dev/tcp/$0/$1"\' "$1" "$2" >/dev/null 2>&1; echo "tcp=$?"; fi',
  'printf "neigh=%s\\n" "$(ip neigh show "$1" 2>/dev/null | head -n 1)"',
  'exit 0',
].join('\n');

export interface NodeAddresses {
  /** Interface and address (canonical) of every address of the host. */
  addresses: Array<{ iface: string; address: string; prefix: number }>;
  keepalived: boolean;
  curl: boolean;
  /** /etc/keepalived/keepalived.conf: absent, written by ha-wizard, or someone else's. */
  keepalivedConf: 'ours' | 'foreign' | null;
  /** ha-wizard's proxy static pod is there (an earlier run): what listens on the endpoint port may be its own. */
  proxyManifest: boolean;
}

export function parseVipNode(text: string): NodeAddresses {
  const addresses: NodeAddresses['addresses'] = [];
  let keepalived = false;
  let curl = false;
  let keepalivedConf: NodeAddresses['keepalivedConf'] = null;
  let proxyManifest = false;
  for (const line of text.split('\n')) {
    const m = /^addr=(\S+) ([0-9A-Fa-f.:]+)\/(\d+)$/.exec(line.trim());
    if (m) {
      const address = canonicalIP(m[2]!);
      if (address) addresses.push({ iface: m[1]!.replace(/@.*$/, ''), address, prefix: Number(m[3]) });
      continue;
    }
    if (line.trim() === 'keepalived=yes') keepalived = true;
    else if (line.trim() === 'curl=yes') curl = true;
    else if (line.trim() === 'keepalived_conf=ours') keepalivedConf = 'ours';
    else if (line.trim() === 'keepalived_conf=foreign') keepalivedConf = 'foreign';
    else if (line.trim() === 'proxy_manifest=yes') proxyManifest = true;
  }
  return { addresses, keepalived, curl, keepalivedConf, proxyManifest };
}

/** The interface that holds `address` on the host (null: none does). */
export function interfaceOf(node: NodeAddresses, address: string): string | null {
  const want = canonicalIP(address);
  return node.addresses.find((a) => a.address === want)?.iface ?? null;
}

export interface VipReach {
  /** The first line of `ip route get VIP`. */
  route: string;
  /** On a directly connected network of the node (no gateway), so VRRP and ARP/NDP reach it. */
  onLink: boolean;
  /** The address is the node's own (it holds the virtual IP). */
  local: boolean;
  /** A machine answered the ARP/NDP question for it, with this link-layer address. */
  answeredBy: string | null;
  /** Something accepted a TCP connection on the endpoint port. */
  tcpOpen: boolean;
}

export function parseVipReach(text: string): VipReach {
  const value = (key: string) => text.split('\n').find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1).trim() ?? '';
  const route = value('route');
  const local = /^local\s/.test(route);
  const onLink = local || (/\bdev\s+\S+/.test(route) && !/\bvia\s/.test(route) && !/unreachable|RTNETLINK|error/i.test(route));
  const neigh = value('neigh');
  const mac = /\blladdr\s+([0-9a-fA-F:]+)/.exec(neigh)?.[1] ?? null;
  const state = neigh.split(/\s+/).pop() ?? '';
  const answeredBy = mac && !/^(FAILED|INCOMPLETE)$/.test(state) ? mac.toLowerCase() : null;
  const tcp = value('tcp');
  return { route, onLink, local, answeredBy, tcpOpen: tcp === '0' };
}

/** What `getent ahosts NAME` printed: the distinct addresses, canonical, in order. */
export function parseAhosts(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const ip = canonicalIP(line.trim().split(/\s+/)[0] ?? '');
    if (ip && !out.includes(ip)) out.push(ip);
  }
  return out;
}

export interface VipDiscovery {
  address: string;
  provider: 'keepalived' | 'kube-vip';
  /** Control-plane nodes that hold the virtual IP now. */
  holders: string[];
  /** Seen from the master (or, when the master holds it, as the master's own). */
  reach: VipReach | null;
  /** Each reachable control-plane node: the interface its address is on (or the configured one), keepalived. */
  nodes: Array<{ host: string; address: string; interface: string | null; configuredInterfacePresent: boolean | null } & Omit<NodeAddresses, 'addresses'>>;
}

export interface EndpointDiscovery {
  /** The endpoint's DNS name; null when it is an IP address. */
  name: string | null;
  /** What the name resolves to on each reachable node ([] when it does not resolve there). */
  resolved: Array<{ host: string; addresses: string[] }>;
  vip: VipDiscovery | null;
}

async function sh(host: RemoteHost, argv: string[]): Promise<string> {
  return (await host.exec(argv, { timeoutMs: 30_000 })).stdout;
}

/**
 * The endpoint's facts from the hosts: control-plane nodes first (`cps`, the master first), then the others. A DNS
 * name is resolved on every host given; the virtual IP is looked for on the control-plane nodes.
 */
export async function discoverEndpoint(config: ClusterConfigLike, cps: Array<{ host: RemoteHost; address: string }>, others: RemoteHost[]): Promise<EndpointDiscovery> {
  const { host: endpointHost, port } = config.endpoint;
  const name = canonicalIP(endpointHost) === null ? endpointHost : null;
  const resolved: EndpointDiscovery['resolved'] = [];
  if (name !== null) {
    for (const h of [...cps.map((c) => c.host), ...others]) resolved.push({ host: h.name, addresses: parseAhosts(await sh(h, ['getent', 'ahosts', name])) });
  }
  if (config.proxy.placement !== 'vip') return { name, resolved, vip: null };
  const address = vipAddressOf(endpointHost, config.proxy.vip);
  if (address === null) return { name, resolved, vip: null };
  const configured = config.proxy.vip?.interface;
  const nodes: VipDiscovery['nodes'] = [];
  const holders: string[] = [];
  for (const { host, address: nodeAddress } of cps) {
    const n = parseVipNode(await sh(host, ['sh', '-c', VIP_NODE_SCRIPT]));
    if (n.addresses.some((a) => a.address === address)) holders.push(host.name);
    const { addresses, ...rest } = n;
    nodes.push({
      host: host.name,
      address: nodeAddress,
      interface: configured ?? interfaceOf(n, nodeAddress),
      configuredInterfacePresent: configured === undefined ? null : addresses.some((a) => a.iface === configured),
      ...rest,
    });
  }
  const master = cps[0]?.host;
  const reach = master ? parseVipReach(await sh(master, ['sh', '-c', VIP_REACH_SCRIPT, 'ha-wizard-vip', address, String(port)])) : null;
  return { name, resolved, vip: { address, provider: config.proxy.vip?.provider ?? 'keepalived', holders, reach, nodes } };
}
