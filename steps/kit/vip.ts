/**
 * Placement `vip` as the proxy, proxy-backends and failover-drill steps build it: the virtual IP, which node
 * carries it on which interface, the agent that holds it on each control-plane node (keepalived or kube-vip), the
 * proxy on each control-plane node when the endpoint port is not the apiserver's, and the checks through it.
 *
 * The port decides whether there is a proxy. The apiserver listens on every address of its node (kubeadm leaves
 * --bind-address unset), so the virtual IP's apiserver port already reaches the apiserver of the node that holds
 * the address: an endpoint on that port needs no proxy (kube-vip's own design). Any other port (kubeadm's HA
 * guide uses 8443) gets an L4 passthrough proxy on every control-plane node listening on it, in front of every
 * apiserver, so the node that holds the address spreads the load. The master's bind address is never changed.
 */
import type { Action, WriteFileAction } from '../../src/engine/model/actions.js';
import type { ClusterFacts } from '../../src/discovery/facts.js';
import { masterNode, promotedNodes, type CpNode } from '../../src/discovery/nodes.js';
import { hostPort } from '../../src/pki/hosts.js';
import { PROXY_PATHS, renderProxyConfig, renderProxyStaticPod, type Backend } from '../../src/proxy/render.js';
import {
  KEEPALIVED_PATHS,
  KUBE_VIP_DEFAULT_IMAGE,
  KUBE_VIP_MANIFEST,
  hostPrefix,
  keepalivedPriority,
  renderKeepalivedCheck,
  renderKeepalivedConfig,
  renderKubeVipManifest,
  vipAddressOf,
  type VipProvider,
} from '../../src/proxy/vip.js';
import { controlPlaneProbeClient, endpointOf } from './endpoint.js';
import { ADMIN_CONF, NODE_CA } from './paths.js';
import { waitAction } from './probes.js';
import { DEFAULT_IMAGES, configPath, nginxModule, writeLiteral, type ProxyOptions } from './proxy.js';

/** How long a virtual IP has to show up: keepalived elects itself after 3 advertisement intervals, kube-vip after a lease. */
const VIP_READY_TIMEOUT_MS = 120_000;

export interface VipPlan {
  address: string;
  provider: VipProvider;
  routerId: number;
  advertIntervalSeconds: number;
  image: string;
  /** A proxy on every control-plane node listens on the endpoint port (it is not the apiserver's). */
  proxied: boolean;
  endpointPort: number;
  apiserverPort: number;
}

export function isVip(facts: ClusterFacts): boolean {
  return facts.config.proxy.placement === 'vip';
}

/** The virtual IP as planned; throws when the config gives none (validate refuses such a config first). */
export function vipOf(facts: ClusterFacts): VipPlan {
  const { endpoint, proxy } = facts.config;
  const address = vipAddressOf(endpoint.host, proxy.vip);
  if (address === null) throw new Error(`placement vip needs a virtual IP: endpoint.host ${endpoint.host} is a DNS name, so proxy.vip.address must be set`);
  return {
    address,
    provider: proxy.vip?.provider ?? 'keepalived',
    routerId: proxy.vip?.routerId ?? 51,
    advertIntervalSeconds: proxy.vip?.advertIntervalSeconds ?? 1,
    image: proxy.vip?.image ?? KUBE_VIP_DEFAULT_IMAGE,
    proxied: endpoint.port !== facts.master.apiserverPort,
    endpointPort: endpoint.port,
    apiserverPort: facts.master.apiserverPort,
  };
}

/** Every control-plane node after the conversion, the master first, with its place in the priority order. */
export function vipNodes(facts: ClusterFacts): CpNode[] {
  return [masterNode(facts), ...promotedNodes(facts)];
}

/** The interface that carries the virtual IP on a node (discovered, or proxy.vip.interface). */
export function vipInterface(facts: ClusterFacts, host: string): string {
  const i = facts.config.proxy.vip?.interface ?? facts.vipInterfaces?.[host];
  if (!i) throw new Error(`discovery found no interface holding ${host}'s address, where the virtual IP would go; set proxy.vip.interface`);
  return i;
}

const loopbackOf = (address: string) => (address.includes(':') ? '::1' : '127.0.0.1');

