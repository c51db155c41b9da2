/**
 * Issue #16, IPv6: a lab whose nodes, client end and endpoint have only IPv6 addresses (fd00:200:k::N/64, service
 * CIDR fd00:10:96::/112) converts 1 -> 3 behind a dedicated nginx on [fd00:200:k::5]:6443: bracketed URLs in every
 * kubeconfig, manifest flag and etcd peer URL, IPv6 SANs, the proxy listening on IPv6; then a full rollback to the
 * files of before, byte for byte. Then the same with the endpoint on an IPv6 virtual IP held by keepalived (VRRPv3
 * over IPv6, HAProxy on [::]:8443), the failover drill through it, and its rollback.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { hostPath, labDown, labExec, labUp, nodeExec, type LabState, type RunResult } from '../../lab/lab.js';
import { controlPlanes, etcKubernetes, etcdMembers, kubeconfigServer, kubectlEnv, ok, promoted, sanSet, snapshot, treeDiff, treeHashes, type Snapshot } from './judges.js';
import { applyTiming, formatTiming, sessionDirs } from './timing.js';
import { convert, judgeVip, opensslIP, type Converted, type VipTestContext } from './vip-lab.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const fileStart = Date.now();
const made: string[] = [];
const kubeCache = mkdtempSync(join(tmpdir(), 'hawe2e-kcache-'));
const env = kubectlEnv(kubeCache);
const ctx: VipTestContext = { tag: `v6${process.pid % 100000}`, made, env };

after(async () => {
  for (const dir of made) {
    await labDown(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  rmSync(kubeCache, { recursive: true, force: true });
  process.stdout.write(`# ipv6.lab.test: file wall time ${((Date.now() - fileStart) / 1000).toFixed(1)} s\n`);
});

describe('IPv6 only: 1 -> 3 behind a dedicated nginx on an IPv6 address, then rollback', () => {
  let s: LabState;
  let stateDir: string;
  let apply: RunResult;
  let beforeSnap: Snapshot;
  let nginxBefore: Map<string, string>;
  let endpoint: string;
  const wizard = (args: string[]) => labExec(s.dir, ['env', `HA_WIZARD_STATE_DIR=${stateDir}`, process.execPath, CLI, ...args], { timeoutMs: 900_000 });

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hawe2e-v6-'));
    made.push(dir);
    s = await labUp({ dir, name: `v6${process.pid % 100000}`, ipFamily: 'ipv6', proxyHost: true, promote: 2, workers: 1 });
    stateDir = join(dir, 'state');
    endpoint = (parse(readFileSync(join(dir, 'cluster.yaml'), 'utf8')) as { endpoint: { host: string } }).endpoint.host;
    beforeSnap = await snapshot(s, s.nodes.map((n) => n.name));
    nginxBefore = await treeHashes(s, 'lb', 'etc-nginx');
    const t0 = Date.now();
    apply = await wizard(['apply', '-c', join(dir, 'cluster.yaml'), '--yes']);
    if (apply.code === 0) process.stdout.write(`# ${formatTiming('1 -> 3 IPv6 nginx dedicated', applyTiming(sessionDirs(stateDir)[0]!, t0, Date.now() - t0))}\n`);
  });

  test('the lab is IPv6 only: every node and the endpoint have an IPv6 address, no node has an IPv4 one on eth0', async () => {
    assert.match(endpoint, /^fd00:200:\d+::5$/);
    for (const n of s.nodes) {
      assert.ok(n.address.includes(':'), `${n.name} ${n.address}`);
      const addrs = ok(await nodeExec(s, n, ['ip', '-o', 'addr', 'show', 'dev', 'eth0'], { timeoutMs: 10_000 }), `ip addr on ${n.name}`);
      assert.doesNotMatch(addrs, /\binet /, `${n.name}: ${addrs}`);
    }
  });

  test('apply exits 0', () => {
    assert.equal(apply.code, 0, `apply failed (${apply.code}):\n${apply.stdout.slice(-6000)}\n${apply.stderr.slice(-3000)}`);
  });

  test('bracketed URLs: kubeconfigs name https://[endpoint]:6443, the new manifests and etcd peer URLs bracket their IPv6 addresses', async () => {
    const server = `https://[${endpoint}]:6443`;
    assert.equal(kubeconfigServer(etcKubernetes(s, 'w1', 'kubelet.conf')), server);
    for (const n of controlPlanes(s)) assert.equal(kubeconfigServer(etcKubernetes(s, n.name, 'admin.conf')), server, `${n.name} admin.conf`);
    for (const n of promoted(s)) {
      for (const conf of ['controller-manager.conf', 'scheduler.conf']) assert.equal(kubeconfigServer(etcKubernetes(s, n.name, conf)), `https://[${n.address}]:6443`, `${n.name} ${conf}`);
      const etcd = readFileSync(etcKubernetes(s, n.name, 'manifests/etcd.yaml'), 'utf8');
      assert.match(etcd, new RegExp(`--initial-advertise-peer-urls=https://\\[${n.address}\\]:2380`));
      assert.match(etcd, new RegExp(`--listen-client-urls=https://\\[::1\\]:2379,https://\\[${n.address}\\]:2379`));
      assert.match(etcd, /--initial-cluster=\S*cp1=https:\/\/\[fd00:200:\d+::11\]:2380/);
      const apiserver = readFileSync(etcKubernetes(s, n.name, 'manifests/kube-apiserver.yaml'), 'utf8');
      assert.match(apiserver, new RegExp(`--advertise-address=${n.address}\\n`));
      assert.match(apiserver, /--etcd-servers=https:\/\/\[::1\]:2379/);
      // No unbracketed IPv6 address followed by a port anywhere in the new node's manifests and kubeconfigs.
      for (const f of ['manifests/etcd.yaml', 'manifests/kube-apiserver.yaml', 'manifests/kube-controller-manager.yaml', 'manifests/kube-scheduler.yaml', 'admin.conf', 'controller-manager.conf', 'scheduler.conf']) {
        const text = readFileSync(etcKubernetes(s, n.name, f), 'utf8');
        assert.doesNotMatch(text, /https?:\/\/[0-9a-f]*:[0-9a-f:]*:\d+\b(?!\])/, `${n.name} ${f}: an unbracketed IPv6 URL`);
      }
    }
    const members = await etcdMembers(s);
    assert.deepEqual(members.map((m) => m.name).sort(), ['cp1', 'cp2', 'cp3']);
    for (const m of members) {
      const address = controlPlanes(s).find((n) => n.name === m.name)!.address;
      assert.deepEqual(m.peerURLs, [`https://[${address}]:2380`], `${m.name} peer URLs`);
      assert.equal(m.isLearner, false);
    }
  });

  test('IPv6 SANs: every apiserver certificate names the endpoint and its node; etcd certificates their node', async () => {
    for (const n of controlPlanes(s)) {
      const sans = await sanSet(s, etcKubernetes(s, n.name, 'pki/apiserver.crt'));
      for (const ip of [endpoint, n.address, 'fd00:10:96::1']) assert.ok(sans.includes(`IP:${opensslIP(ip)}`), `${n.name} apiserver.crt lacks ${ip}: ${sans.join(', ')}`);
      const etcdSans = await sanSet(s, etcKubernetes(s, n.name, 'pki/etcd/server.crt'));
      assert.ok(etcdSans.includes(`IP:${opensslIP(n.address)}`), `${n.name} etcd/server.crt: ${etcdSans.join(', ')}`);
      assert.ok(etcdSans.includes(`IP:${opensslIP('::1')}`), `${n.name} etcd/server.crt: ${etcdSans.join(', ')}`);
    }
  });

  test('nginx listens on [::]:6443 and kubectl reaches the cluster through https://[endpoint]:6443 from the client end', async () => {
    const ss = ok(await nodeExec(s, 'lb', ['ss', '-Hltn', 'sport = :6443'], { timeoutMs: 10_000 }), 'ss on lb');
    assert.match(ss, /\[::\]:6443/, ss);
    const table = ok(await labExec(s.dir, ['kubectl', '--kubeconfig', etcKubernetes(s, 'cp1', 'admin.conf'), '--request-timeout=20s', 'get', 'nodes', '-o', 'wide'], { env, timeoutMs: 60_000 }), 'kubectl get nodes');
    for (const n of ['cp1', 'cp2', 'cp3', 'w1']) assert.match(table, new RegExp(`^${n}\\s+Ready\\s`, 'm'), table);
    for (const n of controlPlanes(s)) assert.match(table, new RegExp(`\\s${n.address}\\s`), table);
  });

  test('rollback restores every file of before byte for byte, one etcd member, the API on the master again', async () => {
    assert.equal(apply.code, 0, 'apply failed: nothing to roll back');
    const session = sessionDirs(stateDir)[0]!.split('/').pop()!;
    const r = await wizard(['rollback', session, '--past-point-of-no-return', '--yes']);
    assert.equal(r.code, 0, `rollback failed (${r.code}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-3000)}`);
    const nodes = s.nodes.map((n) => n.name);
    const now = await snapshot(s, nodes);
    assert.deepEqual(nodes.flatMap((n) => treeDiff(beforeSnap.get(n)!, now.get(n)!, n)), []);
    assert.deepEqual(treeDiff(nginxBefore, await treeHashes(s, 'lb', 'etc-nginx'), 'lb /etc/nginx'), []);
    assert.deepEqual((await etcdMembers(s)).map((m) => m.name), ['cp1']);
    ok(await labExec(s.dir, ['kubectl', '--kubeconfig', etcKubernetes(s, 'cp1', 'admin.conf'), '--request-timeout=20s', 'get', 'nodes'], { env, timeoutMs: 60_000 }), 'kubectl after rollback');
  });
});

describe('IPv6 only: 1 -> 3 with keepalived holding an IPv6 virtual IP, HAProxy on [::]:8443, failover drill, rollback', () => {
  let c: Converted;
  before(async () => {
    c = await convert(ctx, '6k', 'keepalived', { ipFamily: 'ipv6' });
  });
  judgeVip(ctx, () => c, 'keepalived', () => {
    test('keepalived puts the IPv6 virtual IP on eth0 as /128; HAProxy listens on [::]:8443 (both families) on every control-plane node', async () => {
      assert.match(c.vip, /^fd00:200:\d+::10$/);
      for (const n of controlPlanes(c.s)) {
        assert.match(readFileSync(hostPath(n, '/etc/keepalived/keepalived.conf'), 'utf8'), new RegExp(`^\\s*${c.vip}/128 dev eth0$`, 'm'));
        const ss = ok(await nodeExec(c.s, n, ['ss', '-Hltn', 'sport = :8443'], { timeoutMs: 10_000 }), `ss on ${n.name}`);
        // HAProxy's [::] socket takes both families (no v6only): ss shows it as *:8443.
        assert.match(ss, /(\[::\]|\*):8443\b/, `${n.name}: ${ss}`);
      }
    });
  });
});
