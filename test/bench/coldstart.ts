/**
 * Benchmark (not a test): cold start of `ha-wizard --help` versus `node -e 0`, measured the same way in
 * the same run (hyperfine when installed, else interleaved spawns). Target: ≤ 2.5× node -e 0.
 * Run: `node dist/test/bench/coldstart.js [runs]`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function spawnMs(argv: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}`);
  return ms;
}

export function benchColdStart(runs = 30): { helpMs: number; nodeMs: number; ratio: number } {
  const help = [process.execPath, cli, '--help'];
  const bare = [process.execPath, '-e', '0'];
  let helpMs: number;
  let nodeMs: number;
  let how: string;
  if (spawnSync('sh', ['-c', 'command -v hyperfine']).status === 0) {
    const r = spawnSync('hyperfine', ['-N', '--warmup', '3', '--runs', String(runs), '--export-json', '/dev/stdout', '--style', 'none', help.join(' '), bare.join(' ')], { encoding: 'utf8' });
    const j = JSON.parse(r.stdout) as { results: Array<{ median: number }> };
    helpMs = j.results[0]!.median * 1000;
    nodeMs = j.results[1]!.median * 1000;
    how = 'hyperfine -N';
  } else {
    for (let i = 0; i < 3; i++) spawnMs(help), spawnMs(bare);
    const a: number[] = [];
    const b: number[] = [];
    // Interleaved, so a burst of load from elsewhere hits both sides alike.
    for (let i = 0; i < runs; i++) {
      a.push(spawnMs(help));
      b.push(spawnMs(bare));
    }
    helpMs = median(a);
    nodeMs = median(b);
    how = `${runs} interleaved spawns each`;
  }
  const ratio = helpMs / nodeMs;
  process.stdout.write(`cold start (${how}): ha-wizard --help median ${helpMs.toFixed(1)} ms, node -e 0 median ${nodeMs.toFixed(1)} ms, ratio ${ratio.toFixed(2)} (target ≤ 2.5)\n`);
  return { helpMs, nodeMs, ratio };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) benchColdStart(Number(process.argv[2] ?? 30));
