/**
 * The real wizard (App, controller, reducers) in a real terminal, on a runtime that plays a realistic conversion
 * without hosts: the plan is built by the real steps from the step tests' facts (cp1 + cp2, cp3, one worker, a
 * dedicated proxy), previewed by the real engine preview, and its run replayed as the engine reports one: waits
 * with their answers in words, a retry, thirteen verification checks. The tmux tests drive it at 100×30 and 80×24.
 *
 *   node wizard-fixture.js DIR [--resume]
 *
 * DIR/hold: while this file exists the replay holds in the kube-proxy wait (the test looks at the wait, then
 * removes it). DIR/calls: what the runtime was asked to do, one line each (the test reads it).
 * --resume: a stopped session of this plan is waiting to be resumed (the resume offer comes first).
 */
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink';
import { App } from '../../src/ui/App.js';
import { WizardController } from '../../src/wizard/controller.js';
import type { EngineEvent } from '../../src/engine/model/events.js';
import type { Action } from '../../src/engine/model/actions.js';
import { buildPlan } from '../../src/engine/model/plan.js';
import { buildPreview } from '../../src/engine/preview/preview.js';
import { buildRollbackPreview } from '../../src/engine/preview/rollback-preview.js';
import { objectKey } from '../../src/engine/preview/preview.js';
import { applyEdits, editYaml, fieldsBefore, setPath } from '../../src/engine/run/edits.js';
import type { KubeObject } from '../../src/engine/model/ports.js';
import { undoOrder, type ActionState, type JournalState } from '../../src/engine/records/state.js';
import { sha256 } from '../../src/engine/model/hash.js';
import { isSensitive } from '../../src/engine/model/actions.js';
import { parseConfigText } from '../../src/config/load.js';
import { oldAddressReport } from '../../src/discovery/old-address.js';
import { summarizeFacts, summarizePlan } from '../../src/wizard/live-runtime.js';
import { plannedCounts } from '../../src/wizard/progress.js';
import type { Prompts, RunHooks, RunOutcome, WizardRuntime } from '../../src/wizard/runtime.js';
import { buildSteps } from '../../steps/index.js';
import { makeFacts } from '../steps/facts-fixture.js';

const dir = process.argv[2] ?? '.';
const resumeOffer = process.argv.includes('--resume');
const SESSION = 'lab-20261206-120000-beef';
const CONFIG = `name: lab
controlPlane:
  existing: { name: cp1, address: 10.200.0.11 }
  promote:
    - { name: cp2, address: 10.200.0.12 }
    - { name: cp3, address: 10.200.0.13 }
endpoint: { host: k8s-api.lab.example }
proxy: { kind: nginx, placement: dedicated, host: { name: lb, address: 10.200.0.5 } }
workers:
  - { name: w1, address: 10.200.0.50 }
ssh: { configFile: false }
`;

const facts = makeFacts({ promote: 2, workers: 1 });
const plan = buildPlan({ cluster: 'lab', factsFingerprint: 'f'.repeat(64), session: SESSION, steps: buildSteps(facts, { session: SESSION }), now: new Date('2026-12-06T12:00:00Z') });
const preview = buildPreview(plan, { files: new Map(), objects: new Map() });
const call = (what: string) => appendFileSync(join(dir, 'calls'), `${what}\n`);
const tick = () => new Promise((r) => setTimeout(r, 5));

const host = (a: Action) => (a.type === 'wait' ? a.probe.host : a.host);

