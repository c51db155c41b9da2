/**
 * Issue #13 parts 1 and 3 on the real components: clusters as operators leave them. One lab (cp1, cp2, cp3 and a
 * dedicated proxy host, Kubernetes 1.37 made by the real kubeadm), taken through the states in turn:
 *
 *   swapped addresses        cp2 and cp3 swapped in the config: refused naming both, every file unchanged
 *   two entries, one host    cp3 reached at cp2's address (ssh.host): refused as DuplicateHost
 *   a member whose node is gone   a learner at an address no node has: refused with the exact etcdctl command,
 *                            which, run as printed, fixes it
 *   an existing member       cp2 made a control-plane node by the real kubeadm (join phases); with its apiserver
 *                            manifest moved aside it is a voting member without a control plane: refused with that
 *                            fact, and no advice to delete or move its data
 *   a leftover learner       a learner for cp3 that never started: the plan reuses it, keeps cp2 as it is
 *   half-done → HA           apply finishes the conversion from there: 3 voting members
 *   already HA               plan and apply say "No changes" alone, exit 0, every file unchanged, no session
 *
 * Each fails without the fix: before it, the swap passed preflight, the learners and the existing member were
 * "EtcdMembers"/"EtcdDataDir" failures advising to move the data away, and an HA cluster got 14 failures.
 */
import { after, before, describe, test } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlPlaneJoinConfiguration, joinCredentials, kubeadmJoinPhases, setControlPlaneEndpoint } from '../../lab/cluster/kubeadm-join.js';
import { hostPath, labDown, labExec, labUp, nodeExec, type LabState, type RunResult } from '../../lab/lab.js';
import { etcdMembers, node, ok, snapshot, treeDiff, type Snapshot } from './judges.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const ETCDCTL = 'ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key';
const NODES = ['cp1', 'cp2', 'cp3', 'lb'];
const fileStart = Date.now();

let dir = '';
let s: LabState;
let stateDir = '';
let config = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hawe2e-partial-'));
  s = await labUp({ dir, name: `ps${process.pid % 100000}`, promote: 2, workers: 0, proxyHost: true, k8sVersion: '1.37' });
  stateDir = join(dir, 'state');
  config = readFileSync(join(dir, 'cluster.yaml'), 'utf8');
});

