/**
 * Issue #17 on the real control plane: every client of the API moves to the endpoint, not only kubeadm's. One lab
 * (cp1, cp2, cp3, w1 and a dedicated proxy, Kubernetes 1.37 made by the real kubeadm; the endpoint on port 7443 so
 * the _PORT values visibly change), seeded as operators' clusters are:
 *
 *   Cilium-shaped   kube-system/cilium-config (k8s-service-host/port = cp1, Helm's labels), DaemonSet cilium (every
 *                   node, KUBERNETES_SERVICE_HOST/PORT = cp1, reads cilium-config, RollingUpdate maxUnavailable 2),
 *                   Deployment cilium-operator (the env pair)
 *   Calico-shaped   kube-system/kubernetes-services-endpoint (KUBERNETES_SERVICE_HOST/PORT = cp1), DaemonSet
 *                   calico-node taking its env from it (envFrom, as calico.yaml does; maxUnavailable 3)
 *   reported only   monitoring/agent-config (a ConfigMap outside kube-system), DaemonSet monitoring/node-agent pinned
 *                   to cp1 (offered, not chosen: the control group), /root/.kube/config on w1, and a second
 *                   --service-account-issuer on cp1 naming cp1
 *
 * The lab's node agent judges each agent pod by its own environment, resolved once at start: Ready only while that
 * apiserver answers /healthz. The config says `repoint: [cilium, calico]` and drills cp1 (the first master):
 *
 *   plan      lists the three reported items with what to do (the issuer with its consequence), the repointed
 *             fields, the Helm command, each change as a patch with its diff
 *   apply     repoints both, restarts each DaemonSet one node at a time (watched from outside: never two nodes
 *             without a Ready agent, though the DaemonSets allow 2 and 3), sets their update strategy back exactly;
 *             verify and the drill pass; during the drill the agents' own logs show the pinned control group going
 *             NotReady while no repointed agent does; the issuer and the reported files are unchanged
 *   rollback  refuses to overwrite cilium-config after someone changed it (its preview marks it and says what to do;
 *             exit 2, nothing begun, nothing written, no pod restarted), runs once it is set back by hand, and leaves
 *             every seeded object exactly as it was, the pods back on cp1, restarted one node at a time again
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { spawn, type ChildProcess } from 'node:child_process';
import { clientArgv, clientEnv, labDown, labExec, labUp, nodeExec, type LabState, type RunResult } from '../../lab/lab.js';
import { fileOf, kubectlDirect, node, ok, until } from './endpoint-judge.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const fileStart = Date.now();
const ENDPOINT_PORT = 7443;
const AGENTS = [
  { ns: 'kube-system', ds: 'cilium', label: 'k8s-app=cilium' },
  { ns: 'kube-system', ds: 'calico-node', label: 'k8s-app=calico-node' },
];
const NODES = ['cp1', 'cp2', 'cp3', 'w1'];

let dir = '';
let s: LabState;
let stateDir = '';
let config = '';
let cp1 = '';
let lb = '';
const kubeCache = mkdtempSync(join(tmpdir(), 'haw-clients-kcache-'));
const env = { ...process.env, KUBECACHEDIR: kubeCache };

const HELM = `labels: { app.kubernetes.io/managed-by: Helm, helm.sh/chart: cilium-1.16.5 }
  annotations: { meta.helm.sh/release-name: cilium, meta.helm.sh/release-namespace: kube-system }`;

/** The seeded objects, naming cp1 as operators' installs do. */
function seed(master: string): string {
  const ds = (ns: string, name: string, strategy: string, container: string, extra: string) => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${name}
  namespace: ${ns}
  ${name === 'cilium' ? HELM : 'labels: {}'}
spec:
  selector: { matchLabels: { k8s-app: ${name} } }
  updateStrategy: ${strategy}
  template:
    metadata: { labels: { k8s-app: ${name} } }
    spec:
      hostNetwork: ${ns === 'kube-system'}
      tolerations: [{ operator: Exists }]
      containers:
        - name: ${container}
${extra}`;
  return [
    `apiVersion: v1
kind: ConfigMap
metadata:
  name: cilium-config
  namespace: kube-system
  ${HELM}
data: { k8s-service-host: "${master}", k8s-service-port: "6443", tunnel-protocol: vxlan }`,
    ds(
      'kube-system',
      'cilium',
      '{ type: RollingUpdate, rollingUpdate: { maxUnavailable: 2, maxSurge: 0 } }',
      'cilium-agent',
      `          image: quay.io/cilium/cilium:v1.16.5
          env: [{ name: KUBERNETES_SERVICE_HOST, value: "${master}" }, { name: KUBERNETES_SERVICE_PORT, value: "6443" }]
          volumeMounts: [{ name: cilium-config-path, mountPath: /tmp/cilium/config-map }]
      volumes: [{ name: cilium-config-path, configMap: { name: cilium-config } }]`,
    ),
    `apiVersion: apps/v1
kind: Deployment
metadata:
  name: cilium-operator
  namespace: kube-system
  ${HELM}
spec:
  replicas: 1
  selector: { matchLabels: { io.cilium/app: operator } }
  template:
    metadata: { labels: { io.cilium/app: operator } }
    spec:
      hostNetwork: true
      tolerations: [{ operator: Exists }]
      containers:
        - name: cilium-operator
          image: quay.io/cilium/operator-generic:v1.16.5
          env: [{ name: KUBERNETES_SERVICE_HOST, value: "${master}" }, { name: KUBERNETES_SERVICE_PORT, value: "6443" }]`,
    `apiVersion: v1
kind: ConfigMap
metadata: { name: kubernetes-services-endpoint, namespace: kube-system }
data: { KUBERNETES_SERVICE_HOST: "${master}", KUBERNETES_SERVICE_PORT: "6443" }`,
    ds(
      'kube-system',
      'calico-node',
      '{ type: RollingUpdate, rollingUpdate: { maxUnavailable: 3 } }',
      'calico-node',
      `          image: docker.io/calico/node:v3.29.0
          envFrom: [{ configMapRef: { name: kubernetes-services-endpoint, optional: true } }]`,
    ),
    `apiVersion: v1
kind: Namespace
metadata: { name: monitoring }`,
    `apiVersion: v1
kind: ConfigMap
metadata: { name: agent-config, namespace: monitoring }
data: { apiServer: "https://${master}:6443" }`,
    ds(
      'monitoring',
      'node-agent',
      '{ type: RollingUpdate }',
      'agent',
      `          image: example.com/node-agent:1.0
          env: [{ name: KUBERNETES_SERVICE_HOST, value: "${master}" }, { name: KUBERNETES_SERVICE_PORT, value: "6443" }]`,
    ),
  ].join('\n---\n');
}

const SEEDED: Array<[string, string, string]> = [
  ['configmap', 'kube-system', 'cilium-config'],
  ['daemonset', 'kube-system', 'cilium'],
  ['deployment', 'kube-system', 'cilium-operator'],
  ['configmap', 'kube-system', 'kubernetes-services-endpoint'],
  ['daemonset', 'kube-system', 'calico-node'],
  ['configmap', 'monitoring', 'agent-config'],
  ['daemonset', 'monitoring', 'node-agent'],
];

/** What an operator wrote of each seeded object: data, or spec (the controllers never change a spec). */
async function seededState(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [kind, ns, name] of SEEDED) {
    const o = JSON.parse(ok(await kubectlDirect(s, ['-n', ns, 'get', kind, name, '-o', 'json'], env), `get ${kind} ${ns}/${name}`)) as { data?: unknown; spec?: unknown };
    out[`${kind} ${ns}/${name}`] = kind === 'configmap' ? o.data : o.spec;
  }
  return out;
}

function wizard(args: string[]): Promise<RunResult> {
  return labExec(dir, ['env', `HA_WIZARD_STATE_DIR=${stateDir}`, process.execPath, CLI, ...args], { timeoutMs: 600_000 });
}

interface PodView {
  ds: string;
  node: string;
  ready: boolean;
  terminating: boolean;
}

/** When, per DaemonSet, how many nodes had no Ready, running pod of it. */
type Timeline = Array<{ at: string; ds: string; missing: number }>;

/**
 * Watches the agents' pods from outside while ha-wizard works: every change the apiserver reports (kubectl --watch
 * straight to cp1, restarted when cp1's apiserver is stopped by the drill, no sampling gap), replayed into how many
 * nodes lack a Ready, running pod of each DaemonSet, with the time. Recorded only once every node had one since the
 * watch (re)started, so the initial list, which arrives pod by pod, counts for nothing.
 */
function watchAgents(): { stop: () => Promise<{ timeline: Timeline; events: number }> } {
  let running = true;
  let child: ChildProcess | null = null;
  const timeline: Timeline = [];
  let events = 0;
  const jsonpath = 'jsonpath={.type}|{.object.metadata.name}|{.object.metadata.labels.k8s-app}|{.object.spec.nodeName}|{.object.metadata.deletionTimestamp}|{.object.status.conditions[?(@.type=="Ready")].status}{"\\n"}';
  const argv = clientArgv(s, ['kubectl', '--kubeconfig', fileOf(s, 'cp1', '/etc/kubernetes/admin.conf'), '--server', `https://${cp1}:6443`, '-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app in (cilium,calico-node)', '--watch', '--output-watch-events', '-o', jsonpath]);
  let ended: () => void = () => undefined;
  const done = new Promise<void>((res) => (ended = res));
  const start = () => {
    const pods = new Map<string, PodView>();
    const baseline = new Set<string>();
    let rest = '';
    child = spawn(argv[0]!, argv.slice(1), { env: clientEnv(dir, env), stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const [type, name, ds, nodeName, deletion, ready] = line.split('|');
        if (!name || !ds) continue;
        events++;
        if (type === 'DELETED') pods.delete(name);
        else pods.set(name, { ds, node: nodeName ?? '', ready: ready === 'True', terminating: (deletion ?? '') !== '' });
        for (const a of AGENTS) {
          const missing = NODES.filter((n) => ![...pods.values()].some((p) => p.ds === a.ds && p.node === n && p.ready && !p.terminating)).length;
          if (missing === 0) baseline.add(a.ds);
          if (baseline.has(a.ds)) timeline.push({ at: new Date().toISOString(), ds: a.ds, missing });
        }
      }
    });
    child.on('exit', () => {
      if (running) setTimeout(start, 1000);
      else ended();
    });
  };
  start();
  return {
    stop: async () => {
      running = false;
      child?.kill();
      await done;
      return { timeline, events };
    },
  };
}

