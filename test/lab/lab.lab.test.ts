/**
 * The lab's network part against the real system: namespaces, mounts, sshd, OpenSSH client.
 * Runs as root inside a private network namespace (npm test does that), so the client end of each
 * lab lands in this process's namespace.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { labDown, labExec, labSsh, labUp, nodeExec, readLab, type LabState } from '../../lab/lab.js';
import { SLOT_ROOT } from '../../lab/slots.js';
import { hostPath } from '../../lab/layout.js';
import { isAlive, listensOn, processesByNetns, run } from '../../lab/sys.js';

const made: string[] = [];
const tag = `t${process.pid % 100000}`;

function newDir(suffix: string): { dir: string; name: string } {
  const dir = mkdtempSync(join(tmpdir(), `hawlab-${suffix}-`));
  made.push(dir);
  return { dir, name: `${tag}${suffix}` };
}

after(async () => {
  for (const dir of made) {
    await labDown(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** The initial network namespace never holds a lab address (kthreadd, PID 2, always lives there). */
async function assertNoLabAddressInInitialNetns(): Promise<void> {
  const r = await run('nsenter', ['--net=/proc/2/ns/net', 'ip', '-o', 'addr']);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /inet 10\.20[01]\./);
}

/** Everything a stopped lab must not leave behind. */
async function assertGone(state: LabState): Promise<void> {
  const ids = new Set(Object.values(state.netnsIds));
  assert.deepEqual(processesByNetns().filter((p) => ids.has(p.netns)), [], 'no process left in the lab namespaces');
  for (const n of state.nodes) assert.equal(isAlive(n.pid) || isAlive(n.launcherPid), false, `${n.name} process gone`);
  const netns = (await run('ip', ['netns', 'list'])).stdout;
  assert.equal(netns.split('\n').filter((l) => l.startsWith(`${state.name}-`)).length, 0, `no ${state.name}-* namespace: ${netns}`);
  const mounts = readFileSync('/proc/mounts', 'utf8');
  assert.equal(mounts.includes(state.dir), false, 'no mount under the lab dir');
  assert.equal(mounts.includes(`/run/netns/${state.name}-`), false, 'no netns mount');
  assert.equal(existsSync(join(SLOT_ROOT, String(state.slot))), false, 'slot released');
  const leftovers = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && cmdline(Number(p)).includes(state.dir));
  assert.deepEqual(leftovers, [], 'no process refers to the lab dir');
  const links = (await run('ip', ['-br', 'link'])).stdout;
  assert.equal(links.includes(`hawlab${state.slot}@`) || links.includes(`hawlab${state.slot} `), false, 'client veth gone');
}

describe('lab lifecycle', () => {
  test('up, second up changes nothing, down leaves nothing; twice from clean', async () => {
    const { dir, name } = newDir('a');
    for (let round = 0; round < 2; round++) {
      const state = await labUp({ dir, name, promote: 2, cluster: false });
      assert.equal(state.alreadyRunning, false);
      assert.deepEqual(state.nodes.map((n) => `${n.name}=${n.address}`), [`cp1=10.200.${state.slot}.11`, `cp2=10.200.${state.slot}.12`, `cp3=10.200.${state.slot}.13`]);
      const before = readFileSync(join(dir, 'lab.json'), 'utf8');
      await assertNoLabAddressInInitialNetns();
      const again = await labUp({ dir, name, promote: 2, cluster: false });
      assert.equal(again.alreadyRunning, true);
      assert.deepEqual(again.nodes.map((n) => n.pid), state.nodes.map((n) => n.pid));
      assert.equal(readFileSync(join(dir, 'lab.json'), 'utf8'), before, 'lab.json untouched by the second up');
      await labDown(dir);
      await assertGone(state);
    }
  });
});