after(async () => {
  if (dir) {
    await labDown(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`# partial-states.lab.test: file wall time ${((Date.now() - fileStart) / 1000).toFixed(1)} s\n`);
});

function wizard(args: string[], configText = config): Promise<RunResult> {
  const path = join(dir, `cluster-${Date.now()}.yaml`);
  writeFileSync(path, configText);
  return labExec(dir, ['env', `HA_WIZARD_STATE_DIR=${stateDir}`, process.execPath, CLI, ...args.map((a) => (a === 'CONFIG' ? path : a))], { timeoutMs: 400_000 });
}

const addr = (name: string) => node(s, name).address;
const etcdctl = (args: string) => nodeExec(s, 'cp1', ['sh', '-c', `${ETCDCTL} ${args}`], { timeoutMs: 30_000 });
const sessions = () => (existsSync(join(stateDir, 'sessions')) ? readdirSync(join(stateDir, 'sessions')) : []);
const out = (r: RunResult) => `${r.stdout}\n${r.stderr}`;

function unchanged(before: Snapshot, now: Snapshot): void {
  const diffs = NODES.flatMap((n) => treeDiff(before.get(n)!, now.get(n)!, n));
  assert.deepEqual(diffs, [], 'every file under /etc/kubernetes is as it was');
}

/** Words that would send an operator to destroy data. */
function assertNoDestructiveAdvice(text: string): void {
  assert.doesNotMatch(text, /\brm -rf?\b|\bdelete\b|move it away|it belongs to no current member/, 'no advice to delete or move away data');
}

describe('clusters as operators leave them', () => {
  test('swapped addresses: refused naming both nodes, exit 2, nothing changed', async () => {
    const before = await snapshot(s, NODES);
    const swapped = config.replace(`address: ${addr('cp2')}`, 'address: SWAP').replace(`address: ${addr('cp3')}`, `address: ${addr('cp2')}`).replace('address: SWAP', `address: ${addr('cp3')}`);
    assert.notEqual(swapped, config);
    for (const cmd of [['plan', '-c', 'CONFIG'], ['apply', '-c', 'CONFIG', '--yes']]) {
      const r = await wizard(cmd, swapped);
      assert.equal(r.code, 2, out(r));
      assert.match(r.stderr, /\[NodeIdentity\] controlPlane\.promote\[0\] \(cp2\) and controlPlane\.promote\[1\] \(cp3\) have their addresses swapped/);
      assert.match(r.stderr, new RegExp(`the host at ${addr('cp3').replace(/\./g, '\\.')} is cp3 \\(kubelet certificate system:node:cp3, hostname cp3\\)`));
      assert.match(r.stderr, new RegExp(`fix: write controlPlane\\.promote\\[0\\]: \\{ name: cp2, address: ${addr('cp2').replace(/\./g, '\\.')} \\} and controlPlane\\.promote\\[1\\]: \\{ name: cp3, address: ${addr('cp3').replace(/\./g, '\\.')} \\}`));
    }
    unchanged(before, await snapshot(s, NODES));
    assert.deepEqual(sessions(), [], 'no session was started');
  });

  test('two config entries reaching the same host: DuplicateHost, exit 2', async () => {
    const twice = config.replace(`    - name: cp3\n      address: ${addr('cp3')}`, `    - name: cp3\n      address: ${addr('cp3')}\n      ssh: { host: ${addr('cp2')} }`);
    assert.notEqual(twice, config);
    const r = await wizard(['plan', '-c', 'CONFIG'], twice);
    assert.equal(r.code, 2, out(r));
    assert.match(r.stderr, /\[DuplicateHost\] controlPlane\.promote\[0\] \(cp2, [0-9.]+\) and controlPlane\.promote\[1\] \(cp3, [0-9.]+\) reach the same host: cp2/);
  });

  test('a member whose node is gone: refused with the exact command, which fixes it', async () => {
    ok(await etcdctl('member add ghost --peer-urls=https://10.200.250.99:2380 --learner'), 'member add ghost');
    const r = await wizard(['plan', '-c', 'CONFIG']);
    assert.equal(r.code, 2, out(r));
    assert.match(r.stderr, /\[EtcdMembers\] etcd has 2 members, and one is not accounted for: learner \(unstarted\) \(ID [0-9a-f]+, https:\/\/10\.200\.250\.99:2380\): its node is gone/);
    assertNoDestructiveAdvice(r.stderr);
    const fix = /fix: a learner has no vote, so removing it cannot cost quorum: on cp1: (.+)$/m.exec(r.stderr)?.[1];
    assert.ok(fix, r.stderr);
    // The command exactly as printed, run where it says.
    ok(await nodeExec(s, 'cp1', ['sh', '-c', fix], { timeoutMs: 30_000 }), 'the printed fix');
    assert.deepEqual((await etcdMembers(s)).map((m) => m.name), ['cp1']);
    const again = await wizard(['plan', '-c', 'CONFIG']);
    assert.equal(again.code, 0, out(again));
  });

  test('an existing voting member without its control plane: refused with that fact, never advice to delete its data', async () => {
    const run = (n: LabState['nodes'][number], argv: readonly string[], o?: Parameters<typeof nodeExec>[3]) => nodeExec(s, n, argv, o);
    // An operator's half-done conversion: a load balancer put up by hand (a TCP forwarder on lb to cp1), the endpoint set
    // in kubeadm-config (not yet in cp1's certificate), cp2 joined by kubeadm; then the forwarder is gone again.
    const forwarder = spawn('nsenter', ['-t', String(node(s, 'lb').pid), '-n', '--', process.execPath, '-e', `const net = require('node:net'); net.createServer((c) => { const u = net.connect(6443, ${JSON.stringify(addr('cp1'))}); c.pipe(u); u.pipe(c); c.on('error', () => u.destroy()); u.on('error', () => c.destroy()); }).listen(6443, () => console.log('ready'));`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        forwarder.stdout!.once('data', () => resolve());
        forwarder.once('exit', (code) => reject(new Error(`the forwarder on lb exited (${code})`)));
      });
      await setControlPlaneEndpoint(s, run, `${addr('lb')}:6443`);
      // cp1's serving certificate re-issued by kubeadm for the endpoint (the apiserver reloads it from the file).
      ok(await nodeExec(s, 'cp1', ['sh', '-c', 'mkdir -p /root/old-pki && mv /etc/kubernetes/pki/apiserver.crt /etc/kubernetes/pki/apiserver.key /root/old-pki/ && kubeadm init phase certs apiserver --config /root/kubeadm-config.yaml'], { env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/root' }, timeoutMs: 60_000 }), 'kubeadm init phase certs apiserver');
      const through = () => nodeExec(s, 'cp2', ['kubectl', '--kubeconfig=/etc/kubernetes/kubelet.conf', `--server=https://${addr('lb')}:6443`, 'get', '--raw=/readyz'], { env: { PATH: '/usr/local/bin:/usr/bin:/bin' }, timeoutMs: 20_000 });
      for (let i = 0; (await through()).code !== 0; i++) {
        assert.ok(i < 60, 'the endpoint never answered with a certificate for it');
        await new Promise((r) => setTimeout(r, 1000));
      }
      const creds = await joinCredentials(s, run);
      await kubeadmJoinPhases(run, node(s, 'cp2'), controlPlaneJoinConfiguration(node(s, 'cp2'), `${addr('cp1')}:6443`, creds), ['control-plane-prepare all', 'etcd-join']);
    } finally {
      forwarder.kill('SIGKILL');
    }
    const members = await etcdMembers(s);
    assert.deepEqual(members.map((m) => [m.name, m.isLearner]).sort(), [['cp1', false], ['cp2', false]]);
    const manifest = hostPath(node(s, 'cp2'), '/etc/kubernetes/manifests/kube-apiserver.yaml');
    const aside = hostPath(node(s, 'cp2'), '/root/kube-apiserver.yaml');
    renameSync(manifest, aside);
    try {
      const r = await wizard(['plan', '-c', 'CONFIG']);
      assert.equal(r.code, 2, out(r));
      assert.match(r.stderr, /\[NodeState\] cp2 is already a voting etcd member \(cp2, ID [0-9a-f]+, https:\/\/[0-9.]+:2380\), but has no kube-apiserver manifest: .*will not touch a quorum member's data/);
      assert.doesNotMatch(r.stderr, /Port-2379|Port-2380|EtcdDataDir/, 'its ports and data are consequences, folded into the fact');
      assertNoDestructiveAdvice(r.stderr);
      // The only data move offered follows the member's removal.
      const fix = /\[NodeState\] cp2[^\n]*\n\s*fix: ([^\n]+)/.exec(r.stderr)?.[1] ?? '';
      assert.ok(fix.indexOf('member remove') >= 0 && fix.indexOf('member remove') < fix.indexOf(`mv /var/lib/etcd/member`), fix);
    } finally {
      renameSync(aside, manifest);
    }
  });

  test('a leftover learner is reused and the complete node kept: the plan goes on from the real state', async () => {
    // cp2's apiserver is back (the agent runs the restored manifest).
    const deadline = Date.now() + 120_000;
    while ((await nodeExec(s, 'cp2', ['sh', '-c', `ss -Htln 'sport = :6443' | grep -q .`])).code !== 0) {
      assert.ok(Date.now() < deadline, "cp2's apiserver did not come back");
      await new Promise((r) => setTimeout(r, 1000));
    }
    // etcd refuses a member add for a few seconds after a membership change or a member's restart ("unhealthy
    // cluster": every voter must have been connected a while); the earlier cases just made such changes.
    let add = await etcdctl(`member add cp3 --peer-urls=https://${addr('cp3')}:2380 --learner`);
    for (const until = Date.now() + 60_000; add.code !== 0 && /unhealthy cluster/.test(add.stderr) && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 1000));
      add = await etcdctl(`member add cp3 --peer-urls=https://${addr('cp3')}:2380 --learner`);
    }
    ok(add, 'member add cp3 (a learner that never starts)');
    const r = await wizard(['plan', '-c', 'CONFIG']);
    assert.equal(r.code, 0, out(r));
    assert.match(r.stderr, /Preflight: \d+ passed, \d+ warnings, 0 failed/);
    assert.match(r.stdout, /announce cp3 \(https:\/\/[0-9.]+:2380\) to etcd as a learner: etcd already has this learner from an earlier attempt \(never started\), so it is reused/);
    assert.doesNotMatch(r.stdout, /Step \d+\/\d+ {2}(etcd|control-plane|shared-pki)-cp2:/, "cp2 is kept as it is: none of its promote steps");
    assert.match(r.stdout, /Step \d+\/\d+ {2}etcd-cp3:/);
    assertNoDestructiveAdvice(r.stderr);
  });

  test('apply goes on from the half-done conversion: 3 voting members', async () => {
    const r = await wizard(['apply', '-c', 'CONFIG', '--yes']);
    const logs = r.code === 0 ? '' : (await nodeExec(s, 'cp3', ['sh', '-c', 'tail -c 4000 /var/log/etcd.log; ls -la /etc/kubernetes/manifests'])).stdout;
    assert.equal(r.code, 0, `${out(r).slice(-3000)}\ncp3 etcd:\n${logs}`);
    const members = await etcdMembers(s);
    assert.deepEqual(members.map((m) => [m.name, m.isLearner]).sort(), [['cp1', false], ['cp2', false], ['cp3', false]]);
  });

  test('an already highly available cluster: "No changes" first and alone, exit 0, every file unchanged', async () => {
    const before = await snapshot(s, NODES);
    const known = sessions();
    for (const cmd of [['plan', '-c', 'CONFIG'], ['apply', '-c', 'CONFIG', '--yes']]) {
      const r = await wizard(cmd);
      assert.equal(r.code, 0, out(r));
      assert.match(r.stdout, /^No changes\. Cluster \S+ is already highly available with the configured nodes: cp1, cp2, cp3 each run a kube-apiserver and a voting etcd member \(3 members\)/m);
      assert.doesNotMatch(out(r), /Preflight|FAIL|Port-6443|EtcdDataDir/, 'said alone');
    }
    unchanged(before, await snapshot(s, NODES));
    assert.deepEqual(sessions(), known, 'no session was started');
  });
});
