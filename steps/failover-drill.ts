/**
 * failover-drill (opt-in: config verify.failoverDrill, or --failover-drill): stop one apiserver, check that the
 * endpoint answers every time while it is down, and that every API client repoint-clients moved to the endpoint
 * (each repointed agent's pods) stays Ready twice, AGENT_HOLD_S apart, while it is down; start it again. A safety timer on the node puts the apiserver
 * back whatever happens to the run; a graceful Ctrl-C runs the drill through to the start (pairedWith).
 *
 * Placement vip drills the address instead (steps/kit/vip-drill.ts): a worker probes the endpoint through the
 * virtual IP every 100 ms; the control-plane node that holds the address loses its network (the link goes down
 * for DOWN s, by a timer on the node, so it comes back whatever happens to the run); the worker reports how many
 * requests failed and how long until the endpoint answered again with a verified certificate (a `measurement`
 * event: the done screen and --json show it); then the node must rejoin: its apiserver ready, etcd healthy, its
 * keepalived or kube-vip running, the endpoint answering.
 */
import type { Action, RunAction } from '../src/engine/model/actions.js';
import type { Plan } from '../src/engine/model/plan.js';
import type { Step } from '../src/engine/model/step.js';
import type { ClusterFacts } from '../src/discovery/facts.js';
import { masterNode, promotedNodes, workerHosts, type CpNode } from '../src/discovery/nodes.js';
import { hostPort } from '../src/pki/hosts.js';
import { controlPlaneProbeClient, endpointOf, nodeLocalServer, probeClient } from './kit/endpoint.js';
import { KUBERNETES_DIR, MANIFESTS_DIR } from './kit/paths.js';
import { portClosedProbe, sample, waitAction } from './kit/probes.js';
import { podsReadyProbe, repointedWorkloads } from './kit/clients.js';
import { makeStep, type StepContext, type StepDefinition } from './kit/step.js';
import { CUT_HOLDER, PROBER_DIR, PROBER_REPORT, PROBER_START, PROBER_STOP } from './kit/vip-drill.js';
import { isVip, vipCidr, vipInterface, vipNodes, vipOf } from './kit/vip.js';
import { clusterHealthArgv } from '../src/etcd/etcdctl.js';
import { etcdEndpoint } from './kit/etcd.js';
import { BadInputError } from '../src/exit-codes.js';
import { KUBE_VIP_MANIFEST } from '../src/proxy/vip.js';

/** The step's id in the plan. */
export const DRILL_STEP = 'failover-drill';

/** The drill to plan: the command line's choice over the config's `verify.failoverDrill`; a bare flag keeps the config's node. */
export function failoverDrillChoice(facts: ClusterFacts, opts: Pick<StepContext, 'failoverDrill'> = {}): boolean | string {
  const fromConfig = facts.config.verify?.failoverDrill ?? false;
  if (opts.failoverDrill === undefined) return fromConfig;
  if (opts.failoverDrill === true && typeof fromConfig === 'string') return fromConfig;
  return opts.failoverDrill;
}

/** The node the drill stops: the named control-plane node, or (true) the last to promote. */
export function drillNode(facts: ClusterFacts, choice: true | string): CpNode {
  const cps = [masterNode(facts), ...promotedNodes(facts)];
  if (cps.length < 2) throw new Error('the failover drill needs at least two control-plane nodes');
  if (choice === true) return cps[cps.length - 1]!;
  const node = cps.find((n) => n.host === choice);
  if (!node) throw new Error(`failover drill: ${choice} is not a control-plane node (${cps.map((n) => n.host).join(', ')})`);
  return node;
}

/** Where the drill parks the apiserver manifest: its own name, so no other step's parked manifest is ever touched. */
export const DRILL_PARKED = `${KUBERNETES_DIR}/ha-wizard-drill-kube-apiserver.yaml`;
const APISERVER_MANIFEST = `${MANIFESTS_DIR}/kube-apiserver.yaml`;
const DRILL_STOP_TIMEOUT_MS = 90_000;
/** One attempt per probe: the endpoint must answer every time, not eventually. */
const DRILL_PROBE = { timeoutMs: 1_000, intervalMs: 2_000 } as const;
/** How long the repointed agents' pods may take to be Ready again once the stopped apiserver is back. */
const AGENTS_BACK_TIMEOUT_MS = 120_000;
/** The prober's own request timeout bounds one attempt (src/kube/prober.ts: 10 s), plus the SSH round trips. */
const DRILL_PROBE_BOUND_S = 15;
/**
 * How long the drill lets repointed agents run with the apiserver stopped before each of its two readiness checks: a
 * pod still pinned to the stopped node notices at its next health check (the lab's agent every 5 s; a real Cilium
 * agent's readiness probe takes longer to fail, so the drill proves most for the lab's and for fast probes). Short,
 * because the node whose apiserver is stopped cannot renew its Lease: past the node monitor's grace period (50 s)
 * its pods would be marked NotReady for that reason alone.
 */
