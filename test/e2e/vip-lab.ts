/**
 * Helpers of the virtual IP's lab test and benchmark (issue #16): who holds the address, what a node's /etc looks
 * like byte for byte, and one failover drill run directly with the drill's own scripts (steps/kit/vip-drill.ts), so
 * a benchmark can repeat it on a converted lab without planning a conversion again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { labExec, labUp, nodeExec, type LabNode, type LabState, type RunResult } from '../../lab/lab.js';
import type { LabIpFamily, LabVip } from '../../lab/layout.js';
import { parseJsonLines } from '../../src/reporters/json.js';
import { applyTiming, formatTiming, sessionDirs } from './timing.js';
import { run, sleep } from '../../lab/sys.js';
import { CUT_HOLDER, PROBER_DIR, PROBER_REPORT, PROBER_START } from '../../steps/kit/vip-drill.js';
import { WORKER_PROBE_CLIENT } from '../../steps/kit/endpoint.js';
import { hostPort } from '../../src/pki/hosts.js';
import { controlPlanes, etcKubernetes, etcdMembers, kubeconfigServer, ok, sanSet, snapshot, treeDiff, type Snapshot } from './judges.js';

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

/** An IP as openssl prints it in a SAN: IPv4 as is, IPv6 as 8 upper-case hex groups without leading zeros. */
export function opensslIP(ip: string): string {
  if (!ip.includes(':')) return ip;
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => parseInt(g, 16).toString(16).toUpperCase()).join(':');
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// ---------------------------------------------------------------------------------------------------------
// The lab test's conversion and checks (vip.lab.test.ts, ipv6.lab.test.ts)

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

/** The bound the drill must meet through the virtual IP (seconds from the last answer before the cut to the first after). */
export const RECOVERY_BOUND_S = { keepalived: 10, 'kube-vip': 15 } as const;

export interface VipTestContext {
  /** Lab name prefix. */
  tag: string;
  /** Lab directories made, for the file's after() to take down. */
  made: string[];
  /** kubectl's environment (its own cache directory). */
  env: NodeJS.ProcessEnv;
}

export interface Converted {
  s: LabState;
  stateDir: string;
  session: string;
  vip: string;
  endpointHost: string;
  endpointPort: number;
  before: Snapshot;
  etcBefore: Map<string, Map<string, string>>;
  holdersBefore: string[];
  apply: RunResult;
  /** The drill's measurement event (name vip-failover). */
  drill: { requests: number; failed: number; recoverySeconds: number } | null;
  preflight?: RunResult;
}

export function wizard(c: Pick<Converted, 's' | 'stateDir'>, args: string[], timeoutMs = 900_000): Promise<RunResult> {
  return labExec(c.s.dir, ['env', `HA_WIZARD_STATE_DIR=${c.stateDir}`, process.execPath, CLI, ...args], { timeoutMs });
}

async function etcTrees(s: LabState): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  for (const n of s.nodes) out.set(n.name, await etcTree(s, n.name));
  return out;
}

