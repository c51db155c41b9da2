/**
 * verify: read-only proof that the conversion holds, and an opt-in failover drill.
 *
 *   - every apiserver's /readyz directly, its certificate verified for the endpoint name (a missing SAN fails
 *     here with Go's x509 message, not later in a client), and through the endpoint from the master and
 *     from a sample of workers (per-node: their local proxy on 127.0.0.1)
 *   - etcd: `endpoint health --cluster`, and exactly as many voting members as control-plane nodes (no learner left)
 *   - controller-manager and scheduler leases held (a Lease names one holder: leader election works)
 *   - kube-proxy rolled out and available
 *   - drill (opt-in): stop one apiserver, the endpoint still answers, start it again
 */
import type { Action, Probe } from '../src/engine/actions.js';
import type { ClusterFacts } from '../src/discovery/facts.js';
import type { Step, StepContext } from '../src/engine/step.js';
import { masterNode, promotedNodes, type CpNode } from '../src/discovery/nodes.js';
import { etcdctl } from '../src/discovery/etcdctl.js';
import { controlPlaneProbeClient, endpointOf, hostPort, nodeLocalServer, workerHosts } from '../src/proxy/endpoint.js';
import { leaseHeldProbe, makeStep, rolledOutProbe, waitAction } from '../src/proxy/probes.js';
import { throughProxyWait } from './proxy.js';
import { startStaticPod, stopStaticPod } from './endpoint-cert.js';

export interface VerifyOptions {
  /** Workers that probe the endpoint (first, middle, last of the list); default 3. */
  sampleWorkers?: number;
  /** Run the failover drill on this control-plane host (config name), or `true` for the last promoted node. */
  failoverDrill?: boolean | string;
}

const CHECK_TIMEOUT_MS = 120_000;

function sample<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  if (n <= 0) return [];
  if (n === 1) return [items[0]!];
  const picked = new Set<number>();
  for (let i = 0; i < n; i++) picked.add(Math.round((i * (items.length - 1)) / (n - 1)));
  return [...picked].map((i) => items[i]!);
}

/** Voting (non-learner) etcd members, counted from `member list`; exactly `count`. */
function votingMembersProbe(host: string, count: number): Probe {
  const list = etcdctl(['member', 'list']);
  return { type: 'command', host, argv: ['sh', '-c', '[ "$("$@" | grep -c ", false$")" -eq "$0" ]', String(count), ...list] };
}

function checksActions(step: string, facts: ClusterFacts, opts: VerifyOptions): Action[] {
  const master = masterNode(facts);
  const cps = [master, ...promotedNodes(facts)];
  const { host: endpointHost, port: endpointPort } = endpointOf(facts);
  const port = facts.master.apiserverPort;
  const client = controlPlaneProbeClient(facts);
  const local = nodeLocalServer(facts);
  const actions: Action[] = [];
  for (const cp of cps) {
    actions.push(
      waitAction(
        step,
        `${cp.host}/readyz-direct`,
        { type: 'https', host: cp.host, address: cp.address, port, path: '/readyz', serverName: endpointHost, ...client },
        `${cp.host}'s apiserver answers /readyz with a certificate valid for the endpoint ${endpointHost}`,
        CHECK_TIMEOUT_MS,
      ),
    );
  }
  // Through the endpoint as many times as there are apiservers, so a balancer in rotation meets each of them.
  for (let i = 0; i < cps.length; i++) {
    actions.push(throughProxyWait(step, facts, { host: master.host, worker: false }, endpointHost, endpointPort, endpointHost, `via-endpoint-${i + 1}`, CHECK_TIMEOUT_MS));
  }
  for (const w of sample(workerHosts(facts), opts.sampleWorkers ?? 3)) {
    actions.push(throughProxyWait(step, facts, { host: w.name, worker: true }, local.address, local.port, local.serverName, 'via-endpoint', CHECK_TIMEOUT_MS));
  }
  actions.push(
    waitAction(step, `${master.host}/etcd-health`, { type: 'command', host: master.host, argv: etcdctl(['endpoint', 'health', '--cluster']) }, 'every etcd member is healthy (etcdctl endpoint health --cluster)', CHECK_TIMEOUT_MS),
    waitAction(step, `${master.host}/etcd-voting`, votingMembersProbe(master.host, cps.length), `etcd has exactly ${cps.length} voting members and no learner`, CHECK_TIMEOUT_MS),
    waitAction(step, `${master.host}/controller-manager-lease`, leaseHeldProbe(master.host, 'kube-system', 'kube-controller-manager'), 'one kube-controller-manager holds the leader lease', CHECK_TIMEOUT_MS),
    waitAction(step, `${master.host}/scheduler-lease`, leaseHeldProbe(master.host, 'kube-system', 'kube-scheduler'), 'one kube-scheduler holds the leader lease', CHECK_TIMEOUT_MS),
    waitAction(step, `${master.host}/kube-proxy`, rolledOutProbe(master.host, 'kube-system', 'daemonset', 'kube-proxy'), 'every kube-proxy pod is up to date and available', CHECK_TIMEOUT_MS, 5_000),
  );
  return actions;
}

