/**
 * Crash at every journal record (a child process SIGKILLs itself right after record N is fsync'd),
 * then resume: the nodes end exactly as after an uninterrupted apply. Then roll back: every file is
 * byte for byte (and mode) as before. Also a rollback straight from every crash point.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession, newSessionId } from '../../src/engine/records/session.js';
import { readJournal } from '../../src/engine/records/journal.js';
import { representativePlan, seedNodes } from './fixtures.js';
import { inProcess, runChild, skipBackups, skipVolatile, snapshot } from './crash-harness.js';

function fresh() {
  const base = mkdtempSync(join(tmpdir(), 'haw-crash-'));
  seedNodes(base);
  const env = { ...process.env, HA_WIZARD_STATE_DIR: join(base, 'state') };
  const plan = representativePlan();
  const session = createSession(plan, { id: newSessionId(plan.cluster), env });
  return { base, env, session };
}

test('crash at every journal record, resume, equals an uninterrupted apply; rollback restores every file', async () => {
  const ref = fresh();
  const initial = snapshot(ref.base, skipBackups);
  const r = runChild('apply', ref.base, ref.env, ref.session.id);
  assert.equal(r.status, 0, r.stderr);
  const applied = snapshot(ref.base, skipVolatile);
  assert.notDeepEqual(applied, initial);
  const total = readJournal(ref.session.journalPath).length;
  const rb = runChild('rollback', ref.base, ref.env, ref.session.id);
  assert.equal(rb.status, 0, rb.stderr);
  assert.deepEqual(snapshot(ref.base, skipBackups), initial, 'rollback after a full apply');
  rmSync(ref.base, { recursive: true, force: true });

  let crashes = 0;
  for (let n = 1; n <= total; n++) {
    const t = fresh();
    const killed = runChild('apply', t.base, t.env, t.session.id, n);
    assert.equal(killed.signal, 'SIGKILL', `record ${n}: ${killed.stderr}`);
    crashes++;
    if (n % 2 === 1) {
      // Resume to the end, compare with the uninterrupted apply, then roll back.
      const res = await inProcess('resume', t.base, t.env, t.session);
      assert.equal(res.status, 'finished', `resume after record ${n}: ${JSON.stringify(res)}`);
      assert.deepEqual(snapshot(t.base, skipVolatile), applied, `state after crash at record ${n} + resume`);
      const key = readFileSync(join(t.base, 'node1/etc/kubernetes/pki/new.key'), 'utf8');
      assert.match(key, /BEGIN EC PRIVATE KEY/);
    }
    // Roll back from the crash point (or from the resumed end): everything as before.
    const back = await inProcess('rollback', t.base, t.env, t.session);
    assert.equal(back.status, 'finished', `rollback after record ${n}: ${JSON.stringify(back)}`);
    assert.deepEqual(snapshot(t.base, skipBackups), initial, `files after crash at record ${n} + rollback`);
    // No private key material in the session directory.
    for (const f of readdirSync(t.session.dir)) {
      assert.doesNotMatch(readFileSync(join(t.session.dir, f), 'utf8'), /PRIVATE KEY/, `${f} after crash ${n}`);
    }
    rmSync(t.base, { recursive: true, force: true });
  }
  assert.ok(crashes >= 20, `crashed at ${crashes} records`);
  process.stdout.write(`# crash points exercised: ${crashes} journal records\n`);
});
