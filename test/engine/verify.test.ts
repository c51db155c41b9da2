/**
 * Resume's decision for a run action that was started but never recorded as done, without a probe:
 * only a command that changes nothing or is declared idempotent runs again; anything else is the operator's call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunAction } from '../../src/engine/model/actions.js';
import type { RunContext } from '../../src/engine/run/context.js';
import { actionSchema } from '../../src/engine/model/schema.js';
import { buildPlan } from '../../src/engine/model/plan.js';
import { buildPreview } from '../../src/engine/preview/preview.js';
import { renderPreview } from '../../src/reporters/preview-text.js';
import type { ActionState } from '../../src/engine/records/state.js';
import { checkApplied } from '../../src/engine/run/recheck.js';

const interrupted: ActionState = { status: 'applying', touched: true };
// Without a probe the decision reads only the action and its journaled state: a context that throws proves it.
const noHosts = new Proxy({}, { get: () => assert.fail('the decision must not reach a host') }) as unknown as RunContext;

function run(extra: Partial<RunAction>): RunAction {
  return { id: 'proxy-backends-cp3/lb/reload', step: 'proxy-backends-cp3', description: 'reload nginx', type: 'run', host: 'lb', argv: ['nginx', '-s', 'reload'], undo: ['nginx', '-s', 'reload'], risk: 'reversible', ...extra };
}

test('an interrupted idempotent run action is redone', async () => {
  const check = await checkApplied(noHosts, run({ idempotent: true }), interrupted);
  assert.equal(check.verdict, 'redo');
  assert.match(check.detail, /idempotent/);
});

test('an interrupted run action that is neither idempotent nor read-only is unknown', async () => {
  assert.equal((await checkApplied(noHosts, run({}), interrupted)).verdict, 'unknown');
  assert.equal((await checkApplied(noHosts, run({ idempotent: false }), interrupted)).verdict, 'unknown');
});

test('an interrupted read-only run action is redone, idempotent or not', async () => {
  assert.equal((await checkApplied(noHosts, run({ risk: 'read-only' }), interrupted)).verdict, 'redo');
});

test('a saved plan carries the flag and rejects anything but a boolean', () => {
  const parsed = actionSchema.parse(run({ idempotent: true }));
  assert.equal(parsed.type === 'run' && parsed.idempotent, true);
  assert.equal(actionSchema.safeParse({ ...run({}), idempotent: 'yes' }).success, false);
});

test('the preview says an idempotent command without a probe runs again when interrupted', () => {
  const actions = [run({ idempotent: true }), run({ id: 'proxy-backends-cp3/lb/other' })];
  const plan = buildPlan({ cluster: 'c', factsFingerprint: 'f', steps: [{ id: 'proxy-backends-cp3', title: 'P', description: '', risk: 'reversible', actions }] });
  const text = renderPreview(buildPreview(plan, { files: new Map(), objects: new Map() }));
  assert.equal(text.match(/if interrupted: runs again \(idempotent\)/g)?.length, 1, text);
});