/** The proxy on a control-plane node: every address of the virtual IP's family, on the endpoint port. */
function vipProxyConfig(facts: ClusterFacts, backends: Backend[], opts: ProxyOptions): string {
  const { kind } = facts.config.proxy;
  const v = vipOf(facts);
  const { host, port } = endpointOf(facts);
  return renderProxyConfig({
    kind,
    endpoint: hostPort(host, port),
    backends,
    nginxStreamModule: nginxModule(facts, opts),
    listen: [v.address.includes(':') ? `[::]:${port}` : String(port)],
    caFile: NODE_CA,
    errorLog: 'stderr',
  });
}

/** Config and static pod of the proxy on each of `hosts`, then its answer on the node's loopback. */
export function vipProxyActions(step: string, facts: ClusterFacts, hosts: readonly CpNode[], backends: Backend[], opts: ProxyOptions, serverName: string): Action[] {
  const { kind } = facts.config.proxy;
  const v = vipOf(facts);
  const config = vipProxyConfig(facts, backends, opts);
  const image = kind === 'nginx' ? (opts.nginxImage ?? DEFAULT_IMAGES.nginx) : (opts.haproxyImage ?? DEFAULT_IMAGES.haproxy);
  const manifest = renderProxyStaticPod({ kind, image, config, caFile: NODE_CA });
  const names = backends.map((b) => b.name).join(', ');
  return hosts.flatMap((n) => [
    writeLiteral(step, n.host, configPath(kind), config, 'proxy-config', `${kind} config on ${n.host}: port ${v.endpointPort} → ${names}`),
    writeLiteral(step, n.host, PROXY_PATHS[kind].manifest, manifest, 'proxy-manifest', `static pod running the ${kind} proxy on ${n.host} (restarted by the kubelet when its config changes)`),
    waitAction(
      step,
      `${n.host}/local-proxy`,
      { type: 'https', host: n.host, address: loopbackOf(v.address), port: v.endpointPort, path: '/readyz', serverName, ...controlPlaneProbeClient(facts) },
      `wait until the ${kind} proxy on ${n.host} answers on ${hostPort(loopbackOf(v.address), v.endpointPort)} with a certificate valid for ${serverName}`,
      180_000,
    ),
  ]);
}

function writeFile(step: string, host: string, path: string, text: string, what: string, mode: number, description: string): WriteFileAction {
  return { id: `${step}/${host}/${what}`, step, type: 'write-file', host, path, content: { type: 'literal', text }, mode, owner: 'root:root', description, risk: 'reversible' };
}

/**
 * The agent that holds the virtual IP, on one control-plane node (`index` 0: the master). First a check whose undo,
 * run on rollback after the agent is stopped, takes the address off the interface should anything have left it there.
 */