export const AGENT_HOLD_S = 6;

/**
 * Puts the manifest back if it is still parked (and nothing else took its place), then waits until the API on
 * this node answers /readyz through the name every kubeadm apiserver certificate carries (or, without curl,
 * listens). $1 manifest, $2 parked, $3 port.
 */
const RESTORE_SCRIPT = [
  'if [ -f "$2" ] && [ ! -e "$1" ]; then mv "$2" "$1"; fi',
  'port=$3',
  'ready() { if command -v curl >/dev/null; then curl -fsS --max-time 2 --cacert /etc/kubernetes/pki/ca.crt --resolve "kubernetes:$port:127.0.0.1" "https://kubernetes:$port/readyz" >/dev/null 2>&1; else ss -Htln "sport = :$port" | grep -q .; fi; }',
  'i=0',
  'until ready; do [ $i -lt 180 ] || { echo "the apiserver did not become ready within 180 s after $1 was restored" >&2; exit 1; }; sleep 1; i=$((i+1)); done',
].join('\n');

/**
 * Parks the manifest, after starting a detached safety timer that puts it back after $3 seconds whatever
 * happens to the drill (a failed check stops the run, an interrupt, a lost SSH connection). $1 manifest,
 * $2 parked, $3 seconds.
 */
const STOP_SCRIPT = [
  'set -e',
  '[ -f "$1" ] || { echo "$1 is missing: the apiserver on this node is not a static pod ha-wizard can stop" >&2; exit 1; }',
  '[ ! -e "$2" ] || { echo "$2 exists: an earlier drill did not finish; move it back to $1 first" >&2; exit 1; }',
  'timer=\'sleep "$3"; if [ -f "$2" ] && [ ! -e "$1" ]; then mv "$2" "$1"; fi\'',
  'if command -v setsid >/dev/null; then setsid -f sh -c "$timer" ha-wizard-drill-timer "$1" "$2" "$3" </dev/null >/dev/null 2>&1',
  'else nohup sh -c "$timer" ha-wizard-drill-timer "$1" "$2" "$3" </dev/null >/dev/null 2>&1 & fi',
  'mv "$1" "$2"',
].join('\n');

/** Where the drill's probes come from: clients of the endpoint whose own apiserver (if any) stays up. */
function drillProbeSources(facts: ClusterFacts, node: CpNode, ctx: StepContext): Array<{ host: string; worker: boolean; address: string; port: number; serverName: string }> {
  const master = masterNode(facts);
  const { host: endpointHost, port: endpointPort } = endpointOf(facts);
  const other = node.host === master.host ? promotedNodes(facts)[0]! : master;
  if (facts.config.proxy.placement === 'per-node') {
    // Per-node: the clients are the workers' local proxies (on a control-plane node 127.0.0.1 is its own apiserver).
    const local = nodeLocalServer(facts);
    const workers = sample(workerHosts(facts), Math.max(1, ctx.sampleWorkers ?? 3));
    if (workers.length) return workers.map((w) => ({ host: w.name, worker: true, address: local.address, port: local.port, serverName: local.serverName }));
  }
  return [{ host: other.host, worker: false, address: endpointHost, port: endpointPort, serverName: endpointHost }];
}

