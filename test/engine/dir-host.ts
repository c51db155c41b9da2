/**
 * A RemoteHost whose filesystem is a local directory (`root` + absolute path), for engine unit tests
 * that need state to survive a killed process. Commands run for real on this machine, with every
 * absolute-path argument moved under `root`. The lab tests use the real SSH transport instead.
 */
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Hosts } from '../../src/engine/model/ports.js';
import { RemoteError, type ExecOptions, type ExecResult, type FileStat, type RemoteHost, type WriteOptions } from '../../src/engine/model/remote-host.js';

export class DirHost implements RemoteHost {
  readonly address = '127.0.0.1';
  constructor(
    readonly name: string,
    readonly root: string,
  ) {}

  private p(path: string): string {
    return join(this.root, path);
  }

  async exec(argv: readonly string[], _opts?: ExecOptions): Promise<ExecResult> {
    const mapped = argv.map((a, i) => (i > 0 && a.startsWith('/') ? this.p(a) : a));
    const r = spawnSync(mapped[0]!, mapped.slice(1), { encoding: 'utf8' });
    return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  async readFile(path: string): Promise<Buffer> {
    try {
      return readFileSync(this.p(path));
    } catch (err) {
      throw new RemoteError(`${this.name}: cannot read ${path}`, this.name, (err as NodeJS.ErrnoException).code);
    }
  }

  async stat(path: string): Promise<FileStat> {
    try {
      const s = statSync(this.p(path));
      return { exists: true, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, size: s.size };
    } catch {
      return { exists: false };
    }
  }

  async sha256(path: string): Promise<string | null> {
    try {
      return createHash('sha256').update(readFileSync(this.p(path))).digest('hex');
    } catch {
      return null;
    }
  }

  async writeFileAtomic(path: string, data: Buffer | string, opts: WriteOptions): Promise<void> {
    const target = this.p(path);
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    const tmp = `${target}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w', opts.mode);
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
    closeSync(fd);
    chmodSync(tmp, opts.mode);
    if (opts.owner) {
      const [u, g] = opts.owner.split(':').map(Number);
      if (Number.isInteger(u) && Number.isInteger(g)) chownSync(tmp, u!, g!);
    }
    renameSync(tmp, target);
  }

  forwardOut(): Promise<Duplex> {
    return Promise.reject(new Error('no network in DirHost'));
  }

  async close(): Promise<void> {}
}

export function dirHosts(base: string, names: string[]): Hosts {
  const hosts = new Map(names.map((n) => [n, new DirHost(n, join(base, n))]));
  return {
    async get(name: string) {
      const h = hosts.get(name);
      if (!h) throw new Error(`unknown host ${name}`);
      return h;
    },
  };
}

/** sha256 and mode of every file under dir, by relative path: the "before/after" judge. */
export function treeHashes(dir: string, skip: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (skip(r)) continue;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else {
        const full = join(d, e.name);
        out[r] = `${createHash('sha256').update(readFileSync(full)).digest('hex')} ${(statSync(full).mode & 0o7777).toString(8)}`;
      }
    }
  };
  walk(dir, '');
  return out;
}