function drillNode(facts: ClusterFacts, choice: true | string): CpNode {
  const cps = [masterNode(facts), ...promotedNodes(facts)];
  if (cps.length < 2) throw new Error('the failover drill needs at least two control-plane nodes');
  if (choice === true) return cps[cps.length - 1]!;
  const node = cps.find((n) => n.host === choice);
  if (!node) throw new Error(`failover drill: ${choice} is not a control-plane node (${cps.map((n) => n.host).join(', ')})`);
  return node;
}

function drillActions(step: string, facts: ClusterFacts, node: CpNode): Action[] {
  const master = masterNode(facts);
  const { host: endpointHost, port: endpointPort } = endpointOf(facts);
  const port = facts.master.apiserverPort;
  // Probe from a control-plane node whose apiserver stays up (per-node placement: 127.0.0.1 there is its own apiserver).
  const from = node.host === master.host ? promotedNodes(facts)[0]! : master;
  return [
    ...stopStaticPod(step, node.host, 'kube-apiserver', port, 'apiserver'),
    throughProxyWait(step, facts, { host: from.host, worker: false }, endpointHost, endpointPort, endpointHost, 'endpoint-during-drill-1', CHECK_TIMEOUT_MS),
    throughProxyWait(step, facts, { host: from.host, worker: false }, endpointHost, endpointPort, endpointHost, 'endpoint-during-drill-2', CHECK_TIMEOUT_MS),
    startStaticPod(step, node.host, 'kube-apiserver', 'apiserver'),
    waitAction(
      step,
      `${node.host}/readyz-after-drill`,
      { type: 'https', host: node.host, address: node.address, port, path: '/readyz', serverName: endpointHost, ...controlPlaneProbeClient(facts) },
      `${node.host}'s apiserver is back`,
      300_000,
    ),
  ];
}

export function buildVerifySteps(facts: ClusterFacts, _ctx?: StepContext, opts: VerifyOptions = {}): Step[] {
  const { host, port } = endpointOf(facts);
  const steps: Step[] = [
    makeStep(
      'verify',
      `Verify the cluster behind ${hostPort(host, port)}`,
      'Read-only checks: every apiserver directly and through the endpoint with the certificate verified for the endpoint, etcd health and membership, leader leases, kube-proxy.',
      checksActions('verify', facts, opts),
    ),
  ];
  if (opts.failoverDrill) {
    const node = drillNode(facts, opts.failoverDrill);
    steps.push(
      makeStep(
        'failover-drill',
        `Failover drill: stop ${node.host}'s apiserver`,
        `Moves ${node.host}'s apiserver manifest out, checks the endpoint still answers, moves it back. The API on ${node.host} itself is down meanwhile.`,
        drillActions('failover-drill', facts, node),
      ),
    );
  }
  return steps;
}
