import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apply } from '../../src/engine/run/executor.js';
import { rollback } from '../../src/engine/run/rollback.js';
import { resume } from '../../src/engine/run/resume.js';
import { buildPlan, withObserved } from '../../src/engine/model/plan.js';
import { createSession } from '../../src/engine/records/session.js';
import { foldJournal, sessionStatus, undoOrder } from '../../src/engine/records/state.js';
import { readJournal } from '../../src/engine/records/journal.js';
import type { Action, ObjectRef } from '../../src/engine/model/actions.js';
import type { KubeApi, KubeObject } from '../../src/engine/model/ports.js';
import type { EngineEvent } from '../../src/engine/model/events.js';
import { deps, representativePlan, seedNodes } from './fixtures.js';
import { treeHashes } from './dir-host.js';

function setup(plan = representativePlan()) {
  const base = mkdtempSync(join(tmpdir(), 'haw-exec-'));
  seedNodes(base);
  const env = { HA_WIZARD_STATE_DIR: join(base, 'state') };
  return { base, env, plan, session: createSession(plan, { env }) };
}

test('rollback order: newest first, only what this session changed, --to keeps earlier steps', async () => {
  const t = setup();
  // The marker already exists: the command is "already in effect" and rollback must leave it.
  writeFileSync(join(t.base, 'node1/etc/kubernetes/marker'), '');
  assert.equal((await apply(t.plan, t.session, deps(t.base), { env: t.env })).status, 'finished');
  const st = foldJournal(t.plan, readJournal(t.session.journalPath));
  assert.deepEqual(undoOrder(t.plan, st).map((a) => a.id), [
    'verify/node2/proxy', 'cmds/node2/proxy', 'cmds/node3/remove-old',
    'files/node3/key', 'files/node3/manifest', 'files/node2/key', 'files/node2/manifest', 'files/node1/key', 'files/node1/manifest',
  ]);
  assert.deepEqual(undoOrder(t.plan, st, 'cmds').map((a) => a.id), ['verify/node2/proxy']);
  assert.equal((await rollback(t.session, deps(t.base), { env: t.env, to: 'files' })).status, 'finished');
  assert.equal(readFileSync(join(t.base, 'node2/etc/kubernetes/proxy.conf'), 'utf8'), 'upstream node2\n');
  assert.match(readFileSync(join(t.base, 'node1/etc/kubernetes/manifests/kube-apiserver.yaml'), 'utf8'), /endpoint: lb/);
});

test('a plan whose files changed after review is refused before anything changes', async () => {
  const t0 = setup();
  const observed = { 'node2:/etc/kubernetes/proxy.conf': null as string | null };
  const t = setup(withObserved(t0.plan, observed));
  const before = treeHashes(t.base);
  await assert.rejects(apply(t.plan, t.session, deps(t.base), { env: t.env }), /is stale; nothing was changed:\n\s+node2:\/etc\/kubernetes\/proxy\.conf was absent when planned, is sha256/);
  assert.deepEqual(treeHashes(t.base), before);
});

test('a graceful interrupt stops after the action in flight; resume finishes; events tell the story', async () => {
  const t = setup();
  const ctl = new AbortController();
  const events: EngineEvent[] = [];
  const out = await apply(t.plan, t.session, deps(t.base), {
    env: t.env,
    signal: ctl.signal,
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'action-done' && e.action === 'files/node2/manifest') ctl.abort();
    },
  });
  assert.deepEqual(out, { status: 'stopped', hard: false, resumeCommand: `ha-wizard resume ${t.session.id}` });
  const done = await resume(t.session, deps(t.base), { env: t.env, onEvent: (e) => events.push(e) });
  assert.equal(done.status, 'finished');
  assert.ok(events.some((e) => e.type === 'action-skipped' && e.action === 'files/node1/manifest' && e.reason === 'done in an earlier run'));
  await assert.rejects(resume(t.session, deps(t.base), { env: t.env }), /nothing to resume/);
});