/**
 * The most nodes at once without a Ready agent of `ds` while an action ran (from its journaled start to its end, in
 * that phase): the window in which ha-wizard restarts that DaemonSet's pods.
 */
function worstDuring(timeline: Timeline, ds: string, action: string, phase: 'apply' | 'rollback'): number {
  const j = journal();
  const from = j.filter((x) => x.type === 'started' && x.action === action && x.phase === phase).at(-1)?.at;
  const to = j.filter((x) => x.type === 'done' && x.action === action && x.phase === phase).at(-1)?.at;
  assert.ok(from && to, `${action} ran (${phase})`);
  return Math.max(0, ...timeline.filter((e) => e.ds === ds && e.at >= from && e.at <= to).map((e) => e.missing));
}

function journal(): Array<{ type: string; phase?: string; action?: string; outcome?: string; at: string }> {
  const sessions = join(stateDir, 'sessions');
  const ids = readdirSync(sessions);
  assert.equal(ids.length, 1, `one session: ${ids.join(', ')}`);
  return readFileSync(join(sessions, ids[0]!, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; phase?: string; action?: string; outcome?: string; at: string });
}

/** Agent log lines of a node between two instants. */
function agentLog(name: string, from: string, to: string): string[] {
  return readFileSync(fileOf(s, name, '/var/log/agent.log'), 'utf8')
    .split('\n')
    .filter((l) => {
      const at = l.slice(0, 24);
      return at >= from && at <= to;
    });
}

