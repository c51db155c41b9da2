/**
 * Probes, and the wait action that polls one. Object conditions (rollout done, nodes Ready, lease held) are
 * read with kubectl on a control-plane host through its admin.conf: read-only commands, values passed as
 * positional arguments to fixed scripts so no name is ever parsed as code.
 */
import type { Probe, WaitAction } from '../../src/engine/model/actions.js';
import { shQuote } from '../../src/shell/quote.js';
import { checkNodeName } from '../../src/pki/hosts.js';
import { ADMIN_CONF } from './paths.js';

/** How long an apiserver that was (re)started has to answer /readyz. */
export const APISERVER_READY_TIMEOUT_MS = 300_000;

const KUBECTL = ['kubectl', `--kubeconfig=${ADMIN_CONF}`, '--request-timeout=10s'];

/** kubectl's discovery cache goes to a directory removed on exit: probing leaves no ~/.kube/cache on the host. */
function script(body: string, args: readonly string[]): string[] {
  const prologue = `set -eu\nc=$(mktemp -d)\ntrap 'rm -rf "$c"' EXIT\nk() { ${KUBECTL.map(shQuote).join(' ')} --cache-dir="$c" "$@"; }\n`;
  return ['sh', '-c', `${prologue}${body}`, 'ha-wizard-probe', ...args];
}

/** A DaemonSet (or Deployment) whose latest spec is rolled out: observed, every pod updated and available. */
export function rolledOutProbe(host: string, namespace: string, kind: 'daemonset' | 'deployment', name: string): Probe {
  const fields =
    kind === 'daemonset'
      ? '{.metadata.generation} {.status.observedGeneration} {.status.desiredNumberScheduled} {.status.updatedNumberScheduled} {.status.numberAvailable}'
      : '{.metadata.generation} {.status.observedGeneration} {.spec.replicas} {.status.updatedReplicas} {.status.availableReplicas}';
  // Missing status fields (0 available) shorten the list, which fails the count check.
  return {
    type: 'command',
    host,
    // Not there yet: says how far, in words, on stderr (what a wait shows while it waits).
    argv: script(
      `n=$3\nout=$(k -n "$1" get "$2" "$3" -o "jsonpath=$4") || { echo "cannot read $2 $n yet" >&2; exit 1; }\nset -- $out\n` +
        `[ "$#" -eq 5 ] && [ "$1" = "$2" ] && [ "$3" = "$4" ] && [ "$3" = "$5" ] && exit 0\necho "\${4:-0}/\${3:-?} $n pods updated, \${5:-0} available" >&2\nexit 1`,
      [
      namespace,
      kind,
      name,
      fields,
    ]),
  };
}

/** Every named Node has condition Ready=True. */
export function nodesReadyProbe(host: string, nodeNames: readonly string[]): Probe {
  nodeNames.forEach(checkNodeName);
  return {
    type: 'command',
    host,
    argv: script(
      // One list of every node (`get nodes NAME` would return a single Node, not a List, for one name).
      `out=$(k get nodes -o 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}')\n` +
        `for n in "$@"; do printf '%s\\n' "$out" | grep -qxF "$n=True" || { echo "node $n is not Ready" >&2; exit 1; }; done`,
      nodeNames,
    ),
  };
}

/** The Lease has a holder (leader election picked exactly one instance: a Lease names one holder). */
export function leaseHeldProbe(host: string, namespace: string, name: string): Probe {
  return { type: 'command', host, argv: script('h=$(k -n "$1" get lease "$2" -o "jsonpath={.spec.holderIdentity}")\n[ -n "$h" ] || { echo "no $2 holds the lease yet" >&2; exit 1; }', [namespace, name]) };
}

/** Nothing listens on the TCP port (a stopped apiserver released it). */
export function portClosedProbe(host: string, port: number): Probe {
  return { type: 'command', host, argv: ['sh', '-c', 'if ss -Htln "sport = :$1" | grep -q .; then echo "port $1 is still in use" >&2; exit 1; fi', 'ha-wizard-probe', String(port)] };
}

/** A process runs with the pid in the file. */
export function pidAliveProbe(host: string, pidFile: string): Probe {
  return { type: 'command', host, argv: ['pgrep', '-F', pidFile] };
}

/** A wait: the probe is polled every `intervalMs` until it passes or `timeoutMs` is over. Read-only. */
export function waitAction(step: string, id: string, probe: Probe, description: string, timeoutMs: number, intervalMs = 2_000): WaitAction {
  return { id: `${step}/${id}`, step, type: 'wait', probe, timeoutMs, intervalMs, description, risk: 'read-only' };
}

/** Up to `n` items spread over the list (first, last, evenly between): the workers that probe for the fleet. */
export function sample<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  if (n <= 0) return [];
  if (n === 1) return [items[0]!];
  const picked = new Set<number>();
  for (let i = 0; i < n; i++) picked.add(Math.round((i * (items.length - 1)) / (n - 1)));
  return [...picked].map((i) => items[i]!);
}
