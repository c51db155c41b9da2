import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadInputError } from '../../src/exit-codes.js';
import { buildPlan, parsePlan, serializePlan, assertFresh, withObserved } from '../../src/engine/model/plan.js';
import type { Action } from '../../src/engine/model/actions.js';
import { representativePlan } from './fixtures.js';

const step = (actions: Action[]) => [{ id: 's', title: 'S', description: '', risk: 'reversible' as const, actions }];
const run = (id: string, extra: Partial<Action> = {}): Action => ({ id, step: 's', description: 'd', risk: 'reversible', type: 'run', host: 'n1', argv: ['true'], undo: ['true'], ...extra }) as Action;

test('a plan round-trips through its file and its id is its content', () => {
  const plan = representativePlan();
  const again = parsePlan(serializePlan(plan));
  assert.deepEqual(again, plan);
  const edited = serializePlan(plan).replace('lb.example:6443', 'evil.example:6443');
  assert.throws(() => parsePlan(edited), (e: Error) => e instanceof BadInputError && /does not match its id/.test(e.message));
  assert.notEqual(withObserved(plan, { 'node1:/x': null }).id, plan.id);
});

test('duplicate action ids are refused with both positions', () => {
  assert.throws(() => buildPlan({ cluster: 'c', factsFingerprint: 'f', steps: step([run('a'), run('a')]) }), /actions\[1\]\.id "a" duplicates actions\[0\]/);
});

test('a changing command without undo is refused up front; point-of-no-easy-return and read-only are allowed', () => {
  assert.throws(() => buildPlan({ cluster: 'c', factsFingerprint: 'f', steps: step([run('a', { undo: undefined })]) }), /has no undo/);
  buildPlan({ cluster: 'c', factsFingerprint: 'f', steps: step([run('a', { undo: undefined, risk: 'point-of-no-easy-return' }), run('b', { undo: undefined, risk: 'read-only' })]) });
});

test('secret bytes in a plan are refused', () => {
  const key: Action = { id: 'k', step: 's', description: 'd', risk: 'reversible', type: 'write-file', host: 'n1', path: '/k', mode: 0o600, content: { type: 'literal', text: '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n' } };
  assert.throws(() => buildPlan({ cluster: 'c', factsFingerprint: 'f', steps: step([key]) }), /actions\[0\]\.content\.text contains secret material/);
});

test('plan file errors name the field', () => {
  const raw = JSON.parse(serializePlan(representativePlan()));
  raw.actions[2].mode = 'rw';
  assert.throws(() => parsePlan(JSON.stringify(raw), 'p.json'), /p\.json: actions\[2\]\.mode: /);
  raw.actions[2].mode = 384;
  raw.actions[2].type = 'chmod';
  assert.throws(() => parsePlan(JSON.stringify(raw), 'p.json'), /p\.json: actions\[2\]\.type/);
  assert.throws(() => parsePlan('{', 'p.json'), /p\.json: not valid JSON/);
});

test('a stale plan is refused', () => {
  const plan = representativePlan();
  assert.throws(() => assertFresh(plan, 'sha256:other'), /is stale/);
  assertFresh(plan, plan.factsFingerprint);
});
