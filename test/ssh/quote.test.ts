import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { shJoin, shQuote } from '../../src/shell/quote.js';
import { oneLine } from '../../src/ssh/connection.js';

const canary = mkdtempSync(join(tmpdir(), 'haw-quote-'));
const pwned = join(canary, 'pwned');

const HOSTILE = [
  '',
  ' ',
  "it's",
  "''",
  '"double" quotes',
  `$(touch ${pwned})`,
  `\`touch ${pwned}\``,
  `; touch ${pwned}`,
  `&& touch ${pwned} ||`,
  `| touch ${pwned}`,
  '$HOME',
  '${HOME}',
  '~',
  '~root/x',
  '*',
  '/etc/*',
  '?',
  '[a-z]',
  '{a,b}',
  'line1\nline2',
  '\n',
  '\t tab',
  '\\',
  'back\\slash\\',
  '-rf',
  '--',
  '-',
  '!',
  '!!',
  '#comment',
  'a#b',
  'a=b',
  '%1',
  '>out',
  '<in',
  '2>&1',
  "'; touch " + pwned + "; echo '",
  'ünïcødé ✓ 日本',
  '\x01\x02\x7f',
  'end\\',
  "'",
];

/** Runs argv through a real shell, as sshd does with the exec request string, and returns the words the command received. */
function roundTrip(shell: string, args: readonly string[]): string[] {
  const cmd = shJoin(['printf', '%s\\0', ...args]);
  const r = spawnSync(shell, ['-c', cmd], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${shell} failed on ${JSON.stringify(cmd)}: ${r.stderr}`);
  const words = r.stdout.split('\0');
  assert.equal(words.pop(), '');
  return words;
}

for (const shell of ['sh', 'bash']) {
  test(`every hostile argument reaches the command literally (${shell})`, () => {
    assert.deepEqual(roundTrip(shell, HOSTILE), HOSTILE);
    assert.equal(existsSync(pwned), false, 'an argument was executed');
  });

  test(`random strings round-trip (${shell})`, () => {
    const alphabet = ` \t\n'"\\$\`!#&*()[]{}<>|;~=?%^,.-_/:@+azAZ09é✓`;
    const words = Array.from({ length: 300 }, () => {
      const bytes = randomBytes(1 + (randomBytes(1)[0]! % 24));
      return [...bytes].map((b) => [...alphabet][b % [...alphabet].length]).join('');
    });
    assert.deepEqual(roundTrip(shell, words), words);
  });
}

test('a first word that looks like an assignment or a keyword is run as a command', () => {
  for (const word of ['FOO=bar', 'if', 'time', '!', '{']) {
    const r = spawnSync('sh', ['-c', shJoin([word, 'x'])], { encoding: 'utf8' });
    assert.equal(r.status, 127, `${word}: ${r.stderr}`);
  }
});

test('plain words stay readable in audit logs', () => {
  assert.equal(shJoin(['sha256sum', '/etc/kubernetes/pki/ca.crt', '--', 'a-b_c.d:e@f+g,h']), 'sha256sum /etc/kubernetes/pki/ca.crt -- a-b_c.d:e@f+g,h');
  assert.equal(shQuote("it's"), `'it'\\''s'`);
});

test('arguments no shell can carry are refused', () => {
  assert.throws(() => shQuote('a\0b'), /NUL/);
  assert.throws(() => shQuote('\uD800'), /surrogate/);
  assert.throws(() => shJoin([]), /empty/);
});

test.after(() => rmSync(canary, { recursive: true, force: true }));

test('a command in a message is one line: a script shows its lines joined, a long one is cut', () => {
  assert.equal(oneLine("sh -c 'set -eu\n  n=$(etcdctl member list | wc -l)\n  [ \"$n\" -eq 3 ]' ha-wizard-probe"), "sh -c 'set -eu; n=$(etcdctl member list | wc -l); [ \"$n\" -eq 3 ]' ha-wizard-probe");
  assert.equal(oneLine('true'), 'true');
  const long = oneLine(`echo ${'x'.repeat(300)}`);
  assert.equal(long.length, 160);
  assert.ok(long.endsWith('…'));
});