/** The drill: stop (with the safety timer), checks through the endpoint, proof it was still down, start, ready. */
function drillActions(step: string, facts: ClusterFacts, node: CpNode, ctx: StepContext): Action[] {
  const { host: endpointHost } = endpointOf(facts);
  const port = facts.master.apiserverPort;
  const cps = [masterNode(facts), ...promotedNodes(facts)];
  const sources = drillProbeSources(facts, node, ctx);
  // Twice round the backends from each source, so a balancer in rotation offers the stopped one at least twice.
  const rounds = 2 * cps.length;
  const agents = repointedWorkloads(facts, ctx).map((x) => x.workload);
  const agentsS = agents.length ? 2 * (AGENT_HOLD_S + agents.length * DRILL_PROBE_BOUND_S) : 0;
  const safetyS = Math.ceil(DRILL_STOP_TIMEOUT_MS / 1000) + sources.length * rounds * DRILL_PROBE_BOUND_S + agentsS + 60;
  const restore = ['sh', '-c', RESTORE_SCRIPT, 'ha-wizard-drill-restore', APISERVER_MANIFEST, DRILL_PARKED, String(port)];
  const comesBack = `${node.host}'s apiserver comes back by itself at most ${safetyS} s after it was stopped (safety timer), or at once with \`ha-wizard rollback\``;
  const probes: Action[] = [];
  for (const src of sources) {
    for (let i = 1; i <= rounds; i++) {
      const client = probeClient(facts, src);
      probes.push({
        ...waitAction(
          step,
          `${src.host}/endpoint-during-drill-${i}`,
          { type: 'https', host: src.host, address: src.address, port: src.port, path: '/readyz', serverName: src.serverName, ...client },
          `check ${i}/${rounds} with ${node.host}'s apiserver stopped: https://${hostPort(src.address, src.port)}/readyz answers from ${src.host} at the first attempt (if not: ${comesBack})`,
          DRILL_PROBE.timeoutMs,
          DRILL_PROBE.intervalMs,
        ),
      });
    }
  }
  // Repointed API clients (the `repoint` choice) keep working: checked from a control-plane node whose apiserver stays up.
  const checker = node.host === masterNode(facts).host ? promotedNodes(facts)[0]!.host : masterNode(facts).host;
  for (const round of agents.length ? [1, 2] : []) {
    probes.push(
      waitAction(
        step,
        `${checker}/agents-hold-${round}`,
        { type: 'command', host: checker, argv: ['sleep', String(AGENT_HOLD_S)] },
        `let ${AGENT_HOLD_S} s pass with ${node.host}'s apiserver stopped, so every repointed agent checks its API connection again`,
        (AGENT_HOLD_S + 30) * 1000,
        1_000,
      ),
    );
    for (const w of agents) {
      probes.push(
        waitAction(
          step,
          `${checker}/${w.namespace}-${w.name}-ready-during-drill-${round}`,
          podsReadyProbe(checker, w, node.nodeName),
          `check ${round}/2 with ${node.host}'s apiserver stopped: every pod of ${w.kind} ${w.namespace}/${w.name} (repointed) on the other nodes is still Ready, at the first attempt (if not: ${comesBack})`,
          DRILL_PROBE.timeoutMs,
          DRILL_PROBE.intervalMs,
        ),
      );
    }
  }
  return [
    {
      id: `${step}/${node.host}/stop-apiserver`,
      step,
      type: 'run',
      host: node.host,
      argv: ['sh', '-c', STOP_SCRIPT, 'ha-wizard-drill-stop', APISERVER_MANIFEST, DRILL_PARKED, String(safetyS)],
      undo: restore,
      // A graceful Ctrl-C finishes the drill through the start: never leave an apiserver parked.
      pairedWith: `${step}/${node.host}/start-apiserver`,
      probe: { type: 'file', host: node.host, path: APISERVER_MANIFEST, absent: true },
      description: `stop the apiserver on ${node.host}: move its manifest to ${DRILL_PARKED}, with a safety timer that moves it back after ${safetyS} s whatever happens (the API on ${node.host} itself is down meanwhile)`,
      risk: 'disruptive',
    },
    waitAction(step, `${node.host}/apiserver-stopped`, portClosedProbe(node.host, port), `wait until the apiserver on ${node.host} has stopped (port ${port} released)`, DRILL_STOP_TIMEOUT_MS, 1_000),
    ...probes,
    waitAction(
      step,
      `${node.host}/still-stopped`,
      { type: 'command', host: node.host, argv: ['sh', '-c', '[ -f "$1" ] && ! ss -Htln "sport = :$2" | grep -q .', 'ha-wizard-probe', DRILL_PARKED, String(port)] },
      `${node.host}'s apiserver was still stopped when the checks ended (else the safety timer ended the drill early and the checks proved nothing)`,
      DRILL_PROBE.timeoutMs,
      DRILL_PROBE.intervalMs,
    ),
    {
      id: `${step}/${node.host}/start-apiserver`,
      step,
      type: 'run',
      host: node.host,
      argv: restore,
      undo: restore,
      probe: { type: 'file', host: node.host, path: APISERVER_MANIFEST },
      idempotent: true,
      description: `start the apiserver on ${node.host} again: move its manifest back into ${MANIFESTS_DIR} and wait until it answers`,
      risk: 'disruptive',
    },
    waitAction(
      step,
      `${node.host}/readyz-after-drill`,
      { type: 'https', host: node.host, address: node.address, port, path: '/readyz', serverName: endpointHost, ...controlPlaneProbeClient(facts) },
      `${node.host}'s apiserver is back and answers /readyz for the endpoint name`,
      300_000,
    ),
    // The drill ends with the cluster as it found it: a pod whose API checks reached the restarted apiserver while it
    // was not ready yet (an L4 endpoint sends it connections as soon as it listens) is Ready again before the run ends.
    ...agents.map((w) =>
      waitAction(
        step,
        `${checker}/${w.namespace}-${w.name}-ready-after-drill`,
        podsReadyProbe(checker, w),
        `every pod of ${w.kind} ${w.namespace}/${w.name} (repointed) is Ready again after the drill`,
        AGENTS_BACK_TIMEOUT_MS,
      ),
    ),
  ];
}