test('an interrupted command without a probe is put to the operator (flags named), never run blindly', async () => {
  const act: Action = { id: 's/n1/cmd', step: 's', description: 'append', risk: 'reversible', type: 'run', host: 'node1', argv: ['sh', '-c', 'echo x >> "$0"', '/etc/kubernetes/log'], undo: ['rm', '-f', '/etc/kubernetes/log'] };
  const plan = buildPlan({ cluster: 'unit', factsFingerprint: 'f', steps: [{ id: 's', title: 'S', description: '', risk: 'reversible', actions: [act] }] });
  const t = setup(plan);
  const hard = new AbortController();
  hard.abort();
  // Simulate a crash after "started": journal it by hand the way the engine does.
  const { Journal } = await import('../../src/engine/records/journal.js');
  const j = Journal.open(t.session.journalPath);
  j.append({ type: 'begin', operation: 'apply', planId: plan.id, pid: 1 });
  j.append({ type: 'started', phase: 'apply', action: act.id });
  j.close();
  await assert.rejects(resume(t.session, deps(t.base), { env: t.env }), (e: Error & { hint?: string }) => /cannot tell whether s\/n1\/cmd took effect/.test(e.message) && /--assume-done s\/n1\/cmd/.test(e.hint ?? ''));
  assert.equal((await resume(t.session, deps(t.base), { env: t.env, resolutions: { [act.id]: 'redo' } })).status, 'finished');
  assert.equal(readFileSync(join(t.base, 'node1/etc/kubernetes/log'), 'utf8'), 'x\n');
});

test('object patches: before-fields journaled, 409 retried, rollback restores them; point of no easy return guarded', async () => {
  const ref: ObjectRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'kube-proxy' };
  const original = 'apiVersion: v1\nclusters:\n- cluster:\n    server: https://10.0.0.1:6443\n  name: default\n';
  let obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-proxy', resourceVersion: '1' }, data: { 'kubeconfig.conf': original, other: 'x' } };
  let conflicts = 1;
  const api: KubeApi = {
    async get() {
      return structuredClone(obj);
    },
    async replace(_r, next) {
      if (conflicts-- > 0) {
        obj = { ...obj, metadata: { ...obj.metadata, resourceVersion: '2' }, data: { ...(obj.data as object), other: 'changed by someone else' } };
        throw Object.assign(new Error('Operation cannot be fulfilled: the object has been modified'), { status: 409 });
      }
      obj = { ...structuredClone(next), metadata: { ...next.metadata, resourceVersion: String(Number(obj.metadata?.resourceVersion) + 1) } };
      return obj;
    },
    async list() {
      return [];
    },
  };
  const acts: Action[] = [
    { id: 'p/cm', step: 'p', description: 'repoint kube-proxy', risk: 'disruptive', type: 'patch-object', host: 'node1', object: ref, edits: [{ path: ['data', 'kubeconfig.conf'], yamlPath: ['clusters', '0', 'cluster', 'server'], value: 'https://lb:6443' }] },
    { id: 'e/add', step: 'e', description: 'etcd member add', risk: 'point-of-no-easy-return', type: 'run', host: 'node1', argv: ['true'], undo: ['true'] },
  ];
  const plan = buildPlan({ cluster: 'unit', factsFingerprint: 'f', steps: [
    { id: 'p', title: 'P', description: '', risk: 'disruptive', actions: [acts[0]!] },
    { id: 'e', title: 'E', description: '', risk: 'point-of-no-easy-return', actions: [acts[1]!] },
  ] });
  const t = setup(plan);
  const d = deps(t.base, { kube: { forHost: async () => api } });
  assert.equal((await apply(plan, t.session, d, { env: t.env })).status, 'finished');
  const data = obj.data as Record<string, string>;
  assert.equal(data['kubeconfig.conf'], original.replace('https://10.0.0.1:6443', 'https://lb:6443'));
  assert.equal(data.other, 'changed by someone else');
  // One paragraph: what would be undone, why it is not an exact reverse, and both commands to choose from.
  await assert.rejects(rollback(t.session, d, { env: t.env }), (e: Error) => /point of no easy return: it would undo e\/add\./.test(e.message) && /--to e`/.test(e.message) && /--past-point-of-no-return`/.test(e.message));
  assert.equal((await rollback(t.session, d, { env: t.env, pastPointOfNoReturn: true })).status, 'finished');
  assert.equal((obj.data as Record<string, string>)['kubeconfig.conf'], original);
  assert.equal((obj.data as Record<string, string>).other, 'changed by someone else');
});