/** The engine's events for the whole plan: each step, each action; the kube-proxy wait and an etcd retry say why in words. */
function applyEvents(): EngineEvent[] {
  const out: EngineEvent[] = [];
  plan.steps.forEach((step, index) => {
    const actions = plan.actions.filter((a) => a.step === step.id);
    out.push({ type: 'step-start', phase: 'apply', step: step.id, title: step.title, risk: step.risk, index, total: plan.steps.length, actions: actions.length });
    for (const a of actions) {
      out.push({ type: 'action-start', phase: 'apply', step: a.step, action: a.id, actionType: a.type, host: host(a), description: a.description, ...(a.type === 'wait' ? { limitMs: a.timeoutMs } : {}) });
      if (a.type === 'wait' && a.id.endsWith('/kube-proxy-rolled-out')) {
        out.push({ type: 'wait-progress', phase: 'apply', action: a.id, answer: '1/4 kube-proxy pods updated, 1 available', elapsedMs: 4_000, limitMs: a.timeoutMs, attempt: 2 });
        out.push({ type: 'wait-progress', phase: 'apply', action: a.id, answer: '2/4 kube-proxy pods updated, 2 available', elapsedMs: 20_000, limitMs: a.timeoutMs, attempt: 6 });
      }
      if (a.type === 'run' && a.id.endsWith('/member-promote') && a.retry) {
        out.push({ type: 'retry', phase: 'apply', action: a.id, reason: `${a.retry.why ?? 'etcd refuses it for now'} (it said "not in sync with leader")`, attempt: 1, retryInMs: a.retry.intervalMs, elapsedMs: 1_000, limitMs: a.retry.timeoutMs });
      }
      out.push({ type: 'action-done', phase: 'apply', action: a.id, detail: a.type === 'wait' ? 'ready' : `done: ${a.description}` });
    }
    out.push({ type: 'step-done', phase: 'apply', step: step.id });
  });
  out.push({ type: 'finished', phase: 'apply', changed: plan.actions.length - 20, unchanged: 20 });
  return out;
}

/**
 * Every action applied: what a full rollback would undo. As in a real conversion, the files on cp1 and the workers'
 * kubelet.conf existed before (their originals name the old address, kept as backups); the rest were created.
 */
function rollbackPreview() {
  const originals = new Map<string, Buffer>();
  const actions = new Map<string, ActionState>();
  const files = new Map<string, Buffer | null>();
  const objects = new Map<string, KubeObject | null>();
  for (const a of plan.actions) {
    if (a.type === 'write-file') {
      const now = Buffer.from(a.content.type === 'literal' ? a.content.text : isSensitive(a.content) ? '-----BEGIN PRIVATE KEY-----\n' : 'issued\n');
      files.set(`${a.host}:${a.path}`, now);
      const existed = a.host === 'cp1' || a.path.endsWith('/kubelet.conf');
      if (!existed) {
        actions.set(a.id, { status: 'applied', outcome: 'changed', touched: true, before: null, backup: null });
        continue;
      }
      const original = Buffer.from(now.toString('utf8').replaceAll('k8s-api.lab.example', '10.200.0.11').replace(/^/, '# as kubeadm wrote it\n'));
      const backup = `/etc/kubernetes/tmp/ha-wizard-backup-${SESSION}${a.path}`;
      originals.set(`${a.host}:${backup}`, original);
      actions.set(a.id, { status: 'applied', outcome: 'changed', touched: true, before: { sha256: sha256(original), mode: 0o600, uid: 0, gid: 0 }, backup });
    } else if (a.type === 'patch-object') {
      // The object as it was (its YAML fields naming the old address), and as the patch left it.
      let was: KubeObject = { apiVersion: a.object.apiVersion, kind: a.object.kind, metadata: { name: a.object.name, ...(a.object.namespace ? { namespace: a.object.namespace } : {}) } };
      for (const e of a.edits) if (e.yamlPath) was = setPath(was, e.path, editYaml('', e.yamlPath, 'https://10.200.0.11:6443'));
      objects.set(objectKey(a.host, a.object), applyEdits(was, a.edits));
      actions.set(a.id, { status: 'applied', outcome: 'changed', touched: true, fieldsBefore: fieldsBefore(was, a.edits) });
    } else actions.set(a.id, { status: 'applied', outcome: 'changed', touched: true });
  }
  const state: JournalState = { actions, operation: 'apply', ending: 'finished' };
  return buildRollbackPreview(plan, SESSION, state, undoOrder(plan, state), { files, backups: originals, objects });
}