/** The restart script's own lines (each node's pod replaced and Ready, with the seconds it took): the figures. */
function restartLines(r: RunResult): string {
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /replaced; the new pod is Ready \(\d+\/\d+, \d+ s\)|: \d+ of \d+ pods restarted one node at a time/.test(l));
  return lines.map((l) => `#   ${l.trim()}\n`).join('');
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

let before_: Record<string, unknown> = {};
let kubeconfigSha = '';
let issuerLine = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hawe2e-clients-'));
  s = await labUp({ dir, name: `cl${process.pid % 100000}`, promote: 2, workers: 1, proxyHost: true, k8sVersion: '1.37' });
  stateDir = join(dir, 'state');
  cp1 = node(s, 'cp1').address;
  lb = node(s, 'lb').address;
  const doc = parse(readFileSync(join(dir, 'cluster.yaml'), 'utf8')) as Record<string, unknown> & { endpoint: { host: string; port: number } };
  doc.endpoint.port = ENDPOINT_PORT;
  doc['repoint'] = ['cilium', 'calico'];
  doc['verify'] = { failoverDrill: 'cp1' };
  config = join(dir, 'clients.yaml');
  writeFileSync(config, stringify(doc));
  // A second issuer that names the first master (accepted, not used to sign: no token in use is invalidated).
  const manifest = fileOf(s, 'cp1', '/etc/kubernetes/manifests/kube-apiserver.yaml');
  issuerLine = `    - --service-account-issuer=https://${cp1}:6443`;
  const text = readFileSync(manifest, 'utf8');
  assert.match(text, /^ {4}- --service-account-issuer=https:\/\/kubernetes\.default\.svc\.cluster\.local$/m);
  // Written beside it and renamed into place: the node agent sees one change and restarts the apiserver once.
  const staged = fileOf(s, 'cp1', '/etc/kubernetes/kube-apiserver.staged');
  writeFileSync(staged, text.replace(/^( {4}- --service-account-issuer=https:\/\/kubernetes\.default\.svc\.cluster\.local)$/m, `$1\n${issuerLine}`), { mode: 0o600 });
  renameSync(staged, manifest);
  let ready = 0;
  await until("cp1's apiserver with the second issuer, ready three times in a row", 180_000, async () => {
    const r = await nodeExec(s, 'cp1', ['sh', '-c', `pgrep -af kube-apiserver | grep -q -- '--service-account-issuer=https://${cp1}:6443' && curl -sfk -o /dev/null https://127.0.0.1:6443/readyz`]);
    ready = r.code === 0 ? ready + 1 : 0;
    if (ready < 3) await new Promise((res) => setTimeout(res, 1000));
    return ready >= 3;
  });
  // A user's kubeconfig on w1, naming cp1.
  mkdirSync(fileOf(s, 'w1', '/root/.kube'), { recursive: true });
  copyFileSync(fileOf(s, 'cp1', '/etc/kubernetes/admin.conf'), fileOf(s, 'w1', '/root/.kube/config'));
  kubeconfigSha = sha(fileOf(s, 'w1', '/root/.kube/config'));
  const file = join(dir, 'seed.yaml');
  writeFileSync(file, seed(cp1));
  ok(await kubectlDirect(s, ['apply', '--validate=false', '-f', file], env), 'seed the installs');
  for (const [ns, what] of [
    ['kube-system', 'daemonset/cilium'],
    ['kube-system', 'daemonset/calico-node'],
    ['kube-system', 'deployment/cilium-operator'],
    ['monitoring', 'daemonset/node-agent'],
  ]) {
    ok(await kubectlDirect(s, ['-n', ns!, 'rollout', 'status', what!, '--timeout=120s'], env), `${what} ready before the conversion`);
  }
  before_ = await seededState();
});

