/** The SSH transport with a non-root login user (sudo NOPASSWD, sudo with a password) and a bastion (ProxyJump). */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { labDown, labUp, type LabState } from '../../lab/lab.js';
import type { ExecAuditRecord } from '../../src/ssh/remote-host.js';
import { RemoteError } from '../../src/engine/model/remote-host.js';
import { assertAtomicUnderConcurrentReads, labName, labPool } from './lab-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'haw-ssh-sudo-'));
const PASSWORD = "s3cret'pa$$ word";
let nopasswd: LabState;
let withPassword: LabState;

before(async () => {
  nopasswd = await labUp({ dir: join(work, 'np'), name: labName('hawsshn'), promote: 1, workers: 0, sshUser: 'ops', cluster: false });
  withPassword = await labUp({ dir: join(work, 'pw'), name: labName('hawsshp'), promote: 1, workers: 0, sshUser: 'ops', sudoPassword: PASSWORD, bastion: true, cluster: false });
});
after(async () => {
  if (nopasswd) await labDown(nopasswd.dir);
  if (withPassword) await labDown(withPassword.dir);
  rmSync(work, { recursive: true, force: true });
});

test('sudo NOPASSWD: commands and files as root, owner and mode exact', async () => {
  const pool = labPool(nopasswd);
  try {
    const cp1 = await pool.get('cp1');
    // /tmp is shared by the lab's nodes and this machine: compare before and after.
    const before = await cp1.exec(['find', '/tmp', '-maxdepth', '1', '-name', 'tmp.*', '-user', 'ops']);
    assert.equal((await cp1.exec(['whoami'])).stdout, 'root\n');
    assert.equal((await cp1.exec(['cat'], { stdin: 'piped\n' })).stdout, 'piped\n');
    const path = '/etc/kubernetes/pki/apiserver.key';
    await cp1.writeFileAtomic(path, 'key bytes', { mode: 0o600 });
    assert.deepEqual(await cp1.stat(path), { exists: true, mode: 0o600, uid: 0, gid: 0, size: 9 });
    assert.equal((await cp1.readFile(path)).toString(), 'key bytes');
    assert.match((await cp1.sha256(path)) ?? '', /^[0-9a-f]{64}$/);
    assert.equal(await cp1.sha256('/etc/kubernetes/none'), null);
    await assert.rejects(cp1.readFile('/etc/kubernetes/none'), (e: RemoteError) => e.code === 'ENOENT');
    await cp1.writeFileAtomic("/etc/kubernetes/odd $(name)'s.conf", 'odd', { mode: 0o644, owner: 'nobody:nogroup' });
    assert.deepEqual(await cp1.stat("/etc/kubernetes/odd $(name)'s.conf"), { exists: true, mode: 0o644, uid: 65534, gid: 65534, size: 3 });
    // the login user itself cannot read the key: the file really is root's
    const direct = await cp1.exec(['su', '-s', '/bin/sh', 'ops', '-c', `cat ${path}`]);
    assert.notEqual(direct.code, 0);
    const after = await cp1.exec(['find', '/tmp', '-maxdepth', '1', '-name', 'tmp.*', '-user', 'ops']);
    const left = after.stdout.split('\n').filter((d) => d && !before.stdout.split('\n').includes(d));
    assert.deepEqual(left, [], 'private staging directories are removed');
  } finally {
    await pool.closeAll();
  }
});

test('sudo NOPASSWD: a redone write removes the temp files lost connections left beside its target, and only those', async () => {
  const pool = labPool(nopasswd);
  try {
    const cp1 = await pool.get('cp1');
    const dir = "/etc/kubernetes/stale $(x) 'q'";
    const name = "it's $(touch y).key";
    const leftover = `.${name}.ha-wizard-tmp-0a1b2c3d4e5f`;
    const keep = `.other.ha-wizard-tmp-0a1b2c3d4e5f`;
    assert.equal((await cp1.exec(['sh', '-c', 'mkdir -p "$1" && cd "$1" && touch -- "$2" "$3"', 'sh', dir, leftover, keep])).code, 0);
    await cp1.writeFileAtomic(`${dir}/${name}`, 'redone', { mode: 0o600, removeStaleTemps: true });
    const listing = (await cp1.exec(['ls', '-1A', dir])).stdout.split('\n').filter(Boolean).sort();
    assert.deepEqual(listing, [keep, name].sort());
    assert.equal((await cp1.exec(['test', '-e', 'y'])).code, 1, 'a name was interpreted by a shell');
  } finally {
    await pool.closeAll();
  }
});

