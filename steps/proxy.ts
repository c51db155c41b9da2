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
 *   vip        the virtual IP, on the master first (steps/kit/vip.ts): with an endpoint port other than the
 *              apiserver's, the proxy as a static pod on the master listening on that port; then keepalived or
 *              kube-vip, which takes the address on; then the API must answer through it. The other
 *              control-plane nodes join in proxy-backends, once their apiservers are ready.
 *
 * Health checks. HAProxy checks each apiserver actively with an anonymous GET /readyz over TLS, verifying
 * its certificate against the cluster CA: real apiservers let anyone read /readyz (system:public-info-viewer),
 * so no client key has to live on the proxy host and no check certificate can expire and take every
 * backend down a year later. Unchecked backup twins keep the proxy failing open if the check cannot pass
 * (anonymous auth disabled). nginx (open source) only checks passively: connect timeout 1s, next upstream.
 */
import type { Action } from '../src/engine/model/actions.js';
import type { Step } from '../src/engine/model/step.js';
import type { ClusterFacts } from '../src/discovery/facts.js';
import { masterNode, workerHosts } from '../src/discovery/nodes.js';
import { hostPort } from '../src/pki/hosts.js';
import { PROXY_PATHS, type ProxyKind } from '../src/proxy/render.js';
import { endpointOf } from './kit/endpoint.js';
import { certificatesDir } from './kit/paths.js';
import { pidAliveProbe, waitAction } from './kit/probes.js';
import {
  backendsUpTo,
  configPath,
  dedicatedProxyHost,
  nginxModule,
  perNodeActions,
  proxyConfigText,
  throughProxyWait,
  validateArgv,
  writeLiteral,
  type ProxyOptions,
} from './kit/proxy.js';
import { makeStep, type StepContext, type StepDefinition } from './kit/step.js';
import { throughVipWait, vipAgentActions, vipOf, vipProxyActions } from './kit/vip.js';

/**
 * Stops the proxy started from `pidFile` and returns once it is gone, so a rollback leaves no listener and a
 * later apply's start is not answered by a proxy still on its way out. nginx first gets QUIT (graceful), but its
 * old workers may keep open streams for worker_shutdown_timeout (10 min) with the master alive and the pid file in
 * place; after 10 s it gets TERM (fast shutdown). HAProxy's TERM is already a hard stop. Nothing running: nothing to do.
 */
function stopArgv(kind: ProxyKind): string[] {
  const script =
    'p=$(cat "$1" 2>/dev/null) || exit 0; [ -n "$p" ] || exit 0; ' +
    'gone() { ! kill -0 "$p" 2>/dev/null || grep -q "^State:.*Z" "/proc/$p/status" 2>/dev/null; }; ' +
    'gone && exit 0; kill -s "$2" "$p" 2>/dev/null || exit 0; i=0; ' +
    'until gone; do i=$((i+1)); [ "$i" -eq 50 ] && kill -s TERM "$p" 2>/dev/null; ' +
    '[ "$i" -ge 150 ] && { echo "$3 (pid $p) still running 30 s after it was told to stop" >&2; exit 1; }; sleep 0.2; done';
  return ['sh', '-c', script, 'ha-wizard-proxy-stop', PROXY_PATHS[kind].pid, kind === 'nginx' ? 'QUIT' : 'TERM', kind];
}

function startArgv(kind: ProxyKind): { argv: string[]; undo: string[] } {
  if (kind === 'nginx') {
    return { argv: ['nginx', '-c', PROXY_PATHS.nginx.config, '-e', PROXY_PATHS.nginx.log], undo: stopArgv(kind) };
  }
  const { config, pid, log } = PROXY_PATHS.haproxy;
  // Master-worker mode in the foreground of its own session: -p records the master (reload: SIGUSR2 to it),
  // logs go to a file; `setsid -f` returns at once so the SSH channel is not held open.
  return {
    argv: ['sh', '-c', 'setsid -f haproxy -W -db -p "$1" -f "$2" >>"$3" 2>&1 </dev/null', 'ha-wizard-proxy', pid, config, log],
    undo: stopArgv(kind),
  };
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

/** Placement vip on the master: its proxy (when the endpoint port is not the apiserver's), the agent, the API through the address. */
function vipActions(step: string, facts: ClusterFacts, opts: ProxyOptions): Action[] {
  const master = masterNode(facts);
  const v = vipOf(facts);
  return [
    // Before endpoint-cert the master's certificate does not name the endpoint yet: verify as "kubernetes".
    ...(v.proxied ? vipProxyActions(step, facts, [master], backendsUpTo(facts, 0), opts, 'kubernetes') : []),
    ...vipAgentActions(step, facts, master, 0),
    throughVipWait(step, facts, master, 'kubernetes', 'via-vip'),
  ];
}

function vipDescription(facts: ClusterFacts): string {
  const v = vipOf(facts);
  const master = masterNode(facts).host;
  const agent = v.provider === 'keepalived' ? 'keepalived (VRRP, a health check on its apiserver)' : 'kube-vip (ARP, leader election)';
  return v.proxied
    ? `The virtual IP ${v.address} on ${master}, held by ${agent}, with a TCP passthrough ${facts.config.proxy.kind} on port ${v.endpointPort} in front of the apiservers (${master}'s for now). Nothing points at it yet, so nothing is interrupted.`
    : `The virtual IP ${v.address} on ${master}, held by ${agent}; port ${v.endpointPort} on it is the apiserver of the node that holds it. Nothing points at it yet, so nothing is interrupted.`;
}

function build(facts: ClusterFacts, ctx: StepContext): Step[] {
  const opts = ctx.proxy ?? {};
  const { kind, placement } = facts.config.proxy;
  const step = 'proxy';
  const actions =
    placement === 'dedicated'
      ? dedicatedActions(step, facts, opts)
      : placement === 'vip'
        ? vipActions(step, facts, opts)
        : perNodeActions(step, facts, backendsUpTo(facts, 0), opts);
  const { host, port } = endpointOf(facts);
  if (placement === 'vip') {
    const v = vipOf(facts);
    return [makeStep(step, `Virtual IP ${v.address} for ${hostPort(host, port)} (${v.provider}${v.proxied ? `, ${kind} on every control-plane node` : ', the apiservers directly'})`, vipDescription(facts), actions)];
  }
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

export const proxyStep: StepDefinition = {
  name: 'proxy',
  summary: 'the L4 TCP-passthrough proxy (nginx or HAProxy) behind the endpoint, the master its only backend; or the virtual IP on the master',
  build,
};
