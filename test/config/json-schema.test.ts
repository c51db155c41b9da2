/**
 * The JSON Schema that editors use agrees with zod: good files pass it, files that zod's schema rejects
 * fail it too, and the shipped asset is exactly what `configJsonSchema()` produces.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { configJsonSchema, configJsonSchemaText, SCHEMA_FILE } from '../../src/config/json-schema.js';
import { ClusterConfigSchema } from '../../src/config/schema.js';
import { BAD_FIXTURES } from './bad-fixtures.js';
import { fixtures, repoRoot } from './paths.js';

type Schema = Record<string, unknown>;

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/**
 * A tiny JSON Schema (2020-12) checker for exactly the keywords zod emits for this schema. It throws on any
 * other keyword, so a schema change that it cannot judge fails loudly instead of passing silently.
 */
function errorsOf(schema: Schema, value: unknown, at = '$'): string[] {
  const out: string[] = [];
  for (const [kw, arg] of Object.entries(schema)) {
    switch (kw) {
      case '$schema':
      case 'title':
      case 'description':
      case 'default':
      case 'format': // informative here; `pattern` carries the check
        break;
      case 'type': {
        const t = typeOf(value);
        if (!(t === arg || (arg === 'number' && t === 'integer'))) out.push(`${at}: type ${t}, expected ${String(arg)}`);
        break;
      }
      case 'properties':
        if (typeOf(value) === 'object')
          for (const [k, sub] of Object.entries(arg as Record<string, Schema>)) {
            const v = (value as Record<string, unknown>)[k];
            if (v !== undefined) out.push(...errorsOf(sub, v, `${at}.${k}`));
          }
        break;
      case 'required':
        if (typeOf(value) === 'object') for (const k of arg as string[]) if (!(k in (value as object))) out.push(`${at}: missing ${k}`);
        break;
      case 'additionalProperties':
        if (arg !== false) throw new Error(`unsupported additionalProperties ${JSON.stringify(arg)}`);
        if (typeOf(value) === 'object') {
          const known = Object.keys((schema['properties'] as object | undefined) ?? {});
          for (const k of Object.keys(value as object)) if (!known.includes(k)) out.push(`${at}: unknown ${k}`);
        }
        break;
      case 'items':
        if (Array.isArray(value)) value.forEach((v, i) => out.push(...errorsOf(arg as Schema, v, `${at}[${i}]`)));
        break;
      case 'enum':
        if (!(arg as unknown[]).includes(value)) out.push(`${at}: not one of ${JSON.stringify(arg)}`);
        break;
      case 'const':
        if (value !== arg) out.push(`${at}: not ${JSON.stringify(arg)}`);
        break;
      case 'pattern':
        if (typeof value === 'string' && !new RegExp(arg as string).test(value)) out.push(`${at}: does not match ${String(arg)}`);
        break;
      case 'minimum':
        if (typeof value === 'number' && value < (arg as number)) out.push(`${at}: below ${String(arg)}`);
        break;
      case 'maximum':
        if (typeof value === 'number' && value > (arg as number)) out.push(`${at}: above ${String(arg)}`);
        break;
      case 'minLength':
        if (typeof value === 'string' && [...value].length < (arg as number)) out.push(`${at}: shorter than ${String(arg)}`);
        break;
      case 'maxLength':
        if (typeof value === 'string' && [...value].length > (arg as number)) out.push(`${at}: longer than ${String(arg)}`);
        break;
      case 'anyOf':
        if (!(arg as Schema[]).some((s) => errorsOf(s, value, at).length === 0)) out.push(`${at}: matches none of anyOf`);
        break;
      case 'allOf':
        for (const s of arg as Schema[]) out.push(...errorsOf(s, value, at));
        break;
      case 'not':
        if (errorsOf(arg as Schema, value, at).length === 0) out.push(`${at}: matches a forbidden schema`);
        break;
      case 'if': {
        const branch = errorsOf(arg as Schema, value, at).length === 0 ? schema['then'] : schema['else'];
        if (branch) out.push(...errorsOf(branch as Schema, value, at));
        break;
      }
      case 'then':
      case 'else':
        break;
      default:
        throw new Error(`the test's JSON Schema checker does not know keyword ${kw} (at ${at})`);
    }
  }
  return out;
}

const schema = configJsonSchema();
const yamlOf = (dir: string, file: string): unknown => parse(readFileSync(join(fixtures, dir, file), 'utf8'));

describe('JSON Schema', () => {
  test('the shipped asset equals `ha-wizard schema` (regenerate: node dist/src/cli.js schema > assets/ha-wizard.schema.json)', () => {
    assert.equal(readFileSync(join(repoRoot, SCHEMA_FILE), 'utf8'), configJsonSchemaText());
  });

  test('is draft 2020-12, input-side (defaulted fields optional), strict, and describes every field', () => {
    assert.equal(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema');
    assert.deepEqual(schema['required'], ['name', 'controlPlane', 'endpoint', 'proxy']);
    const missing: string[] = [];
    const walk = (s: Schema, at: string) => {
      if (s['type'] === 'object') assert.equal(s['additionalProperties'], false, `${at} is not strict`);
      for (const [k, sub] of Object.entries((s['properties'] as Record<string, Schema> | undefined) ?? {})) {
        if (typeof sub['description'] !== 'string') missing.push(`${at}.${k}`);
        walk(sub, `${at}.${k}`);
      }
      if (s['items']) walk(s['items'] as Schema, `${at}[]`);
    };
    walk(schema, '$');
    assert.deepEqual(missing, []);
  });

  for (const dir of ['good', 'warn']) {
    for (const file of readdirSync(join(fixtures, dir)).filter((f) => f.endsWith('.yaml'))) {
      test(`accepts ${dir}/${file}, as zod does`, () => {
        const value = yamlOf(dir, file);
        assert.deepEqual(errorsOf(schema, value), []);
        assert.equal(ClusterConfigSchema.safeParse(value).success, true);
      });
    }
  }

  test('agrees with zod on the malformed files (YAML that parses)', () => {
    let compared = 0;
    for (const row of BAD_FIXTURES.filter((r) => r.stage !== 'yaml')) {
      const value = yamlOf('bad', row.file);
      const rejects = row.jsonSchemaRejects ?? row.stage === 'schema';
      const errors = errorsOf(schema, value);
      assert.equal(errors.length > 0, rejects, `${row.file}: JSON Schema ${errors.length ? `rejects: ${errors.join('; ')}` : 'accepts'}`);
      assert.equal(ClusterConfigSchema.safeParse(value).success, row.stage !== 'schema', row.file);
      compared++;
    }
    assert.ok(compared >= 40);
  });
});
