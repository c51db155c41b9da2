/**
 * repoint-clients: the API clients outside kubeadm's that still name the old master and that the operator chose to
 * repoint (`repoint: [cilium, calico, Kind/namespace/name]` or `all`; the wizard lists them): one step per choice,
 * `repoint-cilium`, `repoint-calico`, `repoint-daemonset-<namespace>-<name>`. Every change is a patch (the plan
 * shows its diff, the journal its before-state, rollback restores it, refusing to overwrite a later change):
 *
 *   ConfigMaps   cilium-config `k8s-service-host`/`k8s-service-port`, kubernetes-services-endpoint
 *                `KUBERNETES_SERVICE_HOST`/`_PORT`: the endpoint's host and port
 *   env          literal KUBERNETES_SERVICE_HOST (and _PORT where it exists) of each container that pins the master
 *   DaemonSets   restarted by ha-wizard one node at a time, each pod Ready again before the next: the DaemonSet's
 *                own rollout is held (updateStrategy OnDelete) while it does, then set back exactly as it was
 *   Deployments  rolled out by their own strategy (a patch of the template), waited for
 *   rendered     a workload an operator renders (tigera-operator's calico-node) is never patched: its ConfigMap is,
 *                and the step waits until the operator has rendered the endpoint and rolled it out
 *
 * Rollback, newest first: the update strategy is held again, env and ConfigMaps go back to their before-values,
 * then (the read-only `hold` action's undo) the pods are restarted one node at a time onto the restored spec, and
 * the update strategy is set back last. Where Helm manages the objects its values must follow; the step says so with
 * the exact `helm upgrade` command and never runs Helm.
 */
import type { Action, ObjectEdit, PatchObjectAction } from '../src/engine/model/actions.js';
import type { Step } from '../src/engine/model/step.js';
import type { ClientOffer, ClusterFacts, OfferWorkload } from '../src/discovery/facts.js';
import { masterNode } from '../src/discovery/nodes.js';
import { clientTarget, configMapTarget, helmFollowUps } from '../src/discovery/old-address.js';
import { hostPort } from '../src/pki/hosts.js';
import { POD_READY_TIMEOUT_S, chosenClientOffers, envValueProbe, restartOneByOneArgv } from './kit/clients.js';
import { rolledOutProbe, waitAction } from './kit/probes.js';
import { makeStep, type StepContext, type StepDefinition } from './kit/step.js';

const ROLLOUT_TIMEOUT_MS = 600_000;
const OPERATOR_TIMEOUT_MS = 600_000;
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** The step id of an offer: repoint-cilium, repoint-calico, repoint-daemonset-monitoring-node-agent. */
export function clientStepId(offer: ClientOffer): string {
  return `repoint-${offer.id.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`;
}

function envPath(e: OfferWorkload['env'][number]): string[] {
  return ['spec', 'template', 'spec', e.list, `[name=${e.container}]`, 'env', `[name=${e.name}]`, 'value'];
}

function short(w: OfferWorkload): string {
  return `${w.kind} ${w.namespace}/${w.name}`;
}

/** The env edits of a workload: _HOST to the target host, _PORT to its port. */
function envEdits(facts: ClusterFacts, w: OfferWorkload): ObjectEdit[] {
  const { host, port } = clientTarget(facts.config, w.hostNetwork);
  return w.env.map((e) => ({ path: envPath(e), value: e.name === 'KUBERNETES_SERVICE_PORT' ? String(port) : host }));
}