test('an action that failed while it only read the host (no started record) runs again on resume, no question asked', async () => {
  const t = setup();
  const real = deps(t.base);
  let broken = true;
  // The connection to node2 dies while the engine looks at the file it is about to replace.
  const flaky = {
    get: async (name: string) => {
      const host = await real.hosts.get(name);
      if (name !== 'node2') return host;
      const fail = async (): Promise<never> => {
        throw new Error('node2 (10.0.0.2:22): the SSH connection is closed');
      };
      return new Proxy(host, {
        get: (target, prop, receiver) =>
          broken && ['stat', 'readFile', 'sha256'].includes(String(prop)) ? fail : Reflect.get(target, prop, receiver),
      });
    },
  };
  const first = await apply(t.plan, t.session, { ...real, hosts: flaky }, { env: t.env });
  assert.equal(first.status, 'failed');
  const st = foldJournal(t.plan, readJournal(t.session.journalPath));
  const failed = [...st.actions.entries()].filter(([, s]) => s.status === 'apply-failed');
  assert.deepEqual(failed.map(([id, s]) => [id, s.touched]), [['files/node2/manifest', false]]);
  broken = false;
  assert.equal((await resume(t.session, deps(t.base), { env: t.env })).status, 'finished');
  assert.match(readFileSync(join(t.base, 'node2/etc/kubernetes/manifests/kube-apiserver.yaml'), 'utf8'), /endpoint: lb/);
});

test('a failed wait is skipped on resume --skip: journaled as skipped with the failure, later actions run, rollback has nothing to undo for it', async () => {
  const wait: Action = { id: 'check/node1/ready', step: 'check', description: 'node1 is ready', risk: 'read-only', type: 'wait', probe: { type: 'file', host: 'node1', path: '/etc/kubernetes/ready' }, timeoutMs: 200, intervalMs: 50 };
  const write: Action = { id: 'after/node2/conf', step: 'after', description: 'a config on node2', risk: 'reversible', type: 'write-file', host: 'node2', path: '/etc/kubernetes/after.conf', content: { type: 'literal', text: 'after\n' }, mode: 0o644 };
  const plan = buildPlan({
    cluster: 'unit',
    factsFingerprint: 'f',
    steps: [
      { id: 'check', title: 'Check', description: '', risk: 'read-only', actions: [wait] },
      { id: 'after', title: 'After', description: '', risk: 'reversible', actions: [write] },
    ],
  });
  const t = setup(plan);
  const failed = await apply(t.plan, t.session, deps(t.base), { env: t.env });
  assert.equal(failed.status, 'failed');
  assert.equal(failed.status === 'failed' && failed.action, wait.id);
  assert.equal(foldJournal(plan, readJournal(t.session.journalPath)).actions.get(wait.id)?.status, 'apply-failed');

  // An id the plan does not have is refused before anything is journaled.
  const before = readJournal(t.session.journalPath).length;
  await assert.rejects(resume(t.session, deps(t.base), { env: t.env, skip: ['check/node1/nope'] }), /--skip check\/node1\/nope: plan .* has no such action/);
  assert.equal(readJournal(t.session.journalPath).length, before);

  const events: EngineEvent[] = [];
  const done = await resume(t.session, deps(t.base), { env: t.env, skip: [wait.id], onEvent: (e) => events.push(e) });
  assert.equal(done.status, 'finished');
  const skipped = events.find((e) => e.type === 'action-skipped' && e.action === wait.id);
  assert.ok(skipped && skipped.type === 'action-skipped' && /^skipped by the operator after it failed: node1: timed out .* waiting for node1 is ready/.test(skipped.reason), JSON.stringify(skipped));
  assert.equal(readFileSync(join(t.base, 'node2/etc/kubernetes/after.conf'), 'utf8'), 'after\n');

  const records = readJournal(t.session.journalPath);
  const rec = records.find((r) => r.type === 'done' && r.action === wait.id);
  assert.ok(rec && rec.type === 'done');
  assert.equal(rec.outcome, 'skipped');
  assert.match(rec.detail ?? '', /after it failed: node1: timed out/);
  const st = foldJournal(plan, records);
  assert.deepEqual([st.actions.get(wait.id)?.status, st.actions.get(wait.id)?.outcome], ['applied', 'skipped']);
  const status = sessionStatus(plan, records, false);
  assert.equal(status.state, 'applied');
  assert.deepEqual(status.steps[0]?.skipped, [{ action: wait.id, reason: rec.detail }]);
  assert.deepEqual(status.steps[1]?.skipped, []);
  assert.deepEqual(undoOrder(plan, st).map((a) => a.id), [write.id]);
  await assert.rejects(resume(t.session, deps(t.base), { env: t.env }), /nothing to resume/);

  const undone: EngineEvent[] = [];
  assert.equal((await rollback(t.session, deps(t.base), { env: t.env, onEvent: (e) => undone.push(e) })).status, 'finished');
  assert.ok(!undone.some((e) => 'action' in e && e.action === wait.id), 'the skipped wait is not touched by rollback');
  assert.throws(() => readFileSync(join(t.base, 'node2/etc/kubernetes/after.conf')), /ENOENT/);
});

