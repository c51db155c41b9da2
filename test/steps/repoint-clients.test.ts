/**
 * repoint-clients: nothing without a choice; per chosen offer one step whose actions hold the DaemonSet's rollout,
 * patch ConfigMaps and env (the endpoint's port to the _PORT keys), restart the agents one node at a time, set the
 * strategy back exactly, and wait; rollback's order puts the restart after the restore; a tigera-operator-rendered
 * calico-node is never patched; per-node placement points host-network agents at the local proxy; a name the cluster
 * does not have is bad input; verify and the drill check the repointed agents; the preview shows each patch's diff.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { repointClientsStep, clientStepId } from '../../steps/repoint-clients.js';
import { verifyStep } from '../../steps/verify.js';
import { failoverDrillStep } from '../../steps/failover-drill.js';
import { buildSteps } from '../../steps/index.js';
import { restartOneByOneArgv } from '../../steps/kit/clients.js';
import type { ClientOffer, ClusterFacts } from '../../src/discovery/facts.js';
import type { PatchObjectAction, RunAction } from '../../src/engine/model/actions.js';
import { buildPlan } from '../../src/engine/model/plan.js';
import { buildPreview, objectKey } from '../../src/engine/preview/preview.js';
import { BadInputError } from '../../src/exit-codes.js';
import type { KubeObject } from '../../src/engine/model/ports.js';
import { makeFacts } from './facts-fixture.js';
import { planClientsOnly } from '../../src/conversion/pipeline.js';

const M = '10.200.0.11';
const STRATEGY = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2, maxSurge: 0 } };
const env = (container = 'cilium-agent') => [
  { list: 'containers' as const, container, name: 'KUBERNETES_SERVICE_HOST', value: M },
  { list: 'containers' as const, container, name: 'KUBERNETES_SERVICE_PORT', value: '6443' },
];

function offers(): ClientOffer[] {
  return [
    {
      id: 'cilium',
      kind: 'cilium',
      title: 'Cilium: ConfigMap kube-system/cilium-config, DaemonSet kube-system/cilium, Deployment kube-system/cilium-operator',
      configMaps: [{ namespace: 'kube-system', name: 'cilium-config', hostKey: 'k8s-service-host', host: M, portKey: 'k8s-service-port', port: '6443', helm: { release: 'cilium', namespace: 'kube-system', chart: 'cilium-1.16.5' } }],
      workloads: [
        { kind: 'DaemonSet', namespace: 'kube-system', name: 'cilium', env: env(), reads: ['cilium-config'], hostNetwork: true, selector: { 'k8s-app': 'cilium' }, updateStrategy: STRATEGY },
        { kind: 'Deployment', namespace: 'kube-system', name: 'cilium-operator', env: env('cilium-operator'), reads: [], hostNetwork: true, selector: { 'io.cilium/app': 'operator' } },
      ],
    },
    {
      id: 'calico',
      kind: 'calico',
      title: 'Calico: ConfigMap tigera-operator/kubernetes-services-endpoint, DaemonSet calico-system/calico-node',
      configMaps: [{ namespace: 'tigera-operator', name: 'kubernetes-services-endpoint', hostKey: 'KUBERNETES_SERVICE_HOST', host: M, portKey: 'KUBERNETES_SERVICE_PORT', port: '6443' }],
      workloads: [{ kind: 'DaemonSet', namespace: 'calico-system', name: 'calico-node', env: env('calico-node'), reads: [], hostNetwork: true, selector: { 'k8s-app': 'calico-node' }, owner: 'Installation default (operator.tigera.io/v1)' }],
    },
    {
      id: 'DaemonSet/monitoring/node-agent',
      kind: 'workload',
      title: 'DaemonSet monitoring/node-agent',
      configMaps: [],
      workloads: [{ kind: 'DaemonSet', namespace: 'monitoring', name: 'node-agent', env: env('agent'), reads: [], hostNetwork: false, selector: { app: 'node-agent' }, updateStrategy: { type: 'OnDelete' } }],
    },
  ];
}

function facts(repoint?: ClusterFacts['config']['repoint']): ClusterFacts {
  const f = makeFacts({ promote: 2, workers: 1 });
  f.apiClients = { offers: offers(), seen: { cilium: true, calico: true, workloads: ['DaemonSet/monitoring/node-agent'] } };
  if (repoint !== undefined) f.config.repoint = repoint;
  return f;
}

const NOW = '2026-01-01T00:00:00Z';

test('nothing is repointed unless chosen; the registry plans it between repoint and verify', () => {
  assert.deepEqual(repointClientsStep.build(facts(), { session: 's' }), []);
  const ids = buildSteps(facts(['cilium']), { session: 's', now: NOW }).map((s) => s.id);
  assert.deepEqual(ids.slice(ids.indexOf('repoint-cluster'), ids.indexOf('verify') + 1).filter((x) => !x.startsWith('repoint-workers')), ['repoint-cluster', 'repoint-cilium', 'verify']);
  assert.deepEqual(repointClientsStep.build(facts('all'), { session: 's', now: NOW }).map((s) => s.id), ['repoint-cilium', 'repoint-calico', 'repoint-daemonset-monitoring-node-agent']);
  assert.equal(clientStepId(offers()[2]!), 'repoint-daemonset-monitoring-node-agent');
  // The wizard's choice overrides the config's.
  assert.deepEqual(repointClientsStep.build(facts(['cilium']), { session: 's', repoint: [] }), []);
});

test('cilium: hold the rollout, ConfigMap and env to the endpoint (port to the _PORT keys), restart one node at a time, strategy back exactly, wait', () => {
  const [step] = repointClientsStep.build(facts(['cilium']), { session: 's', now: NOW });
  assert.ok(step);
  assert.deepEqual(
    step.actions.map((a) => `${a.type} ${a.id.split('/').at(-1)}`),
    [
      'patch-object kube-system-cilium-hold-rollout',
      'run kube-system-cilium-restart-on-rollback',
      'patch-object configmap-kube-system-cilium-config',
      'patch-object kube-system-cilium-operator-env',
      'patch-object kube-system-cilium-env',
      'run kube-system-cilium-restart',
      'patch-object kube-system-cilium-release-rollout',
      'wait kube-system-cilium-operator-rolled-out',
      'wait kube-system-cilium-rolled-out',
    ],
  );
  const p = (suffix: string) => step.actions.find((a) => a.id.endsWith(suffix)) as PatchObjectAction;
  assert.deepEqual(p('hold-rollout').edits, [{ path: ['spec', 'updateStrategy'], value: { type: 'OnDelete' } }]);
  assert.deepEqual(p('release-rollout').edits, [{ path: ['spec', 'updateStrategy'], value: STRATEGY }]);
  assert.deepEqual(p('configmap-kube-system-cilium-config').edits, [
    { path: ['data', 'k8s-service-host'], value: 'k8s-api.lab.example' },
    { path: ['data', 'k8s-service-port'], value: '6443' },
  ]);
  assert.deepEqual(p('kube-system-cilium-env').edits, [
    { path: ['spec', 'template', 'spec', 'containers', '[name=cilium-agent]', 'env', '[name=KUBERNETES_SERVICE_HOST]', 'value'], value: 'k8s-api.lab.example' },
    { path: ['spec', 'template', 'spec', 'containers', '[name=cilium-agent]', 'env', '[name=KUBERNETES_SERVICE_PORT]', 'value'], value: '6443' },
    { path: ['spec', 'template', 'metadata', 'annotations', 'kubectl.kubernetes.io/restartedAt'], value: NOW },
  ]);
  assert.equal(p('cilium-operator-env').edits.length, 2, 'a Deployment that reads no ConfigMap restarts by its env change alone');
  const restart = step.actions.find((a) => a.id.endsWith('-restart')) as RunAction;
  assert.equal(restart.risk, 'disruptive');
  assert.equal(restart.idempotent, true);
  assert.deepEqual(restart.argv.slice(-4), ['kube-system', 'cilium', 'k8s-app=cilium', '300']);
  const hold = step.actions.find((a) => a.id.endsWith('restart-on-rollback')) as RunAction;
  assert.equal(hold.risk, 'read-only');
  assert.deepEqual(hold.undo, restart.argv, 'on rollback the pods are restarted onto the restored spec the same careful way');
  assert.match(step.description, /Agents restart one node at a time, each Ready before the next\./);
  assert.match(step.description, /helm upgrade cilium cilium\/cilium --version 1\.16\.5 --namespace kube-system --reuse-values --set k8sServiceHost=k8s-api\.lab\.example --set k8sServicePort=6443/);
  // The plan is valid: every changing action has an undo.
  buildPlan({ cluster: 'c', factsFingerprint: 'f', steps: [step] });
});

test('the restart script is valid sh, and on rollback the restore comes before the restart and the strategy last', () => {
  const w = offers()[0]!.workloads[0]!;
  const argv = restartOneByOneArgv(w);
  assert.equal(spawnSync('sh', ['-n', '-c', argv[2]!]).status, 0, 'sh -n accepts it');
  const [step] = repointClientsStep.build(facts(['cilium']), { session: 's', now: NOW });
  const undoable = step!.actions.filter((a) => a.type !== 'wait').reverse().map((a) => a.id.split('/').at(-1));
  assert.deepEqual(undoable, [
    'kube-system-cilium-release-rollout', // held again
    'kube-system-cilium-restart', // finds every pod current: restarts nothing
    'kube-system-cilium-env', // the spec back
    'kube-system-cilium-operator-env', // its own rollout takes it back
    'configmap-kube-system-cilium-config',
    'kube-system-cilium-restart-on-rollback', // the pods onto the restored spec, one node at a time
    'kube-system-cilium-hold-rollout', // the strategy as it was
  ]);
});

test('tigera-operator renders calico-node: only its ConfigMap is patched, then the step waits for the operator to render and roll out', () => {
  const [step] = repointClientsStep.build(facts(['calico']), { session: 's', now: NOW });
  assert.deepEqual(
    step!.actions.map((a) => `${a.type} ${a.id.split('/').at(-1)}`),
    [
      'patch-object configmap-tigera-operator-kubernetes-services-endpoint',
      'wait calico-system-calico-node-calico-node-KUBERNETES_SERVICE_HOST-rendered',
      'wait calico-system-calico-node-calico-node-KUBERNETES_SERVICE_PORT-rendered',
      'wait calico-system-calico-node-rolled-out',
    ],
  );
  assert.match(step!.description, /rendered by Installation default \(operator\.tigera\.io\/v1\): not patched/);
});

test('an OnDelete DaemonSet is not held or released; per-node placement points host-network agents at the local proxy, others at the endpoint', () => {
  const f = facts(['DaemonSet/monitoring/node-agent', 'cilium']);
  f.config.proxy = { kind: 'nginx', placement: 'per-node' };
  const steps = repointClientsStep.build(f, { session: 's', now: NOW });
  const agent = steps.find((s) => s.id === 'repoint-daemonset-monitoring-node-agent')!;
  assert.ok(!agent.actions.some((a) => /hold-rollout|release-rollout/.test(a.id)));
  const envOf = (s: typeof agent, suffix: string) => (s.actions.find((a) => a.id.endsWith(suffix)) as PatchObjectAction).edits.map((e) => e.value);
  assert.deepEqual(envOf(agent, 'monitoring-node-agent-env').slice(0, 2), ['k8s-api.lab.example', '6443'], 'not on the host network: the endpoint');
  const cilium = steps.find((s) => s.id === 'repoint-cilium')!;
  assert.deepEqual(envOf(cilium, 'kube-system-cilium-env').slice(0, 2), ['127.0.0.1', '6443'], 'a host-network agent: the local proxy, as kube-proxy');
  assert.deepEqual(envOf(cilium, 'configmap-kube-system-cilium-config'), ['127.0.0.1', '6443']);
});

test('a repoint item the cluster does not have is bad input with what it can repoint', () => {
  const f = facts(['DaemonSet/monitoring/agnet']);
  assert.throws(
    () => repointClientsStep.build(f, { session: 's' }),
    (e: unknown) =>
      e instanceof BadInputError &&
      /repoint: DaemonSet\/monitoring\/agnet: the cluster has no such install or workload .*what it can repoint here: cilium, calico, DaemonSet\/monitoring\/node-agent/.test(e.message) &&
      /remove the item from `repoint`/.test(e.hint ?? ''),
  );
});

test('verify checks each repointed workload rolled out and Ready; the drill checks they stay Ready twice with the apiserver stopped', () => {
  const f = facts(['cilium']);
  f.config.verify = { failoverDrill: 'cp1' };
  const verify = verifyStep.build(f, { session: 's' })[0]!;
  assert.deepEqual(
    verify.actions.filter((a) => a.id.includes('cilium')).map((a) => a.id),
    ['verify/cp1/kube-system-cilium-rolled-out', 'verify/cp1/kube-system-cilium-ready', 'verify/cp1/kube-system-cilium-operator-rolled-out', 'verify/cp1/kube-system-cilium-operator-ready'],
  );
  const drill = failoverDrillStep.build(f, { session: 's' })[0]!;
  const ids = drill.actions.map((a) => a.id);
  const stop = ids.indexOf('failover-drill/cp1/stop-apiserver');
  const still = ids.indexOf('failover-drill/cp1/still-stopped');
  const agents = ids.filter((id) => /agents-hold|ready-during-drill/.test(id));
  assert.deepEqual(agents, [
    'failover-drill/cp2/agents-hold-1',
    'failover-drill/cp2/kube-system-cilium-ready-during-drill-1',
    'failover-drill/cp2/kube-system-cilium-operator-ready-during-drill-1',
    'failover-drill/cp2/agents-hold-2',
    'failover-drill/cp2/kube-system-cilium-ready-during-drill-2',
    'failover-drill/cp2/kube-system-cilium-operator-ready-during-drill-2',
  ]);
  for (const id of agents) assert.ok(ids.indexOf(id) > stop && ids.indexOf(id) < still, `${id} runs while cp1's apiserver is stopped`);
  const check = drill.actions.find((a) => a.id.endsWith('cilium-ready-during-drill-1'));
  assert.ok(check?.type === 'wait' && check.timeoutMs === 1000, 'one attempt: they must stay Ready, not become Ready');
  // The drill ends with every repointed agent's pods Ready again, after the stopped apiserver answers /readyz.
  assert.deepEqual(ids.slice(ids.indexOf('failover-drill/cp1/readyz-after-drill') + 1), [
    'failover-drill/cp2/kube-system-cilium-ready-after-drill',
    'failover-drill/cp2/kube-system-cilium-operator-ready-after-drill',
  ]);
  const back = drill.actions.find((a) => a.id.endsWith('cilium-ready-after-drill'));
  assert.ok(back?.type === 'wait' && back.timeoutMs >= 60_000 && back.probe.type === 'command' && back.probe.argv.at(-1) === '', 'waits for every pod, on every node, to become Ready');
  assert.equal(failoverDrillStep.build(facts(), { session: 's', failoverDrill: 'cp1' })[0]!.actions.filter((a) => /agents-hold/.test(a.id)).length, 0, 'nothing repointed: no agent checks');
});

test('plan shows each as a patch with its diff', () => {
  const [step] = repointClientsStep.build(facts(['cilium']), { session: 's', now: NOW });
  const plan = buildPlan({ cluster: 'c', factsFingerprint: 'f', steps: [step!] });
  const ds = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'cilium', namespace: 'kube-system' },
    spec: { updateStrategy: STRATEGY, template: { metadata: {}, spec: { containers: [{ name: 'cilium-agent', env: [{ name: 'KUBERNETES_SERVICE_HOST', value: M }, { name: 'KUBERNETES_SERVICE_PORT', value: '6443' }] }] } } },
  };
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cilium-config', namespace: 'kube-system' }, data: { 'k8s-service-host': M, 'k8s-service-port': '6443' } };
  const objects = new Map<string, KubeObject | null>([
    [objectKey('cp1', { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: 'kube-system', name: 'cilium' }), ds],
    [objectKey('cp1', { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'cilium-config' }), cm],
  ]);
  const preview = buildPreview(plan, { files: new Map(), objects });
  const entries = preview.steps[0]!.entries.filter((e) => e.kind === 'patch' && e.change === 'patch');
  const fields = entries.flatMap((e) => (e.kind === 'patch' ? e.fields.map((f) => `${e.object} ${f.field}: ${f.before} → ${f.after}`) : []));
  assert.deepEqual(fields, [
    'DaemonSet kube-system/cilium spec.updateStrategy: {"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":2,"maxSurge":0}} → {"type":"OnDelete"}',
    `ConfigMap kube-system/cilium-config data.k8s-service-host: "${M}" → "k8s-api.lab.example"`,
    'DaemonSet kube-system/cilium spec.template.spec.containers[name=cilium-agent].env[name=KUBERNETES_SERVICE_HOST].value: "10.200.0.11" → "k8s-api.lab.example"',
    `DaemonSet kube-system/cilium spec.template.metadata.annotations.kubectl.kubernetes.io/restartedAt: (absent) → "${NOW}"`,
    'DaemonSet kube-system/cilium spec.updateStrategy: {"type":"OnDelete"} → {"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":2,"maxSurge":0}}',
  ]);
});

test('an already converted cluster: the plan holds only the chosen clients (none chosen: no plan, "No changes")', () => {
  const discovered = { facts: facts(['cilium']), fingerprint: 'f', checks: [] };
  const plan = planClientsOnly(discovered, 's1');
  assert.deepEqual(plan?.steps.map((s) => s.id), ['repoint-cilium']);
  assert.equal(planClientsOnly({ ...discovered, facts: facts() }, 's1'), null);
  assert.deepEqual(planClientsOnly({ ...discovered, facts: facts() }, 's1', { repoint: ['calico'] })?.steps.map((s) => s.id), ['repoint-calico'], "the wizard's choice");
});