export async function convert(ctx: VipTestContext, suffix: string, provider: LabVip, opts: { dnsEndpoint?: boolean; ipFamily?: LabIpFamily; beforeApply?: (c: Pick<Converted, 's' | 'stateDir'>) => Promise<RunResult> }): Promise<Converted> {
  const dir = mkdtempSync(join(tmpdir(), `hawe2e-vip${suffix}-`));
  ctx.made.push(dir);
  const s = await labUp({ dir, name: `${ctx.tag}${suffix}`, vip: provider, promote: 2, workers: 1, ...(opts.dnsEndpoint ? { dnsEndpoint: true } : {}), ...(opts.ipFamily ? { ipFamily: opts.ipFamily } : {}) });
  const stateDir = join(dir, 'state');
  const cfg = parse(readFileSync(join(dir, 'cluster.yaml'), 'utf8')) as { endpoint: { host: string; port: number }; proxy: { vip?: { address?: string } } };
  const vip = cfg.proxy.vip?.address ?? cfg.endpoint.host;
  const preflight = opts.beforeApply ? await opts.beforeApply({ s, stateDir }) : undefined;
  const nodes = s.nodes.map((n) => n.name);
  const before = await snapshot(s, nodes);
  const etcBefore = await etcTrees(s);
  const holdersBefore = await vipHolders(s, vip);
  const t0 = Date.now();
  const apply = await wizard({ s, stateDir }, ['apply', '-c', join(dir, 'cluster.yaml'), '--yes', '--failover-drill', '--json']);
  const wallMs = Date.now() - t0;
  const sessionDir = sessionDirs(stateDir)[0]!;
  if (apply.code === 0) process.stdout.write(`# ${formatTiming(`1 -> 3 vip ${provider}${opts.dnsEndpoint ? ' dns' : ''}${opts.ipFamily ? ` ${opts.ipFamily}` : ''} (with the drill)`, applyTiming(sessionDir, t0, wallMs))}\n`);
  let drill: Converted['drill'] = null;
  try {
    const m = parseJsonLines(apply.stdout).find((e) => e.type === 'measurement' && e.name === 'vip-failover');
    if (m && m.type === 'measurement') drill = { requests: Number(m.values['requests']), failed: Number(m.values['failed']), recoverySeconds: Number(m.values['recoverySeconds']) };
  } catch {
    drill = null;
  }
  if (drill) process.stdout.write(`# vip drill ${provider}: ${drill.failed} of ${drill.requests} requests failed, recovery ${drill.recoverySeconds} s\n`);
  return { s, stateDir, session: sessionDir.split('/').pop()!, vip, endpointHost: cfg.endpoint.host, endpointPort: cfg.endpoint.port, before, etcBefore, holdersBefore, apply, drill, ...(preflight ? { preflight } : {}) };
}

export const urlHost = (h: string) => (h.includes(':') ? `[${h}]` : h);

