/**
 * verify: read-only proof that the conversion holds.
 *
 *   - every apiserver's /readyz directly, its certificate verified for the endpoint name (a missing SAN fails
 *     here with Go's x509 message, not later in a client), and through the endpoint from the master and
 *     from a sample of workers (per-node: their local proxy on 127.0.0.1)
 *   - etcd: `endpoint health --cluster`, and exactly as many voting members as control-plane nodes (no learner left)
 *   - controller-manager and scheduler leases held (a Lease names one holder: leader election works)
 *   - kube-proxy rolled out and available
 *   - each DaemonSet and Deployment repoint-clients repointed (the `repoint` choice): rolled out, every pod Ready
 * The opt-in drill that stops an apiserver is its own step: failover-drill.ts.
 */
import type { Action, Probe } from '../src/engine/model/actions.js';
import type { Step } from '../src/engine/model/step.js';
import type { ClusterFacts } from '../src/discovery/facts.js';
import { masterNode, promotedNodes, workerHosts } from '../src/discovery/nodes.js';
import { oldAddressReport } from '../src/discovery/old-address.js';
import { clusterHealthArgv, etcdctl } from '../src/etcd/etcdctl.js';
import { etcdEndpoint } from './kit/etcd.js';
import { hostPort } from '../src/pki/hosts.js';
import { controlPlaneProbeClient, endpointOf, nodeLocalServer } from './kit/endpoint.js';
import { leaseHeldProbe, rolledOutProbe, sample, waitAction } from './kit/probes.js';
import { podsReadyProbe, repointedWorkloads } from './kit/clients.js';
import { throughProxyWait } from './kit/proxy.js';
import { makeStep, type StepContext, type StepDefinition } from './kit/step.js';
import { isVip, vipOf } from './kit/vip.js';
import { KUBE_VIP_MANIFEST } from '../src/proxy/vip.js';

const CHECK_TIMEOUT_MS = 120_000;

/** Voting (non-learner) etcd members, counted from `member list`; exactly `count`. */
function votingMembersProbe(host: string, count: number, endpoint: string): Probe {
  const list = etcdctl(['member', 'list'], endpoint);
  return { type: 'command', host, argv: ['sh', '-c', '[ "$("$@" | grep -c ", false$")" -eq "$0" ]', String(count), ...list] };
}

function checksActions(step: string, facts: ClusterFacts, ctx: StepContext): Action[] {
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
    actions.push(throughProxyWait(step, facts, { host: master.host, worker: false }, endpointHost, endpointPort, endpointHost, `via-endpoint-${i + 1}`, CHECK_TIMEOUT_MS, `call ${i + 1} of ${cps.length}, so a balancer in rotation meets each apiserver`));
  }
  if (isVip(facts)) {
    // Every control-plane node can take the virtual IP over: its agent runs.
    const v = vipOf(facts);
    for (const cp of cps) {
      actions.push(
        waitAction(
          step,
          `${cp.host}/vip-agent`,
          v.provider === 'keepalived'
            ? { type: 'command', host: cp.host, argv: ['systemctl', 'is-active', '--quiet', 'keepalived'] }
            : { type: 'command', host: cp.host, argv: ['sh', '-c', '[ -f "$1" ] && pgrep -x kube-vip >/dev/null', 'ha-wizard-probe', KUBE_VIP_MANIFEST] },
          `${v.provider} runs on ${cp.host}, ready to hold ${v.address}`,
          CHECK_TIMEOUT_MS,
        ),
      );
    }
  }
  for (const w of sample(workerHosts(facts), ctx.sampleWorkers ?? 3)) {
    actions.push(throughProxyWait(step, facts, { host: w.name, worker: true }, local.address, local.port, local.serverName, 'via-endpoint', CHECK_TIMEOUT_MS));
  }
  actions.push(
    waitAction(step, `${master.host}/etcd-health`, { type: 'command', host: master.host, argv: clusterHealthArgv(etcdEndpoint(facts)) }, 'every etcd member is healthy (etcdctl endpoint health --cluster)', CHECK_TIMEOUT_MS),
    waitAction(step, `${master.host}/etcd-voting`, votingMembersProbe(master.host, cps.length, etcdEndpoint(facts)), `etcd has exactly ${cps.length} voting members and no learner`, CHECK_TIMEOUT_MS),
    waitAction(step, `${master.host}/controller-manager-lease`, leaseHeldProbe(master.host, 'kube-system', 'kube-controller-manager'), 'one kube-controller-manager holds the leader lease', CHECK_TIMEOUT_MS),
    waitAction(step, `${master.host}/scheduler-lease`, leaseHeldProbe(master.host, 'kube-system', 'kube-scheduler'), 'one kube-scheduler holds the leader lease', CHECK_TIMEOUT_MS),
    waitAction(step, `${master.host}/kube-proxy`, rolledOutProbe(master.host, 'kube-system', 'daemonset', 'kube-proxy'), 'every kube-proxy pod is up to date and available', CHECK_TIMEOUT_MS, 5_000),
  );
  for (const { workload: w } of repointedWorkloads(facts, ctx)) {
    const what = `${w.kind} ${w.namespace}/${w.name}`;
    actions.push(
      waitAction(step, `${master.host}/${w.namespace}-${w.name}-rolled-out`, rolledOutProbe(master.host, w.namespace, w.kind === 'DaemonSet' ? 'daemonset' : 'deployment', w.name), `${what} (repointed) runs its new spec on every pod`, CHECK_TIMEOUT_MS, 5_000),
      waitAction(step, `${master.host}/${w.namespace}-${w.name}-ready`, podsReadyProbe(master.host, w), `every pod of ${what} (repointed) is Ready`, CHECK_TIMEOUT_MS, 5_000),
    );
  }
  return actions;
}

/** The references to the old address that no step changes, named in the step (the plan carries them to the end). */
function leftBehind(facts: ClusterFacts, ctx: StepContext): string {
  const r = oldAddressReport(facts, ctx.repoint ?? facts.config.repoint);
  const lines = [...r.findings.map((f) => `${f.object} ${f.field}`), ...r.unreachableNodes.map((n) => `node ${n}'s kubelet.conf (not in the config's workers)`)];
  if (!lines.length) return '';
  const shown = lines.slice(0, 8);
  return ` Not changed by ha-wizard, still naming ${r.oldAddress}: ${shown.join('; ')}${lines.length > shown.length ? `; and ${lines.length - shown.length} more (see the plan output)` : ''}.`;
}

function build(facts: ClusterFacts, ctx: StepContext): Step[] {
  const { host, port } = endpointOf(facts);
  return [
    makeStep(
      'verify',
      `Verify the cluster behind ${hostPort(host, port)}`,
      `Read-only checks: every apiserver directly and through the endpoint with the certificate verified for the endpoint, etcd health and membership, leader leases, kube-proxy${repointedWorkloads(facts, ctx).length ? ', the repointed API clients' : ''}.${leftBehind(facts, ctx)}`,
      checksActions('verify', facts, ctx),
    ),
  ];
}

export const verifyStep: StepDefinition = {
  name: 'verify',
  summary: 'read-only checks: every apiserver directly and through the endpoint, etcd membership, leader leases, kube-proxy',
  needs: [
    { step: 'proxy', why: 'it calls the API through the endpoint' },
    { step: 'endpoint-cert', why: "it verifies every apiserver's certificate for the endpoint name" },
    { step: 'promote/control-plane', why: 'it checks every control-plane node it expects' },
  ],
  build,
};
