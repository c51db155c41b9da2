/**
 * proxy: the L4 proxy behind the stable endpoint, before any control-plane change, with the current master
 * as its only backend. nginx `stream` or HAProxy `mode tcp`: TLS passes through (the apiservers
 * authenticate clients by certificate, so a terminating proxy would break every client-cert user).
 *
 *   dedicated  the config on the proxy host under its own names (a distro nginx/haproxy keeps running),
 *              validated (`nginx -t` / `haproxy -c`), then started detached; rollback stops it.
 *   per-node   kubespray's local proxy: a static pod on every worker listening on 127.0.0.1:<port>;
 *              control-plane nodes need none (their apiserver answers there). Rollback removes the
 *              manifest and the kubelet stops the pod.
 *
 * Health checks. HAProxy checks each apiserver actively with an anonymous GET /readyz over TLS, verifying
 * its certificate against the cluster CA: real apiservers let anyone read /readyz (system:public-info-viewer),
 * so no client key has to live on the proxy host and no check certificate can expire and take every
 * backend down a year later. Unchecked backup twins keep the proxy failing open if the check cannot pass
 * (anonymous auth disabled). nginx (open source) only checks passively: connect timeout 1s, next upstream.
 */
import type { Action, WriteFileAction } from '../src/engine/model/actions.js';
import type { ClusterFacts } from '../src/discovery/facts.js';
import type { Step, StepContext } from '../src/engine/model/step.js';
import { masterNode, promotedNodes } from '../src/discovery/nodes.js';
import {
  KUBELET_CLIENT_PEM,
  LOCAL_PROXY_ADDRESS,
  NODE_CA,
  certificatesDir,
  controlPlaneProbeClient,
  endpointOf,
  hostPort,
  workerHosts,
} from '../src/proxy/endpoint.js';
import {
  DEBIAN_NGINX_STREAM_MODULE,
  PROXY_PATHS,
  renderProxyConfig,
  renderProxyStaticPod,
  type Backend,
  type ProxyKind,
  type ProxySpec,
} from '../src/proxy/render.js';
import { makeStep, pidAliveProbe, waitAction } from '../src/proxy/probes.js';

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

function nginxModule(facts: ClusterFacts, opts: ProxyOptions): string | null {
  if (opts.nginxStreamModule !== undefined) return opts.nginxStreamModule;
  return facts.config.proxy.placement === 'dedicated' ? DEBIAN_NGINX_STREAM_MODULE : null;
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
      ? { listen: [String(port)], caFile: PROXY_PATHS.haproxy.ca }
      : // Per-node: loopback only, logs to the container's stderr (nginx) / stdout (haproxy), the node's own CA.
        { listen: [hostPort(LOCAL_PROXY_ADDRESS, port)], caFile: NODE_CA, errorLog: 'stderr' }),
  };
  return renderProxyConfig(spec);
}

export function configPath(kind: ProxyKind): string {
  return PROXY_PATHS[kind].config;
}

