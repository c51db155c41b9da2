import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Effect, Intent, WizardEvent, WizardState } from '../../src/wizard/model.js';
import { initialState, leaveIntent, reduce, textInputActive } from '../../src/wizard/reducer.js';
import { failureChoices } from '../../src/wizard/screens/failure.js';
import { approvalWords, referenceCount } from '../../src/wizard/screens/plan.js';
import { resumeCommand } from '../../src/wizard/screens/done.js';
import { FIELDS } from '../../src/wizard/form.js';
import { parseConfigText } from '../../src/config/load.js';
import { FAILED_APPLY, FULL_APPLY, SESSION } from '../ui/fixtures/events.js';
import { DRILL_PREVIEW, DRILL_SUMMARY, PREVIEW, REFERENCES, SUMMARY } from '../ui/fixtures/plan.js';
import { CHECKS, CONFIG_TEXT, FACTS } from './scripted-runtime.js';

function drive(state: WizardState, events: WizardEvent[]): { state: WizardState; effects: Effect[] } {
  const effects: Effect[] = [];
  for (const e of events) {
    const r = reduce(state, e);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}
const i = (intent: Intent): WizardEvent => ({ type: 'intent', intent });
const typed = (text: string): WizardEvent[] => [...text].map((c) => i({ type: 'type', text: c }));
const config = parseConfigText(CONFIG_TEXT, 'cluster.yaml', { home: '/root', baseDir: '/', statPath: () => 'file' }).config;

function atPlan(): WizardState {
  return drive(initialState(), [
    { type: 'sessions-found', sessions: [] },
    { type: 'config-loaded', path: 'cluster.yaml', text: CONFIG_TEXT, config, warnings: [] },
    { type: 'connect-done', ok: true },
    { type: 'discovered', facts: FACTS, checks: CHECKS.filter((c) => c.status !== 'fail') },
    { type: 'planned', summary: SUMMARY, preview: PREVIEW },
  ]).state;
}

test('welcome → load a file → connect → discovery → plan, each step asking for its effect', () => {
  let r = drive(initialState(), [{ type: 'sessions-found', sessions: [] }, i({ type: 'select' })]);
  assert.equal(r.state.screen, 'welcome');
  assert.equal(r.state.welcome.mode, 'path');
  assert.ok(textInputActive(r.state));
  r = drive(r.state, [...Array.from({ length: 12 }, () => i({ type: 'erase' })), ...typed('cluster.yaml'), i({ type: 'select' })]);
  assert.deepEqual(r.effects, [{ type: 'load-config', path: 'cluster.yaml' }]);
  r = drive(r.state, [{ type: 'config-loaded', path: 'cluster.yaml', text: CONFIG_TEXT, config, warnings: [] }]);
  assert.equal(r.state.screen, 'connect');
  assert.deepEqual(r.effects, [{ type: 'connect' }]);
  assert.deepEqual(r.state.connect.hosts.map((h) => `${h.name}:${h.role}`), ['cp1:control plane', 'cp2:to promote', 'cp3:to promote', 'lb:proxy']);
  r = drive(r.state, [{ type: 'host-key-prompt', prompt: { id: 7, host: 'cp2', fingerprint: 'SHA256:x', keyType: 'ssh-ed25519' } }, i({ type: 'yes' })]);
  assert.deepEqual(r.effects, [{ type: 'answer-host-key', id: 7, accept: true }]);
  r = drive(r.state, [{ type: 'connect-done', ok: true }]);
  assert.equal(r.state.screen, 'discovery');
  assert.deepEqual(r.effects, [{ type: 'discover' }]);
  r = drive(r.state, [{ type: 'discovered', facts: FACTS, checks: CHECKS }, i({ type: 'select' })]);
  assert.equal(r.effects.length, 0, 'a failed preflight check blocks the plan');
  assert.match(r.state.message?.text ?? '', /Preflight failed/);
  r = drive(r.state, [i({ type: 'retry' }), { type: 'discovered', facts: FACTS, checks: CHECKS.filter((c) => c.status !== 'fail') }, i({ type: 'select' })]);
  assert.deepEqual(r.effects, [{ type: 'discover' }, { type: 'make-plan' }]);
});

test('an invalid config file stays on the welcome screen with the full report', () => {
  const r = drive(initialState(), [{ type: 'sessions-found', sessions: [] }, { type: 'config-invalid', path: 'x.yaml', report: 'x.yaml:3:7: error: endpoint.host: expected …' }]);
  assert.equal(r.state.screen, 'welcome');
  assert.match(r.state.welcome.report ?? '', /endpoint\.host/);
});

test('approving a disruptive plan takes only the cluster name, typed; yes or anything else is refused', () => {
  let r = drive(atPlan(), [i({ type: 'down' }), i({ type: 'select' })]);
  assert.equal(r.state.plan?.expanded, 'endpoint-cert');
  r = drive(r.state, [i({ type: 'back' }), i({ type: 'approve' })]);
  assert.equal(r.state.plan?.confirm, '');
  assert.deepEqual(approvalWords(r.state), ['demo']);
  r = drive(r.state, [...typed('yes'), i({ type: 'select' })]);
  assert.equal(r.effects.length, 0);
  assert.equal(r.state.plan?.error, "Only 'demo' will be accepted to approve.");
  r = drive(r.state, [...typed('demo'), i({ type: 'select' })]);
  assert.deepEqual(r.effects, [{ type: 'apply' }]);
});

test('a full apply folds into progress and ends on the done screen; quit exits 0', () => {
  let r = drive(atPlan(), [{ type: 'run-started', phase: 'apply', session: SESSION, at: 0 }, ...FULL_APPLY.map((event, n): WizardEvent => ({ type: 'engine', event, at: n * 100 }))]);
  assert.equal(r.state.screen, 'execute');
  assert.equal(r.state.run?.steps.length, 5);
  assert.ok(r.state.run?.steps.every((s) => s.status === 'done'));
  assert.deepEqual(r.state.run?.finished, { changed: 7, unchanged: 0 });
  assert.equal(r.state.run?.steps[3]?.planned, 3);
  r = drive(r.state, [{ type: 'run-ended', status: 'finished', phase: 'apply', at: 9999 }, i({ type: 'quit' })]);
  assert.equal(r.state.screen, 'done');
  assert.deepEqual(r.effects, [{ type: 'exit', code: 0 }]);
  assert.match(r.state.exit?.message ?? '', /complete.*https:\/\/10\.200\.0\.5:6443/);
});

test('Ctrl-C while applying: once = graceful, twice = hard, a third does nothing', () => {
  let r = drive(atPlan(), [{ type: 'run-started', phase: 'apply', session: SESSION, at: 0 }, i({ type: 'interrupt' })]);
  assert.deepEqual(r.effects, [{ type: 'interrupt' }]);
  assert.match(r.state.message?.text ?? '', /finishing the current action/);
  r = drive(r.state, [i({ type: 'interrupt' }), i({ type: 'interrupt' })]);
  assert.deepEqual(r.effects, [{ type: 'interrupt' }]);
  assert.equal(r.state.interrupts, 2);
  r = drive(r.state, [{ type: 'run-ended', status: 'stopped', phase: 'apply', resumeCommand: `ha-wizard resume ${SESSION}`, at: 1 }, i({ type: 'select' })]);
  assert.deepEqual(r.effects, [{ type: 'exit', code: 3 }]);
  assert.match(r.state.exit?.message ?? '', /ha-wizard resume demo-/);
});

test('a failure offers retry, roll back this step, roll back everything, quit; skip only where safe and supported', () => {
  let r = drive(atPlan(), [{ type: 'run-started', phase: 'apply', session: SESSION, at: 0 }, ...FAILED_APPLY.map((event): WizardEvent => ({ type: 'engine', event, at: 1 })), { type: 'run-ended', status: 'failed', phase: 'apply', error: 'kubelet failed', at: 2 }]);
  assert.equal(r.state.screen, 'failure');
  assert.deepEqual(failureChoices(r.state), ['retry', 'rollback-step', 'rollback-all', 'quit']);
  assert.equal(r.state.run?.failure?.host, 'w2');
  assert.equal(r.state.run?.failure?.step, 'repoint-workers');
  const retry = drive(r.state, [i({ type: 'retry' })]);
  assert.deepEqual(retry.effects, [{ type: 'resume', session: SESSION }]);
  assert.deepEqual(drive(retry.state, [i({ type: 'retry' })]).effects, [], 'keys wait while the choice is being carried out');
  r = drive(r.state, [i({ type: 'down' }), i({ type: 'select' })]);
  // Rolling back starts with its review (what would be undone, read only), never with the rollback itself.
  assert.deepEqual(r.effects, [{ type: 'preview-rollback', session: SESSION, to: 'etcd-cp2' }]);
  const all = drive({ ...r.state, busy: null }, [i({ type: 'down' }), i({ type: 'down' })]);
  void all;
  const skippable = { ...r.state, options: { ...r.state.options, canSkip: true }, run: { ...r.state.run!, failure: { ...r.state.run!.failure!, action: 'verify/cp1/readyz' } } };
  assert.deepEqual(failureChoices(skippable), ['retry', 'skip', 'rollback-step', 'rollback-all', 'quit']);
});

test('skip is offered for a failed wait (the engine rule) and resumes with it skipped; never for a failed write-file or a changing command', () => {
  const failedAt = (action: string, host: string): WizardState => {
    const at = FULL_APPLY.findIndex((e) => e.type === 'action-start' && e.action === action);
    assert.ok(at > 0, action);
    const events = [...FULL_APPLY.slice(0, at + 1), { type: 'action-failed', phase: 'apply', action, host, error: `${action} failed` } as const];
    const r = drive({ ...atPlan(), options: { ...atPlan().options, canSkip: true } }, [
      { type: 'run-started', phase: 'apply', session: SESSION, at: 0 },
      ...events.map((event): WizardEvent => ({ type: 'engine', event, at: 1 })),
      { type: 'run-ended', status: 'failed', phase: 'apply', error: `${action} failed`, at: 2 },
    ]);
    assert.equal(r.state.screen, 'failure');
    assert.equal(r.state.run?.failure?.action, action);
    return r.state;
  };
  const wait = failedAt('verify/cp1/readyz', 'cp1');
  assert.deepEqual(failureChoices(wait), ['retry', 'skip', 'rollback-step', 'rollback-all', 'quit']);
  const skipped = drive(wait, [i({ type: 'down' }), i({ type: 'select' })]);
  assert.deepEqual(skipped.effects, [{ type: 'resume', session: SESSION, skip: 'verify/cp1/readyz' }]);
  assert.equal(skipped.state.busy, 'Skipping…');
  // A write-file changes a host: no skip, even with a runtime that can skip.
  assert.deepEqual(failureChoices(failedAt('endpoint-cert/cp1/manifest', 'cp1')), ['retry', 'rollback-step', 'rollback-all', 'quit']);
  // A command that is not read-only (etcd member add) neither.
  assert.deepEqual(failureChoices(failedAt('etcd-cp2/cp1/member-add', 'cp1')), ['retry', 'rollback-step', 'rollback-all', 'quit']);
  // Without a runtime that can skip, a failed wait is not offered it either.
  assert.deepEqual(failureChoices({ ...wait, options: { ...wait.options, canSkip: false } }), ['retry', 'rollback-step', 'rollback-all', 'quit']);
});

test('a refused rollback (point of no easy return) returns to the failure choices with the reason', () => {
  let r = drive(atPlan(), [{ type: 'run-started', phase: 'apply', session: SESSION, at: 0 }, ...FAILED_APPLY.map((event): WizardEvent => ({ type: 'engine', event, at: 1 })), { type: 'run-ended', status: 'failed', phase: 'apply', error: 'x', at: 2 }]);
  r = drive(r.state, [{ type: 'run-started', phase: 'rollback', session: SESSION, at: 3 }, { type: 'run-refused', error: 'rolling back would cross the point of no easy return', hint: 'roll back only the steps after it' }]);
  assert.equal(r.state.screen, 'failure');
  assert.match(r.state.message?.text ?? '', /point of no easy return\nroll back only/);
});

test('a session in progress is offered first; resume asks for its effect', () => {
  const sessions = [{ id: SESSION, cluster: 'demo', state: 'stopped', done: 2, total: 7, where: 'stopped in etcd-cp2/cp1/member-add' }];
  let r = drive(initialState(), [{ type: 'sessions-found', sessions }]);
  assert.equal(r.state.screen, 'resume');
  r = drive(r.state, [i({ type: 'select' })]);
  assert.deepEqual(r.effects, [{ type: 'resume', session: SESSION }]);
  // No config loaded: what the done screen names comes with the run, from the session's saved config.
  const target = { cluster: 'demo', endpoint: '10.200.0.5:6443', master: 'cp1' };
  const done = drive(r.state, [{ type: 'run-started', phase: 'apply', session: SESSION, at: 0, target }, { type: 'run-ended', status: 'finished', phase: 'apply', at: 1 }, i({ type: 'quit' })]);
  assert.deepEqual(done.state.target, target);
  assert.equal(done.state.exit?.message, `Session ${SESSION} complete. The API is now at https://10.200.0.5:6443.`);
  const fresh = drive(initialState({ configPath: 'cluster.yaml' }), [{ type: 'sessions-found', sessions }, i({ type: 'down' }), i({ type: 'down' }), i({ type: 'select' })]);
  assert.deepEqual(fresh.effects, [{ type: 'load-config', path: 'cluster.yaml' }]);
});

test('the form validates as you type with the config rules and saves only when valid', () => {
  let r = drive(initialState(), [{ type: 'sessions-found', sessions: [] }, i({ type: 'down' }), i({ type: 'select' })]);
  assert.equal(r.state.screen, 'form');
  r = drive(r.state, typed('Demo'));
  assert.match(r.state.form.check.errors.name ?? '', /lowercase letters/);
  r = drive(r.state, [i({ type: 'erase' }), i({ type: 'erase' }), i({ type: 'erase' }), i({ type: 'erase' }), ...typed('demo')]);
  assert.equal(r.state.form.check.errors.name, undefined);
  const fill = (field: string, text: string): WizardEvent[] => {
    const at = FIELDS.findIndex((f) => f.id === field);
    return [...Array.from({ length: FIELDS.length }, () => i({ type: 'up' })), ...Array.from({ length: at }, () => i({ type: 'down' })), ...typed(text)];
  };
  r = drive(r.state, [...fill('masterName', 'cp1'), ...fill('masterAddress', '10.0.0.300')]);
  assert.match(r.state.form.check.errors.masterAddress ?? '', /IPv4 or IPv6 address/);
  r = drive(r.state, [i({ type: 'erase' }), i({ type: 'erase' }), i({ type: 'erase' }), ...typed('11'), ...fill('promote', 'cp2=10.0.0.12, cp3=10.0.0.13'), ...fill('endpointHost', 'k8s.example.com'), ...fill('proxyHost', 'lb=10.0.0.5')]);
  // Jump to the last field and press Enter.
  r = drive(r.state, [...Array.from({ length: FIELDS.length }, () => i({ type: 'down' })), i({ type: 'select' })]);
  assert.deepEqual(r.state.form.check.errors, {});
  assert.equal(r.effects.length, 1);
  const save = r.effects[0]!;
  assert.equal(save.type, 'save-config');
  if (save.type === 'save-config') {
    const back = parseConfigText(save.text, 'cluster.yaml', { home: '/root', baseDir: '/', statPath: () => 'file' }).config;
    assert.equal(back.controlPlane.existing.address, '10.0.0.11');
    assert.deepEqual(back.controlPlane.promote.map((n) => n.name), ['cp2', 'cp3']);
    assert.equal(back.proxy.host?.address, '10.0.0.5');
  }
});

test('leaving on SIGTERM/SIGHUP: a run is stopped safely first, then the wizard quits; nothing once it exits', () => {
  const s = initialState();
  assert.deepEqual(leaveIntent(s), { type: 'interrupt' }, 'outside a run an interrupt quits');
  const running: WizardState = { ...s, screen: 'execute', busy: null, outcome: null, interrupts: 0 };
  assert.deepEqual(leaveIntent(running), { type: 'interrupt' });
  assert.equal(leaveIntent({ ...running, interrupts: 1 }), null, 'waits for the run to stop');
  const stopped: WizardState = { ...running, session: 's1', interrupts: 1, screen: 'done', outcome: { status: 'stopped', phase: 'apply', resumeCommand: 'ha-wizard resume s1' } };
  const quit = reduce(stopped, { type: 'intent', intent: leaveIntent(stopped)! });
  assert.equal(quit.state.exit?.code, 3);
  assert.equal(leaveIntent(quit.state), null);
});

test('the suggested commands use the form the operator ran ha-wizard in', () => {
  const s: WizardState = { ...initialState({ command: 'npx ha-wizard' }), session: 's1', outcome: { status: 'stopped', phase: 'apply', resumeCommand: 'ha-wizard resume s1' } };
  assert.equal(resumeCommand(s), 'npx ha-wizard resume s1');
  assert.equal(resumeCommand({ ...s, outcome: { status: 'failed', phase: 'apply' } }), 'npx ha-wizard resume s1');
});

test('q leaves at once while the wizard is still reading, but not once an approved apply is starting', () => {
  const loading = initialState({ configPath: 'c.yaml' });
  assert.ok(loading.busy, 'busy reading at start');
  const quit = reduce(loading, { type: 'intent', intent: { type: 'quit' } });
  assert.deepEqual(quit.state.exit, { code: 0, message: 'Nothing was changed.' });
  assert.deepEqual(quit.effects, [{ type: 'exit', code: 0 }]);
  const starting: WizardState = { ...loading, screen: 'plan', busy: 'Starting the session…' };
  assert.equal(reduce(starting, { type: 'intent', intent: { type: 'quit' } }).state.exit, null);
});

test('plan review: d records the drill intent and asks for a re-plan; the new plan keeps the review and names the drill', () => {
  const at = drive(atPlan(), [{ type: 'planned', summary: SUMMARY, preview: PREVIEW, drill: { on: false, node: 'cp3' } }]).state;
  assert.equal(at.plan?.drill?.on, false);
  let r = drive(at, [i({ type: 'drill' })]);
  assert.deepEqual(r.effects, [{ type: 'make-plan', failoverDrill: true }]);
  assert.deepEqual(r.state.planOptions, { failoverDrill: true });
  assert.match(r.state.busy ?? '', /with the failover drill/);
  assert.equal(r.state.plan?.drill?.on, false, 'the reducer does not plan: the screen shows the old plan until the new one arrives');
  r = drive(r.state, [{ type: 'planned', summary: DRILL_SUMMARY, preview: DRILL_PREVIEW, drill: { on: true, node: 'cp3' } }]);
  assert.equal(r.state.screen, 'plan');
  assert.equal(r.state.busy, null);
  assert.equal(r.state.plan?.preview.steps[r.state.plan.cursor]?.id, 'failover-drill', 'the cursor shows the added step');
  assert.match(r.state.message?.text ?? '', /stops cp3's apiserver/);
  // Off again, then back to discovery and Enter: the next plan keeps the operator's choice.
  r = drive(r.state, [i({ type: 'drill' })]);
  assert.deepEqual(r.effects, [{ type: 'make-plan', failoverDrill: false }]);
  r = drive(r.state, [{ type: 'planned', summary: SUMMARY, preview: PREVIEW, drill: { on: false, node: 'cp3' } }, i({ type: 'back' }), i({ type: 'select' })]);
  assert.deepEqual(r.effects, [{ type: 'make-plan', failoverDrill: false }]);
  // A new config file decides again from its own verify.failoverDrill.
  r = drive(r.state, [{ type: 'config-loaded', path: 'cluster.yaml', text: CONFIG_TEXT, config, warnings: [] }]);
  assert.deepEqual(r.state.planOptions, {});
});

test('plan review: d without a possible drill says why and plans nothing; a failed re-plan keeps the shown plan', () => {
  const one = drive(atPlan(), [{ type: 'planned', summary: SUMMARY, preview: PREVIEW, drill: { on: false, node: null } }, i({ type: 'drill' })]);
  assert.deepEqual(one.effects, []);
  assert.match(one.state.message?.text ?? '', /at least two control-plane nodes/);
  const none = drive(atPlan(), [i({ type: 'drill' })]);
  assert.deepEqual(none.effects, [], 'a runtime that reports no drill cannot toggle it');
  const failed = drive(atPlan(), [{ type: 'planned', summary: SUMMARY, preview: PREVIEW, drill: { on: false, node: 'cp3' } }, i({ type: 'drill' }), { type: 'plan-failed', error: 'boom' }]);
  assert.equal(failed.state.screen, 'plan');
  assert.equal(failed.state.plan?.drill?.on, false);
  assert.match(failed.state.message?.text ?? '', /Could not make the plan: boom/);
});

test('plan review: o opens the old-address references, the arrows scroll them, o or Esc closes; approval still works after', () => {
  const at = drive(atPlan(), [{ type: 'planned', summary: SUMMARY, preview: PREVIEW, references: REFERENCES }]).state;
  assert.equal(referenceCount(at.plan?.references), 3);
  let r = drive(at, [i({ type: 'references' })]);
  assert.equal(r.state.plan?.showReferences, true);
  r = drive(r.state, [i({ type: 'down' }), i({ type: 'down' })]);
  assert.equal(r.state.plan?.scroll, 2);
  assert.equal(r.state.plan?.cursor, 0, 'the arrows scroll the list, not the steps');
  r = drive(r.state, [i({ type: 'back' })]);
  assert.equal(r.state.plan?.showReferences, false);
  assert.equal(r.state.screen, 'plan', 'Esc closes the list before it leaves the plan');
  r = drive(r.state, [i({ type: 'references' }), i({ type: 'references' }), i({ type: 'approve' })]);
  assert.equal(r.state.plan?.showReferences, false);
  assert.equal(r.state.plan?.confirm, '');
  // Without an audit, o means nothing.
  assert.equal(drive(atPlan(), [i({ type: 'references' })]).state.plan?.showReferences, undefined);
});

test('discovery says which host it reads and what; the welcome menu takes no key before the sessions are looked for', () => {
  const s0 = initialState();
  assert.equal(s0.sessionsChecked, false);
  assert.deepEqual(drive(s0, [i({ type: 'down' }), i({ type: 'select' })]).effects, [], 'keys before the offer change nothing');
  let r = drive({ ...initialState(), screen: 'discovery', busy: 'Discovering the cluster and running preflight checks…' }, [{ type: 'discovery-reading', host: 'cp2', what: 'reading /etc/kubernetes/pki/ca.crt' }]);
  assert.equal(r.state.busy, 'Discovering the cluster: cp2, reading /etc/kubernetes/pki/ca.crt…');
  r = drive(initialState(), [{ type: 'sessions-found', sessions: [] }]);
  assert.equal(r.state.sessionsChecked, true);
  assert.equal(drive(r.state, [i({ type: 'down' })]).state.menu, 1, 'then the menu moves');
});

test('page keys move exactly the page drawn, never past the last one', () => {
  let s: WizardState = { ...atPlan() };
  s = drive(s, [i({ type: 'select' })]).state;
  assert.ok(s.plan?.expanded);
  s = drive(s, [i({ type: 'viewport', top: 0, end: 7, prevTop: 0, lastTop: 12 })]).state;
  s = drive(s, [i({ type: 'page-down' })]).state;
  assert.equal(s.plan?.scroll, 7, 'the first line not shown is the next top');
  s = drive(s, [i({ type: 'viewport', top: 7, end: 12, prevTop: 1, lastTop: 12 })]).state;
  s = drive(s, [i({ type: 'page-up' })]).state;
  assert.equal(s.plan?.scroll, 1, 'the lines that fit above');
  s = drive(s, [i({ type: 'viewport', top: 12, end: 20, prevTop: 5, lastTop: 12 }), i({ type: 'page-down' }), i({ type: 'down' })]).state;
  assert.equal(s.plan?.scroll, 12, 'never past the last page');
});

test('a rollback review with a problem (a backup missing) is not started: said so, nothing changes', async () => {
  const { ROLLBACK_PREVIEW } = await import('../ui/fixtures/plan.js');
  const preview = { ...ROLLBACK_PREVIEW, summary: { ...ROLLBACK_PREVIEW.summary, problems: 1 } };
  let r = drive(initialState(), [{ type: 'sessions-found', sessions: [{ id: SESSION, cluster: 'demo', state: 'stopped', done: 2, total: 7, where: '' }] }]);
  r = drive(r.state, [i({ type: 'down' }), i({ type: 'select' })]);
  assert.deepEqual(r.effects, [{ type: 'preview-rollback', session: SESSION }]);
  r = drive(r.state, [{ type: 'rollback-previewed', session: SESSION, preview }]);
  assert.equal(r.state.screen, 'rollback');
  r = drive(r.state, [i({ type: 'approve' })]);
  assert.equal(r.state.rollback?.confirm, null, 'no confirmation is asked');
  assert.match(r.state.message?.text ?? '', /would stop at 1 problem\(s\) marked with !.*Nothing was changed/);
  assert.deepEqual(r.effects, []);
});
