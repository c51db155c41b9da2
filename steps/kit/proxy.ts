/**
 * The L4 proxy as the proxy and proxy-backends steps both build it: where it runs, its backends, its config
 * for nginx `stream` or HAProxy `mode tcp` (TLS passes through), the commands that check and reload it, the
 * per-node static pods, and the check that the API answers through it.
 */
import type { Action, WriteFileAction } from '../../src/engine/model/actions.js';
import type { ClusterFacts } from '../../src/discovery/facts.js';
import { masterNode, promotedNodes, workerHosts } from '../../src/discovery/nodes.js';
import { hostPort } from '../../src/pki/hosts.js';
import { canonicalIP } from '../../src/pki/ip.js';
import { DEBIAN_NGINX_STREAM_MODULE, PROXY_PATHS, renderProxyConfig, renderProxyStaticPod, type Backend, type ProxyKind, type ProxySpec } from '../../src/proxy/render.js';
import { LOCAL_PROXY_ADDRESS, endpointOf, probeClient } from './endpoint.js';
import { NODE_CA } from './paths.js';
import { waitAction } from './probes.js';

export interface ProxyOptions {
  /**
   * nginx's dynamic stream module to `load_module`, or null when stream is built in. Default: Debian's
   * module on a dedicated host (checked before use), built in for per-node pods (the nginx image).
   */
  nginxStreamModule?: string | null;
  /** Images of the per-node static pods. */
  nginxImage?: string;
  haproxyImage?: string;
}

export const DEFAULT_IMAGES = { nginx: 'docker.io/library/nginx:1.27-alpine', haproxy: 'docker.io/library/haproxy:3.0-alpine' } as const;

/** How long a just-started proxy (or a per-node pod whose image may need pulling) has to answer. */
const PROXY_READY_TIMEOUT_MS = 180_000;

export interface ProxyHost {
  host: string;
  address: string;
}

/** The dedicated proxy host from the config; it must not be a control-plane node (its apiserver owns the port). */
export function dedicatedProxyHost(facts: ClusterFacts): ProxyHost {
  const host = facts.config.proxy.host;
  if (!host) throw new Error('proxy placement "dedicated" needs proxy.host in the cluster config');
  const cp = [masterNode(facts), ...promotedNodes(facts)];
  if (cp.some((n) => n.host === host.name || n.address === host.address)) {
    throw new Error(`proxy host ${host.name} is a control-plane node: its apiserver already listens on the API port; use another host or per-node placement`);
  }
  return { host: host.name, address: host.address };
}

/** The apiservers behind the proxy: the master, then the first `promoted` promoted nodes in config order. */
export function backendsUpTo(facts: ClusterFacts, promoted: number): Backend[] {
  const port = facts.master.apiserverPort;
  const m = masterNode(facts);
  return [
    { name: m.nodeName, address: m.address, port },
    ...promotedNodes(facts)
      .slice(0, promoted)
      .map((n) => ({ name: n.nodeName, address: n.address, port })),
  ];
}

/** nginx's stream module as chosen, or as the placement implies. */
export function nginxModule(facts: ClusterFacts, opts: ProxyOptions): string | null {
  if (opts.nginxStreamModule !== undefined) return opts.nginxStreamModule;
  return facts.config.proxy.placement === 'dedicated' ? DEBIAN_NGINX_STREAM_MODULE : null;
}

/**
 * A dedicated proxy listens on every address of the endpoint's family: `PORT` (IPv4), or `[::]:PORT` when the
 * endpoint, else the proxy host, is an IPv6 address (nginx's and HAProxy's `listen PORT` is IPv4 only).
 */
function dedicatedListen(facts: ClusterFacts, port: number): string {
  const { host } = endpointOf(facts);
  const ip = canonicalIP(host) ?? canonicalIP(facts.config.proxy.host?.address ?? '');
  return ip?.includes(':') ? `[::]:${port}` : String(port);
}

