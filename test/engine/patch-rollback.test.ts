/**
 * Patches as repoint-clients uses them, against an in-memory API with resourceVersions: list elements selected by
 * name (`[name=X]`, robust to reordering), rollback that restores exactly the fields ha-wizard changed and keeps a
 * later change elsewhere (saying the object changed since), that refuses, changing nothing, when someone changed a
 * field ha-wizard wrote, and goes on once it is set back by hand; a read-only check's undo runs at its place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apply } from '../../src/engine/run/executor.js';
import { previewRollback, rollback } from '../../src/engine/run/rollback.js';
import { applyEdits, fieldPath, getPath, setPath } from '../../src/engine/run/edits.js';
import { buildPlan } from '../../src/engine/model/plan.js';
import { createSession } from '../../src/engine/records/session.js';
import { readJournal } from '../../src/engine/records/journal.js';
import type { Action, ObjectRef } from '../../src/engine/model/actions.js';
import type { KubeApi, KubeObject } from '../../src/engine/model/ports.js';
import type { EngineEvent } from '../../src/engine/model/events.js';
import { deps, seedNodes } from './fixtures.js';

const REF: ObjectRef = { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: 'kube-system', name: 'cilium' };
const HOST = ['spec', 'template', 'spec', 'containers', '[name=cilium-agent]', 'env', '[name=KUBERNETES_SERVICE_HOST]', 'value'];
const PORT = ['spec', 'template', 'spec', 'containers', '[name=cilium-agent]', 'env', '[name=KUBERNETES_SERVICE_PORT]', 'value'];

function daemonSet(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'cilium', namespace: 'kube-system', resourceVersion: '10' },
    spec: {
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } },
      template: {
        spec: {
          containers: [
            { name: 'cilium-agent', image: 'cilium:v1', env: [{ name: 'KUBERNETES_SERVICE_HOST', value: '10.0.0.11' }, { name: 'KUBERNETES_SERVICE_PORT', value: '6443' }, { name: 'X', value: 'y' }] },
          ],
        },
      },
    },
  };
}

/** An API with one object: PUT needs the current resourceVersion (else 409) and bumps it. */
function fakeApi(initial: KubeObject) {
  const state = { obj: structuredClone(initial), writes: 0 };
  const api: KubeApi = {
    async get() {
      return structuredClone(state.obj);
    },
    async replace(_r, next) {
      if (next.metadata?.resourceVersion !== state.obj.metadata?.resourceVersion) throw Object.assign(new Error('Operation cannot be fulfilled: the object has been modified'), { status: 409 });
      state.writes++;
      state.obj = { ...structuredClone(next), metadata: { ...next.metadata, resourceVersion: String(Number(state.obj.metadata?.resourceVersion) + 1) } };
      return structuredClone(state.obj);
    },
    async list() {
      return [];
    },
    async listPage() {
      return { items: [], continue: null };
    },
  };
  /** Someone else's write (kubectl edit, a controller). */
  const external = (path: string[], value: unknown) => {
    state.obj = { ...setPath(state.obj, path, value), metadata: { ...state.obj.metadata, resourceVersion: String(Number(state.obj.metadata?.resourceVersion) + 1) } };
  };
  return { api, state, external };
}

function setup(actions: Action[]) {
  const base = mkdtempSync(join(tmpdir(), 'haw-patch-'));
  seedNodes(base);
  const env = { HA_WIZARD_STATE_DIR: join(base, 'state') };
  const plan = buildPlan({ cluster: 'unit', factsFingerprint: 'f', steps: [{ id: 'repoint-cilium', title: 'Cilium', description: '', risk: 'reversible', actions }] });
  return { base, env, plan, session: createSession(plan, { env }) };
}

const envPatch: Action = {
  id: 'repoint-cilium/node1/env',
  step: 'repoint-cilium',
  type: 'patch-object',
  host: 'node1',
  object: REF,
  edits: [
    { path: HOST, value: 'k8s-api.example.com' },
    { path: PORT, value: '443' },
  ],
  description: 'KUBERNETES_SERVICE_HOST/PORT → k8s-api.example.com:443',
  risk: 'reversible',
};

test('[name=X] selects a list element by name: read, set, shown; a missing one is never made up', () => {
  const ds = daemonSet();
  assert.deepEqual(getPath(ds, HOST), { present: true, value: '10.0.0.11' });
  assert.deepEqual(getPath(ds, ['spec', 'template', 'spec', 'containers', '[name=nope]', 'env']), { present: false });
  const next = applyEdits(ds, [{ path: HOST, value: 'lb' }]);
  assert.equal(getPath(next, HOST).value, 'lb');
  assert.equal(getPath(ds, HOST).value, '10.0.0.11', 'the original is not touched');
  assert.equal(fieldPath(HOST), 'spec.template.spec.containers[name=cilium-agent].env[name=KUBERNETES_SERVICE_HOST].value');
  assert.throws(() => setPath(ds, ['spec', 'template', 'spec', 'containers', '[name=nope]', 'image'], 'x'), /no element \[name=nope\]/);
});