test('skipping is refused for a failed write-file and for an action that has not failed; nothing is journaled', async () => {
  // The test materializer cannot issue certificates, so this write fails (after reading the host, before changing it).
  const write: Action = {
    id: 'certs/node1/crt',
    step: 'certs',
    description: 'a certificate on node1',
    risk: 'reversible',
    type: 'write-file',
    host: 'node1',
    path: '/etc/kubernetes/pki/x.crt',
    content: { type: 'certificate', keyPath: '/etc/kubernetes/pki/x.key', spec: { ca: { host: 'node1', certPath: '/ca.crt', keyPath: '/ca.key' }, subject: { commonName: 'x' }, dnsNames: [], ipAddresses: [], usages: ['serverAuth'], validityDays: 1 } },
    mode: 0o644,
  };
  const wait: Action = { id: 'certs/node1/ready', step: 'certs', description: 'the certificate is there', risk: 'read-only', type: 'wait', probe: { type: 'file', host: 'node1', path: '/etc/kubernetes/pki/x.crt' }, timeoutMs: 200, intervalMs: 50 };
  const plan = buildPlan({ cluster: 'unit', factsFingerprint: 'f', steps: [{ id: 'certs', title: 'Certs', description: '', risk: 'reversible', actions: [write, wait] }] });
  const t = setup(plan);
  const failed = await apply(t.plan, t.session, deps(t.base), { env: t.env });
  assert.equal(failed.status === 'failed' && failed.action, write.id);
  const before = readJournal(t.session.journalPath).length;
  await assert.rejects(
    resume(t.session, deps(t.base), { env: t.env, skip: [write.id] }),
    (e: Error & { hint?: string }) => /cannot skip certs\/node1\/crt: it is a write-file action .* only a wait or a read-only command can be skipped/.test(e.message) && /without --skip/.test(e.hint ?? ''),
  );
  await assert.rejects(resume(t.session, deps(t.base), { env: t.env, skip: [wait.id] }), /cannot skip certs\/node1\/ready: only an action whose last apply attempt failed can be skipped, and its state is pending/);
  // A fresh apply has nothing failed, so nothing to skip.
  const fresh = setup(plan);
  await assert.rejects(apply(fresh.plan, fresh.session, deps(fresh.base), { env: fresh.env, skip: [wait.id] }), /cannot skip certs\/node1\/ready/);
  assert.equal(readJournal(fresh.session.journalPath).length, 0);
  assert.equal(readJournal(t.session.journalPath).length, before);
  assert.equal(foldJournal(plan, readJournal(t.session.journalPath)).actions.get(write.id)?.status, 'apply-failed');
});

