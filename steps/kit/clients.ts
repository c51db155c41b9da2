/**
 * API clients outside kubeadm's (the `repoint` offers, discovery/api-clients.ts) as the steps need them: which are
 * chosen, where they point, the one-node-at-a-time restart of a DaemonSet's pods, and the probes that tell a
 * repointed agent is ready. Read by repoint-clients (changes them), verify (checks them) and failover-drill (checks
 * they stay ready while an apiserver is stopped). Pure: commands are data; values are positional arguments.
 */
import type { Probe } from '../../src/engine/model/actions.js';
import type { ClientOffer, ClusterFacts, OfferWorkload } from '../../src/discovery/facts.js';
import { chooseOffers } from '../../src/discovery/old-address.js';
import { BadInputError } from '../../src/exit-codes.js';
import { shQuote } from '../../src/shell/quote.js';
import { ADMIN_CONF } from './paths.js';
import type { StepContext } from './step.js';

/** How long one node's pod has to be Ready again before the restart stops (and says where it stopped). */
export const POD_READY_TIMEOUT_S = 300;

/** The offers this plan repoints: the wizard's choice (ctx.repoint), else the config's `repoint`. A name the cluster does not have is bad input. */
export function chosenClientOffers(facts: ClusterFacts, ctx: Pick<StepContext, 'repoint'>): ClientOffer[] {
  const repoint = ctx.repoint ?? facts.config.repoint;
  const offers = facts.apiClients?.offers ?? [];
  const seen = facts.apiClients?.seen ?? { cilium: false, calico: false, workloads: [] };
  const { chosen, unknown } = chooseOffers(offers, repoint, seen);
  if (unknown.length) {
    const have = offers.length ? `what it can repoint here: ${offers.map((o) => o.id).join(', ')}` : 'nothing here names the old address in a field ha-wizard can repoint';
    throw new BadInputError(
      `repoint: ${unknown.join(', ')}: the cluster has no such ${unknown.length === 1 ? 'install or workload' : 'installs or workloads'} (the audit looked at every namespace); ${have}`,
      'remove the item from `repoint` in the config, or correct it (cilium, calico, or Kind/namespace/name of a DaemonSet or Deployment as kubectl shows it)',
    );
  }
  return chosen;
}

/** `k8s-app=cilium,app=x`: a workload's selector as kubectl -l takes it (label keys and values cannot hold `,` or `=`). */
export function selectorOf(w: Pick<OfferWorkload, 'selector' | 'kind' | 'namespace' | 'name'>): string {
  const parts = Object.entries(w.selector).map(([k, v]) => `${k}=${v}`);
  if (!parts.length) throw new Error(`${w.kind} ${w.namespace}/${w.name} has no spec.selector.matchLabels: its pods cannot be told apart safely`);
  for (const p of parts) if (!/^[A-Za-z0-9./_-]+=[A-Za-z0-9._-]*$/.test(p)) throw new Error(`${w.kind} ${w.namespace}/${w.name}: selector ${p} is not a plain label`);
  return parts.join(',');
}

const KUBECTL = ['kubectl', `--kubeconfig=${ADMIN_CONF}`, '--request-timeout=20s'];

function script(body: string, args: readonly string[]): string[] {
  const prologue = `set -eu\nc=$(mktemp -d)\ntrap 'rm -rf "$c"' EXIT\nk() { ${KUBECTL.map(shQuote).join(' ')} --cache-dir="$c" "$@"; }\n`;
  return ['sh', '-c', `${prologue}${body}`, 'ha-wizard-clients', ...args];
}

/**
 * The DaemonSet's pods onto its current revision, one node at a time: for each node (in name order) whose pod is on
 * an older revision, delete that pod, then wait until the DaemonSet's pod on that node is on the current revision and
 * Ready (at most $4 s) before the next. Pods already current are left alone, so running it again only finishes the
 * job (resume), and on a DaemonSet whose spec was just restored it rolls the pods back the same careful way.
 * $1 namespace, $2 name, $3 selector, $4 seconds per node.
 */