function writeLiteral(step: string, host: string, path: string, text: string, what: string, description: string): WriteFileAction {
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

function startArgv(kind: ProxyKind): { argv: string[]; undo: string[] } {
  if (kind === 'nginx') {
    const base = ['nginx', '-c', PROXY_PATHS.nginx.config, '-e', PROXY_PATHS.nginx.log];
    return { argv: base, undo: [...base, '-s', 'quit'] };
  }
  const { config, pid, log } = PROXY_PATHS.haproxy;
  // Master-worker mode in the foreground of its own session: -p records the master (reload: SIGUSR2 to it),
  // logs go to a file; `setsid -f` returns at once so the SSH channel is not held open.
  return {
    argv: ['sh', '-c', 'setsid -f haproxy -W -db -p "$1" -f "$2" >>"$3" 2>&1 </dev/null', 'ha-wizard-proxy', pid, config, log],
    undo: ['pkill', '-F', pid],
  };
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
  const client = from.worker
    ? { caPath: NODE_CA, clientCertPath: KUBELET_CLIENT_PEM, clientKeyPath: KUBELET_CLIENT_PEM }
    : controlPlaneProbeClient(facts);
  return waitAction(
    step,
    `${from.host}/${what}`,
    { type: 'https', host: from.host, address, port, path: '/readyz', serverName, ...client },
    `wait until https://${hostPort(address, port)}/readyz answers from ${from.host} with a certificate valid for ${serverName}${note ? ` (${note})` : ''}`,
    timeoutMs,
  );
}

/** A check that nginx can load the stream module (or has it built in) before a config relies on it. */
function nginxStreamCheck(step: string, host: string, module: string | null): Action {
  const probe =
    module === null
      ? { type: 'command' as const, host, argv: ['sh', '-c', "nginx -V 2>&1 | grep -qE -- '--with-stream( |$)'"] }
      : { type: 'command' as const, host, argv: ['test', '-f', module] };
  return waitAction(
    step,
    `${host}/nginx-stream-module`,
    probe,
    module === null
      ? `nginx on ${host} has the stream module built in (nginx -V shows --with-stream)`
      : `nginx's stream module ${module} is installed on ${host} (Debian: libnginx-mod-stream)`,
    5_000,
    1_000,
  );
}

function dedicatedActions(step: string, facts: ClusterFacts, opts: ProxyOptions): Action[] {
  const { kind } = facts.config.proxy;
  const proxy = dedicatedProxyHost(facts);
  const master = masterNode(facts);
  const { host: endpointHost, port } = endpointOf(facts);
  const actions: Action[] = [];
  if (kind === 'nginx') actions.push(nginxStreamCheck(step, proxy.host, nginxModule(facts, opts)));
  else {
    const caPath = `${certificatesDir(facts)}/ca.crt`;
    const sha256 = facts.files[`${master.host}:${caPath}`];
    if (!sha256) throw new Error(`discovery did not record the sha256 of ${master.host}:${caPath}, which the HAProxy health check needs`);
    actions.push({
      id: `${step}/${proxy.host}/cluster-ca`,
      step,
      type: 'write-file',
      host: proxy.host,
      path: PROXY_PATHS.haproxy.ca,
      content: { type: 'copy', fromHost: master.host, fromPath: caPath, sha256, sensitive: false },
      mode: 0o644,
      owner: 'root:root',
      description: `the cluster CA certificate (public), which HAProxy verifies apiservers against in its /readyz checks`,
      risk: 'reversible',
    });
  }
  const start = startArgv(kind);
  actions.push(
    writeLiteral(step, proxy.host, configPath(kind), proxyConfigText(facts, backendsUpTo(facts, 0), opts), 'config', `${kind} config: ${hostPort(endpointHost, port)} → ${master.host} (the only backend for now)`),
    {
      id: `${step}/${proxy.host}/validate`,
      step,
      type: 'run',
      host: proxy.host,
      argv: validateArgv(kind),
      description: `check the ${kind} config with ${kind} itself before starting it`,
      risk: 'read-only',
    },
    {
      id: `${step}/${proxy.host}/start`,
      step,
      type: 'run',
      host: proxy.host,
      argv: start.argv,
      undo: start.undo,
      probe: pidAliveProbe(proxy.host, PROXY_PATHS[kind].pid),
      description: `start ${kind} on ${proxy.host} (its own pid file and log; a distro ${kind} keeps running)`,
      risk: 'reversible',
    },
    // Before endpoint-cert the master's certificate does not name the endpoint yet: verify as "kubernetes",
    // a name every kubeadm apiserver certificate carries, which proves TLS passes through untouched.
    throughProxyWait(step, facts, { host: master.host, worker: false }, proxy.address, port, 'kubernetes', 'via-proxy-host'),
    throughProxyWait(step, facts, { host: master.host, worker: false }, endpointHost, port, 'kubernetes', 'via-endpoint'),
  );
  return actions;
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

export function buildProxySteps(facts: ClusterFacts, _ctx?: StepContext, opts: ProxyOptions = {}): Step[] {
  const { kind, placement } = facts.config.proxy;
  const step = 'proxy';
  const actions = placement === 'dedicated' ? dedicatedActions(step, facts, opts) : perNodeActions(step, facts, backendsUpTo(facts, 0), opts);
  const { host, port } = endpointOf(facts);
  return [
    makeStep(
      step,
      `Proxy for ${hostPort(host, port)} (${kind}, ${placement})`,
      placement === 'dedicated'
        ? `A TCP passthrough ${kind} on ${dedicatedProxyHost(facts).host} in front of the apiservers, first with the current master as its only backend. Nothing points at it yet, so nothing is interrupted.`
        : `A TCP passthrough ${kind} static pod on each of the ${workerHosts(facts).length} workers, listening on 127.0.0.1:${port}, first with the current master as its only backend. Nothing points at it yet, so nothing is interrupted.`,
      actions,
    ),
  ];
}
