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
import type { Action, Probe } from '../src/engine/model/actions.js';
import type { ClusterFacts } from '../src/discovery/facts.js';
import type { Step, StepContext } from '../src/engine/model/step.js';
import { masterNode, promotedNodes, type CpNode } from '../src/discovery/nodes.js';
import { etcdctl } from '../src/discovery/etcdctl.js';
import { KUBELET_CLIENT_PEM, KUBERNETES_DIR, MANIFESTS_DIR, NODE_CA, controlPlaneProbeClient, endpointOf, hostPort, nodeLocalServer, workerHosts } from '../src/proxy/endpoint.js';
import { leaseHeldProbe, makeStep, portClosedProbe, rolledOutProbe, waitAction } from '../src/proxy/probes.js';
import { throughProxyWait } from './proxy.js';
import { oldAddressReport } from './audit.js';

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
    actions.push(throughProxyWait(step, facts, { host: master.host, worker: false }, endpointHost, endpointPort, endpointHost, `via-endpoint-${i + 1}`, CHECK_TIMEOUT_MS, `call ${i + 1} of ${cps.length}, so a balancer in rotation meets each apiserver`));
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

/** Where the drill parks the apiserver manifest: its own name, so no other step's parked manifest is ever touched. */
export const DRILL_PARKED = `${KUBERNETES_DIR}/ha-wizard-drill-kube-apiserver.yaml`;
const APISERVER_MANIFEST = `${MANIFESTS_DIR}/kube-apiserver.yaml`;
const DRILL_STOP_TIMEOUT_MS = 90_000;
/** One attempt per probe: the endpoint must answer every time, not eventually. */
const DRILL_PROBE = { timeoutMs: 1_000, intervalMs: 2_000 } as const;
/** The prober's own request timeout bounds one attempt (src/kube/prober.ts: 10 s), plus the SSH round trips. */
const DRILL_PROBE_BOUND_S = 15;

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
function drillProbeSources(facts: ClusterFacts, node: CpNode, opts: VerifyOptions): Array<{ host: string; worker: boolean; address: string; port: number; serverName: string }> {
  const master = masterNode(facts);
  const { host: endpointHost, port: endpointPort } = endpointOf(facts);
  const other = node.host === master.host ? promotedNodes(facts)[0]! : master;
  if (facts.config.proxy.placement === 'per-node') {
    // Per-node: the clients are the workers' local proxies (on a control-plane node 127.0.0.1 is its own apiserver).
    const local = nodeLocalServer(facts);
    const workers = sample(workerHosts(facts), Math.max(1, opts.sampleWorkers ?? 3));
    if (workers.length) return workers.map((w) => ({ host: w.name, worker: true, address: local.address, port: local.port, serverName: local.serverName }));
  }
  return [{ host: other.host, worker: false, address: endpointHost, port: endpointPort, serverName: endpointHost }];
}

/** The drill: stop (with the safety timer), checks through the endpoint, proof it was still down, start, ready. */
export function drillActions(step: string, facts: ClusterFacts, node: CpNode, opts: VerifyOptions = {}): Action[] {
  const { host: endpointHost } = endpointOf(facts);
  const port = facts.master.apiserverPort;
  const cps = [masterNode(facts), ...promotedNodes(facts)];
  const sources = drillProbeSources(facts, node, opts);
  // Twice round the backends from each source, so a balancer in rotation offers the stopped one at least twice.
  const rounds = 2 * cps.length;
  const safetyS = Math.ceil(DRILL_STOP_TIMEOUT_MS / 1000) + sources.length * rounds * DRILL_PROBE_BOUND_S + 60;
  const restore = ['sh', '-c', RESTORE_SCRIPT, 'ha-wizard-drill-restore', APISERVER_MANIFEST, DRILL_PARKED, String(port)];
  const comesBack = `${node.host}'s apiserver comes back by itself at most ${safetyS} s after it was stopped (safety timer), or at once with \`ha-wizard rollback\``;
  const probes: Action[] = [];
  for (const src of sources) {
    for (let i = 1; i <= rounds; i++) {
      const client = src.worker ? { caPath: NODE_CA, clientCertPath: KUBELET_CLIENT_PEM, clientKeyPath: KUBELET_CLIENT_PEM } : controlPlaneProbeClient(facts);
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
  ];
}

/** The references to the old address that no step changes, named in the step (the plan carries them to the end). */
function leftBehind(facts: ClusterFacts): string {
  const r = oldAddressReport(facts);
  const lines = [...r.findings.map((f) => `${f.object} ${f.field}`), ...r.unreachableNodes.map((n) => `node ${n}'s kubelet.conf (not in the config's workers)`)];
  if (!lines.length) return '';
  const shown = lines.slice(0, 8);
  return ` Not changed by ha-wizard, still naming ${r.oldAddress}: ${shown.join('; ')}${lines.length > shown.length ? `; and ${lines.length - shown.length} more (see the plan output)` : ''}.`;
}

export function buildVerifySteps(facts: ClusterFacts, _ctx?: StepContext, opts: VerifyOptions = {}): Step[] {
  const { host, port } = endpointOf(facts);
  const steps: Step[] = [
    makeStep(
      'verify',
      `Verify the cluster behind ${hostPort(host, port)}`,
      `Read-only checks: every apiserver directly and through the endpoint with the certificate verified for the endpoint, etcd health and membership, leader leases, kube-proxy.${leftBehind(facts)}`,
      checksActions('verify', facts, opts),
    ),
  ];
  if (opts.failoverDrill) {
    const node = drillNode(facts, opts.failoverDrill);
    steps.push(
      makeStep(
        'failover-drill',
        `Failover drill: stop ${node.host}'s apiserver, the endpoint keeps answering`,
        `Opt-in. Moves ${node.host}'s apiserver manifest out, checks that the endpoint answers every time while it is down, moves it back and waits until it is ready. The API on ${node.host} itself is down meanwhile; a safety timer on ${node.host} restores it even when a check fails or the run stops.`,
        drillActions('failover-drill', facts, node, opts),
      ),
    );
  }
  return steps;
}
