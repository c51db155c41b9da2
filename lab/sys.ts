/**
 * The lab's edge to the system: running programs, `ip -batch`, and single passes over /proc.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, timeout: opts.timeoutMs });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs and throws (with the command's stderr) unless it exits 0. */
export async function mustRun(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r;
}

/** One `ip` process for many commands, optionally inside a named namespace. */
export async function ipBatch(lines: readonly string[], opts: { netns?: string; force?: boolean } = {}): Promise<RunResult> {
  if (lines.length === 0) return { code: 0, stdout: '', stderr: '' };
  const args = [...(opts.netns ? ['-n', opts.netns] : []), ...(opts.force ? ['-force'] : []), '-batch', '-'];
  const input = `${lines.join('\n')}\n`;
  return opts.force ? run('ip', args, { input }) : mustRun('ip', args, { input });
}

/** Runs async jobs with at most `limit` in flight. */
export async function inParallel<T, R>(items: readonly T[], limit: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await job(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function onPath(cmd: string): boolean {
  const dirs = cmd.includes('/') ? [''] : (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  return dirs.some((d) => {
    try {
      accessSync(d ? join(d, cmd) : cmd, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** `net:[4026…]` of a process, or null when it is gone or a zombie. */
export function netnsIdOf(pid: number | 'self'): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return null;
  }
}

/**
 * True unless this process is provably outside the initial network namespace. PID 1's link can be
 * unreadable (EACCES seen here for a non-dumpable init), so kthreadd (PID 2, always in the initial
 * namespace) is asked too; when neither answers, the answer is "root", the safe side: the lab then
 * makes its own client namespace instead of putting a lab address here.
 */
export function isRootNetns(): boolean {
  const self = netnsIdOf('self');
  const refs = [netnsIdOf(1), netnsIdOf(2)].filter((r): r is string => r !== null);
  return self === null || refs.length === 0 || refs.includes(self);
}

/** Every live process with its network namespace: one pass over /proc. */
export function processesByNetns(): { pid: number; netns: string }[] {
  const out: { pid: number; netns: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ns = netnsIdOf(Number(entry));
    if (ns) out.push({ pid: Number(entry), netns: ns });
  }
  return out;
}

/** Parent PIDs of the given processes' children: pid → first child found (one pass over /proc). */
export function firstChildren(parents: ReadonlySet<number>): Map<number, number> {
  const found = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentOf(Number(entry));
    if (ppid !== null && parents.has(ppid) && !found.has(ppid)) found.set(ppid, Number(entry));
  }
  return found;
}

function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; fields after the last ')' are fixed.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function parentOf(pid: number): number | null {
  const f = statFields(pid);
  return f?.[1] ? Number(f[1]) : null;
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const f = statFields(pid);
  return f !== null && f[0] !== 'Z';
}

/** True when the network namespace of `pid` has a TCP listener on `port` (reads /proc/PID/net/tcp). */
export function listensOn(pid: number, port: number): boolean {
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  // IPv4 sockets in net/tcp, IPv6 ones (an IPv6-only lab's sshd) in net/tcp6.
  return ['tcp', 'tcp6'].some((table) => {
    try {
      return readFileSync(`/proc/${pid}/net/${table}`, 'utf8')
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .some((f) => (f[1] ?? '').endsWith(suffix) && f[3] === '0A');
    } catch {
      return false;
    }
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

