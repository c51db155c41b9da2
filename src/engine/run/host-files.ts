/**
 * The file primitives writes, removes and their undo are built from: a file's state (hash, mode, owner), the
 * on-host backup of an original and its restore. Every step goes through the run's guarded host access
 * (RunContext.host / guard), so a second Ctrl-C never waits for a slow host.
 */
import type { FileState } from '../records/journal.js';
import { sha256 } from '../model/hash.js';
import { RemoteError, type RemoteHost } from '../model/remote-host.js';
import { ActionError } from './errors.js';
import type { RunContext } from './context.js';

/** Where a session keeps the originals of the files it replaces, on each host (0700). */
export function backupRoot(session: string): string {
  return `/etc/kubernetes/tmp/ha-wizard-backup-${session}`;
}

/** Files up to this size are hashed on the workstation (read over SFTP) rather than by sha256sum on the host. */
const LOCAL_HASH_MAX_BYTES = 256 * 1024;

/** Per run: `host:path` of backups chooseBackup found absent, so makeBackup need not hash them again. */
const freeBackups = new WeakMap<RunContext, Set<string>>();
/** Per run: the hosts where this run made (or found) the session's backup directory, 0700. */
const backupRootMade = new WeakMap<RunContext, Set<string>>();

function perRun(map: WeakMap<RunContext, Set<string>>, ctx: RunContext): Set<string> {
  let s = map.get(ctx);
  if (!s) map.set(ctx, (s = new Set()));
  return s;
}

function freeBackupsOf(ctx: RunContext): Set<string> {
  return perRun(freeBackups, ctx);
}

/** `mkdir -p -m 0700` of the backup root, once per host and run: a process on the host per backup adds up over a fleet. */
async function ensureBackupRoot(ctx: RunContext, hostName: string): Promise<void> {
  const made = perRun(backupRootMade, ctx);
  if (made.has(hostName)) return;
  await ctx.run(hostName, ['mkdir', '-p', '-m', '0700', backupRoot(ctx.session.id)]);
  made.add(hostName);
}

function readOrNull(h: RemoteHost, path: string): Promise<Buffer | null> {
  return h.readFile(path).catch((err: unknown) => {
    if (err instanceof RemoteError && err.code === 'ENOENT') return null;
    throw err;
  });
}

/**
 * sha256 of a remote file (null: absent). A small file (configs, certificates, manifests: nearly all this tool
 * touches) is read over the open connection and hashed here, so no process is started on the host, which adds
 * up over a fleet; a large or unknown-size one is hashed on the host, so it never crosses the network.
 */
async function hashOf(ctx: RunContext, h: RemoteHost, path: string, size: number | undefined): Promise<string | null> {
  if (size === undefined || size > LOCAL_HASH_MAX_BYTES) return ctx.guard(h.sha256(path));
  const data = await ctx.guard(readOrNull(h, path));
  return data ? sha256(data) : null;
}

export async function fileState(ctx: RunContext, hostName: string, path: string): Promise<FileState | null> {
  const h = await ctx.host(hostName);
  const st = await ctx.guard(h.stat(path));
  if (!st.exists) return null;
  const sum = await hashOf(ctx, h, path, st.size);
  if (sum === null) return null;
  return { sha256: sum, mode: (st.mode ?? 0) & 0o7777, uid: st.uid ?? 0, gid: st.gid ?? 0 };
}

/**
 * Where the original of `path` is (or will be) saved on its host. Read-only, so it can be journaled
 * before the backup is made. A backup already holding exactly `before` is reused; a different one
 * (an earlier action of this session replaced the same file) gets a numbered sibling.
 */
