import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseJumpHop, resolveSshTarget } from '../../src/ssh/ssh-config.js';

const home = mkdtempSync(join(tmpdir(), 'haw-sshcfg-'));
test.after(() => rmSync(home, { recursive: true, force: true }));
mkdirSync(join(home, '.ssh', 'conf.d'), { recursive: true });
const canary = join(home, 'match-exec-ran');

writeFileSync(
  join(home, '.ssh', 'config'),
  `
Include conf.d/*.conf

Match exec "touch ${canary}"
  User fromexec

Host cp1
  HostName %h.lab.example
  User admin
  Port 2201
  IdentityFile ~/.ssh/id_%r_%h_%p
  IdentityFile "/keys/with space"
  UserKnownHostsFile ~/.ssh/kh_%n /etc/kh2
  ProxyJump jumper@bastion:2200
  IdentitiesOnly yes

Host bastion
  HostName 10.200.0.2
  IdentityFile ~/.ssh/bastion_key

Host deep
  ProxyJump hop1,hop2

Host hop1
  ProxyJump hop0

Host viaproxycommand
  ProxyCommand nc %h %p

Host *
  User defaultuser
  HashKnownHosts yes
  ConnectTimeout 7
`,
);
writeFileSync(join(home, '.ssh', 'conf.d', 'w.conf'), 'Host w1\n  HostName 10.200.0.21\n  User fromdrop\n');
writeFileSync(join(home, '.ssh', 'conf.d', 'ignored.txt'), 'Host w1\n  User wrong\n');

const opts = { homeDir: home, localUser: 'me' };

test('HostName, User, Port, IdentityFile tokens, known_hosts files and ProxyJump come from ~/.ssh/config', async () => {
  const t = await resolveSshTarget('CP1', {}, opts);
  assert.equal(t.hostName, 'cp1.lab.example');
  assert.equal(t.user, 'admin');
  assert.equal(t.port, 2201);
  assert.deepEqual(t.identityFiles, [join(home, '.ssh/id_admin_cp1.lab.example_2201'), '/keys/with space']);
  assert.equal(t.identitiesOnly, true);
  assert.deepEqual(t.knownHostsFiles, [join(home, '.ssh/kh_CP1'), '/etc/kh2', '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']);
  assert.equal(t.hashKnownHosts, true);
  assert.equal(t.connectTimeoutMs, 7000);
  assert.equal(t.jump?.alias, 'bastion');
  assert.equal(t.jump?.hostName, '10.200.0.2');
  assert.equal(t.jump?.user, 'jumper');
  assert.equal(t.jump?.port, 2200);
  assert.deepEqual(t.jump?.identityFiles, [join(home, '.ssh/bastion_key')]);
  assert.equal(existsSync(canary), false, 'Match exec must never run');
});

test('cluster config values win over ~/.ssh/config', async () => {
  const t = await resolveSshTarget('cp1', { user: 'ops', port: 22, identityFiles: ['~/k1'], proxyJump: 'none', knownHostsFiles: ['/tmp/kh'] }, opts);
  assert.equal(t.user, 'ops');
  assert.equal(t.port, 22);
  assert.deepEqual(t.identityFiles, [join(home, 'k1'), join(home, '.ssh/id_ops_cp1.lab.example_22'), '/keys/with space']);
  assert.equal(t.jump, undefined);
  assert.deepEqual(t.knownHostsFiles, ['/tmp/kh', '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']);
});

test('Include is followed (glob in the last component) and defaults fill the gaps', async () => {
  const w = await resolveSshTarget('w1', {}, opts);
  assert.equal(w.hostName, '10.200.0.21');
  assert.equal(w.user, 'fromdrop');
  assert.equal(w.port, 22);
  assert.deepEqual(w.identityFiles, ['id_rsa', 'id_ecdsa', 'id_ed25519'].map((f) => join(home, '.ssh', f)));
  assert.deepEqual(w.knownHostsFiles.slice(0, 2), [join(home, '.ssh/known_hosts'), join(home, '.ssh/known_hosts2')]);
  const none = await resolveSshTarget('w1', {}, { ...opts, configPath: null });
  assert.equal(none.user, 'me');
  assert.equal(none.hostName, 'w1');
});

test('ProxyJump chains: a,b reaches a first (with its own ProxyJump), then b, then the target', async () => {
  const t = await resolveSshTarget('deep', {}, opts);
  assert.equal(t.jump?.alias, 'hop2');
  assert.equal(t.jump?.jump?.alias, 'hop1');
  assert.equal(t.jump?.jump?.jump?.alias, 'hop0');
  assert.equal(t.jump?.jump?.jump?.jump, undefined);
});

test('ProxyCommand is refused with advice; hop syntax is parsed', async () => {
  await assert.rejects(resolveSshTarget('viaproxycommand', {}, opts), /ProxyCommand.*ProxyJump/);
  assert.deepEqual(parseJumpHop('u@h:2022'), { user: 'u', host: 'h', port: 2022 });
  assert.deepEqual(parseJumpHop('[fd00::1]:22'), { host: 'fd00::1', port: 22 });
  assert.deepEqual(parseJumpHop('h'), { host: 'h' });
  assert.throws(() => parseJumpHop('h:99999'), /invalid ProxyJump/);
});
