/**
 * Helpers of the virtual IP's lab test and benchmark (issue #16): who holds the address, what a node's /etc looks
 * like byte for byte, and one failover drill run directly with the drill's own scripts (steps/kit/vip-drill.ts), so
 * a benchmark can repeat it on a converted lab without planning a conversion again.
 */
import assert from 'node:assert/strict';
import { nodeExec, type LabNode, type LabState } from '../../lab/lab.js';
import { run, sleep } from '../../lab/sys.js';
import { CUT_HOLDER, PROBER_DIR, PROBER_REPORT, PROBER_START } from '../../steps/kit/vip-drill.js';
import { WORKER_PROBE_CLIENT } from '../../steps/kit/endpoint.js';
import { hostPort } from '../../src/pki/hosts.js';
import { controlPlanes, ok } from './judges.js';

/** The nodes (by name) whose eth0 carries `address` right now. */
export async function vipHolders(s: LabState, address: string): Promise<string[]> {
  const out: string[] = [];
  for (const n of s.nodes.filter((x) => x.role !== 'bastion')) {
    const r = await nodeExec(s, n, ['ip', '-o', 'addr', 'show'], { timeoutMs: 20_000 });
    if (r.code !== 0) throw new Error(`ip addr on ${n.name}: ${r.stderr}`);
    if (r.stdout.split('\n').some((l) => l.split(/\s+/).some((f) => f.split('/')[0] === address))) out.push(n.name);
  }
  return out;
}

/**
 * Every entry of a node's overlays over /etc, /etc/haproxy and /etc/nginx as the node changed them (the upper
 * layers): regular files by sha256, symbolic links by target, whiteouts by kind, directories the host's tree does
 * not have. So a file written and not removed, a unit enabled and not disabled, or a directory made and left all show.
 */
export async function etcTree(s: LabState, name: string): Promise<Map<string, string>> {
  const n = s.nodes.find((x) => x.name === name)!;
  const out = new Map<string, string>();
  for (const [sub, lower] of [['etc.upper', '/etc'], ['etc-haproxy', '/etc/haproxy'], ['etc-nginx', '/etc/nginx']] as const) {
    const script = [
      'cd "$1" || exit 0',
      'find . -mindepth 1 -print0 | sort -z | while IFS= read -r -d "" p; do',
      '  if [ -L "$p" ]; then echo "$p link $(readlink "$p")";',
      '  elif [ -f "$p" ]; then echo "$p file $(sha256sum < "$p" | cut -c1-64)";',
      '  elif [ -c "$p" ]; then echo "$p whiteout";',
      // A directory of the host's tree shows in the upper layer once a file in it was written (copied up): the node
      // sees the same directory before and after; only one the host does not have is the node's own.
      '  elif [ -d "$p" ]; then [ -d "$2/${p#./}" ] || echo "$p dir";',
      '  else echo "$p other"; fi',
      'done',
    ].join('\n');
    const text = ok(await run('bash', ['-c', script, 'tree', `${n.hostDir}/${sub}`, lower]), `${name} ${sub}`);
    for (const line of text.split('\n').filter(Boolean)) {
      const m = /^\.\/(\S+) (.+)$/.exec(line);
      assert.ok(m, `unexpected line ${line}`);
      out.set(`${sub}/${m[1]}`, m[2]!);
    }
  }
  return out;
}

export interface DrillResult {
  requests: number;
  failed: number;
  recoverySeconds: number;
  holder: string;
}

const DOWN_S = 15;

/** Until `check` is true or `ms` passed; throws with `what`. */
async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(1000);
  }
  throw new Error(`timed out after ${ms / 1000} s: ${what}`);
}

/**
 * Waits until the lab's control plane is whole again after a drill: every apiserver answers /readyz from `worker`,
 * the VIP agent runs on every control-plane node, exactly one holds `address`.
 */
export async function waitWhole(s: LabState, o: { address: string; provider: 'keepalived' | 'kube-vip'; worker: string; apiserverPort: number }, ms = 240_000): Promise<void> {
  const cps = controlPlanes(s);
  const c = WORKER_PROBE_CLIENT;
  for (const n of cps) {
    await until(`${n.name}'s apiserver answers`, ms, async () => {
      const url = `https://${hostPort(n.address, o.apiserverPort)}/readyz`;
      const r = await nodeExec(s, o.worker, ['curl', '-sf', '-o', '/dev/null', '--max-time', '3', '--cacert', c.caPath, '--cert', c.clientCertPath, url], { timeoutMs: 10_000 });
      return r.code === 0;
    });
    await until(`${o.provider} runs on ${n.name}`, ms, async () => {
      const r = await nodeExec(s, n, ['pgrep', '-x', o.provider], { timeoutMs: 10_000 });
      return r.code === 0;
    });
  }
  await until(`one node holds ${o.address}`, ms, async () => (await vipHolders(s, o.address)).length === 1);
}

/** One drill with the drill's scripts: the prober on `worker`, the holder's eth0 down for 15 s, the report. */
export async function drillOnce(s: LabState, o: { address: string; endpoint: string; endpointPort: number; apiserverPort: number; worker: string }): Promise<DrillResult> {
  const cps: LabNode[] = controlPlanes(s);
  const url = `https://${hostPort(o.endpoint, o.endpointPort)}/readyz`;
  const c = WORKER_PROBE_CLIENT;
  const wait = DOWN_S + 40;
  ok(await nodeExec(s, o.worker, ['sh', '-c', PROBER_START, 'drill', PROBER_DIR, url, c.caPath, c.clientCertPath, String(wait + 60)], { timeoutMs: 30_000 }), 'prober start');
  const [holder] = await vipHolders(s, o.address);
  assert.ok(holder, `nobody holds ${o.address}`);
  const prefix = o.address.includes(':') ? 128 : 32;
  for (const n of cps) {
    const others = cps.filter((x) => x !== n).map((x) => x.address);
    ok(await nodeExec(s, n, ['sh', '-c', CUT_HOLDER, 'cut', `${o.address}/${prefix}`, 'eth0', String(DOWN_S), String(o.apiserverPort), ...others], { timeoutMs: 30_000 }), `cut on ${n.name}`);
  }
  const report = ok(await nodeExec(s, o.worker, ['sh', '-c', PROBER_REPORT, 'report', PROBER_DIR, String(wait), '20'], { timeoutMs: (wait + 30) * 1000 }), 'prober report');
  const last = report.trim().split('\n').at(-1)!;
  return { ...(JSON.parse(last) as Omit<DrillResult, 'holder'>), holder };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
