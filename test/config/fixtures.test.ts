/**
 * Every malformed fixture is rejected with a report that names the field, its line, the value found and
 * what to write; every good fixture loads; warnings are reported without failing.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { BadInputError } from '../../src/exit-codes.js';
import { BAD_FIXTURES, WARN_FIXTURES } from './bad-fixtures.js';
import { fixtures } from './paths.js';

function rejection(file: string): ConfigError {
  try {
    loadConfig(file);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.ok(err instanceof BadInputError);
    return err;
  }
  assert.fail(`${file} was accepted`);
}

describe('bad config files', () => {
  test('every file in fixtures/bad has a row in the table, and there are at least 30', () => {
    const onDisk = readdirSync(join(fixtures, 'bad')).filter((f) => f.endsWith('.yaml')).sort();
    assert.deepEqual(onDisk, BAD_FIXTURES.map((f) => f.file).sort());
    assert.ok(onDisk.length >= 30);
  });

  for (const row of BAD_FIXTURES) {
    test(`${row.file}: ${row.path || '(file)'}${row.line ? ` line ${row.line}` : ''}`, () => {
      const file = join(fixtures, 'bad', row.file);
      const err = rejection(file);
      const report = err.message;
      assert.equal(err.errors.length, row.errors, report);
      const first = err.errors[0];
      assert.ok(first);
      assert.equal(first.path, row.path, report);
      assert.equal(first.line, row.line ?? undefined, report);
      const where = row.line === null ? `${file}: error: ` : `${file}:${row.line}:`;
      assert.ok(report.includes(where), `missing ${where} in:\n${report}`);
      if (row.path) assert.ok(report.includes(`error: ${row.path}: `), `missing the path in:\n${report}`);
      for (const s of row.says) assert.ok(report.includes(s), `missing ${JSON.stringify(s)} in:\n${report}`);
      // Each issue's text is a piece of the report, and every error has a hint.
      for (const issue of err.errors) {
        assert.ok(report.includes(issue.text));
        assert.ok(issue.hint, `no hint for ${issue.path}: ${issue.message}`);
      }
    });
  }
});

describe('good config files', () => {
  for (const file of readdirSync(join(fixtures, 'good')).filter((f) => f.endsWith('.yaml'))) {
    test(`${file} loads without warnings`, () => {
      const { warnings } = loadConfig(join(fixtures, 'good', file));
      assert.deepEqual(warnings, []);
    });
  }

  for (const row of WARN_FIXTURES) {
    test(`${row.file} loads with ${row.warnings.length} warning(s)`, () => {
      const { warnings } = loadConfig(join(fixtures, 'warn', row.file));
      assert.deepEqual(
        warnings.map((w) => [w.line, w.path]),
        row.warnings.map((w) => [w.line, w.path]),
      );
      row.warnings.forEach((w, i) => assert.ok(warnings[i]?.message.includes(w.says), warnings[i]?.text));
      for (const w of warnings) assert.equal(w.severity, 'warning');
    });
  }
});
