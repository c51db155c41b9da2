/** The SSH transport against real OpenSSH sshd in a lab whose login user is root. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { hostPath, labDown, labUp, nodeExec, type LabState } from '../../lab/lab.js';
import { fingerprintSha256 } from '../../src/ssh/known-hosts.js';
import { HostPool, mapLimit } from '../../src/ssh/pool.js';
import type { ExecAuditRecord } from '../../src/ssh/remote-host.js';
import { RemoteError } from '../../src/engine/model/remote-host.js';
import { assertAtomicUnderConcurrentReads, labName, labPool } from './lab-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'haw-ssh-root-'));
const dir = join(work, 'lab');
let lab: LabState;

before(async () => {
  lab = await labUp({ dir, name: labName('hawsshr'), promote: 2, workers: 0, cluster: false });
});
after(async () => {
  if (lab) await labDown(dir);
  rmSync(work, { recursive: true, force: true });
});

const node = (name: string) => lab.nodes.find((n) => n.name === name)!;
/** The lab's known_hosts line for a node (`address ssh-ed25519 BASE64`). */
const hostKeyLine = (name: string) => readFileSync(join(dir, 'known_hosts'), 'utf8').split('\n').find((l) => l.startsWith(`${node(name).address} `))!;
const hostKeyBlob = (name: string) => Buffer.from(hostKeyLine(name).split(' ')[2]!, 'base64');

