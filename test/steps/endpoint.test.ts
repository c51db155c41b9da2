/**
 * The endpoint steps as data: proxy, proxy-backends, endpoint-cert, repoint, verify (and the audit), for nginx and
 * HAProxy, dedicated and per-node, 1→3 and 1→5 control-plane nodes, and 1,000 workers in batches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Action, RunAction, WaitAction, WriteFileAction } from '../../src/engine/model/actions.js';
import type { ClusterFacts } from '../../src/discovery/facts.js';
import type { Step } from '../../src/engine/model/step.js';
import { actionSchema } from '../../src/engine/model/schema.js';
import { proxyStep } from '../../steps/proxy.js';
import { proxyBackendsStep } from '../../steps/proxy-backends.js';
import { assertEndpointInApiserverCerts, endpointCertStep, masterApiserverCertSpec } from '../../steps/endpoint-cert.js';
import { repointStep, workerBatches } from '../../steps/repoint.js';
import { verifyStep } from '../../steps/verify.js';
import { failoverDrillStep } from '../../steps/failover-drill.js';
import { makeFacts } from './facts-fixture.js';

type Kind = 'nginx' | 'haproxy';
type Placement = 'dedicated' | 'per-node';

function facts(kind: Kind, placement: Placement, promote: number, workers = 3, endpointHost?: string): ClusterFacts {
  const f = makeFacts({ promote, workers, ...(endpointHost ? { endpointHost } : {}) });
  f.config.proxy = placement === 'dedicated' ? { kind, placement, host: { name: 'lb', address: '10.200.0.5' } } : { kind, placement };
  f.kubeconfigServers = { 'cp1:/etc/kubernetes/admin.conf': 'https://10.200.0.11:6443', 'cp1:/etc/kubernetes/super-admin.conf': 'https://10.200.0.11:6443' };
  return f;
}

const ctx = { session: 's1' };
const all = (f: ClusterFacts): Step[] => [
  ...proxyStep.build(f, ctx),
  ...endpointCertStep.build(f, ctx),
  ...proxyBackendsStep.build(f, ctx),
  ...repointStep.build(f, { ...ctx, now: '2026-01-01T00:00:00Z' }),
  ...verifyStep.build(f, ctx),
  ...failoverDrillStep.build(f, { ...ctx, failoverDrill: true }),
];

const byId = (steps: Step[], id: string): Step => {
  const s = steps.find((x) => x.id === id);
  assert.ok(s, `step ${id}`);
  return s;
};
const find = <T extends Action>(s: Step, suffix: string): T => {
  const a = s.actions.find((x) => x.id.endsWith(suffix));
  assert.ok(a, `${s.id}: action …${suffix} (have ${s.actions.map((x) => x.id).join(', ')})`);
  return a as T;
};
const index = (s: Step, suffix: string) => s.actions.findIndex((x) => x.id.endsWith(suffix));

for (const kind of ['nginx', 'haproxy'] as const) {
  for (const placement of ['dedicated', 'per-node'] as const) {
    for (const promote of [2, 4]) {
      test(`${kind} ${placement}, 1→${promote + 1}: every action is valid plan data with a unique id, its step's id, and no key`, () => {
        const f = facts(kind, placement, promote);
        const steps = all(f);
        const ids = new Set<string>();
        for (const s of steps) {
          for (const a of s.actions) {
            assert.equal(a.step, s.id);
            assert.ok(!ids.has(a.id), `duplicate id ${a.id}`);
            ids.add(a.id);
            const parsed = actionSchema.safeParse(a);
            assert.ok(parsed.success, `${a.id}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues[0])}`);
          }
        }
        assert.doesNotMatch(JSON.stringify(steps), /PRIVATE KEY|client-key-data/);
        assertEndpointInApiserverCerts(steps.flatMap((s) => s.actions), f);
        // one backends step per promoted node for a dedicated proxy, one for all with per-node proxies
        const backendSteps = steps.filter((s) => s.id.startsWith('proxy-backends'));
        assert.equal(backendSteps.length, placement === 'dedicated' ? promote : 1);
      });
    }

    test(`${kind} ${placement}: the proxy starts with the master as its only backend, validated before it is used`, () => {
      const f = facts(kind, placement, 2);
      const s = byId(proxyStep.build(f, ctx), 'proxy');
      const configs = s.actions.filter((a): a is WriteFileAction => a.type === 'write-file' && /ha-wizard-apiserver\.(conf|cfg)$/.test(a.path));
      assert.equal(configs.length, placement === 'dedicated' ? 1 : 3);
      for (const c of configs) {
        assert.equal(c.content.type, 'literal');
        const text = (c.content as { text: string }).text;
        assert.match(text, /10\.200\.0\.11:6443/);
        assert.doesNotMatch(text, /10\.200\.0\.1[23]:6443/);
        assert.match(text, placement === 'dedicated' ? /listen 6443;|bind :6443/ : /listen 127\.0\.0\.1:6443;|bind 127\.0\.0\.1:6443/);
      }
      if (placement === 'dedicated') {
        assert.ok(configs.every((c) => c.host === 'lb'));
        const start = find<RunAction>(s, 'lb/start');
        assert.ok(start.undo, 'start has an undo that stops the proxy');
        assert.ok(start.probe);
        assert.ok(index(s, 'lb/validate') > index(s, 'lb/config') && index(s, 'lb/validate') < index(s, 'lb/start'));
        assert.deepEqual(find<RunAction>(s, 'lb/validate').argv.slice(0, 2), kind === 'nginx' ? ['nginx', '-t'] : ['haproxy', '-c']);
        if (kind === 'nginx') assert.deepEqual((find<WaitAction>(s, 'lb/nginx-stream-module').probe as { argv: string[] }).argv, ['test', '-f', '/usr/lib/nginx/modules/ngx_stream_module.so']);
        else assert.equal(find<WriteFileAction>(s, 'lb/cluster-ca').content.type, 'copy');
        // through the proxy before the master's certificate knows the endpoint: verified as "kubernetes"
        const via = find<WaitAction>(s, 'cp1/via-endpoint');
        assert.equal(via.probe.type === 'https' && via.probe.serverName, 'kubernetes');
      } else {
        assert.deepEqual([...new Set(configs.map((c) => c.host))], ['w1', 'w2', 'w3']);
        const manifests = s.actions.filter((a): a is WriteFileAction => a.type === 'write-file' && a.path === '/etc/kubernetes/manifests/ha-wizard-apiserver-proxy.yaml');
        assert.deepEqual(manifests.map((m) => m.host), ['w1', 'w2', 'w3']);
        assert.ok(!s.actions.some((a) => a.type !== 'wait' && /^cp/.test(a.id.split('/')[1]!)), 'no proxy on control-plane nodes');
      }
    });
  }
}

test('proxy-backends (dedicated): each node is ready for the endpoint before it is added; rollback reloads the restored config', () => {
  const f = facts('haproxy', 'dedicated', 2);
  const steps = proxyBackendsStep.build(f, ctx);
  assert.deepEqual(steps.map((s) => s.id), ['proxy-backends-cp2', 'proxy-backends-cp3']);
  const [first, second] = steps as [Step, Step];
  const ready = find<WaitAction>(first, 'cp2/readyz-as-endpoint');
  assert.ok(ready.probe.type === 'https' && ready.probe.serverName === 'k8s-api.lab.example' && ready.probe.address === '10.200.0.12');
  assert.ok(index(first, 'readyz-as-endpoint') < index(first, 'lb/config'));
  const cfg = (find<WriteFileAction>(first, 'lb/config').content as { text: string }).text;
  assert.match(cfg, /server cp2 10\.200\.0\.12:6443 check/);
  assert.doesNotMatch(cfg, /10\.200\.0\.13/);
  assert.match((find<WriteFileAction>(second, 'lb/config').content as { text: string }).text, /server cp3 10\.200\.0\.13:6443 check/);
  const pre = find<RunAction>(first, 'lb/check-running-config');
  assert.deepEqual(pre.undo, ['pkill', '--signal', 'USR2', '-F', '/run/ha-wizard-apiserver-haproxy.pid']);
  assert.ok(index(first, 'check-running-config') < index(first, 'lb/config'));
  assert.ok(index(first, 'lb/validate') < index(first, 'lb/reload'));
});

test('endpoint-cert: the master keeps every SAN and its key, gains the endpoint; the running apiserver reloads it, restarted only if it does not', () => {
  const f = facts('nginx', 'dedicated', 2);
  f.masterApiserverSANs = { dnsNames: ['cp1', 'kubernetes', 'old-name.example'], ipAddresses: ['10.96.0.1', '10.200.0.11', '192.0.2.7'] };
  const spec = masterApiserverCertSpec(f);
  for (const d of ['cp1', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'old-name.example', 'k8s-api.lab.example']) assert.ok(spec.dnsNames.includes(d), d);
  for (const ip of ['10.96.0.1', '10.200.0.11', '192.0.2.7']) assert.ok(spec.ipAddresses.includes(ip), ip);
  assert.equal(spec.subject.commonName, 'kube-apiserver');
  assert.deepEqual(spec.ca, { host: 'cp1', certPath: '/etc/kubernetes/pki/ca.crt', keyPath: '/etc/kubernetes/pki/ca.key' });
  const s = byId(endpointCertStep.build(f, ctx), 'endpoint-cert');
  // Disruptive only because of the fallback restart; no action stops the apiserver up front.
  assert.equal(s.risk, 'disruptive');
  assert.ok(!s.actions.some((a) => a.id.endsWith('/stop-apiserver') || a.id.endsWith('/start-apiserver')));
  const cert = find<WriteFileAction>(s, 'cp1/apiserver.crt');
  assert.equal(cert.path, '/etc/kubernetes/pki/apiserver.crt');
  assert.equal(cert.risk, 'reversible');
  assert.deepEqual(cert.content.type === 'certificate' && cert.content.keyPath, '/etc/kubernetes/pki/apiserver.key');
  assert.ok(!s.actions.some((a) => a.type === 'write-file' && a.path.endsWith('apiserver.key')), 'the key is kept');
  const order = ['cp1/apiserver.crt', 'cp1/apiserver-serves-new-certificate', 'cp1/readyz-as-endpoint', 'cp1/readyz-via-endpoint'].map((x) => index(s, x));
  assert.deepEqual([...order].sort((a, b) => a - b), order);
  assert.ok(order.every((i) => i >= 0));
  const reload = find<RunAction>(s, 'cp1/apiserver-serves-new-certificate');
  // Skipped when the new certificate is already served (the probe); otherwise waits for the reload, and
  // restarts the static pod only after 30 s without it.
  assert.ok(reload.probe?.type === 'https' && reload.probe.serverName === 'k8s-api.lab.example' && reload.probe.address === '10.200.0.11');
  assert.equal(reload.argv[0], 'sh');
  assert.match(reload.argv[2]!, /--resolve "\$name:\$port:\$addr"/);
  assert.deepEqual(reload.argv.slice(3), ['ha-wizard-reload', '/etc/kubernetes/manifests/kube-apiserver.yaml', '/etc/kubernetes/ha-wizard-parked-kube-apiserver.yaml', '6443', '10.200.0.11', 'k8s-api.lab.example', '/etc/kubernetes/pki/ca.crt']);
  assert.deepEqual(reload.undo, ['true']);
  const ready = find<WaitAction>(s, 'readyz-as-endpoint');
  assert.ok(ready.probe.type === 'https' && ready.probe.serverName === 'k8s-api.lab.example');
});

test('endpoint-cert: an IP endpoint goes into the IP SANs; per-node placement adds 127.0.0.1 and localhost', () => {
  const ip = masterApiserverCertSpec(facts('nginx', 'dedicated', 2, 1, '10.200.0.5'));
  assert.ok(ip.ipAddresses.includes('10.200.0.5'));
  assert.ok(!ip.dnsNames.includes('10.200.0.5'));
  const local = masterApiserverCertSpec(facts('haproxy', 'per-node', 2));
  assert.ok(local.ipAddresses.includes('127.0.0.1'));
  assert.ok(local.dnsNames.includes('localhost'));
});

test('a plan that issues an apiserver certificate without the endpoint cannot be produced', () => {
  const f = facts('nginx', 'per-node', 2);
  const spec = masterApiserverCertSpec(f);
  const bad: Action = {
    id: 'control-plane-cp2/cp2/apiserver.crt',
    step: 'control-plane-cp2',
    type: 'write-file',
    host: 'cp2',
    path: '/etc/kubernetes/pki/apiserver.crt',
    content: { type: 'certificate', keyPath: '/etc/kubernetes/pki/apiserver.key', spec: { ...spec, ipAddresses: spec.ipAddresses.filter((i) => i !== '127.0.0.1') } },
    mode: 0o644,
    description: '',
    risk: 'reversible',
  };
  assert.throws(() => assertEndpointInApiserverCerts([bad], f), /without 127\.0\.0\.1 .*x509: certificate is valid for …, not 127\.0\.0\.1/);
  assert.doesNotThrow(() => assertEndpointInApiserverCerts([{ ...bad, content: { type: 'certificate', keyPath: '/k', spec } } as Action], f));
});

test('per-node placement refuses an endpoint port that differs from the apiserver port', () => {
  const f = facts('nginx', 'per-node', 2);
  f.config.endpoint.port = 8443;
  assert.throws(() => repointStep.build(f, ctx), /needs the endpoint port \(8443\) to equal the apiserver port \(6443\)/);
});

test('a dedicated proxy on a control-plane node is refused', () => {
  const f = facts('nginx', 'dedicated', 2);
  f.config.proxy.host = { name: 'cp2', address: '10.200.0.12' };
  assert.throws(() => proxyStep.build(f, ctx), /is a control-plane node/);
});

for (const placement of ['dedicated', 'per-node'] as const) {
  test(`repoint-cluster (${placement}): kube-proxy, kubeadm-config, cluster-info and admin kubeconfigs, with before and after`, () => {
    const f = facts('nginx', placement, 2);
    const s = byId(repointStep.build(f, { ...ctx, now: '2026-01-01T00:00:00Z' }), 'repoint-cluster');
    const local = placement === 'per-node' ? 'https://127.0.0.1:6443' : 'https://k8s-api.lab.example:6443';
    const kp = find<Action>(s, 'kube-proxy-configmap');
    assert.ok(kp.type === 'patch-object');
    assert.deepEqual(kp.edits, [{ path: ['data', 'kubeconfig.conf'], yamlPath: ['clusters', '0', 'cluster', 'server'], value: local }]);
    assert.match(kp.description, new RegExp(`https://10\\.200\\.0\\.11:6443 → ${local.replace(/\./g, '\\.')}`));
    const restart = find<Action>(s, 'kube-proxy-restart');
    assert.ok(restart.type === 'patch-object' && restart.object.kind === 'DaemonSet');
    assert.deepEqual(restart.edits[0]!.path, ['spec', 'template', 'metadata', 'annotations', 'kubectl.kubernetes.io/restartedAt']);
    assert.ok(index(s, 'kube-proxy-configmap') < index(s, 'kube-proxy-restart') && index(s, 'kube-proxy-restart') < index(s, 'kube-proxy-rolled-out'));
    const kc = find<Action>(s, 'kubeadm-config');
    assert.ok(kc.type === 'patch-object');
    assert.deepEqual(kc.edits[0], { path: ['data', 'ClusterConfiguration'], yamlPath: ['controlPlaneEndpoint'], value: 'k8s-api.lab.example:6443' });
    assert.deepEqual(kc.edits[1]!.value, placement === 'per-node' ? ['k8s-api.lab.example', 'localhost', '127.0.0.1'] : ['k8s-api.lab.example']);
    const ci = find<Action>(s, 'cluster-info');
    assert.ok(ci.type === 'patch-object' && ci.object.namespace === 'kube-public');
    assert.equal(ci.edits[0]!.value, 'https://k8s-api.lab.example:6443');
    for (const file of ['admin.conf', 'super-admin.conf']) {
      const w = find<WriteFileAction>(s, `cp1/${file}`);
      assert.deepEqual(w.content, { type: 'kubeconfig-server', fromPath: `/etc/kubernetes/${file}`, server: 'https://k8s-api.lab.example:6443' });
      assert.equal(w.mode, 0o600);
    }
  });
}

test('repoint-workers: the config\'s workerBatchSize sets the batches after the canary; the step context still wins', () => {
  const base = facts('nginx', 'dedicated', 2, 1000);
  const f = { ...base, config: { ...base.config, workerBatchSize: 200 } };
  const batches = (steps: Array<{ id: string; actions: readonly Action[] }>) =>
    steps.filter((s) => s.id.startsWith('repoint-workers-')).map((s) => new Set(s.actions.filter((a) => a.type === 'write-file').map((a) => (a as WriteFileAction).host)).size);
  assert.deepEqual(batches(repointStep.build(f, { ...ctx, now: '2026-01-01T00:00:00Z' })), [1, 200, 200, 200, 200, 199]);
  assert.deepEqual(batches(repointStep.build(f, { ...ctx, now: '2026-01-01T00:00:00Z', batchSize: 500 })), [1, 500, 499]);
});

test('repoint-workers: 1,000 workers in a canary and batches of 50, each gated; kubelet.conf rewritten as a literal diff', () => {
  const f = facts('nginx', 'dedicated', 2, 1000);
  const steps = repointStep.build(f, { ...ctx, now: '2026-01-01T00:00:00Z' }).filter((s) => s.id.startsWith('repoint-workers-'));
  assert.equal(steps.length, 1 + Math.ceil(999 / 50));
  assert.deepEqual(steps.map((s) => s.id).slice(0, 3), ['repoint-workers-1', 'repoint-workers-2', 'repoint-workers-3']);
  const hosts = steps.map((s) => new Set(s.actions.filter((a) => a.type === 'write-file').map((a) => (a as WriteFileAction).host)).size);
  assert.equal(hosts[0], 1);
  assert.ok(hosts.slice(1, -1).every((n) => n === 50));
  assert.equal(hosts.reduce((a, b) => a + b, 0), 1000);
  const canary = steps[0]!;
  const check = find<RunAction>(canary, 'w1/kubelet-active');
  assert.deepEqual(check.undo, ['systemctl', 'restart', 'kubelet']);
  const ord = ['w1/kubelet-active', 'w1/kubelet.conf', 'w1/kubelet-restart', 'w1/kubelet-path', 'cp1/nodes-ready'].map((x) => index(canary, x));
  assert.deepEqual([...ord].sort((a, b) => a - b), ord);
  const conf = find<WriteFileAction>(canary, 'w1/kubelet.conf');
  assert.equal(conf.content.type, 'literal');
  const text = (conf.content as { text: string }).text;
  assert.match(text, /server: https:\/\/k8s-api\.lab\.example:6443/);
  assert.match(text, /client-key: \/var\/lib\/kubelet\/pki\/kubelet-client-current\.pem/);
  const path = find<WaitAction>(canary, 'w1/kubelet-path');
  assert.ok(path.probe.type === 'https' && path.probe.path === '/api/v1/nodes/w1' && path.probe.clientCertPath === '/var/lib/kubelet/pki/kubelet-client-current.pem');
  const gate = find<WaitAction>(steps[1]!, 'cp1/nodes-ready');
  assert.ok(gate.probe.type === 'command' && gate.probe.argv.includes('w2') && gate.probe.argv.includes('w51') && !gate.probe.argv.includes('w52'));
});

test('workerBatches: canary first, then fixed-size batches; an invalid size is refused', () => {
  assert.deepEqual(workerBatches([1, 2, 3, 4, 5], 2), [[1], [2, 3], [4, 5]]);
  assert.deepEqual(workerBatches([], 2), []);
  assert.throws(() => workerBatches([1], 0), /positive integer/);
});

test('verify: each apiserver directly for the endpoint name, the endpoint, etcd voting members, leases, kube-proxy; the drill is opt-in', () => {
  const f = facts('haproxy', 'dedicated', 4, 10);
  const [checks, ...rest] = [...verifyStep.build(f, ctx), ...failoverDrillStep.build(f, ctx)];
  assert.equal(rest.length, 0, 'no drill unless asked');
  assert.equal(checks!.risk, 'read-only');
  for (const n of ['cp1', 'cp2', 'cp3', 'cp4', 'cp5']) {
    const w = find<WaitAction>(checks!, `${n}/readyz-direct`);
    assert.ok(w.probe.type === 'https' && w.probe.serverName === 'k8s-api.lab.example');
  }
  assert.equal(checks!.actions.filter((a) => /via-endpoint/.test(a.id)).length, 5 + 3);
  const voting = find<WaitAction>(checks!, 'cp1/etcd-voting');
  assert.ok(voting.probe.type === 'command' && voting.probe.argv[3] === '5');
  for (const x of ['etcd-health', 'controller-manager-lease', 'scheduler-lease', 'kube-proxy']) find(checks!, `cp1/${x}`);
  const [, drill] = [...verifyStep.build(f, ctx), ...failoverDrillStep.build(f, { ...ctx, failoverDrill: 'cp2' })];
  assert.equal(drill!.id, 'failover-drill');
  const order = ['cp2/stop-apiserver', 'cp2/apiserver-stopped', 'endpoint-during-drill-1', 'cp2/start-apiserver', 'cp2/readyz-after-drill'].map((x) => index(drill!, x));
  assert.deepEqual([...order].sort((a, b) => a - b), order);
  assert.throws(() => failoverDrillStep.build(f, { ...ctx, failoverDrill: 'w1' }), /not a control-plane node/);
});