const RESTART_BODY = [
  'ns=$1 ds=$2 sel=$3 limit=$4',
  // The controller must have seen the spec it is to roll out (its newest ControllerRevision is the current one).
  'i=0',
  'until [ "$(k -n "$ns" get daemonset "$ds" -o "jsonpath={.metadata.generation} {.status.observedGeneration}" | awk \'$1==$2{print "ok"}\')" = ok ]; do',
  '  [ $i -lt 60 ] || { echo "the DaemonSet $ns/$ds controller has not observed its latest spec after 60 s" >&2; exit 1; }; sleep 1; i=$((i+1))',
  'done',
  'rev=$(k -n "$ns" get controllerrevisions -l "$sel" -o \'jsonpath={range .items[*]}{.revision} {.metadata.name} {.metadata.ownerReferences[0].name}{"\\n"}{end}\' | awk -v ds="$ds" \'$3==ds\' | sort -n | tail -n 1 | awk \'{print $2}\')',
  '[ -n "$rev" ] || { echo "no ControllerRevision of DaemonSet $ns/$ds" >&2; exit 1; }',
  'hash=${rev#"$ds"-}',
  'k -n "$ns" get pods -l "$sel" -o \'jsonpath={range .items[*]}{.spec.nodeName} {.metadata.name} {.metadata.labels.controller-revision-hash} {.metadata.ownerReferences[0].name}{"\\n"}{end}\' | awk -v ds="$ds" \'$4==ds && $1!=""\' | sort > "$c/pods"',
  'total=$(wc -l < "$c/pods"); n=0; done_=0',
  'while read -r node pod h _ <&3; do',
  '  n=$((n+1))',
  '  if [ "$h" = "$hash" ]; then echo "$node: $pod already runs the current spec ($n/$total)"; continue; fi',
  '  k -n "$ns" delete pod "$pod" --wait=false --ignore-not-found >/dev/null',
  '  t=0',
  '  until k -n "$ns" get pods -l "$sel" --field-selector "spec.nodeName=$node" -o \'jsonpath={range .items[*]}{.metadata.labels.controller-revision-hash}/{.metadata.deletionTimestamp}/{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}\' | grep -qxF "$hash//True"; do',
  '    [ $t -lt "$limit" ] || { echo "the $ds pod on node $node is not Ready on the new spec after $limit s; stopped there: $done_ of $total nodes restarted, the others still run the previous spec. Look at the pod on $node (kubectl -n $ns get pods -l $sel -o wide), then resume or roll back" >&2; exit 1; }',
  '    sleep 2; t=$((t+2))',
  '  done',
  '  done_=$((done_+1))',
  '  echo "$node: $pod replaced; the new pod is Ready ($n/$total, ${t} s)"',
  'done 3< "$c/pods"',
  'echo "$ns/$ds: $done_ of $total pods restarted one node at a time, each Ready before the next"',
].join('\n');

export function restartOneByOneArgv(w: OfferWorkload, perNodeS = POD_READY_TIMEOUT_S): string[] {
  return script(RESTART_BODY, [w.namespace, w.name, selectorOf(w), String(perNodeS)]);
}

/**
 * Every pod of the workload (its selector) is Ready, and there is at least one. `exceptNode`: leave out the pods on that
 * node (during a drill, the node whose apiserver is stopped: its kubelet cannot report, so their status says nothing).
 */
export function podsReadyProbe(host: string, w: OfferWorkload, exceptNode = ''): Probe {
  const body = [
    'ns=$1 sel=$2 except=$3',
    'out=$(k -n "$ns" get pods -l "$sel" -o \'jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}\' | awk -v x="$except" \'NF && $2!=x\')',
    '[ -n "$out" ] || { echo "no pods match $sel in $ns${except:+ outside $except}" >&2; exit 1; }',
    'bad=$(printf \'%s\\n\' "$out" | awk \'NF && $3!="True" {print $1 " on " $2}\')',
    '[ -z "$bad" ] || { echo "not Ready: $bad" | tr "\\n" " " >&2; exit 1; }',
  ].join('\n');
  return { type: 'command', host, argv: script(body, [w.namespace, selectorOf(w), exceptNode]) };
}

/** A workload's env value in its pod template is `value` (what a controller that renders it, e.g. tigera-operator, wrote). */
export function envValueProbe(host: string, w: OfferWorkload, container: string, name: string, value: string): Probe {
  const kind = w.kind === 'DaemonSet' ? 'daemonset' : 'deployment';
  const body = `v=$(k -n "$1" get "$2" "$3" -o "jsonpath={.spec.template.spec.containers[?(@.name==\\"$4\\")].env[?(@.name==\\"$5\\")].value}")\n[ "$v" = "$6" ] || { echo "$5 is \\"$v\\", not \\"$6\\" yet" >&2; exit 1; }`;
  return { type: 'command', host, argv: script(body, [w.namespace, kind, w.name, container, name, value]) };
}

/** The DaemonSets and Deployments the plan repoints (for verify and the drill). */
export function repointedWorkloads(facts: ClusterFacts, ctx: Pick<StepContext, 'repoint'>): Array<{ offer: ClientOffer; workload: OfferWorkload }> {
  return chosenClientOffers(facts, ctx).flatMap((offer) => offer.workloads.map((workload) => ({ offer, workload })));
}
