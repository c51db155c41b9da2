/**
 * proxy-backends: a new control-plane node joins the proxy once its apiserver is ready, with a certificate
 * valid for the endpoint (checked first: a backend without the endpoint SAN would fail one client in N).
 *
 *   dedicated  one step per promoted node (`proxy-backends-<node>`), once every node is promoted and marked:
 *              one backend at a time, each config validated, then a graceful reload.
 *   per-node   one step after all promoted nodes (`proxy-backends`): each config change restarts every
 *              worker's proxy pod, so it happens once.
 *   vip        one step after all promoted nodes (`proxy-backends`): the proxy (when there is one) with every
 *              apiserver behind it on every control-plane node, then the agent that holds the virtual IP on each
 *              new node (keepalived or kube-vip), so any of them can take the address over.
 *
 * Rollback runs undos newest first, so a reload that must follow the restored config hangs on the check
 * that precedes the write: "the running config is valid; on rollback, reload it".
 */
import type { Action } from '../src/engine/model/actions.js';
import type { Step } from '../src/engine/model/step.js';
import type { ClusterFacts } from '../src/discovery/facts.js';
import { masterNode, promotedNodes, type CpNode } from '../src/discovery/nodes.js';
import { hostPort } from '../src/pki/hosts.js';
import { LOCAL_PROXY_ADDRESS, controlPlaneProbeClient, endpointOf } from './kit/endpoint.js';
import { APISERVER_READY_TIMEOUT_MS, waitAction } from './kit/probes.js';
import { backendsUpTo, configPath, dedicatedProxyHost, perNodeActions, proxyConfigText, reloadArgv, throughProxyWait, validateArgv, type ProxyOptions } from './kit/proxy.js';
import { makeStep, type StepContext, type StepDefinition } from './kit/step.js';
import { throughVipWait, vipAgentActions, vipNodes, vipOf, vipProxyActions } from './kit/vip.js';

/** The node's apiserver answers /readyz with a certificate valid for the endpoint host. */
function readyForEndpoint(step: string, facts: ClusterFacts, node: CpNode): Action {
  const { host } = endpointOf(facts);
  const port = facts.master.apiserverPort;
  return waitAction(
    step,
    `${node.host}/readyz-as-endpoint`,
    { type: 'https', host: node.host, address: node.address, port, path: '/readyz', serverName: host, ...controlPlaneProbeClient(facts) },
    `wait until ${node.host}'s apiserver answers /readyz with a certificate valid for the endpoint ${host}`,
    APISERVER_READY_TIMEOUT_MS,
  );
}

function dedicatedUpdate(step: string, facts: ClusterFacts, promotedCount: number, opts: ProxyOptions): Action[] {
  const { kind } = facts.config.proxy;
  const proxy = dedicatedProxyHost(facts);
  const master = masterNode(facts);
  const { host: endpointHost, port } = endpointOf(facts);
  const backends = backendsUpTo(facts, promotedCount);
  return [
    {
      id: `${step}/${proxy.host}/check-running-config`,
      step,
      type: 'run',
      host: proxy.host,
      argv: validateArgv(kind),
      undo: reloadArgv(kind),
      description: `check the running ${kind} config (on rollback, after it is restored: reload it)`,
      risk: 'read-only',
    },
    {
      id: `${step}/${proxy.host}/config`,
      step,
      type: 'write-file',
      host: proxy.host,
      path: configPath(kind),
      content: { type: 'literal', text: proxyConfigText(facts, backends, opts) },
      mode: 0o644,
      owner: 'root:root',
      description: `${kind} backends: ${backends.map((b) => b.name).join(', ')}`,
      risk: 'reversible',
    },
    { id: `${step}/${proxy.host}/validate`, step, type: 'run', host: proxy.host, argv: validateArgv(kind), description: `check the new ${kind} config with ${kind} itself`, risk: 'read-only' },
    {
      id: `${step}/${proxy.host}/reload`,
      step,
      type: 'run',
      host: proxy.host,
      argv: reloadArgv(kind),
      undo: reloadArgv(kind),
      // A second reload loads the same config again: resume redoes an interrupted one.
      idempotent: true,
      description: `reload ${kind} gracefully (open connections stay on the old workers until they close)`,
      risk: 'reversible',
    },
    throughProxyWait(step, facts, { host: master.host, worker: false }, endpointHost, port, endpointHost, 'via-endpoint'),
  ];
}

/** One step per promoted node (dedicated) or one for all (per-node), after every node is promoted. */
function build(facts: ClusterFacts, ctx: StepContext): Step[] {
  const opts = ctx.proxy ?? {};
  const { kind, placement } = facts.config.proxy;
  const promoted = promotedNodes(facts);
  if (promoted.length === 0) return [];
  if (placement === 'dedicated') {
    return promoted.map((node, i) => {
      const step = `proxy-backends-${node.host}`;
      return makeStep(
        step,
        `Add ${node.host} to the ${kind} proxy`,
        `Once ${node.host}'s apiserver is ready with a certificate for the endpoint, the proxy on ${dedicatedProxyHost(facts).host} sends it connections too.`,
        [readyForEndpoint(step, facts, node), ...dedicatedUpdate(step, facts, i + 1, opts)],
      );
    });
  }
  const step = 'proxy-backends';
  const { host: endpointHost, port } = endpointOf(facts);
  if (placement === 'vip') {
    const v = vipOf(facts);
    const nodes = vipNodes(facts);
    const added = promoted.map((n) => n.host).join(', ');
    return [
      makeStep(
        step,
        v.proxied ? `${added} behind the ${kind} proxy on every control-plane node, and holding the virtual IP too` : `${added} holding the virtual IP ${v.address} too`,
        `Every new apiserver must be ready with a certificate for the endpoint; ${v.proxied ? `then each control-plane node's proxy on port ${v.endpointPort} gets every apiserver as a backend (its pod restarts), and ` : 'then '}${v.provider} starts on ${added}, so any control-plane node can take ${v.address} over.`,
        [
          ...promoted.map((n) => readyForEndpoint(step, facts, n)),
          ...(v.proxied ? vipProxyActions(step, facts, nodes, backendsUpTo(facts, promoted.length), opts, endpointHost) : []),
          ...promoted.flatMap((n) => vipAgentActions(step, facts, n, nodes.findIndex((x) => x.host === n.host))),
          throughVipWait(step, facts, masterNode(facts), endpointHost, 'via-vip'),
        ],
      ),
    ];
  }
  return [
    makeStep(
      step,
      `Add ${promoted.map((n) => n.host).join(', ')} to every node's ${kind} proxy`,
      `Every new apiserver must be ready with a certificate for 127.0.0.1 and the endpoint; then each worker's proxy on ${hostPort('127.0.0.1', port)} is rewritten and its pod restarted by the kubelet (local clients reconnect).`,
      [...promoted.map((n) => readyForEndpoint(step, facts, n)), ...perNodeActions(step, facts, backendsUpTo(facts, promoted.length), opts, LOCAL_PROXY_ADDRESS)],
    ),
  ];
}

export const proxyBackendsStep: StepDefinition = {
  name: 'proxy-backends',
  summary: "each new apiserver joins the proxy's backends once it answers for the endpoint",
  needs: [
    { step: 'proxy', why: 'it adds backends to the proxy' },
    { step: 'promote/control-plane', why: "each backend is a new node's apiserver" },
  ],
  build,
};
