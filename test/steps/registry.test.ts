/**
 * The registry of steps (steps/index.ts): one signature, kubeadm-style names in the order a conversion runs,
 * a group's phases node by node, and `--only` / `--skip` that refuse a plan missing what a step needs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Risk } from '../../src/engine/model/actions.js';
import { buildPlan, worstRisk } from '../../src/engine/model/plan.js';
import { BadInputError } from '../../src/exit-codes.js';
import { STEPS, buildSteps, checkStepNames, stepNames } from '../../steps/index.js';
import { makeFacts } from './facts-fixture.js';

const ctx = { session: 's-20260101-abc' };
const ids = (selection: Parameters<typeof buildSteps>[2] = {}, f = makeFacts({ promote: 2, workers: 2 })) => buildSteps(f, ctx, selection).map((s) => s.id);
const refused = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BadInputError, `a BadInputError (exit 2), not ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });

test('registry: unique kubeadm-style names in run order; every need is a registered step that runs before', () => {
  const names = STEPS.map((s) => s.name);
  assert.deepEqual(names, [
    'backup',
    'proxy',
    'endpoint-cert',
    'etcd-peer-url',
    'promote/shared-pki',
    'promote/carry-over',
    'promote/etcd',
    'promote/control-plane',
    'promote/kubelet',
    'mark-control-plane',
    'proxy-backends',
    'repoint',
    'repoint-clients',
    'verify',
    'failover-drill',
  ]);
  assert.equal(new Set(names).size, names.length);
  for (const [i, s] of STEPS.entries()) {
    assert.ok(s.summary.length > 10, `${s.name} has a summary`);
    for (const need of s.needs ?? []) {
      const at = names.indexOf(need.step);
      assert.ok(at >= 0 && at < i, `${s.name} needs ${need.step}, which must be registered before it`);
      assert.ok(need.why.length > 10, `${s.name} says why it needs ${need.step}`);
    }
  }
  assert.deepEqual(stepNames().slice(0, 6), ['backup', 'proxy', 'endpoint-cert', 'etcd-peer-url', 'promote', 'promote/shared-pki']);
});

test('one signature: every step is build(facts, ctx), labels its actions with its id and carries the worst risk of them', () => {
  const f = makeFacts({ promote: 2, workers: 2 });
  for (const def of STEPS) {
    for (const step of def.build(f, { ...ctx, failoverDrill: true })) {
      for (const a of step.actions) assert.equal(a.step, step.id, `${def.name}: ${a.id}`);
      assert.equal(step.risk, worstRisk(step.actions.map((a): Risk => a.risk)), `${def.name}: ${step.id}`);
    }
  }
});

test('a group runs node by node; the full registry is the plan, and the plan is valid', () => {
  const f = makeFacts({ promote: 2, workers: 2 });
  const all = ids({}, f);
  const perNode = ['cp2', 'cp3'].flatMap((n) => [`shared-pki-${n}`, `etcd-${n}`, `control-plane-${n}`, `kubelet-${n}`]);
  assert.deepEqual(all.filter((id) => perNode.includes(id)), perNode);
  assert.deepEqual(all.slice(0, 3), ['backup', 'proxy', 'endpoint-cert']);
  buildPlan({ cluster: 'lab', factsFingerprint: 'f', session: ctx.session, steps: buildSteps(f, ctx) });
});

test('--skip drops a step nothing needs, or a group phase, and keeps the order of the rest', () => {
  const all = ids();
  assert.deepEqual(ids({ skip: ['verify'] }), all.filter((id) => id !== 'verify'));
  assert.deepEqual(ids({ skip: ['failover-drill'] }), all, 'the drill is opt-in: skipping it changes nothing here');
  const noKubelet = ids({ skip: ['promote/kubelet'] });
  assert.deepEqual(noKubelet, all.filter((id) => !id.startsWith('kubelet-')));
  assert.deepEqual(noKubelet.filter((id) => /^(shared-pki|etcd|control-plane)-/.test(id)), ['shared-pki-cp2', 'etcd-cp2', 'control-plane-cp2', 'shared-pki-cp3', 'etcd-cp3', 'control-plane-cp3']);
});

test('--only keeps exactly the named steps (a group by its name), when nothing they need is left out', () => {
  assert.deepEqual(ids({ only: ['backup'] }), ['backup']);
  assert.deepEqual(ids({ only: ['backup', 'proxy', 'endpoint-cert'] }), ['backup', 'proxy', 'endpoint-cert']);
  const perNode = ['cp2', 'cp3'].flatMap((n) => [`shared-pki-${n}`, `etcd-${n}`, `control-plane-${n}`, `kubelet-${n}`]);
  assert.deepEqual(ids({ only: ['backup', 'promote'] }), ['backup', ...perNode]);
  assert.deepEqual(ids({ only: ['promote', 'backup'] }), ['backup', ...perNode], 'the registry decides the order, not the flag');
});

test('a selection that leaves out what a step needs is refused with the reason (BadInputError: exit 2, nothing changed)', () => {
  refused(() => ids({ skip: ['proxy'] }), /--skip proxy leaves the plan incomplete[\s\S]*endpoint-cert needs proxy: /);
  refused(() => ids({ only: ['promote/etcd'] }), /promote\/etcd needs promote\/shared-pki: [\s\S]*promote\/etcd needs backup: the etcd snapshot/);
  refused(() => ids({ skip: ['backup'] }), /promote\/etcd needs backup/);
  refused(() => ids({ only: ['verify'] }), /verify needs proxy: [\s\S]*verify needs endpoint-cert: [\s\S]*verify needs promote\/control-plane: /);
  refused(() => ids({ skip: ['promote'] }), /mark-control-plane needs promote\/control-plane/);
  // Skipping the steps that need it too is a complete plan again.
  assert.deepEqual(ids({ only: ['backup', 'proxy'] }), ['backup', 'proxy']);
});

test('a need with nothing to do on this cluster is not missing; on a cluster that needs it, it is', () => {
  const f = makeFacts({ promote: 2, workers: 2 });
  assert.ok(ids({ skip: ['etcd-peer-url'] }, f).includes('etcd-cp2'), 'etcd-peer-url has no step here: skipping it is harmless');
  f.etcd.members[0]!.peerURLs = ['https://127.0.0.1:2380'];
  assert.ok(ids({}, f).includes('etcd-peer-url'));
  refused(() => ids({ skip: ['etcd-peer-url'] }, f), /promote\/etcd needs etcd-peer-url: a new member cannot reach/);
});

test('--only a step with nothing to do here, or unknown names, are refused before planning', () => {
  refused(() => ids({ only: ['failover-drill'] }), /failover-drill has nothing to do on this cluster \(opt-in/);
  refused(() => checkStepNames({ only: ['proxy', 'etcd'] }), /--only: no step named "etcd"/);
  refused(() => checkStepNames({ skip: ['frobnicate'] }), /--skip: no step named "frobnicate"/);
  assert.doesNotThrow(() => checkStepNames({ only: ['promote', 'promote/etcd'], skip: ['failover-drill'] }));
});