/** The proxy's config for the given backends, as the placement wants it. */
export function proxyConfigText(facts: ClusterFacts, backends: Backend[], opts: ProxyOptions): string {
  const { kind, placement } = facts.config.proxy;
  const { host, port } = endpointOf(facts);
  const spec: ProxySpec = {
    kind,
    endpoint: hostPort(host, port),
    backends,
    nginxStreamModule: nginxModule(facts, opts),
    ...(placement === 'dedicated'
      ? { listen: [dedicatedListen(facts, port)], caFile: PROXY_PATHS.haproxy.ca }
      : // Per-node: loopback only, logs to the container's stderr (nginx) / stdout (haproxy), the node's own CA.
        { listen: [hostPort(LOCAL_PROXY_ADDRESS, port)], caFile: NODE_CA, errorLog: 'stderr' }),
  };
  return renderProxyConfig(spec);
}

export function configPath(kind: ProxyKind): string {
  return PROXY_PATHS[kind].config;
}

export function writeLiteral(step: string, host: string, path: string, text: string, what: string, description: string): WriteFileAction {
  return { id: `${step}/${host}/${what}`, step, type: 'write-file', host, path, content: { type: 'literal', text }, mode: 0o644, owner: 'root:root', description, risk: 'reversible' };
}

/** Config check with the real binary, before anything reads the new file. */
export function validateArgv(kind: ProxyKind): string[] {
  return kind === 'nginx' ? ['nginx', '-t', '-q', '-c', PROXY_PATHS.nginx.config, '-e', PROXY_PATHS.nginx.log] : ['haproxy', '-c', '-q', '-f', PROXY_PATHS.haproxy.config];
}

/** Graceful reload: nginx re-reads its config in new workers; HAProxy's master (-W) forks new workers on SIGUSR2. Old workers finish open streams. */
export function reloadArgv(kind: ProxyKind): string[] {
  return kind === 'nginx'
    ? ['nginx', '-c', PROXY_PATHS.nginx.config, '-e', PROXY_PATHS.nginx.log, '-s', 'reload']
    : ['pkill', '--signal', 'USR2', '-F', PROXY_PATHS.haproxy.pid];
}

/** A probe that the API answers through `address:port` as seen from `host`, TLS verified for `serverName`. */
export function throughProxyWait(
  step: string,
  facts: ClusterFacts,
  from: { host: string; worker: boolean },
  address: string,
  port: number,
  serverName: string,
  what: string,
  timeoutMs = PROXY_READY_TIMEOUT_MS,
  /** Tells repeated checks apart on screen, e.g. "call 2 of 3". */
  note?: string,
): Action {
  return waitAction(
    step,
    `${from.host}/${what}`,
    { type: 'https', host: from.host, address, port, path: '/readyz', serverName, ...probeClient(facts, from) },
    `wait until https://${hostPort(address, port)}/readyz answers from ${from.host} with a certificate valid for ${serverName}${note ? ` (${note})` : ''}`,
    timeoutMs,
  );
}

/** Per-node placement: config and static pod on every worker, then the local proxy must answer. */
export function perNodeActions(step: string, facts: ClusterFacts, backends: Backend[], opts: ProxyOptions, serverName = 'kubernetes'): Action[] {
  const { kind } = facts.config.proxy;
  const { port } = endpointOf(facts);
  const config = proxyConfigText(facts, backends, opts);
  const image = kind === 'nginx' ? (opts.nginxImage ?? DEFAULT_IMAGES.nginx) : (opts.haproxyImage ?? DEFAULT_IMAGES.haproxy);
  const manifest = renderProxyStaticPod({ kind, image, config, caFile: NODE_CA });
  const names = backends.map((b) => b.name).join(', ');
  return workerHosts(facts).flatMap((w) => [
    writeLiteral(step, w.name, configPath(kind), config, 'config', `${kind} config on ${w.name}: 127.0.0.1:${port} → ${names}`),
    writeLiteral(step, w.name, PROXY_PATHS[kind].manifest, manifest, 'manifest', `static pod running the local ${kind} proxy on ${w.name} (restarted by the kubelet when its config changes)`),
    throughProxyWait(step, facts, { host: w.name, worker: true }, LOCAL_PROXY_ADDRESS, port, serverName, 'local-proxy'),
  ]);
}