describe('a running lab', () => {
  const { dir, name } = newDir('b');
  let state: LabState;
  before(async () => {
    state = await labUp({ dir, name, promote: 2, cluster: false });
  });
  after(() => labDown(dir));

  test('nodes have private files, hostname, processes and loopback port space', async () => {
    const [cp1, cp2, cp3] = state.nodes;
    assert.ok(cp1 && cp2 && cp3);
    assert.equal((await nodeExec(state, cp2, ['sh', '-c', 'echo only-cp2 > /etc/kubernetes/probe && echo x > /etc/cp2-only'])).code, 0);
    for (const other of [cp1, cp3]) {
      assert.equal((await nodeExec(state, other, ['test', '-e', '/etc/kubernetes/probe'])).code, 1, `${other.name} does not see cp2's file`);
      assert.equal((await nodeExec(state, other, ['test', '-e', '/etc/cp2-only'])).code, 1);
      assert.equal(existsSync(hostPath(other, '/etc/kubernetes/probe')), false);
    }
    assert.equal(readFileSync(hostPath(cp2, '/etc/kubernetes/probe'), 'utf8'), 'only-cp2\n');
    assert.equal(existsSync('/etc/cp2-only'), false, 'the host /etc is untouched');
    assert.equal(existsSync('/etc/kubernetes/probe'), false);

    for (const n of state.nodes) {
      const r = await nodeExec(state, n, ['sh', '-c', 'hostname; cat /etc/hostname; grep -c "^10.200" /etc/hosts']);
      assert.deepEqual(r.stdout.split('\n').slice(0, 3), [n.name, n.name, String(state.nodes.length)]);
    }

    await nodeExec(state, cp2, ['sh', '-c', 'sleep 300 >/dev/null 2>&1 &']);
    const ps1 = (await nodeExec(state, cp1, ['ps', '-e', '-o', 'pid=,comm='])).stdout;
    assert.match(ps1, /^\s*1 sshd$/m, 'sshd is PID 1 of the node');
    assert.doesNotMatch(ps1, /sleep/, "cp1 does not see cp2's processes");
    assert.match((await nodeExec(state, cp2, ['ps', '-e', '-o', 'comm='])).stdout, /sleep/);

    // Each node binds 127.0.0.1:2379 on its own, as kubeadm's etcd manifest does.
    const listen = `${process.execPath} -e "require('net').createServer().listen(2379,'127.0.0.1')" >/dev/null 2>&1 &`;
    for (const n of [cp1, cp2]) assert.equal((await nodeExec(state, n, ['sh', '-c', listen])).code, 0);
    for (let i = 0; i < 200 && ![cp1, cp2].every((n) => listensOn(n.pid, 2379)); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(listensOn(cp1.pid, 2379) && listensOn(cp2.pid, 2379), 'both nodes listen on their own 127.0.0.1:2379');
    assert.equal(listensOn(cp3.pid, 2379), false);
  });

  test('OpenSSH with DIR/ssh_config reaches every node with strict host key checking', async () => {
    const config = readFileSync(join(dir, 'ssh_config'), 'utf8');
    assert.match(config, /StrictHostKeyChecking yes/);
    assert.match(config, /BatchMode yes/);
    for (const n of state.nodes) {
      const r = await labSsh(dir, n.name, ['sh', '-c', 'hostname; id -u; echo "$HOME"']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${n.name}\n0\n/root\n`);
    }
    // A wrong host key is refused: OpenSSH checks known_hosts, not trust on first use.
    const bad = join(dir, 'known_hosts.bad');
    const cp1 = state.nodes[0]!;
    writeFileSync(bad, readFileSync(join(dir, 'known_hosts'), 'utf8').replace(`${cp1.address} `, `${cp1.address}x `));
    const r = await labExec(dir, ['ssh', '-F', join(dir, 'ssh_config'), '-o', `UserKnownHostsFile=${bad}`, 'cp1', 'true']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /Host key verification failed|No .*host key is known/);
  });

  test('cluster.yaml describes the lab', () => {
    const doc = parse(readFileSync(join(dir, 'cluster.yaml'), 'utf8')) as Record<string, any>;
    assert.equal(doc.name, name);
    assert.deepEqual(doc.controlPlane.existing, { name: 'cp1', address: `10.200.${state.slot}.11` });
    assert.deepEqual(doc.controlPlane.promote.map((p: { name: string }) => p.name), ['cp2', 'cp3']);
    assert.deepEqual(doc.proxy, { kind: 'nginx', placement: 'per-node' });
    assert.deepEqual(doc.endpoint, { host: '127.0.0.1', port: 6443 });
    assert.equal(doc.ssh.user, 'root');
    assert.equal(doc.ssh.sudo, 'none');
    assert.equal(doc.ssh.knownHosts, join(dir, 'known_hosts'));
    assert.deepEqual(readLab(dir).nodes.map((n) => n.name), ['cp1', 'cp2', 'cp3']);
  });
});

describe('lab options', () => {
  test('bastion with a NOPASSWD sudo user: nodes only through ProxyJump', async () => {
    const { dir, name } = newDir('c');
    const state = await labUp({ dir, name, promote: 1, bastion: true, proxyHost: true, sshUser: 'kadm', cluster: false });
    try {
      assert.equal(state.bastionAddress, `10.201.${state.slot}.4`);
      const ok = await labSsh(dir, 'cp2', ['sh', '-c', 'hostname; id -un; sudo -n id -u']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, 'cp2\nkadm\n0\n');
      const direct = await labExec(dir, ['ssh', '-F', join(dir, 'ssh_config'), '-o', 'ProxyJump=none', '-o', 'ConnectTimeout=2', 'cp1', 'true']);
      assert.equal(direct.code, 255, 'no route to a node without the bastion');
      const lb = await labSsh(dir, 'lb', ['hostname']);
      assert.equal(lb.stdout, 'lb\n', lb.stderr);
      const rootLogin = await labExec(dir, ['ssh', '-F', join(dir, 'ssh_config'), '-l', 'root', 'cp1', 'true']);
      assert.equal(rootLogin.code, 255, 'root cannot log in when the lab has a sudo user');
      const doc = parse(readFileSync(join(dir, 'cluster.yaml'), 'utf8')) as Record<string, any>;
      assert.equal(doc.ssh.proxyJump, `kadm@10.201.${state.slot}.4`);
      assert.equal(doc.ssh.sudo, 'nopasswd');
      assert.deepEqual(doc.endpoint, { host: `10.200.${state.slot}.5`, port: 6443 });
      assert.deepEqual(doc.proxy, { kind: 'nginx', placement: 'dedicated', host: { name: 'lb', address: `10.200.${state.slot}.5` } });
    } finally {
      await labDown(dir);
    }
    await assertGone(state);
  });

  test('sudo with a password: -n fails, the password works, a wrong one does not; never written down', async () => {
    const { dir, name } = newDir('d');
    const password = 'pw with spaces';
    const state = await labUp({ dir, name, promote: 0, sshUser: 'kadm', sudoPassword: password, cluster: false });
    try {
      const r = await labSsh(dir, 'cp1', [
        'sh',
        '-c',
        'sudo -n true 2>/dev/null; echo n=$?; IFS= read -r pw; printf "%s\\n" "$pw" | sudo -S -p "" id -u; sudo -k; echo wrong | sudo -S -p "" true 2>/dev/null; echo w=$?',
      ], { input: `${password}\n` });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'n=1\n0\nw=1\n');
      const grep = await run('grep', ['-rlF', password, dir]);
      assert.equal(grep.stdout, '', 'the password is in no file of the lab');
      assert.equal(readLab(dir).options.sudo, 'password');
    } finally {
      await labDown(dir);
    }
    await assertGone(state);
  });
});