class FixtureRuntime implements WizardRuntime {
  readonly canSkip = true;
  async findSessions() {
    return resumeOffer ? [{ id: SESSION, cluster: 'lab', state: 'stopped', done: 40, total: plan.actions.length, where: '', headline: `apply stopped: 40/${plan.actions.length} actions done` }] : [];
  }
  async loadConfig(path: string) {
    call(`load ${path}`);
    const { config } = parseConfigText(CONFIG, path, { home: '/root', baseDir: '/', statPath: () => 'file' });
    return { text: CONFIG, config, warnings: [] };
  }
  async saveConfig(path: string) {
    call(`save ${path}`);
  }
  async connect(p: Prompts) {
    for (const h of ['cp1', 'cp2', 'cp3', 'lb', 'w1']) p.hostState(h, 'connected', '');
    return true;
  }
  async discover(reading?: (host: string, what: string) => void) {
    reading?.('cp1', 'reading /etc/kubernetes/manifests/kube-apiserver.yaml');
    await tick();
    return { facts: summarizeFacts(facts, []), checks: [{ name: 'EtcdHealthy', status: 'pass' as const, message: 'etcd endpoint health: healthy', fix: '', ignorable: false }] };
  }
  async makePlan() {
    call('plan');
    return { summary: summarizePlan(plan), preview, references: oldAddressReport(facts), drill: { on: false, node: 'cp3' } };
  }
  private async replay(phase: 'apply' | 'rollback', events: EngineEvent[], hooks: RunHooks, outcome: RunOutcome): Promise<RunOutcome> {
    hooks.started(phase, SESSION, plannedCounts(plan.actions), { cluster: 'lab', endpoint: 'k8s-api.lab.example:6443', master: 'cp1', masterAddress: '10.200.0.11', snapshot: { host: 'cp1', path: `/var/lib/etcd/ha-wizard-${SESSION}.snapshot.db` }, backupDir: `/etc/kubernetes/tmp/ha-wizard-backup-${SESSION}/` });
    for (const e of events) {
      if (hooks.signal.aborted && e.type === 'action-start') {
        hooks.event({ type: 'stopped', phase, hard: false, resumeCommand: `ha-wizard resume ${SESSION}` });
        return { status: 'stopped', resumeCommand: `ha-wizard resume ${SESSION}` };
      }
      hooks.event(e);
      // Held in the kube-proxy wait while the test reads it.
      if (e.type === 'wait-progress' && /2\/4 kube-proxy/.test(e.answer)) while (existsSync(join(dir, 'hold'))) await new Promise((r) => setTimeout(r, 50));
      await tick();
    }
    return outcome;
  }
  async apply(hooks: RunHooks) {
    call('apply');
    return this.replay('apply', applyEvents(), hooks, { status: 'finished', session: { changed: plan.actions.length - 20, unchanged: 20 }, rollbackCrossesPointOfNoReturn: true });
  }
  async resume(session: string, hooks: RunHooks) {
    call(`resume ${session}`);
    return this.replay('apply', applyEvents(), hooks, { status: 'finished', session: { changed: plan.actions.length - 20, unchanged: 20 }, rollbackCrossesPointOfNoReturn: true });
  }
  async previewRollback(session: string, to: string | undefined) {
    call(`preview-rollback ${session}${to ? ` --to ${to}` : ''}`);
    return rollbackPreview();
  }
  async rollback(session: string, to: string | undefined, hooks: RunHooks, _p: Prompts, opts: { pastPointOfNoReturn?: boolean } = {}) {
    call(`rollback ${session}${to ? ` --to ${to}` : ''}${opts.pastPointOfNoReturn ? ' --past-point-of-no-return' : ''}`);
    const events: EngineEvent[] = [{ type: 'finished', phase: 'rollback', changed: 90, unchanged: 0 }];
    return this.replay('rollback', events, hooks, { status: 'finished' });
  }
  async close() {}
}

const controller = new WizardController(new FixtureRuntime(), { configPath: process.argv.includes('--form') ? null : 'cluster.yaml', command: 'ha-wizard' });
const ink = render(<App controller={controller} color={false} still />, { exitOnCtrlC: false });
// Asked for now, as the wizard does (commands/wizard.ts): asked after the App exited itself, it never settles.
const inkExited = ink.waitUntilExit().catch(() => undefined);
setImmediate(() => controller.start());
const { code, message } = await controller.exited;
ink.unmount();
await inkExited;
if (message) process.stdout.write(`${message}\n`);
process.exit(code);