/** The checks both providers share, as tests of the enclosing describe. */
export function judgeVip(ctx: VipTestContext, get: () => Converted, provider: LabVip, beforeRollback: () => void = () => undefined): void {
  const env = ctx.env;
  test('apply (conversion and failover drill) exits 0', () => {
    const { apply } = get();
    assert.equal(apply.code, 0, `apply failed (${apply.code}):\n${apply.stdout.slice(-6000)}\n${apply.stderr.slice(-4000)}`);
  });

  test(`the drill stopped the holder's network and measured through the virtual IP from w1: requests failed, the endpoint answered again with a verified certificate within ${RECOVERY_BOUND_S[provider]} s`, () => {
    const { drill } = get();
    assert.ok(drill, 'apply --json reported no vip-failover measurement');
    assert.ok(drill.requests > 50, `only ${drill.requests} requests`);
    assert.ok(drill.failed > 0, 'no request failed: no node was stopped');
    assert.ok(drill.recoverySeconds > 0 && drill.recoverySeconds < RECOVERY_BOUND_S[provider], `recovery ${drill.recoverySeconds} s`);
  });

  test('before: the virtual IP on no node; after the conversion and the drill: on exactly one control-plane node, the agent running on each', async () => {
    const { s, vip, holdersBefore } = get();
    assert.deepEqual(holdersBefore, [], `${vip} held before the conversion`);
    const holders = await vipHolders(s, vip);
    assert.equal(holders.length, 1, `${vip} held by ${JSON.stringify(holders)}`);
    assert.ok(controlPlanes(s).some((n) => n.name === holders[0]), `${holders[0]} is not a control-plane node`);
    for (const n of controlPlanes(s)) ok(await nodeExec(s, n, ['pgrep', '-x', provider], { timeoutMs: 10_000 }), `${provider} on ${n.name}`);
  });

  test("every apiserver's certificate carries the virtual IP (and a DNS-name endpoint); etcd has 3 voting members", async () => {
    const { s, vip, endpointHost } = get();
    for (const n of controlPlanes(s)) {
      const sans = await sanSet(s, etcKubernetes(s, n.name, 'pki/apiserver.crt'));
      assert.ok(sans.includes(`IP:${opensslIP(vip)}`), `${n.name}: ${sans.join(', ')}`);
      if (endpointHost !== vip) assert.ok(sans.includes(`DNS:${endpointHost}`), `${n.name}: ${sans.join(', ')}`);
    }
    const members = await etcdMembers(s);
    assert.deepEqual(members.map((m) => m.name).sort(), ['cp1', 'cp2', 'cp3']);
    assert.ok(members.every((m) => !m.isLearner));
  });

  test("the endpoint is the virtual IP's: the worker's kubelet.conf, admin.conf, kubeadm-config and cluster-info name it; kubectl through it", async () => {
    const { s, endpointHost, endpointPort, vip } = get();
    const server = `https://${urlHost(endpointHost)}:${endpointPort}`;
    assert.equal(kubeconfigServer(etcKubernetes(s, 'w1', 'kubelet.conf')), server);
    for (const n of controlPlanes(s)) assert.equal(kubeconfigServer(etcKubernetes(s, n.name, 'admin.conf')), server, `${n.name} admin.conf`);
    // Through the address itself, from the client end (which has no /etc/hosts entry for a DNS name: --tls-server-name).
    const kube = (args: string[]) =>
      labExec(s.dir, ['kubectl', '--kubeconfig', etcKubernetes(s, 'cp1', 'admin.conf'), '--server', `https://${urlHost(vip)}:${endpointPort}`, ...(endpointHost !== vip ? ['--tls-server-name', endpointHost] : []), '--request-timeout=20s', ...args], { env, timeoutMs: 60_000 });
    const ci = JSON.parse(ok(await kube(['get', 'cm', '-n', 'kube-public', 'cluster-info', '-o', 'json']), 'cluster-info')) as { data: { kubeconfig: string } };
    assert.equal((parse(ci.data.kubeconfig) as { clusters: Array<{ cluster: { server: string } }> }).clusters[0]!.cluster.server, server);
    const cc = JSON.parse(ok(await kube(['get', 'cm', '-n', 'kube-system', 'kubeadm-config', '-o', 'json']), 'kubeadm-config')) as { data: { ClusterConfiguration: string } };
    const conf = parse(cc.data.ClusterConfiguration) as { controlPlaneEndpoint: string; apiServer: { certSANs?: string[] } };
    assert.equal(conf.controlPlaneEndpoint, `${urlHost(endpointHost)}:${endpointPort}`);
    assert.ok(conf.apiServer.certSANs?.includes(endpointHost), JSON.stringify(conf.apiServer));
    const table = ok(await kube(['get', 'nodes']), 'kubectl get nodes through the virtual IP');
    for (const n of ['cp1', 'cp2', 'cp3', 'w1']) assert.match(table, new RegExp(`^${n}\\s+Ready\\s`, 'm'), table);
  });

  beforeRollback();

  test('rollback: every node has its files of before byte for byte (/etc/kubernetes, /etc), the virtual IP is on no node, no agent runs', async () => {
    const c = get();
    assert.equal(c.apply.code, 0, 'apply failed: nothing to roll back');
    const t0 = Date.now();
    const r = await wizard(c, ['rollback', c.session, '--past-point-of-no-return', '--yes']);
    process.stdout.write(`# vip ${provider}: full rollback ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    assert.equal(r.code, 0, `rollback failed (${r.code}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-3000)}`);
    const nodes = c.s.nodes.map((n) => n.name);
    const now = await snapshot(c.s, nodes);
    assert.deepEqual(nodes.flatMap((n) => treeDiff(c.before.get(n)!, now.get(n)!, n)), [], '/etc/kubernetes');
    const etcNow = await etcTrees(c.s);
    const etcDiff = nodes.flatMap((n) => {
      const a = c.etcBefore.get(n)!;
      const b = etcNow.get(n)!;
      return [...new Set([...a.keys(), ...b.keys()])].filter((p) => a.get(p) !== b.get(p)).map((p) => `${n}: ${p} ${a.get(p) ?? '(absent)'} -> ${b.get(p) ?? '(absent)'}`);
    });
    assert.deepEqual(etcDiff, [], '/etc overlays');
    assert.deepEqual(await vipHolders(c.s, c.vip), [], `${c.vip} left on a node`);
    for (const n of controlPlanes(c.s)) {
      const p = await nodeExec(c.s, n, ['pgrep', '-x', provider], { timeoutMs: 10_000 });
      assert.notEqual(p.code, 0, `${provider} still runs on ${n.name}: ${p.stdout}`);
    }
    const members = await etcdMembers(c.s);
    assert.deepEqual(members.map((m) => m.name), ['cp1']);
    // The old endpoint (the master) serves the cluster again.
    const table = ok(await labExec(c.s.dir, ['kubectl', '--kubeconfig', etcKubernetes(c.s, 'cp1', 'admin.conf'), '--request-timeout=20s', 'get', 'nodes'], { env, timeoutMs: 60_000 }), 'kubectl after rollback');
    assert.match(table, /^w1\s+Ready\s/m, table);
  });
}

