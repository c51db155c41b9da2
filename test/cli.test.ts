import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const repo = fileURLToPath(new URL('../../', import.meta.url));

function run(args: string[], cwd?: string) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd });
}

test('--help lists every subcommand and exits 0', () => {
  const r = run(['--help']);
  assert.equal(r.status, 0);
  for (const c of ['plan', 'apply', 'resume', 'rollback', 'status', 'sessions', 'schema', 'validate', 'lab', 'demo']) {
    assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'), `missing ${c}`);
  }
});

test('--version prints the package version', () => {
  const r = run(['--version']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('an unknown command is bad input (exit 2) and says how to get help', () => {
  const r = run(['frobnicate']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command "frobnicate".*--help/);
});

test('--help and --version load no dependency at all (no ink, react, ssh2, zod)', () => {
  // Copy only the CLI entry and what it imports statically into a directory without node_modules:
  // any import of a package would fail with ERR_MODULE_NOT_FOUND.
  const dir = mkdtempSync(join(tmpdir(), 'haw-cli-'));
  try {
    cpSync(join(repo, 'dist/src/cli.js'), join(dir, 'dist/src/cli.js'));
    cpSync(join(repo, 'dist/src/exit-codes.js'), join(dir, 'dist/src/exit-codes.js'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', version: '9.9.9' }));
    for (const flag of ['--help', '--version']) {
      const r = spawnSync(process.execPath, [join(dir, 'dist/src/cli.js'), flag], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${flag}: ${r.stderr}`);
    }
    const v = spawnSync(process.execPath, [join(dir, 'dist/src/cli.js'), '--version'], { encoding: 'utf8' });
    assert.equal(v.stdout, '9.9.9\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--sudo-password-stdin: an empty or multi-line standard input is bad input (exit 2) before any host is contacted', () => {
  const config = join(repo, 'test/config/fixtures/good/full.yaml');
  for (const [input, says] of [
    ['', /--sudo-password-stdin: standard input was empty/],
    ['one\ntwo\n', /more than one line/],
  ] as const) {
    for (const cmd of ['plan', 'apply']) {
      const r = spawnSync(process.execPath, [cli, cmd, '-c', config, '--sudo-password-stdin', '--yes'].filter((a) => cmd === 'apply' || a !== '--yes'), { encoding: 'utf8', input, timeout: 20_000 });
      assert.equal(r.status, 2, `${cmd}: ${r.stderr}`);
      assert.match(r.stderr, says);
      assert.doesNotMatch(r.stderr, /Discovering/, 'nothing was contacted');
    }
  }
});

test('an unknown command gets the closest one, in the form ha-wizard was started', () => {
  const r = run(['rolback']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^ha-wizard: unknown command "rolback" \(did you mean "rollback"\? node \S*cli\.js rollback --help shows how to use it\)\. Run `node \S*cli\.js --help` for the list\.\n$/);
  const far = run(['frobnicate']);
  assert.doesNotMatch(far.stderr, /did you mean/, 'no suggestion when nothing is close');
});

test("unknown flags get 'did you mean' in ha-wizard's words, never node's parser text; exit 2", () => {
  const cases: Array<[string[], RegExp]> = [
    [['rollback', '--dry-rn'], /^ha-wizard rollback: unknown flag --dry-rn; did you mean --dry-run\?\nUsage: node \S*cli\.js rollback /],
    [['rollback', '--past-point-of-no-retrun'], /unknown flag --past-point-of-no-retrun; did you mean --past-point-of-no-return\?/],
    [['apply', '-c', 'x.yaml', '--yse'], /^ha-wizard apply: unknown flag --yse; did you mean --yes\?/],
    [['plan', '-c', 'x.yaml', '--jsn'], /^ha-wizard plan: unknown flag --jsn; did you mean --json\?/],
    [['status', '--jsno'], /^ha-wizard status: unknown flag --jsno; did you mean --json\?/],
    [['plan', '-c'], /^ha-wizard plan: --config needs a value: --config VALUE/],
    [['status', '--json=1'], /^ha-wizard status: --json takes no value/],
    [['plan', '-c', 'x.yaml', 'json'], /^ha-wizard plan: unexpected argument "json"; did you mean --json\?/],
    [['--jsno'], /^ha-wizard: unknown flag --jsno\n/],
    [['lab', 'upp'], /^ha-wizard lab: unknown subcommand "upp"; did you mean "up"\?/],
    [['demo', '--kep'], /^ha-wizard demo: unknown flag --kep; did you mean --keep\?/],
  ];
  for (const [args, says] of cases) {
    const r = run(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, says, args.join(' '));
    assert.doesNotMatch(r.stderr, /Unknown option|To specify a positional argument|argument missing|ERR_PARSE_ARGS/, `${args.join(' ')}: not node's wording`);
  }
});

test('a refusal names its commands in the form ha-wizard was started', () => {
  const r = run(['plan']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^ha-wizard plan: no cluster config given\npass -c cluster\.yaml \(see `node \S*cli\.js validate` and README\.md\), or run `node \S*cli\.js` for the interactive wizard\n$/);
});