test('a known host connects; commands run as root and argv is passed literally', async () => {
  const audit: ExecAuditRecord[] = [];
  const pool = labPool(lab, { onExec: (r) => audit.push(r) });
  try {
    const cp1 = await pool.get('cp1');
    const id = await cp1.exec(['id', '-u']);
    assert.deepEqual(id, { code: 0, signal: null, stdout: '0\n', stderr: '' });
    const hostile = ["$(touch /tmp/pwned)", '`touch /tmp/pwned`', "it's; touch /tmp/pwned", 'a\nb', '-rf', '*', '~'];
    const echo = await cp1.exec(['printf', '%s\\0', ...hostile]);
    assert.deepEqual(echo.stdout.split('\0').slice(0, -1), hostile);
    assert.equal((await cp1.exec(['test', '-e', '/tmp/pwned'])).code, 1);
    const failed = await cp1.exec(['sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.deepEqual(failed, { code: 3, signal: null, stdout: 'out\n', stderr: 'err\n' });
    assert.equal((await cp1.exec(['no-such-command-x'])).code, 127);
    assert.ok(audit.some((r) => r.host === 'cp1' && r.argv[0] === 'id' && r.code === 0 && r.durationMs >= 0));
  } finally {
    await pool.closeAll();
  }
});

test('files: atomic write with mode and owner, read back, sha256, stat, ENOENT, hostile path', async () => {
  const pool = labPool(lab);
  try {
    const cp2 = await pool.get('cp2');
    const path = "/etc/kubernetes/pki/new dir/it's $(touch x) `y`\n.key";
    const data = Buffer.from('-----BEGIN PRIVATE KEY-----\nnot really\n');
    await cp2.writeFileAtomic(path, data, { mode: 0o600 });
    assert.deepEqual(await cp2.readFile(path), data);
    assert.deepEqual(await cp2.stat(path), { exists: true, mode: 0o600, uid: 0, gid: 0, size: data.length });
    assert.equal(await cp2.sha256(path), execFileSync('sha256sum', { input: data }).toString().slice(0, 64));
    await cp2.writeFileAtomic('/etc/kubernetes/owned.conf', 'x', { mode: 0o640, owner: 'nobody:nogroup' });
    assert.deepEqual(await cp2.stat('/etc/kubernetes/owned.conf'), { exists: true, mode: 0o640, uid: 65534, gid: 65534, size: 1 });
    assert.equal(await cp2.sha256('/etc/kubernetes/missing'), null);
    assert.deepEqual(await cp2.stat('/etc/kubernetes/missing'), { exists: false });
    await assert.rejects(cp2.readFile('/etc/kubernetes/missing'), (e: RemoteError) => e.code === 'ENOENT' && /cp2: reading \/etc\/kubernetes\/missing: No such file/.test(e.message));
    const ls = await cp2.exec(['ls', '-1', '/etc/kubernetes/pki/new dir']);
    assert.equal(ls.code, 0);
    assert.equal((await cp2.exec(['test', '-e', 'x'])).code, 1, 'a path was interpreted by a shell');
  } finally {
    await pool.closeAll();
  }
});

test('a redone write removes the temp files lost connections left beside its target, and only those', async () => {
  const pool = labPool(lab);
  try {
    const cp2 = await pool.get('cp2');
    const dir = '/etc/kubernetes/stale';
    const path = `${dir}/ca.key`;
    // What a write cut off by a lost connection leaves: its temp file. Plus neighbours that are not ours to remove.
    const leftovers = ['.ca.key.ha-wizard-tmp-0a1b2c3d4e5f', '.ca.key.ha-wizard-tmp-ffeeddccbbaa'];
    const keep = ['.other.key.ha-wizard-tmp-0a1b2c3d4e5f', 'ca.key.ha-wizard-tmp-0a1b2c3d4e5f'];
    assert.equal((await cp2.exec(['sh', '-c', 'mkdir -p "$1" && cd "$1" && shift && touch -- "$@" && mkdir .ca.key.ha-wizard-tmp-dir', 'sh', dir, ...leftovers, ...keep])).code, 0);
    await cp2.writeFileAtomic(path, 'first', { mode: 0o600 });
    const listing = async () => (await cp2.exec(['ls', '-1A', dir])).stdout.split('\n').filter(Boolean).sort();
    assert.deepEqual(await listing(), ['.ca.key.ha-wizard-tmp-dir', 'ca.key', ...leftovers, ...keep].sort(), 'a first write lists nothing and removes nothing');
    await cp2.writeFileAtomic(path, 'redone', { mode: 0o600, removeStaleTemps: true });
    assert.deepEqual(await listing(), ['.ca.key.ha-wizard-tmp-dir', 'ca.key', ...keep].sort());
    assert.equal((await cp2.readFile(path)).toString(), 'redone');
  } finally {
    await pool.closeAll();
  }
});

test('an atomic write is never seen half-written by a concurrent reader (root, SFTP + posix-rename)', async () => {
  const pool = labPool(lab);
  try {
    await assertAtomicUnderConcurrentReads(await pool.get('cp1'), '/etc/kubernetes/manifests/big.yaml');
  } finally {
    await pool.closeAll();
  }
});

test('30 concurrent commands and file reads on one connection, no channel failures', async () => {
  const pool = labPool(lab);
  try {
    const cp1 = await pool.get('cp1');
    await cp1.writeFileAtomic('/root/c.txt', 'hello', { mode: 0o600 });
    const runs = Array.from({ length: 30 }, (_, i) => cp1.exec(['sh', '-c', 'sleep 0.2; echo "$1"', 'sh', String(i)]));
    const reads = Array.from({ length: 10 }, () => cp1.readFile('/root/c.txt'));
    const results = await Promise.all(runs);
    results.forEach((r, i) => assert.deepEqual(r, { code: 0, signal: null, stdout: `${i}\n`, stderr: '' }));
    for (const b of await Promise.all(reads)) assert.equal(b.toString(), 'hello');
  } finally {
    await pool.closeAll();
  }
});

test('timeouts and aborts kill the remote command, sudo and what it started included, and reject', async () => {
  const pool = labPool(lab);
  /** The node's processes running `sleep 30` (the node has its own PID namespace). */
  const sleepers = async () => (await nodeExec(lab, 'cp1', ['ps', '-e', '-o', 'pid=,args='])).stdout.split('\n').map((l) => l.trim()).filter((l) => /^\d+ sleep 30$/.test(l));
  try {
    const cp1 = await pool.get('cp1');
    assert.deepEqual(await sleepers(), []);
    await assert.rejects(cp1.exec(['sleep', '30'], { timeoutMs: 300 }), (e: RemoteError) => e.code === 'ETIMEDOUT' && /cp1/.test(e.message));
    assert.deepEqual(await sleepers(), [], 'the timed-out command is gone from the host');
    const ac = new AbortController();
    const p = cp1.exec(['sleep', '30'], { signal: ac.signal });
    setTimeout(() => ac.abort(), 200);
    await assert.rejects(p, (e: RemoteError) => e.code === 'ABORT_ERR');
    assert.deepEqual(await sleepers(), [], 'the aborted command is gone from the host');
    // Through sudo (as the wizard runs commands for a non-root login), and a shell that ignores HUP and TERM with
    // its command in the background: sudo's child and the grandchild die too.
    await assert.rejects(cp1.exec(['sudo', '-n', '--', 'sleep', '30'], { timeoutMs: 300 }), (e: RemoteError) => e.code === 'ETIMEDOUT');
    assert.deepEqual(await sleepers(), [], 'the command under sudo is gone from the host');
    const ac2 = new AbortController();
    const p2 = cp1.exec(['sudo', '-n', '--', 'sh', '-c', 'trap "" HUP TERM; sleep 30 & wait'], { signal: ac2.signal });
    setTimeout(() => ac2.abort(), 300);
    await assert.rejects(p2, (e: RemoteError) => e.code === 'ABORT_ERR');
    assert.deepEqual(await sleepers(), [], 'the background child of the aborted shell is gone from the host');
    // The connection is still usable afterwards, and plain commands keep their output and exit status.
    assert.equal((await cp1.exec(['true'])).code, 0);
    assert.deepEqual(await cp1.exec(['sh', '-c', 'echo out; echo err >&2; exit 3'], { timeoutMs: 10_000 }), { code: 3, signal: null, stdout: 'out\n', stderr: 'err\n' });
    assert.deepEqual(await cp1.exec(['printf', '%s', 'no newline'], { timeoutMs: 10_000 }), { code: 0, signal: null, stdout: 'no newline', stderr: '' });
    assert.deepEqual(await cp1.exec(['sh', '-c', 'kill -KILL $$'], { signal: new AbortController().signal }), { code: null, signal: 'SIGKILL', stdout: '', stderr: '' });
  } finally {
    await pool.closeAll();
  }
});

test('an unknown host is refused non-interactively, naming the fingerprint and the flag', async () => {
  const kh = join(work, 'kh-empty');
  writeFileSync(kh, '');
  const pool = labPool(lab, { ssh: { knownHostsFiles: [kh] } });
  const fp = fingerprintSha256(hostKeyBlob('cp1'));
  try {
    await assert.rejects(pool.get('cp1'), (e: RemoteError) => {
      assert.equal(e.code, 'EHOSTKEY_UNKNOWN');
      assert.ok(e.message.includes(`ssh-ed25519 ${fp}`), e.message);
      assert.match(e.message, /acceptNewHostKeys: true \(--accept-new-host-keys\)/);
      return true;
    });
    assert.equal(readFileSync(kh, 'utf8'), '', 'nothing recorded');
  } finally {
    await pool.closeAll();
  }
});

test('an unknown host accepted by the operator is recorded and then known', async () => {
  const kh = join(work, 'kh-accept');
  writeFileSync(kh, '');
  const asked: Array<[string, string]> = [];
  const pool = labPool(lab, { ssh: { knownHostsFiles: [kh] }, onUnknownHost: async (host, fp) => (asked.push([host, fp]), true) });
  try {
    assert.equal((await (await pool.get('cp2')).exec(['true'])).code, 0);
  } finally {
    await pool.closeAll();
  }
  assert.deepEqual(asked, [[node('cp2').address, fingerprintSha256(hostKeyBlob('cp2'))]]);
  assert.match(execFileSync('ssh-keygen', ['-F', node('cp2').address, '-f', kh], { encoding: 'utf8' }), /ssh-ed25519/);
  const strict = labPool(lab, { ssh: { knownHostsFiles: [kh] } });
  try {
    assert.equal((await (await strict.get('cp2')).exec(['true'])).code, 0);
  } finally {
    await strict.closeAll();
  }
});

test('a changed host key is refused with the known_hosts file:line and both fingerprints', async () => {
  const kh = join(work, 'kh-changed');
  const [, type, b64] = hostKeyLine('cp2').split(' ');
  writeFileSync(kh, `# first line\n${node('cp1').address} ${type} ${b64}\n`);
  let asked = false;
  const pool = labPool(lab, { ssh: { knownHostsFiles: [kh] }, acceptNewHostKeys: true, onUnknownHost: async () => (asked = true) });
  try {
    await assert.rejects(pool.get('cp1'), (e: RemoteError) => {
      assert.equal(e.code, 'EHOSTKEY_CHANGED');
      assert.ok(e.message.includes(`${kh}:2`), e.message);
      assert.ok(e.message.includes(fingerprintSha256(hostKeyBlob('cp2'))), 'expected fingerprint');
      assert.ok(e.message.includes(fingerprintSha256(hostKeyBlob('cp1'))), 'offered fingerprint');
      return true;
    });
    assert.equal(asked, false, 'a changed key is never offered for acceptance');
  } finally {
    await pool.closeAll();
  }
});

test('hashed known_hosts (ssh-keygen -H) is understood, and new keys are appended hashed', async () => {
  const kh = join(work, 'kh-hashed');
  writeFileSync(kh, `${hostKeyLine('cp1')}\n`);
  execFileSync('ssh-keygen', ['-q', '-H', '-f', kh]);
  const pool = labPool(lab, { ssh: { knownHostsFiles: [kh] }, acceptNewHostKeys: true });
  try {
    await pool.get('cp1');
    await pool.get('cp2');
  } finally {
    await pool.closeAll();
  }
  const text = readFileSync(kh, 'utf8');
  assert.ok(!text.includes(node('cp2').address), 'the new entry is hashed');
  assert.match(execFileSync('ssh-keygen', ['-F', node('cp2').address, '-f', kh], { encoding: 'utf8' }), /ssh-ed25519/);
});

test('clear errors: unreachable host, refused port, rejected key, encrypted key', async () => {
  const cp2 = node('cp2');
  execFileSync('ip', ['netns', 'exec', cp2.netns, 'iptables', '-I', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'DROP']);
  try {
    const pool = labPool(lab, { connectTimeoutMs: 1000 });
    await assert.rejects(pool.get('cp2'), (e: RemoteError) => e.code === 'ETIMEDOUT' && e.message.startsWith(`cp2: cannot reach ${cp2.address}:22 (no answer within 1 s); check the address`));
    await pool.closeAll();
  } finally {
    execFileSync('ip', ['netns', 'exec', cp2.netns, 'iptables', '-D', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'DROP']);
  }
  const refused = labPool(lab, { ssh: { port: 2222 } });
  await assert.rejects(refused.get('cp1'), (e: RemoteError) => e.code === 'ECONNREFUSED' && /cp1: cannot reach .*:2222 \(connection refused: nothing listens there\)/.test(e.message));

  const wrong = join(work, 'wrong_key');
  const locked = join(work, 'locked_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrong]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret-passphrase', '-f', locked]);
  // Nodes looked up by address without any ssh config, as `ssh -F none -i KEY root@ADDRESS` would.
  const withKey = (key: string) =>
    new HostPool([{ name: 'cp1', address: node('cp1').address }], {
      sshConfig: { configPath: null },
      agentSocket: null,
      ssh: { user: 'root', identityFiles: [key], knownHostsFiles: [join(dir, 'known_hosts')] },
    });
  await assert.rejects(withKey(wrong).get('cp1'), (e: RemoteError) => e.code === 'EAUTH' && e.message.includes(`rejected with the key(s) [${wrong}]; check ssh.user and identityFiles`));
  await assert.rejects(
    withKey(locked).get('cp1'),
    (e: RemoteError) => e.code === 'EAUTH' && e.message.includes(`${locked} is encrypted: load it into ssh-agent`) && !e.message.includes('secret-passphrase'),
  );
});

test('identity files are tried in order, each request signed at once: a rejected key, then an RSA (rsa-sha2) or ECDSA key the host accepts', async () => {
  const cp2 = node('cp2');
  const authorized = hostPath(cp2, '/root/.ssh/authorized_keys');
  const original = readFileSync(authorized, 'utf8');
  const keygen = (name: string, type: string) => {
    const file = join(work, name);
    execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
    return { file, fingerprint: execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1]! };
  };
  const rejected = keygen('not_authorized', 'ed25519');
  const accepted = [keygen('authorized_rsa', 'rsa'), keygen('authorized_ecdsa', 'ecdsa')];
  writeFileSync(authorized, original + accepted.map((k) => readFileSync(`${k.file}.pub`, 'utf8')).join(''));
  try {
    for (const key of accepted) {
      const pool = new HostPool([{ name: 'cp2', address: cp2.address }], {
        sshConfig: { configPath: null },
        agentSocket: null,
        ssh: { user: 'root', identityFiles: [rejected.file, key.file], knownHostsFiles: [join(dir, 'known_hosts')] },
      });
      try {
        assert.equal((await (await pool.get('cp2')).exec(['echo', 'in'])).stdout, 'in\n');
      } finally {
        await pool.closeAll();
      }
      // sshd names the key it accepted; the rejected one was never accepted.
      const log = readFileSync(hostPath(cp2, '/var/log/sshd.log'), 'utf8');
      assert.match(log, new RegExp(`Accepted publickey for root .*${key.fingerprint.replace(/[+/]/g, '\\$&')}`));
      assert.doesNotMatch(log, new RegExp(`Accepted publickey for root .*${rejected.fingerprint.replace(/[+/]/g, '\\$&')}`));
    }
  } finally {
    writeFileSync(authorized, original);
  }
});

