/**
 * A graceful interrupt never stops between a component's stop and its start (`pairedWith`): in apply the
 * run goes on through the start (and a wait inside the pair is not cut short), in rollback through the undo
 * of the stop; the interrupt then stops at the next action as usual.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apply } from '../../src/engine/run/executor.js';
import { rollback } from '../../src/engine/run/rollback.js';
import { buildPlan, type Plan } from '../../src/engine/model/plan.js';
import { createSession } from '../../src/engine/records/session.js';
import { readJournal } from '../../src/engine/records/journal.js';
import type { Action } from '../../src/engine/model/actions.js';
import { deps } from './fixtures.js';

const MANIFEST = '/etc/kubernetes/manifests/kube-apiserver.yaml';
const PARKED = '/etc/kubernetes/parked-kube-apiserver.yaml';
const CRT = '/etc/kubernetes/pki/apiserver.crt';
const RELEASED = '/etc/kubernetes/port-released';

function pairPlan(): Plan {
  const s = 'cert';
  const acts: Action[] = [
    { id: `${s}/node1/pre`, step: s, description: 'before the pair', risk: 'reversible', type: 'run', host: 'node1', argv: ['touch', '/etc/kubernetes/pre'], undo: ['rm', '-f', '/etc/kubernetes/pre'] },
    { id: `${s}/node1/stop`, step: s, description: 'stop', risk: 'disruptive', type: 'run', host: 'node1', argv: ['mv', MANIFEST, PARKED], undo: ['mv', PARKED, MANIFEST], probe: { type: 'file', host: 'node1', path: MANIFEST, absent: true }, pairedWith: `${s}/node1/start` },
    { id: `${s}/node1/stopped`, step: s, description: 'port released', risk: 'read-only', type: 'wait', probe: { type: 'file', host: 'node1', path: RELEASED }, timeoutMs: 5000, intervalMs: 10 },
    { id: `${s}/node1/crt`, step: s, description: 'new cert', risk: 'reversible', type: 'write-file', host: 'node1', path: CRT, content: { type: 'literal', text: 'new cert\n' }, mode: 0o644 },
    { id: `${s}/node1/start`, step: s, description: 'start', risk: 'disruptive', type: 'run', host: 'node1', argv: ['mv', PARKED, MANIFEST], undo: ['mv', MANIFEST, PARKED], probe: { type: 'file', host: 'node1', path: MANIFEST } },
    { id: `${s}/node1/after`, step: s, description: 'after the pair', risk: 'reversible', type: 'run', host: 'node1', argv: ['touch', '/etc/kubernetes/after'], undo: ['rm', '-f', '/etc/kubernetes/after'] },
  ];
  return buildPlan({ cluster: 'unit', factsFingerprint: 'f', steps: [{ id: s, title: 'Cert', description: '', risk: 'disruptive', actions: acts }] });
}

function setup() {
  const base = mkdtempSync(join(tmpdir(), 'haw-pair-'));
  const k = join(base, 'node1/etc/kubernetes');
  mkdirSync(join(k, 'manifests'), { recursive: true });
  mkdirSync(join(k, 'pki'), { recursive: true });
  writeFileSync(join(k, 'manifests/kube-apiserver.yaml'), 'kind: Pod\n');
  writeFileSync(join(k, 'pki/apiserver.crt'), 'old cert\n', { mode: 0o644 });
  const plan = pairPlan();
  const env = { HA_WIZARD_STATE_DIR: join(base, 'state') };
  return { base, k, plan, env, session: createSession(plan, { env }) };
}

const actionsWith = (path: string, type: string, phase: string) =>
  readJournal(path).flatMap((r) => (r.type === type && 'phase' in r && r.phase === phase && 'action' in r ? [r.action.split('/')[2]] : []));

test('graceful interrupt right after a stop: apply goes on through the start (waiting inside the pair), then stops', async () => {
  const t = setup();
  const ctl = new AbortController();
  const out = await apply(t.plan, t.session, deps(t.base), {
    env: t.env,
    signal: ctl.signal,
    onEvent: (e) => {
      if (e.type === 'action-done' && e.action === 'cert/node1/stop') ctl.abort();
      // The port is "released" only later: the wait must keep polling, not give up on the interrupt.
      if (e.type === 'action-start' && e.action === 'cert/node1/stopped') setTimeout(() => writeFileSync(join(t.k, 'port-released'), ''), 50);
    },
  });
  assert.equal(out.status, 'stopped');
  assert.equal(out.status === 'stopped' && out.hard, false);
  assert.deepEqual(actionsWith(t.session.journalPath, 'done', 'apply'), ['pre', 'stop', 'stopped', 'crt', 'start']);
  assert.ok(existsSync(join(t.k, 'manifests/kube-apiserver.yaml')), 'the component is running again');
  assert.equal(readFileSync(join(t.k, 'pki/apiserver.crt'), 'utf8'), 'new cert\n');
  assert.ok(!existsSync(join(t.k, 'after')), 'nothing after the pair ran');
  rmSync(t.base, { recursive: true, force: true });
});

test('graceful interrupt right after undoing a start: rollback goes on through the undo of its stop, then stops', async () => {
  const t = setup();
  writeFileSync(join(t.k, 'port-released'), '');
  assert.equal((await apply(t.plan, t.session, deps(t.base), { env: t.env })).status, 'finished');
  const ctl = new AbortController();
  const out = await rollback(t.session, deps(t.base), {
    env: t.env,
    signal: ctl.signal,
    onEvent: (e) => {
      if (e.type === 'action-done' && e.phase === 'rollback' && e.action === 'cert/node1/start') ctl.abort();
    },
  });
  assert.equal(out.status, 'stopped');
  assert.deepEqual(actionsWith(t.session.journalPath, 'done', 'rollback'), ['after', 'start', 'crt', 'stop']);
  assert.ok(existsSync(join(t.k, 'manifests/kube-apiserver.yaml')), 'the component is running again');
  assert.equal(readFileSync(join(t.k, 'pki/apiserver.crt'), 'utf8'), 'old cert\n');
  assert.ok(existsSync(join(t.k, 'pre')), 'the action before the pair is not undone yet');
  rmSync(t.base, { recursive: true, force: true });
});