test('rollback removes the directories the run made (new files, createsDirs) once empty, keeps those that were there or hold others', async () => {
  const { existsSync, mkdirSync } = await import('node:fs');
  const base = mkdtempSync(join(tmpdir(), 'haw-dirs-'));
  seedNodes(base);
  // node2 already has pki/ (with a file of its own): only pki/etcd is the run's.
  mkdirSync(join(base, 'node2/etc/kubernetes/pki'), { recursive: true });
  writeFileSync(join(base, 'node2/etc/kubernetes/pki/theirs.crt'), 'x');
  const write = (host: string, path: string): Action => ({ id: `d/${host}${path}`, step: 'd', description: `write ${path}`, risk: 'reversible', type: 'write-file', host, path, content: { type: 'literal', text: 'new\n' }, mode: 0o644 });
  const plan = buildPlan({
    cluster: 'c',
    factsFingerprint: 'f',
    session: 's',
    steps: [
      {
        id: 'd',
        title: 'directories',
        description: 'new files in new directories',
        risk: 'reversible',
        actions: [
          write('node1', '/etc/kubernetes/pki/etcd/a.crt'),
          write('node1', '/etc/kubernetes/pki/etcd/b.crt'),
          write('node2', '/etc/kubernetes/pki/etcd/a.crt'),
          {
            id: 'd/node3/data',
            step: 'd',
            description: 'a data directory made for a manifest',
            risk: 'reversible',
            type: 'run',
            host: 'node3',
            argv: ['mkdir', '-p', '/var/lib/etcd/member'],
            undo: ['rm', '-rf', '/var/lib/etcd/member'],
            createsDirs: ['/var/lib/etcd'],
          },
        ],
      },
    ],
  });
  const env = { HA_WIZARD_STATE_DIR: join(base, 'state') };
  const session = createSession(plan, { env });
  assert.equal((await apply(plan, session, deps(base), { env })).status, 'finished');
  assert.ok(existsSync(join(base, 'node1/etc/kubernetes/pki/etcd/b.crt')) && existsSync(join(base, 'node3/var/lib/etcd/member')));
  const started = readJournal(session.journalPath).filter((r) => r.type === 'started');
  assert.deepEqual(started.map((r) => (r.type === 'started' ? r.createdDirs ?? [] : [])), [['/etc/kubernetes/pki/etcd', '/etc/kubernetes/pki'], [], ['/etc/kubernetes/pki/etcd'], ['/var/lib/etcd']]);
  // Someone else's file in a directory the run made keeps that directory.
  writeFileSync(join(base, 'node1/etc/kubernetes/pki/other.crt'), 'y');
  assert.equal((await rollback(session, deps(base), { env })).status, 'finished');
  assert.ok(!existsSync(join(base, 'node1/etc/kubernetes/pki/etcd')), 'node1 pki/etcd removed');
  assert.ok(existsSync(join(base, 'node1/etc/kubernetes/pki/other.crt')), 'a directory holding something else stays');
  assert.ok(!existsSync(join(base, 'node2/etc/kubernetes/pki/etcd')) && existsSync(join(base, 'node2/etc/kubernetes/pki/theirs.crt')), 'node2: only the run\'s directory goes');
  assert.ok(!existsSync(join(base, 'node3/var/lib/etcd')) && existsSync(join(base, 'node3/var/lib')), 'node3: the data directory the run made goes');
});