test('the pool fans out with bounded parallelism and reports each host separately', async () => {
  const pool = labPool(lab);
  try {
    let inFlight = 0;
    let peak = 0;
    const results = await mapLimit(['cp1', 'cp2', 'cp3', 'nope'], 2, async (name) => {
      peak = Math.max(peak, ++inFlight);
      try {
        return (await (await pool.get(name)).exec(['hostname'])).stdout.trim();
      } finally {
        inFlight--;
      }
    });
    assert.equal(peak, 2);
    assert.deepEqual(results.slice(0, 3), [{ ok: true, value: 'cp1' }, { ok: true, value: 'cp2' }, { ok: true, value: 'cp3' }]);
    assert.equal(results[3]?.ok, false);
  } finally {
    await pool.closeAll();
  }
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Resolves once the write's temp file next to `inNode` holds at least `bytes` bytes: the write is under way. */
async function tempFileGrows(name: string, inNode: string, bytes: number, write: Promise<unknown>): Promise<void> {
  const dirOnHost = hostPath(node(name), inNode.slice(0, inNode.lastIndexOf('/')));
  const prefix = `.${inNode.slice(inNode.lastIndexOf('/') + 1)}.ha-wizard-tmp-`;
  let settled = false;
  void write.then(() => (settled = true), () => (settled = true));
  for (;;) {
    assert.ok(!settled, 'the write ended before the fault could be injected mid-write');
    const tmp = existsSync(dirOnHost) ? readdirSync(dirOnHost).find((f) => f.startsWith(prefix)) : undefined;
    if (tmp && statSync(join(dirOnHost, tmp), { throwIfNoEntry: false })?.size! >= bytes) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Settles with the operation's outcome, or fails the test if it has not settled after `ms` (a hang). */
async function settles<T>(what: string, p: Promise<T>, ms = 90_000): Promise<{ ok: true; value: T } | { ok: false; error: RemoteError }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} never settled (hung for ${ms / 1000} s)`)), ms)));
  try {
    return await Promise.race([p.then((value) => ({ ok: true as const, value }), (error: RemoteError) => ({ ok: false as const, error })), hang]);
  } finally {
    clearTimeout(timer);
  }
}

test('sshd killed mid-write: the write rejects naming host, operation and path; the file is old or new; the next get() reconnects', async () => {
  const pool = labPool(lab);
  const path = '/etc/kubernetes/manifests/fault.yaml';
  const onHost = hostPath(node('cp2'), path);
  const old = Buffer.alloc(1024 * 1024 + 3, 'o');
  const next = Buffer.alloc(48 * 1024 * 1024 + 7, 'n');
  let killing = true;
  let loop: Promise<void> = Promise.resolve();
  try {
    const cp2 = await pool.get('cp2');
    await cp2.writeFileAtomic(path, old, { mode: 0o600 });
    const write = cp2.writeFileAtomic(path, next, { mode: 0o600 });
    await tempFileGrows('cp2', path, 1024 * 1024, write);
    // What the previous fault test did to a whole conversion: every sshd session process killed, again and again.
    loop = (async () => {
      while (killing) {
        await nodeExec(lab, 'cp2', ['sh', '-c', 'for p in $(pgrep -P 1 -x sshd); do kill -9 "$p"; done']).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    const r = await settles('the write on a killed connection', write);
    assert.equal(r.ok, false, 'the write cannot have succeeded: its connection was killed mid-write');
    if (!r.ok) {
      assert.ok(r.error instanceof RemoteError, String(r.error));
      assert.match(r.error.message, /cp2\b.*writing \/etc\/kubernetes\/manifests\/fault\.yaml/, r.error.message);
      assert.match(r.error.message, /connection|SFTP/, r.error.message);
    }
    // Every later operation on the dead connection settles too, while the fault lasts.
    for (const op of [cp2.readFile(path), cp2.exec(['true']), cp2.writeFileAtomic(path, 'x', { mode: 0o600 })]) await settles('an operation under the fault', op as Promise<unknown>);
    killing = false;
    await loop;
    // The transport reconnects between kills, so the later write of 'x' above may have gone through: whole, though.
    assert.ok([sha256(old), sha256(next), sha256(Buffer.from('x'))].includes(sha256(readFileSync(onHost))), 'the target is one whole version (old, new or the later write), never a mix');
    assert.equal(statSync(onHost).mode & 0o777, 0o600);
    for (const f of readdirSync(hostPath(node('cp2'), '/etc/kubernetes/manifests'))) {
      if (f.includes('.ha-wizard-tmp-')) assert.equal(statSync(join(hostPath(node('cp2'), '/etc/kubernetes/manifests'), f)).mode & 0o077, 0, `${f}: a left temp file is private`);
    }
    // The same host object from the pool reconnects on its next operation.
    const again = await pool.get('cp2');
    await again.writeFileAtomic(path, next, { mode: 0o600 });
    assert.equal(await again.sha256(path), sha256(next));
  } finally {
    killing = false;
    await loop;
    await pool.closeAll();
    await nodeExec(lab, 'cp2', ['sh', '-c', 'rm -f /etc/kubernetes/manifests/fault.yaml /etc/kubernetes/manifests/.fault.yaml.ha-wizard-tmp-*']);
  }
});

test('a silent peer (sshd session stopped) mid-write: the per-operation timeout rejects and the next operation reconnects', async () => {
  const pool = labPool(lab, { operationTimeoutMs: 2000 });
  const path = '/etc/kubernetes/manifests/silent.yaml';
  const data = Buffer.alloc(48 * 1024 * 1024 + 7, 's');
  let stopped: string[] = [];
  try {
    const cp3 = await pool.get('cp3');
    const write = cp3.writeFileAtomic(path, data, { mode: 0o600 });
    await tempFileGrows('cp3', path, 1024 * 1024, write);
    stopped = (await nodeExec(lab, 'cp3', ['sh', '-c', 'for p in $(pgrep -P 1 -x sshd); do kill -STOP "$p" && echo "$p"; done'])).stdout.split('\n').filter(Boolean);
    assert.ok(stopped.length > 0, 'an sshd session process to stop');
    const r = await settles('the write to a silent peer', write);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error.message, /cp3\b.*writing \/etc\/kubernetes\/manifests\/silent\.yaml.*(no answer|timed out|given up)/, r.error.message);
    const again = await pool.get('cp3');
    assert.equal((await again.exec(['true'])).code, 0, 'a new connection once the old one was given up');
  } finally {
    if (stopped.length) await nodeExec(lab, 'cp3', ['sh', '-c', `kill -9 ${stopped.join(' ')}; kill -CONT ${stopped.join(' ')}; true`]);
    await pool.closeAll();
    await nodeExec(lab, 'cp3', ['sh', '-c', 'rm -f /etc/kubernetes/manifests/silent.yaml /etc/kubernetes/manifests/.silent.yaml.ha-wizard-tmp-*']);
  }
});
