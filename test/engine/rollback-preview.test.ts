/**
 * The rollback preview against real files (dir-hosts): what it lists is what rollback then does, and reading it
 * changes nothing. Status after the rollback says so in words.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apply } from '../../src/engine/run/executor.js';
import { checkPointOfNoReturn, previewRollback, rollback } from '../../src/engine/run/rollback.js';
import { buildPlan } from '../../src/engine/model/plan.js';
import { createSession, sessionJournal } from '../../src/engine/records/session.js';
import { foldJournal, sessionStatus, undoOrder } from '../../src/engine/records/state.js';
import { renderRollbackPreview } from '../../src/reporters/rollback-preview-text.js';
import { nextCommands, statusHeadline } from '../../src/reporters/status-text.js';
import { memberRemoveByNameOrPeer } from '../../src/etcd/etcdctl.js';
import { BadInputError } from '../../src/exit-codes.js';
import { deps, representativePlan, seedNodes } from './fixtures.js';
import { treeHashes } from './dir-host.js';

function setup(plan = representativePlan()) {
  const base = mkdtempSync(join(tmpdir(), 'haw-rbp-'));
  seedNodes(base);
  const env = { HA_WIZARD_STATE_DIR: join(base, 'state') };
  return { base, env, plan, session: createSession(plan, { env }) };
}

test('the preview lists each file restored with its diff against what is there now, each removal, each undo; reading it changes nothing', async () => {
  const t = setup();
  assert.equal((await apply(t.plan, t.session, deps(t.base), { env: t.env })).status, 'finished');
  // Someone edits a file after the apply: the diff is against what is there now, not against what apply wrote.
  writeFileSync(join(t.base, 'node1/etc/kubernetes/manifests/kube-apiserver.yaml'), 'edited by hand\n', { mode: 0o600 });
  const before = treeHashes(t.base);
  const p = await previewRollback(t.session, deps(t.base));
  assert.deepEqual(treeHashes(t.base), before, 'the preview only reads');
  assert.deepEqual(p.steps.map((s) => s.id), ['verify', 'cmds', 'files'], 'newest first, as rollback runs');
  const entries = p.steps.flatMap((s) => s.entries);
  const node1 = entries.find((e) => e.action === 'files/node1/manifest');
  assert.ok(node1 && node1.kind === 'file' && node1.change === 'restore');
  assert.match(node1.diff ?? '', /^-edited by hand$/m);
  assert.match(node1.diff ?? '', /^\+ {2}advertise: node1$/m);
  assert.match(node1.backup ?? '', /^\/etc\/kubernetes\/tmp\/ha-wizard-backup-.*\/etc\/kubernetes\/manifests\/kube-apiserver\.yaml$/);
  const key = entries.find((e) => e.action === 'files/node1/key');
  assert.ok(key && key.kind === 'file' && key.change === 'remove' && key.sensitive && !key.diff, 'a key is named, never shown');
  // proxy.conf was written twice: the newer undo goes back to the first write, the older one to the original.
  const proxy = entries.filter((e) => e.kind === 'file' && e.path === '/etc/kubernetes/proxy.conf');
  assert.equal(proxy.length, 2);
  assert.match(proxy[0]!.kind === 'file' ? (proxy[0]!.diff ?? '') : '', /^-upstream node3$/m);
  assert.match(proxy[1]!.kind === 'file' ? (proxy[1]!.diff ?? '') : '', /^-upstream node1$/m);
  const old = entries.find((e) => e.action === 'cmds/node3/remove-old');
  assert.ok(old && old.kind === 'file' && old.change === 'restore' && /^\+obsolete$/m.test(old.diff ?? ''), 'a removed file comes back');
  const marker = entries.find((e) => e.action === 'cmds/node1/marker');
  assert.ok(marker && marker.kind === 'run');
  assert.deepEqual(marker.undo, ['rm', '-f', '/etc/kubernetes/marker']);
  assert.equal(p.summary.problems, 0);
  assert.match(p.summary.line, /^Rollback: 6 files restored, 3 files removed, 1 undo command, 0 objects restored\.$/);
  const text = renderRollbackPreview(p);
  assert.match(text, /Undo 1\/3 {2}verify: Verify/);
  assert.match(text, / {2}- remove \/etc\/kubernetes\/pki\/new\.key: it did not exist before this session \(sensitive, sha256:/);

  assert.equal((await rollback(t.session, deps(t.base), { env: t.env })).status, 'finished');
  const st = sessionStatus(t.plan, sessionJournal(t.session), false);
  assert.equal(st.state, 'rolled-back');
  assert.equal(st.inEffect, 0);
  assert.match(statusHeadline(t.session, st), /^rolled back: the cluster is as it was before .*; backups kept at \/etc\/kubernetes\/tmp\/ha-wizard-backup-.*\/ on each host it changed$/);
  assert.equal(nextCommands(t.session.id, st), null);
  rmSync(t.base, { recursive: true, force: true });
});

test('a missing backup is a problem the preview names before anything is undone', async () => {
  const t = setup();
  assert.equal((await apply(t.plan, t.session, deps(t.base), { env: t.env })).status, 'finished');
  const st = foldJournal(t.plan, sessionJournal(t.session));
  const backup = st.actions.get('files/node2/manifest')!.backup!;
  rmSync(join(t.base, 'node2', backup));
  const p = await previewRollback(t.session, deps(t.base));
  const e = p.steps.flatMap((s) => s.entries).find((x) => x.action === 'files/node2/manifest');
  assert.ok(e && e.kind === 'file');
  assert.match(e.problem ?? '', /backup .* is missing; rollback would stop here/);
  assert.equal(p.summary.problems, 1);
  rmSync(t.base, { recursive: true, force: true });
});

test('an etcd member promoted by the session: the preview says it is removed; the refusal is one paragraph with both commands', async () => {
  const t = setup(
    buildPlan({
      cluster: 'unit',
      factsFingerprint: 'f',
      now: new Date('2026-01-02T03:04:05Z'),
      steps: [
        {
          id: 'etcd-cp2',
          title: 'etcd member on cp2',
          description: '',
          risk: 'point-of-no-easy-return',
          actions: [
            { id: 'etcd-cp2/node1/member', step: 'etcd-cp2', type: 'run', host: 'node1', argv: ['touch', '/etc/kubernetes/member'], undo: memberRemoveByNameOrPeer('cp2', 'https://10.0.0.12:2380'), description: 'promote cp2 to a voting member', risk: 'point-of-no-easy-return' },
          ],
        },
      ],
    }),
  );
  assert.equal((await apply(t.plan, t.session, deps(t.base), { env: t.env })).status, 'finished');
  const p = await previewRollback(t.session, deps(t.base));
  assert.deepEqual(p.summary.etcdMembersRemoved, ['cp2']);
  assert.deepEqual(p.pointOfNoReturn.map((x) => x.action), ['etcd-cp2/node1/member']);
  assert.match(renderRollbackPreview(p), /✂ remove etcd member cp2 \(https:\/\/10\.0\.0\.12:2380\)/);
  const list = undoOrder(t.plan, foldJournal(t.plan, sessionJournal(t.session)));
  assert.throws(
    () => checkPointOfNoReturn(t.session, list, false),
    (e: BadInputError) =>
      !e.message.includes('\n') &&
      /would cross the point of no easy return: it would remove the etcd member cp2 that this session made a voter\./.test(e.message) &&
      new RegExp(`\`ha-wizard rollback ${t.session.id} --to etcd-cp2\``).test(e.message) &&
      new RegExp(`\`ha-wizard rollback ${t.session.id} --past-point-of-no-return\``).test(e.message),
  );
  const st = sessionStatus(t.plan, sessionJournal(t.session), false);
  assert.equal(st.rollbackCrossesPointOfNoReturn, true);
  rmSync(t.base, { recursive: true, force: true });
});
