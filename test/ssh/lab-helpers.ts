/** Shared pieces of the SSH lab tests (not a test file). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { LabState } from '../../lab/lab.js';
import { HostPool, type HostPoolOptions } from '../../src/ssh/pool.js';
import type { RemoteHost } from '../../src/engine/model/remote-host.js';

/** A lab name unique to this process (namespaces are prefixed with it; at most 16 characters). */
export function labName(prefix: string): string {
  return `${prefix}${process.pid % 100000}`.slice(0, 16);
}

/** A pool over the lab's nodes, reached as `ssh -F DIR/ssh_config <name>` would. */
export function labPool(state: LabState, opts: HostPoolOptions = {}): HostPool {
  const nodes = state.nodes.filter((n) => n.role !== 'bastion').map((n) => ({ name: n.name, address: n.name }));
  return new HostPool(nodes, { sshConfig: { configPath: join(state.dir, 'ssh_config') }, agentSocket: null, connectTimeoutMs: 10_000, ...opts });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Rewrites `path` on the host many times with big files of two versions while a loop on the host `cat`s it;
 * every read must hash to one of the versions (never a mix, never empty).
 */
export async function assertAtomicUnderConcurrentReads(host: RemoteHost, path: string): Promise<void> {
  const versions = [Buffer.alloc(3 * 1024 * 1024 + 17, 'A'), Buffer.alloc(2 * 1024 * 1024 + 5, 'B')];
  const hashes = versions.map(sha);
  await host.writeFileAtomic(path, versions[0]!, { mode: 0o644 });
  const stop = `${path}.stop`;
  const reader = host.exec([
    'sh',
    '-c',
    'n=0; while [ ! -e "$2" ] || [ "$n" -lt 3 ]; do cat -- "$1" | sha256sum; n=$((n+1)); done | sort | uniq -c',
    'reader',
    path,
    stop,
  ]);
  for (let i = 1; i <= 8; i++) await host.writeFileAtomic(path, versions[i % 2]!, { mode: 0o644 });
  await host.writeFileAtomic(stop, '', { mode: 0o644 });
  const r = await reader;
  assert.equal(r.code, 0, r.stderr);
  const seen = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
  let reads = 0;
  for (const [count, digest] of seen) {
    assert.ok(hashes.includes(digest!), `a reader saw content that is neither version: ${digest} (x${count})`);
    reads += Number(count);
  }
  assert.ok(reads >= 3, `the reader ran ${reads} times`);
  assert.deepEqual(await host.sha256(path), hashes[0]);
  const dir = path.slice(0, path.lastIndexOf('/')) || '/';
  const leftovers = await host.exec(['sh', '-c', 'ls -a -- "$1" | grep -c ha-wizard-tmp || true', 'ls', dir]);
  assert.equal(leftovers.stdout.trim(), '0', 'temporary files left behind');
  await host.exec(['rm', '-f', '--', path, stop]);
}
