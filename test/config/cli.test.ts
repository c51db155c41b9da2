/**
 * `ha-wizard validate` and `ha-wizard schema` through the built CLI: exit codes, streams, --json,
 * flag errors; and a check that these commands load no UI or SSH code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { cliPath, fixtures, repoRoot } from './paths.js';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const good = join(fixtures, 'good', 'full.yaml');
const warn = join(fixtures, 'warn', 'even-control-plane.yaml');
const bad = join(fixtures, 'bad', 'bad-ipv4-octet.yaml');

describe('ha-wizard validate', () => {
  test('valid file: exit 0, nothing on stdout', () => {
    const r = cli('validate', '-c', good);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /full\.yaml: valid\n$/);
  });

  test('valid file with warnings: exit 0, warnings on stderr', () => {
    const r = cli('validate', '--config', warn);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /valid, 1 warning/);
    assert.match(r.stderr, /even-control-plane\.yaml:5:3: warning: controlPlane\.promote: /);
  });

  test('invalid file: exit 2, the report on stderr', () => {
    const r = cli('validate', '-c', bad);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.includes(`${bad}:7:29: error: controlPlane.promote[1].address: expected an IPv4 or IPv6 address`), r.stderr);
    assert.ok(r.stderr.includes('found: 10.0.0.300'));
  });

  test('--json: one JSON document on stdout, same exit codes', () => {
    const r = cli('validate', '-c', bad, '--json');
    assert.equal(r.code, 2);
    const out = JSON.parse(r.stdout) as { valid: boolean; errors: Array<{ path: string; line: number; column: number; found: string; hint: string }>; warnings: unknown[] };
    assert.equal(out.valid, false);
    assert.equal(out.errors.length, 1);
    assert.deepEqual(
      { path: out.errors[0]?.path, line: out.errors[0]?.line, column: out.errors[0]?.column, found: out.errors[0]?.found },
      { path: 'controlPlane.promote[1].address', line: 7, column: 29, found: '10.0.0.300' },
    );
    const ok = cli('validate', '-c', warn, '--json');
    assert.equal(ok.code, 0);
    const okOut = JSON.parse(ok.stdout) as { valid: boolean; errors: unknown[]; warnings: unknown[] };
    assert.deepEqual([okOut.valid, okOut.errors.length, okOut.warnings.length], [true, 0, 1]);
  });

  test('bad flags and missing input: exit 2 with a clear message', () => {
    const unknown = cli('validate', '-c', good, '--bogus');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /ha-wizard validate: unknown flag --bogus\n/);
    const typo = cli('validate', '-c', good, '--jsno');
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /ha-wizard validate: unknown flag --jsno; did you mean --json\?/);
    assert.doesNotMatch(typo.stderr, /Unknown option|positional argument starting with/, "not node's parser text");
    assert.match(unknown.stderr, /Usage: ha-wizard validate -c FILE/);
    const missing = cli('validate');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing -c FILE/);
    const positional = cli('validate', good);
    assert.equal(positional.code, 2);
    assert.match(positional.stderr, /unexpected argument ".*good.*\.yaml"/);
    const absent = cli('validate', '-c', join(fixtures, 'no-such-file.yaml'));
    assert.equal(absent.code, 2);
    assert.match(absent.stderr, /cannot read config file .*no-such-file\.yaml: no such file/);
  });

  test('--help: exit 0, usage on stdout', () => {
    const r = cli('validate', '--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Exit codes: 0 valid/);
  });
});

describe('ha-wizard schema', () => {
  test('prints the shipped JSON Schema byte for byte', () => {
    const r = cli('schema');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(join(repoRoot, 'assets', 'ha-wizard.schema.json'), 'utf8'));
    assert.equal((JSON.parse(r.stdout) as { title: string }).title, 'ha-wizard cluster config');
  });

  test('unknown flag: exit 2', () => {
    const r = cli('schema', '--out', 'x');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ha-wizard schema: unknown flag --out/);
  });
});

/** Every module the command can load, following relative imports through dist; returns the package imports. */
function packageImports(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\s)(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec) continue;
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        assert.ok(existsSync(target), `${file} imports missing ${spec}`);
        visit(target);
      } else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  visit(entry);
  return packages;
}

test('validate and schema load only zod, yaml and node built-ins (start fast: no ink, react, ssh2)', () => {
  for (const command of ['validate', 'schema']) {
    const packages = [...packageImports(join(repoRoot, 'dist', 'src', 'commands', `${command}.js`))].filter((p) => !p.startsWith('node:'));
    assert.deepEqual(packages.sort(), command === 'validate' ? ['yaml', 'zod'] : ['zod'], command);
  }
});
