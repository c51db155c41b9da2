/**
 * One lock per cluster on this workstation: `<state>/locks/<cluster>.json`, created atomically
 * (written to a temp file, then hard-linked into place, which fails if the lock exists), so a reader
 * never sees a half-written lock.
 *
 * A second apply/resume/rollback on the same cluster is refused with the lock's details and the exact
 * `--force-unlock ID` to use (Terraform's rule: the id is the nonce). A lock left by a process that is
 * dead on this same machine (same hostname, pid gone) is stale: it is taken over automatically with a
 * notice, because no process can still be working under it; a lock from another machine never is.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { BadInputError } from '../../exit-codes.js';
import { privateDir, stateDir, who } from './session.js';

const lockInfoSchema = z.strictObject({
  id: z.string(),
  cluster: z.string(),
  session: z.string(),
  who: z.string(),
  hostname: z.string(),
  pid: z.number().int(),
  createdAt: z.string(),
  operation: z.string(),
});
export type LockInfo = z.infer<typeof lockInfoSchema>;

export class LockedError extends BadInputError {
  constructor(
    readonly info: LockInfo,
    readonly stale: boolean,
  ) {
    super(
      [
        `cluster ${info.cluster} is locked${stale ? ' (stale: its process is gone)' : ''}:`,
        `  ID:        ${info.id}`,
        `  Operation: ${info.operation}`,
        `  Session:   ${info.session}`,
        `  Who:       ${info.who}`,
        `  PID:       ${info.pid} on ${info.hostname}`,
        `  Created:   ${info.createdAt}`,
      ].join('\n'),
      `if no other ha-wizard is working on this cluster, pass --force-unlock ${info.id}`,
    );
  }
}

export interface Lock {
  info: LockInfo;
  /** The stale lock that was taken over, if any (for a notice). */
  tookOver: LockInfo | null;
  release(): void;
}

function lockPath(cluster: string, env: NodeJS.ProcessEnv): string {
  return join(stateDir(env), 'locks', `${cluster}.json`);
}

function readLock(path: string): LockInfo | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = lockInfoSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new BadInputError(`${path}: not a lock file (${parsed.error.issues[0]?.message ?? 'invalid'})`, 'remove it by hand if no ha-wizard is running');
  return parsed.data;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function isStale(info: LockInfo): boolean {
  return info.hostname === hostname() && !pidAlive(info.pid);
}

export interface AcquireOptions {
  cluster: string;
  session: string;
  operation: string;
  /** The exact id of a lock to break. */
  forceUnlock?: string;
  env?: NodeJS.ProcessEnv;
}

export function acquireLock(opts: AcquireOptions): Lock {
  const env = opts.env ?? process.env;
  const path = lockPath(opts.cluster, env);
  privateDir(join(stateDir(env), 'locks'));
  const info: LockInfo = {
    id: randomBytes(8).toString('hex'),
    cluster: opts.cluster,
    session: opts.session,
    who: who(),
    hostname: hostname(),
    pid: process.pid,
    createdAt: new Date().toISOString(),
    operation: opts.operation,
  };
  const tmp = `${path}.${info.id}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(info, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  let tookOver: LockInfo | null = null;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, path);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 3) throw err;
      }
      const held = readLock(path);
      if (!held) continue; // released between our link and our read
      if (opts.forceUnlock !== undefined) {
        if (opts.forceUnlock !== held.id) {
          throw new BadInputError(`--force-unlock ${opts.forceUnlock} does not match the lock on cluster ${held.cluster} (ID ${held.id})`, 'the exact ID is required');
        }
        breakLock(path, held);
        tookOver = held;
        continue;
      }
      if (isStale(held)) {
        breakLock(path, held);
        tookOver = held;
        continue;
      }
      throw new LockedError(held, false);
    }
  } finally {
    unlinkSync(tmp);
  }
  return {
    info,
    tookOver,
    release() {
      const current = readLock(path);
      if (current?.id === info.id) unlinkSync(path);
    },
  };
}

/** Moves the lock aside, then checks that what moved is the lock we meant to break (not a fresh one). */
function breakLock(path: string, held: LockInfo): void {
  const aside = `${path}.broken-${held.id}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = readLock(aside);
  if (moved && moved.id !== held.id) {
    // Someone else took the lock in between: put theirs back.
    try {
      linkSync(aside, path);
    } finally {
      unlinkSync(aside);
    }
    throw new LockedError(moved, false);
  }
  unlinkSync(aside);
}

export function currentLock(cluster: string, env: NodeJS.ProcessEnv = process.env): LockInfo | null {
  return readLock(lockPath(cluster, env));
}
