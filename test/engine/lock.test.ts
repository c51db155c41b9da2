import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, currentLock, LockedError } from '../../src/engine/records/lock.js';

const envFor = () => ({ HA_WIZARD_STATE_DIR: mkdtempSync(join(tmpdir(), 'haw-lock-')) });

test('a second run on the same cluster is refused with the lock info; force-unlock needs the exact id', () => {
  const env = envFor();
  const first = acquireLock({ cluster: 'c1', session: 's1', operation: 'apply', env });
  assert.throws(
    () => acquireLock({ cluster: 'c1', session: 's2', operation: 'rollback', env }),
    (e: Error) => e instanceof LockedError && e.message.includes(`ID:        ${first.info.id}`) && e.message.includes('Operation: apply') && /--force-unlock [0-9a-f]{16}/.test((e as LockedError).hint ?? ''),
  );
  // Another cluster is independent.
  acquireLock({ cluster: 'c2', session: 's3', operation: 'apply', env }).release();
  assert.throws(() => acquireLock({ cluster: 'c1', session: 's2', operation: 'apply', forceUnlock: 'deadbeef', env }), /does not match/);
  const second = acquireLock({ cluster: 'c1', session: 's2', operation: 'apply', forceUnlock: first.info.id, env });
  assert.equal(second.tookOver?.id, first.info.id);
  first.release(); // not ours any more: must not remove the new lock
  assert.equal(currentLock('c1', env)?.id, second.info.id);
  second.release();
  assert.equal(currentLock('c1', env), null);
});

test('a lock whose process is dead on this machine is stale and taken over', () => {
  const env = envFor();
  const lock = acquireLock({ cluster: 'c1', session: 's1', operation: 'apply', env });
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const path = join(env.HA_WIZARD_STATE_DIR, 'locks', 'c1.json');
  const info = JSON.parse(readFileSync(path, 'utf8'));
  writeFileSync(path, JSON.stringify({ ...info, pid: Number(dead.stdout) }));
  const next = acquireLock({ cluster: 'c1', session: 's2', operation: 'resume', env });
  assert.equal(next.tookOver?.id, lock.info.id);
  next.release();
});
