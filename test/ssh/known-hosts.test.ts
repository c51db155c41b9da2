import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { appendKnownHost, checkHostKey, fingerprintSha256, keyTypeOfBlob, parseKnownHosts, verifyHostKey } from '../../src/ssh/known-hosts.js';

const dir = mkdtempSync(join(tmpdir(), 'haw-kh-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function makeKey(name: string, type: string): { pubLine: string; type: string; blob: Buffer; file: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', file]);
  const pubLine = readFileSync(`${file}.pub`, 'utf8').trim();
  const [t, b64] = pubLine.split(' ');
  return { pubLine, type: t!, blob: Buffer.from(b64!, 'base64'), file };
}

const ed = makeKey('ed', 'ed25519');
const ed2 = makeKey('ed2', 'ed25519');
const rsa = makeKey('rsa', 'rsa');
const ec = makeKey('ec', 'ecdsa');
const line = (hosts: string, k: { type: string; blob: Buffer }) => `${hosts} ${k.type} ${k.blob.toString('base64')}`;

test('fingerprints match ssh-keygen -lf for every key type', () => {
  for (const k of [ed, rsa, ec]) {
    const expected = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${k.file}.pub`], { encoding: 'utf8' }).split(' ')[1];
    assert.equal(fingerprintSha256(k.blob), expected);
    assert.equal(keyTypeOfBlob(k.blob), k.type);
  }
});

test('plain entries: comma lists, [host]:port, wildcards, negation, comments, CRLF', async () => {
  const path = join(dir, 'plain');
  writeFileSync(
    path,
    [
      '# a comment',
      '',
      line('cp1,10.0.0.11', ed),
      line('[cp2]:2222,[10.0.0.12]:2222', ed),
      line('*.lab,!bad.lab', rsa) + '\r',
      'garbage line',
      line('cp3', ec),
    ].join('\n'),
  );
  assert.equal(parseKnownHosts(readFileSync(path, 'utf8'), path).length, 4);
  assert.deepEqual(await verifyHostKey([path], 'cp1', 22, ed.type, ed.blob), { status: 'known', path, line: 3 });
  assert.deepEqual(await verifyHostKey([path], '10.0.0.11', 22, ed.type, ed.blob), { status: 'known', path, line: 3 });
  assert.equal((await verifyHostKey([path], 'CP1', 22, ed.type, ed.blob)).status, 'known');
  assert.equal((await verifyHostKey([path], 'cp2', 2222, ed.type, ed.blob)).status, 'known');
  // port 22 is a different name than [cp2]:2222
  assert.equal((await verifyHostKey([path], 'cp2', 22, ed.type, ed.blob)).status, 'unknown');
  assert.equal((await verifyHostKey([path], 'cp1', 2222, ed.type, ed.blob)).status, 'unknown');
  assert.equal((await verifyHostKey([path], 'w1.lab', 22, rsa.type, rsa.blob)).status, 'known');
  assert.equal((await verifyHostKey([path], 'bad.lab', 22, rsa.type, rsa.blob)).status, 'unknown');
  // another key type for a known host is not "changed" (OpenSSH asks)
  assert.equal((await verifyHostKey([path], 'cp3', 22, ed.type, ed.blob)).status, 'unknown');
});

test('a different key of the same type is reported as changed with file, line and both fingerprints', async () => {
  const path = join(dir, 'changed');
  writeFileSync(path, `# header\n${line('cp1', ed)}\n`);
  const r = await verifyHostKey([join(dir, 'missing'), path], 'cp1', 22, ed2.type, ed2.blob);
  assert.deepEqual(r, { status: 'changed', path, line: 2, lineText: line('cp1', ed), expected: fingerprintSha256(ed.blob), got: fingerprintSha256(ed2.blob) });
  const unknown = await verifyHostKey([path], 'cp9', 22, ed2.type, ed2.blob);
  assert.deepEqual(unknown, { status: 'unknown', fingerprint: fingerprintSha256(ed2.blob) });
});

test('hashed entries written by ssh-keygen -H are matched, ports included', async () => {
  const path = join(dir, 'hashed');
  writeFileSync(path, [line('cp1,10.0.0.11', ed), line('[cp2]:2222', rsa)].join('\n') + '\n');
  execFileSync('ssh-keygen', ['-q', '-H', '-f', path]);
  const text = readFileSync(path, 'utf8');
  assert.ok(!text.includes('cp1') && text.includes('|1|'), 'ssh-keygen hashed the names');
  assert.equal((await verifyHostKey([path], 'cp1', 22, ed.type, ed.blob)).status, 'known');
  assert.equal((await verifyHostKey([path], '10.0.0.11', 22, ed.type, ed.blob)).status, 'known');
  assert.equal((await verifyHostKey([path], 'cp2', 2222, rsa.type, rsa.blob)).status, 'known');
  assert.equal((await verifyHostKey([path], 'cp2', 22, rsa.type, rsa.blob)).status, 'unknown');
  assert.equal((await verifyHostKey([path], 'cp1', 22, ed2.type, ed2.blob)).status, 'changed');
});

test('@revoked refuses the key; @cert-authority is reported as unsupported', () => {
  const path = join(dir, 'markers');
  const text = [`@revoked ${line('*', ed2)}`, `@cert-authority ${line('*.lab', ec)}`, line('cp1', ed)].join('\n');
  const entries = parseKnownHosts(text, path);
  assert.deepEqual(checkHostKey(entries, 'cp1', 22, ed2.type, ed2.blob), { status: 'revoked', path, line: 1, fingerprint: fingerprintSha256(ed2.blob) });
  const ca = checkHostKey(entries, 'w1.lab', 22, rsa.type, rsa.blob);
  assert.equal(ca.status, 'unknown');
  assert.match(ca.status === 'unknown' ? (ca.note ?? '') : '', /markers:2 .*host certificates/);
});

test('appended keys are hashed when the file is hashed, plain otherwise, and ssh-keygen -F finds them', async () => {
  const hashed = join(dir, 'append-hashed');
  writeFileSync(hashed, line('cp1', ed)); // no trailing newline on purpose
  execFileSync('ssh-keygen', ['-q', '-H', '-f', hashed]);
  await appendKnownHost(hashed, 'cp2', 2222, rsa.blob);
  assert.ok(!readFileSync(hashed, 'utf8').includes('cp2'));
  assert.match(execFileSync('ssh-keygen', ['-F', '[cp2]:2222', '-f', hashed], { encoding: 'utf8' }), /ssh-rsa/);
  assert.equal((await verifyHostKey([hashed], 'cp2', 2222, rsa.type, rsa.blob)).status, 'known');

  const plain = join(dir, 'sub', 'append-plain');
  await appendKnownHost(plain, 'cp3', 22, ec.blob);
  await appendKnownHost(plain, 'cp4', 22, ed.blob);
  assert.equal(readFileSync(plain, 'utf8'), `${line('cp3', ec)}\n${line('cp4', ed)}\n`);
  assert.match(execFileSync('ssh-keygen', ['-F', 'cp4', '-f', plain], { encoding: 'utf8' }), /ssh-ed25519/);

  const forced = join(dir, 'append-forced');
  await appendKnownHost(forced, 'cp5', 22, ed.blob, { hash: true });
  assert.match(readFileSync(forced, 'utf8'), /^\|1\|/);
  assert.match(execFileSync('ssh-keygen', ['-F', 'cp5', '-f', forced], { encoding: 'utf8' }), /ssh-ed25519/);
});