export async function chooseBackup(ctx: RunContext, hostName: string, path: string, before: FileState): Promise<string> {
  const h = await ctx.host(hostName);
  const base = `${backupRoot(ctx.session.id)}${path}`;
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}.${n}`;
    const st = await ctx.guard(h.stat(candidate));
    const sum = st.exists ? await hashOf(ctx, h, candidate, st.size) : null;
    if (sum === null) freeBackupsOf(ctx).add(`${hostName}:${candidate}`);
    if (sum === null || sum === before.sha256) return candidate;
  }
}

/** Saves the original (byte for byte, mode and owner) unless the backup already holds it. */
export async function makeBackup(ctx: RunContext, hostName: string, path: string, backup: string, before: FileState): Promise<void> {
  const h = await ctx.host(hostName);
  const free = freeBackupsOf(ctx).delete(`${hostName}:${backup}`);
  if (!free && (await ctx.guard(h.sha256(backup))) === before.sha256) return;
  // Read once and hash here: the bytes saved are exactly the bytes checked.
  const data = await ctx.guard(readOrNull(h, path));
  const current = data ? sha256(data) : null;
  if (!data || current !== before.sha256) {
    throw new ActionError(`${hostName}: ${path} changed (sha256 ${current ?? 'absent'}) before its original could be saved; the original (sha256 ${before.sha256}) is not in ${backup}`);
  }
  await ensureBackupRoot(ctx, hostName);
  await ctx.guard(h.writeFileAtomic(backup, data, { mode: before.mode, owner: `${before.uid}:${before.gid}` }));
  const saved = await hashOf(ctx, h, backup, data.length);
  if (saved !== before.sha256) throw new ActionError(`${hostName}: backup ${backup} does not match the original (sha256 ${saved ?? 'absent'}, expected ${before.sha256})`);
}

/** Puts a file back exactly as it was, from its backup. */
export async function restoreFromBackup(ctx: RunContext, hostName: string, path: string, backup: string, before: FileState): Promise<void> {
  const h = await ctx.host(hostName);
  const saved = await ctx.guard(h.sha256(backup));
  if (saved !== before.sha256) {
    throw new ActionError(`${hostName}: cannot restore ${path}: its backup ${backup} is ${saved === null ? 'missing' : `different (sha256 ${saved})`}; the original had sha256 ${before.sha256}`);
  }
  const data = await ctx.guard(h.readFile(backup));
  await ctx.guard(h.writeFileAtomic(path, data, { mode: before.mode, owner: `${before.uid}:${before.gid}`, removeStaleTemps: true }));
  const now = await fileState(ctx, hostName, path);
  if (now?.sha256 !== before.sha256 || now.mode !== before.mode) {
    throw new ActionError(`${hostName}: ${path} after restore is sha256 ${now?.sha256 ?? 'absent'} mode ${now ? `0${now.mode.toString(8)}` : '-'}, expected ${before.sha256} mode 0${before.mode.toString(8)}`);
  }
}

export async function removeFile(ctx: RunContext, hostName: string, path: string): Promise<void> {
  await ctx.run(hostName, ['rm', '-f', '--', path]);
}

/**
 * The directories of `dir` and above that do not exist, deepest first (what writing a file into `dir` would make).
 * Read-only: stats up to the first directory that exists.
 */
export async function missingDirs(ctx: RunContext, hostName: string, dir: string): Promise<string[]> {
  const h = await ctx.host(hostName);
  const out: string[] = [];
  for (let d = dir; d !== '/' && d !== '' && d !== '.'; d = d.slice(0, d.lastIndexOf('/')) || '/') {
    if ((await ctx.guard(h.stat(d))).exists) break;
    out.push(d);
  }
  return out;
}

/** Removes each directory (deepest first) that is empty now; one that holds something is left as it is. */
export async function removeEmptyDirs(ctx: RunContext, hostName: string, dirs: readonly string[]): Promise<string[]> {
  if (!dirs.length) return [];
  const h = await ctx.host(hostName);
  const removed: string[] = [];
  for (const d of dirs) {
    // rmdir removes only an empty directory: anything someone put there since keeps it (and its parents).
    const r = await ctx.guard(h.exec(['rmdir', '--', d]));
    if (r.code === 0) removed.push(d);
  }
  return removed;
}