export function vipAgentActions(step: string, facts: ClusterFacts, node: CpNode, index: number): Action[] {
  const v = vipOf(facts);
  const iface = vipInterface(facts, node.host);
  const { host: endpointHost, port } = endpointOf(facts);
  const endpoint = hostPort(endpointHost, port);
  const cidr = `${v.address}/${hostPrefix(v.address)}`;
  const actions: Action[] = [
    {
      id: `${step}/${node.host}/vip-interface`,
      step,
      type: 'run',
      host: node.host,
      argv: ['ip', 'link', 'show', 'dev', iface],
      // kube-vip gives the address up as its pod stops, which the kubelet does a moment after the manifest goes.
      undo: [
        'sh',
        '-c',
        [
          'if [ "$3" = kube-vip ]; then i=0; while pgrep -x kube-vip >/dev/null && [ $i -lt 60 ]; do sleep 1; i=$((i+1)); done; fi',
          'if ip -o addr show dev "$2" | grep -qF " $1 "; then ip addr del "$1" dev "$2"; fi',
        ].join('\n'),
        'ha-wizard-vip-release',
        cidr,
        iface,
        v.provider,
      ],
      description: `${iface} exists on ${node.host} (on rollback, once the ${v.provider === 'keepalived' ? 'keepalived' : 'kube-vip'} it runs is stopped: make sure ${v.address} is not left on ${iface})`,
      risk: 'read-only',
    },
  ];
  if (v.provider === 'keepalived') {
    const client = controlPlaneProbeClient(facts);
    actions.push(
      writeFile(
        step,
        node.host,
        KEEPALIVED_PATHS.check,
        renderKeepalivedCheck({
          vip: v.address,
          endpoint,
          nodeAddress: node.address,
          apiserverPort: v.apiserverPort,
          proxyPort: v.proxied ? v.endpointPort : null,
          caFile: client.caPath,
          clientCert: client.clientCertPath,
          clientKey: client.clientKeyPath,
        }),
        'keepalived-check',
        0o755,
        `keepalived's health check on ${node.host}: ${node.host}'s apiserver answers /readyz over TLS${v.proxied ? ', and so does its proxy on port ' + v.endpointPort : ''}`,
      ),
      writeFile(
        step,
        node.host,
        KEEPALIVED_PATHS.config,
        renderKeepalivedConfig({
          vip: v.address,
          endpoint,
          nodeName: node.nodeName,
          interface: iface,
          routerId: v.routerId,
          priority: keepalivedPriority(index),
          advertIntervalSeconds: v.advertIntervalSeconds,
          proxied: v.proxied,
        }),
        'keepalived-conf',
        0o644,
        `keepalived on ${node.host}: VRRP router ${v.routerId} on ${iface}, priority ${keepalivedPriority(index)}, ${v.address} tracked by the health check`,
      ),
      {
        id: `${step}/${node.host}/keepalived-enable`,
        step,
        type: 'run',
        host: node.host,
        argv: ['systemctl', 'enable', 'keepalived'],
        undo: ['systemctl', 'disable', 'keepalived'],
        // Debian's package enables the unit when it is installed: then nothing changes and nothing is undone.
        probe: { type: 'command', host: node.host, argv: ['systemctl', 'is-enabled', '--quiet', 'keepalived'] },
        description: `enable keepalived.service on ${node.host}, so it holds the address again after a reboot`,
        risk: 'reversible',
      },
      {
        id: `${step}/${node.host}/keepalived-start`,
        step,
        type: 'run',
        host: node.host,
        argv: ['systemctl', 'restart', 'keepalived'],
        undo: ['systemctl', 'stop', 'keepalived'],
        probe: { type: 'command', host: node.host, argv: ['systemctl', 'is-active', '--quiet', 'keepalived'] },
        idempotent: true,
        description: `start keepalived on ${node.host} (stopped on rollback: it gives the address up as it stops)`,
        risk: 'reversible',
      },
    );
  } else {
    actions.push(
      writeFile(
        step,
        node.host,
        KUBE_VIP_MANIFEST,
        renderKubeVipManifest({ vip: v.address, endpoint, image: v.image, interface: iface, apiserverPort: v.apiserverPort, kubeconfig: ADMIN_CONF }),
        'kube-vip-manifest',
        0o600,
        `kube-vip static pod on ${node.host}: ${v.address} on ${iface} (ARP${v.address.includes(':') ? '/NDP' : ''}) while it holds the leader election Lease, through its own apiserver`,
      ),
      waitAction(
        step,
        `${node.host}/kube-vip-running`,
        { type: 'command', host: node.host, argv: ['pgrep', '-x', 'kube-vip'] },
        `wait until kube-vip runs on ${node.host}`,
        180_000,
      ),
    );
  }
  return actions;
}

/** The API through the virtual IP, from a control-plane node, TLS verified for `serverName`. */
export function throughVipWait(step: string, facts: ClusterFacts, from: CpNode, serverName: string, what: string): Action {
  const v = vipOf(facts);
  return waitAction(
    step,
    `${from.host}/${what}`,
    { type: 'https', host: from.host, address: v.address, port: v.endpointPort, path: '/readyz', serverName, ...controlPlaneProbeClient(facts) },
    `wait until https://${hostPort(v.address, v.endpointPort)}/readyz answers from ${from.host} with a certificate valid for ${serverName} (a node holds the virtual IP)`,
    VIP_READY_TIMEOUT_MS,
  );
}

/** What a node's `ip addr` shows for the virtual IP (for scripts: ` ADDRESS/PREFIX `). */
export function vipCidr(facts: ClusterFacts): string {
  const v = vipOf(facts);
  return `${v.address}/${hostPrefix(v.address)}`;
}