function offerActions(step: string, facts: ClusterFacts, offer: ClientOffer, ctx: StepContext): Action[] {
  const master = masterNode(facts).host;
  const now = ctx.now ?? new Date().toISOString();
  const patch = (id: string, w: { kind: string; namespace: string; name: string }, apiVersion: string, edits: ObjectEdit[], description: string, risk: PatchObjectAction['risk']): PatchObjectAction => ({
    id: `${step}/${master}/${id}`,
    step,
    type: 'patch-object',
    host: master,
    object: { apiVersion, kind: w.kind, namespace: w.namespace, name: w.name },
    edits,
    description,
    risk,
  });
  const rendered = offer.workloads.filter((w) => w.owner);
  const daemonSets = offer.workloads.filter((w) => !w.owner && w.kind === 'DaemonSet');
  const deployments = offer.workloads.filter((w) => !w.owner && w.kind === 'Deployment');
  const held = (w: OfferWorkload) => w.updateStrategy?.['type'] !== 'OnDelete';
  const actions: Action[] = [];

  // 1. Hold each DaemonSet's own rollout; the read-only check whose undo restarts the pods at this point of a rollback.
  for (const w of daemonSets) {
    const key = `${w.namespace}-${w.name}`;
    if (held(w)) {
      actions.push(
        patch(
          `${key}-hold-rollout`,
          w,
          'apps/v1',
          [{ path: ['spec', 'updateStrategy'], value: { type: 'OnDelete' } }],
          `${short(w)}: updateStrategy ${JSON.stringify(w.updateStrategy ?? {})} → OnDelete while ha-wizard restarts its pods one node at a time (set back at the end of this step)`,
          'reversible',
        ),
      );
    }
    actions.push({
      id: `${step}/${master}/${key}-restart-on-rollback`,
      step,
      type: 'run',
      host: master,
      argv: ['kubectl', '--kubeconfig=/etc/kubernetes/admin.conf', '--request-timeout=20s', '-n', w.namespace, 'get', 'daemonset', w.name, '-o', 'name'],
      undo: restartOneByOneArgv(w),
      description: `${short(w)} is there (on rollback, once its spec and ConfigMaps are restored: restart its pods onto them one node at a time, each Ready before the next)`,
      risk: 'read-only',
    });
  }

  // 2. The ConfigMaps (read by the pods at start: nothing changes in a running pod yet).
  const cmTarget = configMapTarget(facts.config, offer);
  for (const cm of offer.configMaps) {
    const edits: ObjectEdit[] = [{ path: ['data', cm.hostKey], value: cmTarget.host }];
    if (cm.portKey) edits.push({ path: ['data', cm.portKey], value: String(cmTarget.port) });
    const ports = cm.portKey ? `, ${cm.portKey} ${cm.port} → ${cmTarget.port}` : '';
    actions.push(patch(`configmap-${cm.namespace}-${cm.name}`, { kind: 'ConfigMap', namespace: cm.namespace, name: cm.name }, 'v1', edits, `ConfigMap ${cm.namespace}/${cm.name}: ${cm.hostKey} ${cm.host} → ${cmTarget.host}${ports}`, 'reversible'));
  }

  // 3. Deployments: the template changes, their own rollout replaces the pods.
  for (const w of deployments) {
    const edits = envEdits(facts, w);
    if (w.reads.length) edits.push({ path: ['spec', 'template', 'metadata', 'annotations', RESTARTED_AT], value: now });
    const { host, port } = clientTarget(facts.config, w.hostNetwork);
    actions.push(
      patch(
        `${w.namespace}-${w.name}-env`,
        w,
        'apps/v1',
        edits,
        `${short(w)}: ${w.env.length ? `KUBERNETES_SERVICE_HOST/PORT → ${hostPort(host, port)}` : ''}${w.env.length && w.reads.length ? '; ' : ''}${w.reads.length ? `restarted to read ${w.reads.join(', ')} again` : ''} (its own rolling update replaces the pods)`,
        'disruptive',
      ),
    );
  }

  // 4. DaemonSets: the template changes (held), then ha-wizard restarts the pods one node at a time, then the strategy goes back.
  for (const w of daemonSets) {
    const key = `${w.namespace}-${w.name}`;
    const { host, port } = clientTarget(facts.config, w.hostNetwork);
    actions.push(
      patch(
        `${key}-env`,
        w,
        'apps/v1',
        [...envEdits(facts, w), { path: ['spec', 'template', 'metadata', 'annotations', RESTARTED_AT], value: now }],
        `${short(w)}: ${w.env.length ? `KUBERNETES_SERVICE_HOST/PORT → ${hostPort(host, port)}, ` : ''}pod template restartedAt ${now} (no pod restarts yet: the rollout is held)`,
        'reversible',
      ),
      {
        id: `${step}/${master}/${key}-restart`,
        step,
        type: 'run',
        host: master,
        argv: restartOneByOneArgv(w),
        // Undone, it finds every pod on the DaemonSet's spec of that moment and restarts nothing; the hold check's undo does the work.
        undo: restartOneByOneArgv(w),
        idempotent: true,
        timeoutMs: (facts.nodes.length + 2) * (POD_READY_TIMEOUT_S + 30) * 1000,
        description: `restart the ${short(w)} pods one node at a time: delete one, wait until its replacement on that node is Ready (at most ${POD_READY_TIMEOUT_S} s), then the next`,
        risk: 'disruptive',
      },
    );
    if (held(w)) {
      actions.push(
        patch(
          `${key}-release-rollout`,
          w,
          'apps/v1',
          [{ path: ['spec', 'updateStrategy'], value: w.updateStrategy }],
          `${short(w)}: updateStrategy OnDelete → ${JSON.stringify(w.updateStrategy ?? {})} (as it was)`,
          'reversible',
        ),
      );
    }
  }

  // 5. What a controller renders: its source changed above; it must render the endpoint and roll out by itself.
  for (const w of rendered) {
    const { host, port } = clientTarget(facts.config, w.hostNetwork);
    for (const e of w.env.filter((x) => x.list === 'containers')) {
      actions.push(
        waitAction(
          step,
          `${master}/${w.namespace}-${w.name}-${e.container}-${e.name}-rendered`,
          envValueProbe(master, w, e.container, e.name, e.name === 'KUBERNETES_SERVICE_PORT' ? String(port) : host),
          `${w.owner} renders ${short(w)} ${e.container} ${e.name} from the ConfigMap: wait until it is ${e.name === 'KUBERNETES_SERVICE_PORT' ? port : host}`,
          OPERATOR_TIMEOUT_MS,
          5_000,
        ),
      );
    }
  }
  for (const w of [...deployments, ...daemonSets, ...rendered]) {
    actions.push(
      waitAction(
        step,
        `${master}/${w.namespace}-${w.name}-rolled-out`,
        rolledOutProbe(master, w.namespace, w.kind === 'DaemonSet' ? 'daemonset' : 'deployment', w.name),
        `every pod of ${short(w)} runs the new spec and is available`,
        ROLLOUT_TIMEOUT_MS,
        5_000,
      ),
    );
  }
  return actions;
}

