/**
 * Lab benchmarks run inside a private network namespace: lab addresses must never exist in the host's
 * namespace. From the root namespace, re-run the calling script inside a throwaway one; else run `main`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isRootNetns } from '../../lab/sys.js';

export async function runInPrivateNetns(scriptUrl: string, main: () => Promise<void>): Promise<void> {
  if (!isRootNetns()) return main();
  const ns = `hawbench-${process.pid}`;
  spawnSync('ip', ['netns', 'add', ns], { stdio: 'inherit' });
  spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'], { stdio: 'inherit' });
  try {
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, fileURLToPath(scriptUrl), ...process.argv.slice(2)], { stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
  } finally {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'inherit' });
  }
}
