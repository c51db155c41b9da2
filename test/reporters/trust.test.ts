/** Words the operator reads: status after a rollback, printed commands in the operator's form, retries and waits, flags. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localizeCommands } from '../../src/reporters/invocation.js';
import { condenseScripts, plainReporter } from '../../src/reporters/plain.js';
import { statusHeadline, rollbackCommand } from '../../src/reporters/status-text.js';
import { wrapLines, searchSteps, stepDetailLines } from '../../src/reporters/plan-lines.js';
import { flagProblem, parseFlags } from '../../src/commands/args.js';
import { parseDemoArgs, demoPrefix, DEFAULT_DIR, freeDemoDir } from '../../src/commands/demo.js';
import type { SessionStatus } from '../../src/engine/records/state.js';
import { PREVIEW } from '../ui/fixtures/plan.js';
import { BadInputError } from '../../src/exit-codes.js';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const st = (over: Partial<SessionStatus>): SessionStatus => ({
  state: 'applied',
  operation: 'apply',
  steps: [],
  done: 155,
  total: 155,
  lastRunChanged: true,
  previous: null,
  undone: 0,
  inEffect: 0,
  rollbackCrossesPointOfNoReturn: false,
  ...over,
});
const session = { id: 'prod-20261206-120000-beef', plan: { actions: [{ id: 'backup/cp1/snap', step: 'backup', type: 'run' as const, host: 'cp1', argv: ['etcdctl', 'snapshot', 'save', '/var/lib/etcd/snap.db'], description: '', risk: 'reversible' as const }] } };

test('status in words: rolled back, rolled back to a step, failed before changing anything', () => {
  assert.equal(
    statusHeadline(session, st({ state: 'rolled-back', operation: 'rollback', undone: 90 })),
    'rolled back: the cluster is as it was before prod-20261206-120000-beef; backups kept at /etc/kubernetes/tmp/ha-wizard-backup-prod-20261206-120000-beef/ on each host it changed, and the etcd snapshot /var/lib/etcd/snap.db on cp1',
  );
  assert.match(statusHeadline(session, st({ state: 'rolled-back', operation: 'rollback', to: 'etcd-cp2', inEffect: 30 })), /^rolled back to step etcd-cp2: the steps after it are undone, 30 change\(s\) of the steps up to it stay in effect/);
  const failedEarly = statusHeadline(session, st({ state: 'failed', operation: 'rollback', lastRunChanged: false, previous: 'applied', done: 154 }));
  assert.match(failedEarly, /^rollback failed before changing anything: nothing was changed; the session is as its previous run left it \(applied, 154\/155 actions done\)$/);
  assert.doesNotMatch(failedEarly, /^failed, /);
  assert.equal(rollbackCommand('S', { rollbackCrossesPointOfNoReturn: true }, 'sudo ha-wizard demo'), 'sudo ha-wizard demo rollback S --past-point-of-no-return');
});

test('printed commands in the form ha-wizard was started; the program naming itself is left alone', () => {
  const text = 'ha-wizard rollback: roll back only the steps after it: `ha-wizard rollback S --to x`, or run `ha-wizard` for the wizard; ha-wizard does not change them';
  assert.equal(
    localizeCommands(text, 'sudo node dist/src/cli.js demo'),
    'ha-wizard rollback: roll back only the steps after it: `sudo node dist/src/cli.js demo rollback S --to x`, or run `sudo node dist/src/cli.js demo` for the wizard; ha-wizard does not change them',
  );
  assert.equal(localizeCommands(text, 'ha-wizard'), text);
});

test('the plain reporter: a wait and a retry in words; a script as what it does unless --verbose', () => {
  const run = (verbose: boolean) => {
    let out = '';
    const sink = plainReporter({ write: (t) => (out += t), now: () => 0, command: 'ha-wizard', verbose });
    sink({ type: 'action-start', phase: 'apply', step: 's', action: 's/cp1/promote', actionType: 'run', host: 'cp1', description: 'promote cp2 to a voting member' });
    sink({ type: 'retry', phase: 'apply', action: 's/cp1/promote', reason: 'the learner cp2 has not caught up with the leader yet', attempt: 2, retryInMs: 3000, elapsedMs: 6000, limitMs: 120000 });
    sink({ type: 'action-done', phase: 'apply', action: 's/cp1/promote', detail: "ran `sh -c 'set -eu\ne member promote \"$id\"' ha-wizard-etcd https://10.0.0.12:2380`" });
    sink({ type: 'action-start', phase: 'apply', step: 's', action: 's/cp1/kube-proxy', actionType: 'wait', host: 'cp1', description: 'every kube-proxy pod is replaced', limitMs: 300000 });
    sink({ type: 'wait-progress', phase: 'apply', action: 's/cp1/kube-proxy', answer: '2/3 kube-proxy pods updated, 2 available', elapsedMs: 20000, limitMs: 300000, attempt: 4 });
    return out.trimEnd().split('\n');
  };
  const quiet = run(false);
  assert.equal(quiet[0], '  retry cp1      s/cp1/promote: the learner cp2 has not caught up with the leader yet; trying again in 3.0 s (attempt 3, 6 s of 120 s)');
  assert.equal(quiet[1], '  ok   cp1       s/cp1/promote: ran the script (promote cp2 to a voting member) (0.0 s)');
  assert.equal(quiet[2], '  wait cp1       s/cp1/kube-proxy: 2/3 kube-proxy pods updated, 2 available (20 s of 300 s)');
  assert.ok(run(true).some((l) => l.includes('e member promote')), '--verbose prints the script');
  assert.equal(condenseScripts('`a b` and `x\ny`', 'undo: add it'), '`a b` and the script (add it)');
});

test('plan lines: wrapped at the width, nothing dropped; the search finds a line in every step', () => {
  const lines = PREVIEW.steps.flatMap((s) => stepDetailLines(s));
  for (const width of [40, 80, 100]) {
    const rows = wrapLines(lines, width);
    assert.ok(rows.every((r) => r.text.length <= width), `every row fits ${width}`);
    const squash = (x: string) => x.replace(/\s+/g, '');
    assert.equal(squash(rows.map((r) => r.text).join('')), squash(lines.map((l) => l.text).join('')), 'every character is still there');
  }
  const hits = searchSteps(PREVIEW.steps, 'KUBELET');
  assert.deepEqual([...new Set(hits.map((h) => PREVIEW.steps[h.step]!.id))], ['repoint-workers']);
  assert.equal(searchSteps(PREVIEW.steps, '').length, 0);
});

test("flags: ha-wizard's words and the closest flag", () => {
  const options = { 'dry-run': { type: 'boolean' }, to: { type: 'string' }, yes: { type: 'boolean', short: 'y' } } as const;
  assert.throws(() => parseFlags(['--dry-rn'], options, 'Usage: x'), (e: BadInputError) => e.message === 'unknown flag --dry-rn; did you mean --dry-run?' && e.hint === 'Usage: x');
  assert.throws(() => parseFlags(['--to'], options, 'u'), (e: BadInputError) => e.message === '--to needs a value: --to VALUE');
  assert.throws(() => parseFlags(['yes'], options, 'u'), (e: BadInputError) => e.message === 'unexpected argument "yes"; did you mean --yes?');
  assert.throws(() => parseFlags(['a', 'b'], options, 'u', 1, 'session id'), (e: BadInputError) => e.message === 'at most one session id, found also "b"');
  assert.throws(() => flagProblem(new Error('boom'), options), /boom/, 'anything else is not a flag problem');
});

test('demo: its flags, then a command run on its sessions; two demos take two directories', () => {
  assert.deepEqual(parseDemoArgs(['--dir', '/x', 'rollback', 'S', '--yes']), { keep: false, help: false, dir: '/x', command: ['rollback', 'S', '--yes'] });
  assert.deepEqual(parseDemoArgs(['--keep']), { keep: true, help: false, command: [] });
  assert.throws(() => parseDemoArgs(['--yes']), /unknown flag --yes.*a command's flags go after the command/);
  assert.equal(demoPrefix('sudo ha-wizard', DEFAULT_DIR), 'sudo ha-wizard demo');
  assert.equal(demoPrefix('sudo ha-wizard', '/var/tmp/ha-wizard-demo-2'), 'sudo ha-wizard demo --dir /var/tmp/ha-wizard-demo-2');
  const base = join(mkdtempSync(join(tmpdir(), 'haw-demo-')), 'demo');
  assert.equal(freeDemoDir(base), base, 'free: the default');
  mkdirSync(base);
  writeFileSync(join(base, 'demo.pid'), `${process.ppid}\n`);
  assert.equal(freeDemoDir(base), `${base}-2`, 'taken by a running demo: the next');
  writeFileSync(join(base, 'demo.pid'), '999999999\n');
  assert.equal(freeDemoDir(base), base, 'a demo that is gone holds nothing');
  rmSync(join(base, '..'), { recursive: true, force: true });
});

test("a wait's HTTPS answer in words, without the URL or the tunnel that asked", async () => {
  const { httpsAnswer } = await import('../../src/engine/run/context.js');
  assert.equal(httpsAnswer('GET https://10.0.0.11:6443/readyz (from cp1, as 10.0.0.5): cp1 (10.0.0.11:22): forwarding to 10.0.0.11:6443 failed: (SSH) Channel open failure: Connection refused'), 'not answering yet (connection refused)');
  assert.equal(httpsAnswer('GET https://10.0.0.11:6443/readyz: HTTP 500 Internal Server Error, want 200: [+]ping ok\n[-]etcd failed: reason withheld\n[-]poststarthook/rbac failed'), 'HTTP 500 Internal Server Error: not ready (etcd, poststarthook/rbac)');
  assert.match(httpsAnswer('GET https://10.0.0.11:6443/readyz: x509: certificate is valid for 10.0.0.11, not 10.0.0.5'), /^x509: certificate is valid for 10\.0\.0\.11, not 10\.0\.0\.5$/);
});
