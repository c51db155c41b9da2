/**
 * Issue #16, placement `vip`, end to end on the lab: `ha-wizard apply --failover-drill` converts a single master
 * into 3 control-plane nodes whose endpoint is a virtual IP, the drill cuts the network of the node that holds it
 * and measures from a worker through the address, and a full rollback leaves every node's files byte for byte as
 * they were and the address on no node.
 *
 *   K  keepalived (VRRP, health check on the local apiserver) + HAProxy on 8443 on every control-plane node,
 *      endpoint 10.200.k.10:8443
 *   V  kube-vip (static pod, ARP, leader election) on the apiservers' own 6443, and the endpoint a DNS name,
 *      k8s-api.ha-wizard.lab, in every node's /etc/hosts: first a name missing on one node is a preflight failure
 *      naming it; then certificates carry the name, kubeconfigs and cluster-info name it
 *
 * Failover figures over several drills: test/bench/vip-failover.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { hostPath, labDown, labExec, labUp, nodeExec, type LabState, type RunResult } from '../../lab/lab.js';
import { DNS_ENDPOINT, type LabVip } from '../../lab/layout.js';
import { parseJsonLines } from '../../src/reporters/json.js';
import { controlPlanes, etcKubernetes, etcdMembers, kubeconfigServer, kubectlEnv, node, ok, sanSet, snapshot, treeDiff, type Snapshot } from './judges.js';
import { etcTree, vipHolders } from './vip-lab.js';
import { applyTiming, formatTiming, sessionDirs } from './timing.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const tag = `vp${process.pid % 100000}`;
const fileStart = Date.now();
const made: string[] = [];
const kubeCache = mkdtempSync(join(tmpdir(), 'hawe2e-kcache-'));
const env = kubectlEnv(kubeCache);

/** The bound the drill must meet through the virtual IP (seconds from the last answer before the cut to the first after). */
const RECOVERY_BOUND_S = { keepalived: 10, 'kube-vip': 15 } as const;

after(async () => {
  for (const dir of made) {
    await labDown(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  rmSync(kubeCache, { recursive: true, force: true });
  process.stdout.write(`# vip.lab.test: file wall time ${((Date.now() - fileStart) / 1000).toFixed(1)} s\n`);
});

interface Converted {
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

function wizard(c: Pick<Converted, 's' | 'stateDir'>, args: string[], timeoutMs = 900_000): Promise<RunResult> {
  return labExec(c.s.dir, ['env', `HA_WIZARD_STATE_DIR=${c.stateDir}`, process.execPath, CLI, ...args], { timeoutMs });
}

async function etcTrees(s: LabState): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  for (const n of s.nodes) out.set(n.name, await etcTree(s, n.name));
  return out;
}

async function convert(suffix: string, provider: LabVip, opts: { dnsEndpoint?: boolean; beforeApply?: (c: Pick<Converted, 's' | 'stateDir'>) => Promise<RunResult> }): Promise<Converted> {
  const dir = mkdtempSync(join(tmpdir(), `hawe2e-vip${suffix}-`));
  made.push(dir);
  const s = await labUp({ dir, name: `${tag}${suffix}`, vip: provider, promote: 2, workers: 1, ...(opts.dnsEndpoint ? { dnsEndpoint: true } : {}) });
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
  if (apply.code === 0) process.stdout.write(`# ${formatTiming(`1 -> 3 vip ${provider}${opts.dnsEndpoint ? ' dns' : ''} (with the drill)`, applyTiming(sessionDir, t0, wallMs))}\n`);
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

const urlHost = (h: string) => (h.includes(':') ? `[${h}]` : h);

/** The checks both providers share, as tests of the enclosing describe. */
function judgeVip(get: () => Converted, provider: LabVip, beforeRollback: () => void = () => undefined): void {
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
      assert.ok(sans.includes(`IP:${vip}`), `${n.name}: ${sans.join(', ')}`);
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

describe('K: keepalived + HAProxy on 8443, 1 -> 3, failover drill, rollback', () => {
  let c: Converted;
  before(async () => {
    c = await convert('k', 'keepalived', {});
  });
  judgeVip(() => c, 'keepalived', () => {
    test('HAProxy on every control-plane node passes 8443 through to the apiservers; keepalived tracks the local apiserver', async () => {
      const { s, vip } = c;
      for (const n of controlPlanes(s)) {
        const conf = readFileSync(hostPath(n, '/etc/keepalived/keepalived.conf'), 'utf8');
        assert.match(conf, new RegExp(`^\\s*${vip.replace(/\./g, '\\.')}/32 dev eth0$`, 'm'), conf);
        assert.match(conf, /track_script/);
        // Through the node's own HAProxy (127.0.0.1:8443), TLS verified for the virtual IP: passthrough to an apiserver.
        ok(await nodeExec(s, n, ['curl', '-sf', '-o', '/dev/null', '--max-time', '5', '--cacert', '/etc/kubernetes/pki/ca.crt', '--connect-to', `${vip}:8443:127.0.0.1:8443`, `https://${vip}:8443/readyz`], { timeoutMs: 15_000 }), `HAProxy on ${n.name}`);
        assert.match(readFileSync(hostPath(n, '/etc/haproxy/ha-wizard-apiserver.cfg'), 'utf8'), /mode tcp/);
      }
    });
  });
});

describe('V: kube-vip on 6443 with a DNS-name endpoint, 1 -> 3, failover drill, rollback', () => {
  let c: Converted;
  before(async () => {
    c = await convert('v', 'kube-vip', {
      dnsEndpoint: true,
      // The name taken out of w1's /etc/hosts: preflight must refuse, naming w1; then put back.
      beforeApply: async (x) => {
        const hosts = hostPath(node(x.s, 'w1'), '/etc/hosts');
        const text = readFileSync(hosts, 'utf8');
        writeFileSync(hosts, text.split('\n').filter((l) => !l.includes(DNS_ENDPOINT)).join('\n'));
        try {
          return await wizard(x, ['plan', '-c', join(x.s.dir, 'cluster.yaml')], 300_000);
        } finally {
          writeFileSync(hosts, text);
        }
      },
    });
  });

  test('a DNS-name endpoint that does not resolve on one node is a preflight failure naming that node', () => {
    const p = c.preflight!;
    assert.notEqual(p.code, 0, `plan passed:\n${p.stdout.slice(-3000)}`);
    const out = `${p.stdout}\n${p.stderr}`;
    assert.match(out, new RegExp(`w1: the endpoint ${DNS_ENDPOINT.replace(/\./g, '\\.')} does not resolve there`), out.slice(-4000));
    assert.doesNotMatch(out, /cp[123]: the endpoint \S+ does not resolve there/, out.slice(-4000));
  });

  judgeVip(() => c, 'kube-vip');
});