/** How long the holder's network stays down: longer than any takeover (keepalived ~3.6 s, kube-vip's 5 s lease). */
export const VIP_DRILL_DOWN_S = 15;
/** Successful requests in a row (100 ms apart) that mean the endpoint answers again. */
const VIP_DRILL_STABLE = 20;

/** The VIP drill: prober on a worker, the holder's network cut, what the worker measured, the node's rejoin. */
function vipDrillActions(step: string, facts: ClusterFacts): Action[] {
  const v = vipOf(facts);
  const worker = workerHosts(facts)[0];
  if (!worker) throw new BadInputError('the failover drill of a virtual IP measures the endpoint from a worker, and the config lists none', 'list a worker under workers (one is enough), or plan without the drill');
  const cps = vipNodes(facts);
  const master = masterNode(facts);
  const { host: endpointHost } = endpointOf(facts);
  const url = `https://${hostPort(endpointHost, v.endpointPort)}/readyz`;
  const client = probeClient(facts, { worker: true });
  // The same request before and after the drill: /readyz through the virtual IP, as a worker's kubelet makes it.
  const throughVip = { type: 'https' as const, host: worker.name, address: endpointHost, port: v.endpointPort, path: '/readyz', serverName: endpointHost, ...client };
  const waitS = VIP_DRILL_DOWN_S + 40;
  const proberStop = ['sh', '-c', PROBER_STOP, 'ha-wizard-drill-prober-stop', PROBER_DIR];
  const actions: Action[] = [
    waitAction(
      step,
      `${worker.name}/endpoint-before`,
      throughVip,
      `the endpoint answers from ${worker.name} through the virtual IP before the drill`,
      60_000,
    ),
    {
      id: `${step}/${worker.name}/prober-start`,
      step,
      type: 'run',
      host: worker.name,
      argv: ['sh', '-c', PROBER_START, 'ha-wizard-drill-prober', PROBER_DIR, url, client.caPath, client.clientCertPath, String(waitS + 60)],
      undo: proberStop,
      idempotent: true,
      description: `start probing ${url} from ${worker.name} every 100 ms (TLS verified, the kubelet's credentials), in the background for at most ${waitS + 60} s`,
      risk: 'reversible',
    },
  ];
  cps.forEach((n) => {
    const others = cps.filter((o) => o.host !== n.host).map((o) => o.address);
    const iface = vipInterface(facts, n.host);
    actions.push({
      id: `${step}/${n.host}/stop-if-holder`,
      step,
      type: 'run',
      host: n.host,
      argv: ['sh', '-c', CUT_HOLDER, 'ha-wizard-drill-cut', vipCidr(facts), iface, String(VIP_DRILL_DOWN_S), String(v.apiserverPort), ...others],
      undo: ['ip', 'link', 'set', iface, 'up'],
      description: `if ${n.host} holds ${v.address} (and every other control-plane node answers): its network (${iface}) goes down 1 s later, for ${VIP_DRILL_DOWN_S} s, by a timer on ${n.host} that brings it back whatever happens`,
      risk: 'disruptive',
    });
  });
  actions.push({
    id: `${step}/${worker.name}/measure`,
    step,
    type: 'run',
    host: worker.name,
    argv: ['sh', '-c', PROBER_REPORT, 'ha-wizard-drill-report', PROBER_DIR, String(waitS), String(VIP_DRILL_STABLE)],
    undo: proberStop,
    timeoutMs: (waitS + 30) * 1000,
    measurement: 'vip-failover',
    description: `measure from ${worker.name}: requests that failed, and the time until ${url} answered again with a verified certificate (${VIP_DRILL_STABLE} answers in a row, within ${waitS} s)`,
    risk: 'read-only',
  });
  // The stopped node comes back by itself after its DOWN seconds and must rejoin.
  const rejoin = (VIP_DRILL_DOWN_S + 240) * 1000;
  for (const n of cps) {
    actions.push(
      waitAction(
        step,
        `${n.host}/apiserver-rejoined`,
        { type: 'https', host: worker.name, address: n.address, port: v.apiserverPort, path: '/readyz', serverName: endpointHost, ...client },
        `${n.host}'s apiserver answers /readyz from ${worker.name} (the stopped node is back on the network)`,
        rejoin,
      ),
      waitAction(
        step,
        `${n.host}/vip-agent-rejoined`,
        v.provider === 'keepalived'
          ? { type: 'command', host: n.host, argv: ['systemctl', 'is-active', '--quiet', 'keepalived'] }
          : { type: 'command', host: n.host, argv: ['sh', '-c', '[ -f "$1" ] && pgrep -x kube-vip >/dev/null', 'ha-wizard-probe', KUBE_VIP_MANIFEST] },
        `${v.provider} runs on ${n.host} again, ready to take ${v.address} over`,
        rejoin,
      ),
    );
  }
  actions.push(
    waitAction(step, `${master.host}/etcd-rejoined`, { type: 'command', host: master.host, argv: clusterHealthArgv(etcdEndpoint(facts)) }, 'every etcd member is healthy again (etcdctl endpoint health --cluster)', rejoin),
    waitAction(
      step,
      `${worker.name}/endpoint-after`,
      throughVip,
      `the endpoint answers from ${worker.name} through the virtual IP after the drill`,
      60_000,
    ),
  );
  return actions;
}

