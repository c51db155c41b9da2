/**
 * What the crash tests share: a child process that applies (and SIGKILLs itself right after journal
 * record N is fsync'd), resume and rollback in this process, and snapshots of the nodes' files.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Session } from '../../src/engine/records/session.js';
import { resume } from '../../src/engine/run/resume.js';
import { rollback } from '../../src/engine/run/rollback.js';
import { NODES, deps } from './fixtures.js';
import { treeHashes } from './dir-host.js';

const child = fileURLToPath(new URL('./crash-child.js', import.meta.url));

// Generated keys differ run to run, and backups are engine bookkeeping: compared separately.
export const skipVolatile = (rel: string) => rel.startsWith('etc/kubernetes/tmp') || rel === 'etc/kubernetes/pki/new.key';
export const skipBackups = (rel: string) => rel.startsWith('etc/kubernetes/tmp');

export function snapshot(base: string, skip: (rel: string) => boolean) {
  return Object.fromEntries(NODES.map((n) => [n, treeHashes(join(base, n), skip)]));
}

export function runChild(op: string, base: string, env: NodeJS.ProcessEnv, id: string, killAfter?: number) {
  return spawnSync(process.execPath, [child, op, base, id], {
    env: { ...env, ...(killAfter ? { HA_WIZARD_TEST_KILL_AFTER_RECORD: String(killAfter) } : {}) },
    encoding: 'utf8',
  });
}

// Resume and rollback run in this process (only the killed apply needs its own), to keep the tests quick.
export async function inProcess(op: 'resume' | 'rollback', base: string, env: NodeJS.ProcessEnv, session: Session) {
  const saved = process.env.HA_WIZARD_STATE_DIR;
  process.env.HA_WIZARD_STATE_DIR = env.HA_WIZARD_STATE_DIR;
  try {
    return op === 'resume' ? await resume(session, deps(base), { env }) : await rollback(session, deps(base), { env });
  } finally {
    process.env.HA_WIZARD_STATE_DIR = saved;
  }
}