test('apply finds env entries by name even after they were reordered; rollback restores them and keeps a later change elsewhere, saying so', async () => {
  const reordered = daemonSet();
  const c = (reordered['spec'] as { template: { spec: { containers: Array<{ env: unknown[] }> } } }).template.spec.containers[0]!;
  c.env.reverse();
  const { api, state, external } = fakeApi(reordered);
  const t = setup([envPatch]);
  const d = deps(t.base, { kube: { forHost: async () => api } });
  assert.equal((await apply(t.plan, t.session, d, { env: t.env })).status, 'finished');
  assert.equal(getPath(state.obj, HOST).value, 'k8s-api.example.com');
  assert.equal(getPath(state.obj, PORT).value, '443');
  const done = readJournal(t.session.journalPath).find((r) => r.type === 'done' && r.phase === 'apply');
  assert.equal(done && 'resourceVersion' in done ? done.resourceVersion : undefined, '11', 'the resourceVersion of its write is journaled');
  // Someone upgrades the image after ha-wizard.
  external(['spec', 'template', 'spec', 'containers', '[name=cilium-agent]', 'image'], 'cilium:v2');
  const events: EngineEvent[] = [];
  assert.equal((await rollback(t.session, d, { env: t.env, onEvent: (e) => events.push(e) })).status, 'finished');
  assert.equal(getPath(state.obj, HOST).value, '10.0.0.11');
  assert.equal(getPath(state.obj, PORT).value, '6443');
  assert.equal(getPath(state.obj, ['spec', 'template', 'spec', 'containers', '[name=cilium-agent]', 'image']).value, 'cilium:v2', 'the later change is kept');
  const detail = events.find((e) => e.type === 'action-done' && e.phase === 'rollback');
  assert.match(detail && 'detail' in detail ? detail.detail : '', /resourceVersion 11 after ha-wizard's write, 12 now: what changed in between outside these fields is kept/);
});

test('rollback refuses to overwrite a field someone changed after ha-wizard, writes nothing, and goes on once it is set back by hand', async () => {
  const { api, state, external } = fakeApi(daemonSet());
  const t = setup([envPatch]);
  const d = deps(t.base, { kube: { forHost: async () => api } });
  assert.equal((await apply(t.plan, t.session, d, { env: t.env })).status, 'finished');
  external(HOST, '10.0.0.99');
  const writes = state.writes;
  // The preview says it first (the command and the wizard do not start a rollback it says would stop).
  const preview = await previewRollback(t.session, d);
  assert.equal(preview.summary.problems, 1);
  const entry = preview.steps[0]!.entries[0]!;
  assert.equal(entry.kind, 'object');
  assert.match(
    entry.kind === 'object' ? entry.problem ?? '' : '',
    /^changed after ha-wizard patched it: spec\.template\.spec\.containers\[name=cilium-agent\]\.env\[name=KUBERNETES_SERVICE_HOST\]\.value is now "10\.0\.0\.99"; ha-wizard wrote "k8s-api\.example\.com"; before, it was "10\.0\.0\.11"\. Rollback would stop here rather than overwrite it: set that field back by hand if the original is what you want, or keep the change and roll back only the steps after repoint-cilium \(--to repoint-cilium\)$/,
  );
  // Changed between the preview and the run: the engine itself refuses at that object.
  const failed = await rollback(t.session, d, { env: t.env });
  assert.equal(failed.status, 'failed');
  assert.match(
    failed.status === 'failed' ? failed.error : '',
    /DaemonSet kube-system\/cilium was changed after ha-wizard patched it, so rollback will not overwrite it \(nothing of DaemonSet kube-system\/cilium was written\): spec\.template\.spec\.containers\[name=cilium-agent\]\.env\[name=KUBERNETES_SERVICE_HOST\]\.value is now "10\.0\.0\.99"; ha-wizard wrote "k8s-api\.example\.com"; before, it was "10\.0\.0\.11"\. If the original is what you want, set that field back by hand, then go on with the rollback: `ha-wizard resume /,
  );
  assert.equal(state.writes, writes, 'nothing written');
  assert.equal(getPath(state.obj, HOST).value, '10.0.0.99');
  assert.equal(getPath(state.obj, PORT).value, '443', 'not even the field nobody else touched');
  // The operator puts the original back by hand; the port is still ha-wizard's, so rollback restores it.
  external(HOST, '10.0.0.11');
  assert.equal((await previewRollback(t.session, d)).summary.problems, 0, 'the preview has nothing against it now');
  assert.equal((await rollback(t.session, d, { env: t.env })).status, 'finished');
  assert.equal(getPath(state.obj, PORT).value, '6443');
});

test("a read-only check with an undo runs its undo at its place in the rollback (after the later file is restored)", async () => {
  const marker = '/etc/kubernetes/undone-after-restore';
  const t = setup([
    { id: 'repoint-cilium/node1/check', step: 'repoint-cilium', type: 'run', host: 'node1', argv: ['true'], undo: ['touch', marker], description: 'check (undo: after the restore)', risk: 'read-only' },
    { id: 'repoint-cilium/node1/file', step: 'repoint-cilium', type: 'write-file', host: 'node1', path: '/etc/kubernetes/proxy.conf', content: { type: 'literal', text: 'new\n' }, mode: 0o644, description: 'a file', risk: 'reversible' },
  ]);
  const d = deps(t.base);
  assert.equal((await apply(t.plan, t.session, d, { env: t.env })).status, 'finished');
  const events: EngineEvent[] = [];
  assert.equal((await rollback(t.session, d, { env: t.env, onEvent: (e) => events.push(e) })).status, 'finished');
  assert.ok(existsSync(join(t.base, 'node1', marker)));
  const order = events.filter((e) => e.type === 'action-done' && e.phase === 'rollback').map((e) => ('action' in e ? e.action : ''));
  assert.deepEqual(order, ['repoint-cilium/node1/file', 'repoint-cilium/node1/check']);
});