test('sudo NOPASSWD: an atomic write is never seen half-written (sudo install + mv)', async () => {
  const pool = labPool(nopasswd);
  try {
    await assertAtomicUnderConcurrentReads(await pool.get('cp2'), '/etc/kubernetes/manifests/big.yaml');
  } finally {
    await pool.closeAll();
  }
});

test('sudo with a password through a bastion: asked once, fed on stdin, never in logs or errors', async () => {
  const audit: ExecAuditRecord[] = [];
  const errors: string[] = [];
  let asked = 0;
  const pool = labPool(withPassword, {
    askPassword: async ({ user }) => {
      asked++;
      assert.equal(user, 'ops');
      return PASSWORD;
    },
    onExec: (r) => audit.push(r),
  });
  try {
    const [cp1, cp2] = await Promise.all([pool.get('cp1'), pool.get('cp2')]);
    assert.equal(asked, 1);
    for (const h of [cp1, cp2]) assert.equal((await h.exec(['id', '-u'])).stdout, '0\n');
    assert.equal((await cp2.exec(['cat'], { stdin: 'after the password\n' })).stdout, 'after the password\n');
    const failing = await cp1.exec(['sh', '-c', 'echo "$1" >&2; exit 4', 'sh', PASSWORD]);
    assert.equal(failing.code, 4);
    assert.ok(!failing.stderr.includes(PASSWORD));
    await cp1.writeFileAtomic('/etc/kubernetes/admin.conf', 'conf', { mode: 0o600 });
    assert.equal((await cp1.readFile('/etc/kubernetes/admin.conf')).toString(), 'conf');
    await cp1.readFile('/etc/kubernetes/none').catch((e: Error) => errors.push(e.message));
    await cp1.exec(['sh', '-c', 'sleep 10', PASSWORD], { timeoutMs: 200 }).catch((e: Error) => errors.push(e.message));
    await cp1.exec(['sh', '-c', 'sleep 10', 'token-123'], { redact: ['token-123'], timeoutMs: 200 }).catch((e: Error) => errors.push(e.message));
  } finally {
    await pool.closeAll();
  }
  assert.equal(errors.length, 3);
  const logged = JSON.stringify(audit) + errors.join('\n');
  assert.ok(!logged.includes(PASSWORD), 'the sudo password leaked');
  assert.ok(!logged.includes('token-123'), 'a redacted argument leaked');
  assert.ok(audit.some((r) => r.argv.includes('***')));

  const wrong = labPool(withPassword, { askPassword: async () => 'not-the-password' });
  await assert.rejects(wrong.get('cp1'), (e: RemoteError) => {
    assert.equal(e.code, 'ESUDO', e.message);
    assert.match(e.message, /sudo rejected the password for ops/);
    assert.ok(!e.message.includes('not-the-password'));
    return true;
  });
  await wrong.closeAll();
  const noPrompt = labPool(withPassword);
  await assert.rejects(noPrompt.get('cp1'), (e: RemoteError) => {
    assert.equal(e.code, 'ESUDO', e.message);
    assert.match(e.message, /needs a password/);
    return true;
  });
  await noPrompt.closeAll();
});

test('ProxyJump: the bastion host key is verified too', async () => {
  const labKh = readFileSync(join(withPassword.dir, 'known_hosts'), 'utf8');
  const bastionAddr = withPassword.bastionAddress!;
  const kh = join(work, 'kh-no-bastion');
  writeFileSync(kh, labKh.split('\n').filter((l) => !l.startsWith(`${bastionAddr} `)).join('\n'));
  const pool = labPool(withPassword, { ssh: { knownHostsFiles: [kh] }, askPassword: async () => PASSWORD });
  try {
    await assert.rejects(pool.get('cp1'), (e: RemoteError) => e.code === 'EHOSTKEY_UNKNOWN' && e.message.startsWith(`${bastionAddr} (${bastionAddr}:22)`));
  } finally {
    await pool.closeAll();
  }
  const target = labPool(withPassword, { askPassword: async () => PASSWORD });
  try {
    const cp2 = await target.get('cp2');
    assert.equal((await cp2.exec(['hostname'])).stdout.trim(), 'cp2');
    // the bastion's own view: the target address is not reachable from the client directly
    assert.notEqual(cp2.address, bastionAddr);
  } finally {
    await target.closeAll();
  }
});
