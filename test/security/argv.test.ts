/**
 * Command construction is injection-safe: every argv the wizard sends over SSH goes through shJoin (one
 * string for the remote login shell) or reaches a fixed `sh -c` script only as positional arguments.
 * Judged by a real POSIX shell: the hostile values must come back byte for byte and run nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { shJoin, shQuote } from '../../src/shell/quote.js';
import { etcdctl, memberPromoteByPeer, memberRemoveByNameOrPeer, memberStateProbe, memberUpdatePeer, noOtherLearnerCheck } from '../../src/etcd/etcdctl.js';

const dir = mkdtempSync(join(tmpdir(), 'haw-argv-'));
const canary = join(dir, 'pwned');
after(() => rmSync(dir, { recursive: true, force: true }));

const HOSTILE = [
  `/etc/kubernetes/pki/$(touch ${canary})`,
  `/etc/kubernetes/\`touch ${canary}\``,
  `a b; touch ${canary}`,
  `it's; touch ${canary} #`,
  `"; touch ${canary}; echo "`,
  `/etc/kubernetes/x\ntouch ${canary}`,
  `$HOME/\${IFS}*?[a]{b,c}~`,
  `-rf`,
  `--endpoints=https://evil:2379`,
  `if`,
  `!`,
  `a=b`,
  `~root`,
  `%1`,
  `\\'\\"`,
  `tab\there`,
  `ünïcödé ✓`,
  '',
];

/** What `sh -c LINE` hands to a command as its argv (LINE runs printf '%s\\0', one NUL after each argument). */
function throughShell(line: string, shell = 'sh'): string[] {
  const r = spawnSync(shell, ['-c', line], { encoding: 'buffer' });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout.toString('utf8').split('\0').slice(0, -1);
}

for (const shell of ['sh', 'bash']) {
  test(`shJoin: hostile paths reach the command literally through ${shell}`, () => {
    const argv = ['printf', '%s\\0', ...HOSTILE];
    const back = throughShell(shJoin(argv), shell);
    assert.deepEqual(back, HOSTILE);
    assert.equal(existsSync(canary), false, 'nothing ran');
  });
}

test('shQuote: refuses what no argv can carry', () => {
  assert.throws(() => shQuote('a\0b'), /NUL/);
  assert.throws(() => shJoin([]), /empty command/);
});

test('etcdctl argv: extra arguments stay separate words, the certificate flags come first', () => {
  const argv = etcdctl(['member', 'add', `x; touch ${canary}`, '--peer-urls=https://10.0.0.1:2380']);
  assert.deepEqual(argv.slice(0, 3), ['env', 'ETCDCTL_API=3', 'etcdctl']);
  assert.equal(argv.at(-2), `x; touch ${canary}`);
  const back = throughShell(shJoin(['printf', '%s\\0', ...argv]));
  assert.deepEqual(back, argv);
  assert.equal(existsSync(canary), false);
});

test('etcd member scripts: names and URLs are positional arguments, never part of the script', () => {
  const name = `cp2'; touch ${canary}; '`;
  const url = `https://10.0.0.12:2380$(touch ${canary})`;
  for (const argv of [memberRemoveByNameOrPeer(name, url), memberPromoteByPeer(url), memberUpdatePeer(url, url), memberStateProbe(url, 'voting'), noOtherLearnerCheck(url)]) {
    assert.equal(argv[0], 'sh');
    assert.equal(argv[1], '-c');
    const body = argv[2]!;
    assert.ok(!body.includes(canary), `the script text contains a value:\n${body}`);
    assert.ok(argv.slice(4).every((a) => a === name || a === url), argv.slice(4).join(' | '));
    // The whole argv survives the login shell intact (what the transport sends).
    assert.deepEqual(throughShell(shJoin(['printf', '%s\\0', ...argv])), argv);
  }
  // Run one for real with a stub etcdctl on PATH that prints a member list: the hostile name is matched as data.
  const bin = join(dir, 'bin');
  spawnSync('mkdir', ['-p', bin]);
  spawnSync('sh', ['-c', `cat > ${shQuote(join(bin, 'etcdctl'))} <<'EOF'\n#!/bin/sh\nfor a; do case $a in list) echo "8e9e05c52164694d, started, cp1, https://10.0.0.11:2380, https://10.0.0.11:2379, false"; exit 0;; esac; done\necho "called: $*"\nEOF\nchmod +x ${shQuote(join(bin, 'etcdctl'))}`]);
  const [cmd, ...args] = memberRemoveByNameOrPeer(name, url);
  const r = spawnSync(cmd!, args, { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env['PATH']}` } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '', 'no member matched, nothing removed');
  assert.equal(existsSync(canary), false);
});