function build(facts: ClusterFacts, ctx: StepContext): Step[] {
  const choice = failoverDrillChoice(facts, ctx);
  if (!choice) return [];
  if (isVip(facts)) {
    const v = vipOf(facts);
    return [
      makeStep(
        DRILL_STEP,
        `Failover drill: the node holding ${v.address} loses its network, the endpoint comes back`,
        `Opt-in. A worker probes the endpoint through ${v.address} every 100 ms; the control-plane node that holds the address loses its network for ${VIP_DRILL_DOWN_S} s (a timer on it brings the network back whatever happens); the worker reports how many requests failed and how long until the endpoint answered again with a verified certificate. Then the node must rejoin: its apiserver, etcd and ${v.provider}.`,
        vipDrillActions(DRILL_STEP, facts),
      ),
    ];
  }
  const node = drillNode(facts, choice);
  return [
    makeStep(
      DRILL_STEP,
      `Failover drill: stop ${node.host}'s apiserver, the endpoint keeps answering`,
      `Opt-in. Moves ${node.host}'s apiserver manifest out, checks that the endpoint answers every time while it is down, moves it back and waits until it is ready. The API on ${node.host} itself is down meanwhile; a safety timer on ${node.host} restores it even when a check fails or the run stops.`,
      drillActions(DRILL_STEP, facts, node, ctx),
    ),
  ];
}

export const failoverDrillStep: StepDefinition = {
  name: 'failover-drill',
  summary: 'opt-in (--failover-drill): one apiserver stopped, the endpoint must keep answering, then started again',
  needs: [
    { step: 'proxy-backends', why: 'the endpoint must have another apiserver behind it while one is stopped' },
    { step: 'promote/control-plane', why: 'it stops one control-plane node of several' },
  ],
  build,
};

/**
 * The node a plan's drill stops (the host of its stop command), or, for a plan without the drill, the node it
 * would stop if added (the config's, else the last to promote); null when the cluster has too few control-plane nodes.
 */
/** What the drill does when it does not stop one apiserver: the virtual IP's drill (null otherwise). */
export function drillWhat(facts: ClusterFacts): string | null {
  return isVip(facts) ? `the node holding ${vipOf(facts).address} loses its network` : null;
}

export function drillTarget(facts: ClusterFacts, plan: Pick<Plan, 'actions'>): string | null {
  if (isVip(facts)) return workerHosts(facts).length ? 'the virtual IP holder' : null;
  const planned = plan.actions.find((a): a is RunAction => a.step === DRILL_STEP && a.type === 'run');
  if (planned) return planned.host;
  const choice = failoverDrillChoice(facts, { failoverDrill: true });
  if (choice === false) return null;
  try {
    return drillNode(facts, choice).host;
  } catch {
    return null;
  }
}
