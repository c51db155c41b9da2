/**
 * Files read once and reused while unchanged: a fan-out to 50 hosts checks 50 host keys against the same
 * known_hosts and signs with the same identity file. Never stale: every get() stats the file, and a cached
 * parse is used only when device, inode, size, mtime and ctime are all the same. A file whose ctime was recent
 * when it was read is not cached at all: two writes within one timestamp tick can leave every stat field
 * equal (git's "racily clean" problem), so only a settled file is served from the cache.
 */
import type { BigIntStats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

/** A file changed less than this long before it was read may change again without a visible stat change. */
const SETTLED_MS = 2000;

export class SettledFileCache<T> {
  private readonly files = new Map<string, { id: string; value: T }>();
  private readonly inflight = new Map<string, Promise<T | null>>();
  private readonly settledNs: bigint;

  /**
   * `parse` must not depend on anything but the bytes; its result is shared by every caller.
   * `settledMs`: how long ago a file must have changed to be cached (tests use 0 to see the cache work).
   */
  constructor(
    private readonly parse: (data: Buffer, path: string) => T,
    settledMs = SETTLED_MS,
  ) {
    this.settledNs = BigInt(Math.round(settledMs * 1e6));
  }

  /**
   * The parsed file, or null when it does not exist. Other read errors reject (EACCES, EISDIR, ...).
   * Callers arriving while a look at the same file is under way share it (a fan-out asks 50 times at once):
   * its stat started before they asked, by no more than one stat's time.
   */
  get(path: string): Promise<T | null> {
    const pending = this.inflight.get(path);
    if (pending) return pending;
    const p = this.look(path);
    this.inflight.set(path, p);
    const done = () => this.inflight.get(path) === p && this.inflight.delete(path);
    p.then(done, done);
    return p;
  }

  private async look(path: string): Promise<T | null> {
    let st: BigIntStats;
    try {
      st = await stat(path, { bigint: true });
    } catch (err) {
      if (isMissing(err)) {
        this.files.delete(path);
        return null;
      }
      throw err;
    }
    const id = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const cached = this.files.get(path);
    if (cached && cached.id === id) return cached.value;
    // Taken before the read: had the file changed after the stat, its next stat differs from `id` and it is read again.
    const now = BigInt(Date.now()) * 1_000_000n;
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (err) {
      this.files.delete(path);
      if (isMissing(err)) return null;
      throw err;
    }
    const value = this.parse(data, path);
    if (st.isFile() && now - st.ctimeNs > this.settledNs) this.files.set(path, { id, value });
    else this.files.delete(path);
    return value;
  }

  clear(): void {
    this.files.clear();
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