function describeOffer(facts: ClusterFacts, offer: ClientOffer): string {
  const target = configMapTarget(facts.config, offer);
  const rendered = offer.workloads.filter((w) => w.owner);
  const parts = [
    `${offer.title} name the old master; they move to ${hostPort(target.host, target.port)}.`,
    offer.workloads.some((w) => !w.owner && w.kind === 'DaemonSet') ? 'Agents restart one node at a time, each Ready before the next.' : '',
    rendered.length ? `${rendered.map(short).join(', ')} ${rendered.length === 1 ? 'is' : 'are'} rendered by ${rendered[0]!.owner}: not patched; the operator re-renders from the ConfigMap.` : '',
    ...helmFollowUps(facts.config, offer),
  ];
  return parts.filter(Boolean).join(' ');
}

function build(facts: ClusterFacts, ctx: StepContext): Step[] {
  return chosenClientOffers(facts, ctx).map((offer) => {
    const id = clientStepId(offer);
    const label = offer.kind === 'cilium' ? 'Cilium' : offer.kind === 'calico' ? 'Calico' : offer.title;
    return makeStep(id, `${label} on the endpoint`, describeOffer(facts, offer), offerActions(id, facts, offer, ctx));
  });
}

export const repointClientsStep: StepDefinition = {
  name: 'repoint-clients',
  summary: 'opt-in (repoint: cilium, calico, Kind/ns/name, all): CNI and other API clients pinned to the old master move to the endpoint',
  needs: [
    { step: 'proxy', why: 'clients move to the endpoint, which the proxy serves' },
    { step: 'endpoint-cert', why: "clients of the endpoint verify the master's certificate for its name" },
  ],
  build,
};
