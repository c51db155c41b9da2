import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import ssh2 from 'ssh2';
import { IdentityCache } from '../../src/ssh/auth.js';
import { SettledFileCache } from '../../src/ssh/file-cache.js';
import { fingerprintSha256, verifyHostKey } from '../../src/ssh/known-hosts.js';
import { SshConfigResolver, resolveSshTarget } from '../../src/ssh/ssh-config.js';

const { utils } = ssh2;
const dir = mkdtempSync(join(tmpdir(), 'haw-fcache-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function counting(settledMs?: number): { cache: SettledFileCache<string>; parses: () => number } {
  let n = 0;
  const cache = new SettledFileCache((data) => {
    n++;
    return data.toString();
  }, settledMs);
  return { cache, parses: () => n };
}

test('a settled file is parsed once and shared; a change (size, inode) is read again', async () => {
  const path = join(dir, 'settled');
  writeFileSync(path, 'one\n');
  // A negative settle time caches even a file written just now, so the reuse itself can be observed.
  const { cache, parses } = counting(-60_000);
  assert.equal(await cache.get(path), 'one\n');
  assert.equal(await cache.get(path), 'one\n');
  assert.equal(parses(), 1);
  appendFileSync(path, 'two\n');
  assert.equal(await cache.get(path), 'one\ntwo\n');
  assert.equal(parses(), 2);
  rmSync(path);
  assert.equal(await cache.get(path), null);
  writeFileSync(path, 'one\n');
  assert.equal(await cache.get(path), 'one\n', 'a file created again is read again');
  assert.equal(parses(), 3);
});

test('a file changed just before it was read is never served from the cache (same size, same timestamp tick)', async () => {
  const path = join(dir, 'racy');
  const { cache, parses } = counting();
  for (let i = 0; i < 20; i++) {
    // Same length every time: within one timestamp tick every stat field can be equal.
    const text = `version ${i % 10}\n`;
    writeFileSync(path, text);
    assert.equal(await cache.get(path), text);
  }
  assert.equal(parses(), 20);
  assert.equal(await cache.get(join(dir, 'missing')), null);
  await assert.rejects(cache.get(dir), /EISDIR/);
});

test('callers asking at the same time share one look at the file; the next caller looks again', async () => {
  const path = join(dir, 'shared');
  writeFileSync(path, 'v1\n');
  const { cache, parses } = counting();
  const all = await Promise.all(Array.from({ length: 50 }, () => cache.get(path)));
  assert.ok(all.every((v) => v === 'v1\n'));
  assert.equal(parses(), 1);
  writeFileSync(path, 'v2\n');
  assert.equal(await cache.get(path), 'v2\n');
  assert.equal(parses(), 2);
  rmSync(path);
  assert.deepEqual(await Promise.all([cache.get(path), cache.get(path)]), [null, null]);
});

test('known_hosts: a key replaced in the same file right after a check is seen at the next check', async () => {
  const keys = ['a', 'b'].map((n) => {
    const file = join(dir, `host_${n}`);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', n, '-f', file]);
    const blob = Buffer.from(execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).split(' ')[1]!, 'base64');
    return { blob, line: `cp1 ssh-ed25519 ${blob.toString('base64')}\n` };
  });
  const [a, b] = keys as [(typeof keys)[0], (typeof keys)[0]];
  const path = join(dir, 'known_hosts');
  writeFileSync(path, a.line);
  assert.equal((await verifyHostKey([path], 'cp1', 22, 'ssh-ed25519', a.blob)).status, 'known');
  writeFileSync(path, b.line); // same length, same inode
  assert.equal((await verifyHostKey([path], 'cp1', 22, 'ssh-ed25519', b.blob)).status, 'known');
  const r = await verifyHostKey([path], 'cp1', 22, 'ssh-ed25519', a.blob);
  assert.equal(r.status, 'changed');
  assert.equal(r.status === 'changed' && r.expected, fingerprintSha256(b.blob));
});

test('identity files: parsed keys, encrypted and unusable files are told apart', async () => {
  const plain = join(dir, 'id_plain');
  const enc = join(dir, 'id_enc');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', plain]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', enc]);
  const ids = new IdentityCache();
  const k = await ids.get(plain);
  assert.equal(k?.kind, 'key');
  assert.equal(k?.kind === 'key' && k.key.type, 'ssh-ed25519');
  // The shared key signs exactly as ssh2's own parse of the same file does (ed25519 is deterministic).
  const data = Buffer.from('session id and userauth request');
  const own = utils.parseKey(readFileSync(plain));
  assert.ok(k?.kind === 'key' && !(own instanceof Error));
  const sig = k.key.sign(data);
  assert.ok(Buffer.isBuffer(sig));
  assert.deepEqual(sig, own.sign(data));
  assert.equal(own.verify(data, sig), true);
  assert.equal((await ids.get(plain))?.kind, 'key');
  for (const type of ['rsa', 'ecdsa']) {
    const file = join(dir, `id_${type}`);
    execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
    const id = await ids.get(file);
    assert.ok(id?.kind === 'key');
    const parsed = utils.parseKey(readFileSync(file));
    assert.ok(!(parsed instanceof Error));
    for (const algo of type === 'rsa' ? ['sha256', 'sha512'] : [undefined]) {
      const s = id.key.sign(data, algo);
      assert.ok(Buffer.isBuffer(s), `${type} ${algo}: ${String(s)}`);
      assert.equal(parsed.verify(data, s, algo), true, `${type} ${algo}`);
    }
  }
  assert.equal((await ids.get(enc))?.kind, 'encrypted');
  assert.equal((await ids.get(`${plain}.pub`))?.kind, 'unreadable', 'a public key cannot sign');
  writeFileSync(join(dir, 'junk'), 'not a key\n');
  assert.equal((await ids.get(join(dir, 'junk')))?.kind, 'unreadable');
  assert.equal(await ids.get(join(dir, 'nope')), null);
});

test('one resolver reads the config once and resolves every host as resolveSshTarget does', async () => {
  const home = join(dir, 'home');
  const cfg = join(dir, 'ssh_config');
  const hosts = Array.from({ length: 30 }, (_, i) => `w${i}`);
  writeFileSync(cfg, `${hosts.map((h, i) => `Host ${h}\n  HostName 10.0.0.${i + 1}\n  User u${i}\n  IdentityFile ~/k_%n\n`).join('\n')}\nHost *\n  Port 2222\n  UserKnownHostsFile ~/kh\n`);
  const opts = { configPath: cfg, homeDir: home, localUser: 'me' };
  const resolver = new SshConfigResolver(opts);
  const got = await Promise.all([...hosts, 'other'].map((h) => resolver.resolve(h, h === 'w3' ? { user: 'override' } : {})));
  const want = await Promise.all([...hosts, 'other'].map((h) => resolveSshTarget(h, h === 'w3' ? { user: 'override' } : {}, opts)));
  assert.deepEqual(got, want);
  assert.equal(got[3]?.user, 'override');
  assert.equal(got[29]?.hostName, '10.0.0.30');
  assert.deepEqual(got[0]?.identityFiles, [join(home, 'k_w0')]);
  assert.equal(got[30]?.port, 2222);
  // A missing file is an empty config, as for ssh.
  const missing = new SshConfigResolver({ ...opts, configPath: join(dir, 'later') });
  assert.equal((await missing.resolve('w1')).hostName, 'w1');
});