after(async () => {
  if (dir) {
    await labDown(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  rmSync(kubeCache, { recursive: true, force: true });
  process.stdout.write(`# clients.lab.test: file wall time ${((Date.now() - fileStart) / 1000).toFixed(1)} s\n`);
});

interface Report {
  findings: Array<{ object: string; field: string; value: string; advice?: string; offer?: string }>;
  repointed: Array<{ object: string; field: string }>;
  offers: Array<{ id: string; chosen: boolean }>;
  followUps: string[];
  notes: string[];
}

test('plan: reported with what to do (the issuer with its consequence), repointed fields, the Helm command, each change a patch with its diff', async () => {
  const r = await wizard(['plan', '-c', config, '--json']);
  assert.equal(r.code, 0, r.stderr.slice(-4000));
  const out = JSON.parse(r.stdout) as { oldAddressReferences: Report; preview: { steps: Array<{ id: string; entries: Array<{ kind: string; object?: string; fields?: Array<{ field: string; before: string; after: string }> }> }> } };
  const rep = out.oldAddressReferences;
  assert.deepEqual(rep.notes, []);
  const found = (object: string, field: string) => rep.findings.find((f) => f.object === object && f.field.startsWith(field));
  assert.equal(found('ConfigMap monitoring/agent-config', 'data.apiServer')?.value, `https://${cp1}:6443`);
  assert.match(found('File w1:/root/.kube/config', 'server (line')!.advice!, new RegExp(`on w1: sed -i 's#https://${cp1.replace(/\./g, '\\\\\\.')}:6443#https://${lb.replace(/\./g, '\\.')}:${ENDPOINT_PORT}#' /root/\\.kube/config$`));
  const issuer = found('Flag kube-apiserver on cp1', '--service-account-issuer')!;
  assert.equal(issuer.value, `https://${cp1}:6443`);
  assert.match(issuer.advice!, /^left unchanged .*invalidates the tokens in use/);
  assert.match(found('DaemonSet monitoring/node-agent', 'spec.template.spec.containers[name=agent].env[name=KUBERNETES_SERVICE_HOST]')!.advice!, /add DaemonSet\/monitoring\/node-agent to repoint/);
  assert.deepEqual(rep.offers, [
    { id: 'cilium', title: 'Cilium: ConfigMap kube-system/cilium-config, DaemonSet kube-system/cilium, Deployment kube-system/cilium-operator', chosen: true },
    { id: 'calico', title: 'Calico: ConfigMap kube-system/kubernetes-services-endpoint, DaemonSet kube-system/calico-node', chosen: true },
    { id: 'DaemonSet/monitoring/node-agent', title: 'DaemonSet monitoring/node-agent', chosen: false },
  ]);
  assert.deepEqual(rep.repointed.map((f) => `${f.object} ${f.field}`).sort(), [
    'ConfigMap kube-system/cilium-config data.k8s-service-host',
    'ConfigMap kube-system/kubernetes-services-endpoint data.KUBERNETES_SERVICE_HOST',
    'DaemonSet kube-system/cilium spec.template.spec.containers[name=cilium-agent].env[name=KUBERNETES_SERVICE_HOST].value',
    'Deployment kube-system/cilium-operator spec.template.spec.containers[name=cilium-operator].env[name=KUBERNETES_SERVICE_HOST].value',
  ]);
  assert.deepEqual(rep.followUps, [
    `Cilium is installed by Helm (release cilium in kube-system): its values must follow, or the next helm upgrade puts the old address back. Run: helm upgrade cilium cilium/cilium --version 1.16.5 --namespace kube-system --reuse-values --set k8sServiceHost=${lb} --set k8sServicePort=${ENDPOINT_PORT}`,
  ]);
  const step = out.preview.steps.find((x) => x.id === 'repoint-cilium')!;
  const fields = step.entries.flatMap((e) => (e.fields ?? []).map((f) => `${e.object} ${f.field}: ${f.before} → ${f.after}`));
  assert.ok(fields.includes(`ConfigMap kube-system/cilium-config data.k8s-service-port: "6443" → "${ENDPOINT_PORT}"`), fields.join('\n'));
  assert.ok(fields.includes(`DaemonSet kube-system/cilium spec.template.spec.containers[name=cilium-agent].env[name=KUBERNETES_SERVICE_HOST].value: "${cp1}" → "${lb}"`), fields.join('\n'));
  assert.ok(fields.includes('DaemonSet kube-system/cilium spec.updateStrategy: {"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":2,"maxSurge":0}} → {"type":"OnDelete"}'), fields.join('\n'));
});

/** The names of the agents' pods now. */
async function agentPods(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const a of AGENTS) out[a.ds] = ok(await kubectlDirect(s, ['-n', a.ns, 'get', 'pods', '-l', a.label, '-o', 'name'], env), 'pods').trim().split('\n').sort();
  return out;
}

function replaced(before: Record<string, string[]>, now: Record<string, string[]>, ds: string): void {
  assert.equal(now[ds]!.length, NODES.length, `${ds}: a pod per node: ${now[ds]!.join(' ')}`);
  assert.deepEqual(now[ds]!.filter((p) => before[ds]!.includes(p)), [], `${ds}: every pod replaced`);
}

test('apply: both repointed, each DaemonSet restarted one node at a time, strategy back exactly; verify and the drill pass; the reported ones unchanged', async () => {
  const podsBefore = await agentPods();
  const watch = watchAgents();
  const r = await wizard(['apply', '-c', config, '--yes']);
  const seen = await watch.stop();
  assert.equal(r.code, 0, `apply failed:\n${r.stdout.slice(-5000)}\n${r.stderr.slice(-3000)}`);
  process.stdout.write(restartLines(r));
  for (const a of AGENTS) {
    const worst = worstDuring(seen.timeline, a.ds, `repoint-${a.ds === 'cilium' ? 'cilium' : 'calico'}/cp1/kube-system-${a.ds}-restart`, 'apply');
    process.stdout.write(`# apply: ${seen.events} pod events; while ha-wizard restarted ${a.ds}, at most ${worst} node(s) at once without a Ready one\n`);
    assert.equal(worst, 1, `${a.ds}: one node at a time (its own strategy would allow ${a.ds === 'cilium' ? 2 : 3})`);
  }
  const podsAfter = await agentPods();
  for (const a of AGENTS) replaced(podsBefore, podsAfter, a.ds);
  const after = await seededState();
  const cm = (k: string) => after[`configmap kube-system/${k}`] as Record<string, string>;
  assert.deepEqual(cm('cilium-config'), { 'k8s-service-host': lb, 'k8s-service-port': String(ENDPOINT_PORT), 'tunnel-protocol': 'vxlan' });
  assert.deepEqual(cm('kubernetes-services-endpoint'), { KUBERNETES_SERVICE_HOST: lb, KUBERNETES_SERVICE_PORT: String(ENDPOINT_PORT) });
  for (const kind of ['daemonset kube-system/cilium', 'deployment kube-system/cilium-operator']) {
    const c = (after[kind] as { template: { spec: { containers: Array<{ env: Array<{ name: string; value: string }> }> } } }).template.spec.containers[0]!;
    assert.deepEqual(c.env, [
      { name: 'KUBERNETES_SERVICE_HOST', value: lb },
      { name: 'KUBERNETES_SERVICE_PORT', value: String(ENDPOINT_PORT) },
    ]);
  }
  for (const ds of ['cilium', 'calico-node']) {
    const key = `daemonset kube-system/${ds}`;
    assert.deepEqual((after[key] as { updateStrategy: unknown }).updateStrategy, (before_[key] as { updateStrategy: unknown }).updateStrategy, `${ds} update strategy as it was`);
  }
  // Reported only: unchanged.
  for (const k of ['configmap monitoring/agent-config', 'daemonset monitoring/node-agent']) assert.deepEqual(after[k], before_[k], `${k} unchanged`);
  assert.equal(sha(fileOf(s, 'w1', '/root/.kube/config')), kubeconfigSha, "w1's /root/.kube/config unchanged");
  for (const cp of ['cp1', 'cp2', 'cp3']) {
    const m = readFileSync(fileOf(s, cp, '/etc/kubernetes/manifests/kube-apiserver.yaml'), 'utf8');
    assert.ok(m.split('\n').includes(issuerLine), `${cp}'s apiserver keeps the issuer naming cp1`);
  }
  // The agents' pods run the new spec and are Ready (the lab agent judged each against its own server).
  const pods = JSON.parse(ok(await kubectlDirect(s, ['-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app in (cilium,calico-node)', '-o', 'json'], env), 'pods')) as { items: Array<{ metadata: { name: string }; spec: { nodeName: string }; status: { conditions: Array<{ type: string; status: string }> } }> };
  assert.equal(pods.items.length, 8, pods.items.map((p) => p.metadata.name).join(' '));
  for (const p of pods.items) {
    const why = () => `${p.metadata.name} on ${p.spec.nodeName}; its node's agent said:\n${readFileSync(fileOf(s, p.spec.nodeName, '/var/log/agent.log'), 'utf8').split('\n').filter((l) => l.includes(p.metadata.name) || /kubelet: (?!started)/.test(l)).slice(-25).join('\n')}`;
    assert.equal(p.status.conditions.find((c) => c.type === 'Ready')?.status, 'True', p.status.conditions.find((c) => c.type === 'Ready')?.status === 'True' ? '' : why());
  }
  for (const n of NODES) {
    const log = readFileSync(fileOf(s, n, '/var/log/agent.log'), 'utf8');
    for (const a of AGENTS) assert.match(log, new RegExp(`started pod kube-system/${a.ds}-\\S+ apiserver https://${lb.replace(/\./g, '\\.')}:${ENDPOINT_PORT}`), `${n}: a ${a.ds} pod started on the endpoint`);
  }
  const done = new Set(journal().filter((x) => x.type === 'done' && x.phase === 'apply').map((x) => x.action));
  for (const id of [
    'repoint-cilium/cp1/kube-system-cilium-restart',
    'repoint-calico/cp1/kube-system-calico-node-restart',
    'verify/cp1/kube-system-cilium-ready',
    'verify/cp1/kube-system-calico-node-ready',
    'failover-drill/cp2/kube-system-cilium-ready-during-drill-2',
    'failover-drill/cp2/kube-system-calico-node-ready-during-drill-2',
    'failover-drill/cp2/kube-system-cilium-operator-ready-during-drill-2',
  ]) {
    assert.ok(done.has(id), `${id} done`);
  }
});

test("the drill, judged by the agents' own logs: with cp1's apiserver stopped the pinned control group went NotReady, no repointed agent did", () => {
  const j = journal();
  const from = j.find((x) => x.type === 'done' && x.action === 'failover-drill/cp1/stop-apiserver')!.at;
  const to = j.find((x) => x.type === 'started' && x.action === 'failover-drill/cp1/start-apiserver')!.at;
  const said = NODES.filter((n) => n !== 'cp1').flatMap((n) => agentLog(n, from, to).filter((l) => / not Ready: | check failed once/.test(l)).map((l) => `${n}: ${l.slice(25)}`));
  process.stdout.write(`# drill ${from} → ${to}:\n${said.map((l) => `#   ${l}`).join('\n')}\n`);
  const notReady = said.filter((l) => / not Ready: /.test(l));
  assert.ok(notReady.some((l) => /pod monitoring\/node-agent-\S+ not Ready/.test(l)), 'the pinned control group went NotReady (the check can fail)');
  assert.deepEqual(notReady.filter((l) => /kube-system\/(cilium|calico)/.test(l)), [], 'no repointed agent went NotReady');
});

test('rollback: refuses to overwrite a later change to cilium-config, then restores every object exactly, the pods back one node at a time', async () => {
  ok(await kubectlDirect(s, ['-n', 'kube-system', 'patch', 'configmap', 'cilium-config', '--type', 'merge', '-p', '{"data":{"k8s-service-host":"10.9.9.9"}}'], env), 'someone edits cilium-config');
  const edited = await seededState();
  const podsEdited = await agentPods();
  const refused = await wizard(['rollback', '--to', 'repoint-workers-1', '--yes']);
  assert.equal(refused.code, 2, `${refused.stdout.slice(-3000)}\n${refused.stderr.slice(-3000)}`);
  // Its preview marks the object, says what it would overwrite and what to do; the run is not started.
  assert.match(
    refused.stdout,
    new RegExp(`! ConfigMap kube-system/cilium-config: changed after ha-wizard patched it: data\\.k8s-service-host is now "10\\.9\\.9\\.9"; ha-wizard wrote "${lb.replace(/\./g, '\\.')}"; before, it was "${cp1.replace(/\./g, '\\.')}"\\. Rollback would stop here rather than overwrite it: set that field back by hand if the original is what you want, or keep the change and roll back only the steps after repoint-cilium \\(--to repoint-cilium\\)`),
    refused.stdout.slice(-3000),
  );
  assert.match(refused.stderr, /rollback would stop at 1 problem\(s\) marked with ! above; nothing was changed/);
  assert.deepEqual(await seededState(), edited, 'nothing written: every seeded object as it was before the refused rollback');
  assert.deepEqual(await agentPods(), podsEdited, 'no agent pod restarted');
  assert.ok(!journal().some((x) => x.phase === 'rollback' || (x as { operation?: string }).operation === 'rollback'), 'no rollback begun');
  // The operator decides the original is right and sets it back by hand; the rollback then runs.
  ok(await kubectlDirect(s, ['-n', 'kube-system', 'patch', 'configmap', 'cilium-config', '--type', 'merge', '-p', JSON.stringify({ data: { 'k8s-service-host': cp1 } })], env), 'set back by hand');
  const podsBefore = await agentPods();
  const watch = watchAgents();
  const r = await wizard(['rollback', '--to', 'repoint-workers-1', '--yes']);
  const seen = await watch.stop();
  assert.equal(r.code, 0, `${r.stdout.slice(-4000)}\n${r.stderr.slice(-3000)}`);
  process.stdout.write(restartLines(r));
  const podsAfter = await agentPods();
  for (const a of AGENTS) {
    const worst = worstDuring(seen.timeline, a.ds, `repoint-${a.ds === 'cilium' ? 'cilium' : 'calico'}/cp1/kube-system-${a.ds}-restart-on-rollback`, 'rollback');
    process.stdout.write(`# rollback: ${seen.events} pod events; while ha-wizard restarted ${a.ds} onto the restored spec, at most ${worst} node(s) at once without a Ready one\n`);
    assert.equal(worst, 1, `${a.ds} back one node at a time`);
    replaced(podsBefore, podsAfter, a.ds);
  }
  assert.deepEqual(await seededState(), before_, 'every seeded object exactly as it was');
  const pods = JSON.parse(ok(await kubectlDirect(s, ['-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app in (cilium,calico-node)', '-o', 'json'], env), 'pods')) as { items: Array<{ metadata: { name: string }; spec: { containers: Array<{ env?: Array<{ name: string; value: string }> }> }; status: { conditions: Array<{ type: string; status: string }> } }> };
  for (const p of pods.items) {
    assert.equal(p.status.conditions.find((c) => c.type === 'Ready')?.status, 'True', p.metadata.name);
    const host = p.spec.containers[0]!.env?.find((e) => e.name === 'KUBERNETES_SERVICE_HOST')?.value;
    if (p.metadata.name.startsWith('cilium-')) assert.equal(host, cp1, `${p.metadata.name} back on cp1`);
  }
  for (const n of NODES) {
    assert.match(readFileSync(fileOf(s, n, '/var/log/agent.log'), 'utf8'), new RegExp(`started pod kube-system/calico-node-\\S+ apiserver https://${cp1.replace(/\./g, '\\.')}:6443\\n(?![\\s\\S]*started pod kube-system/calico-node-\\S+ apiserver https://${lb.replace(/\./g, '\\.')})`), `${n}: the last calico-node pod started reads cp1 again`);
  }
});
