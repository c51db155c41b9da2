/**
 * canonicalJson (the plan id and the facts fingerprint are hashes of it) is written by hand for speed; it must give
 * byte for byte what the sorting-replacer definition gives, or every saved plan's id would change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, canonicalJsonReference } from '../../src/engine/model/hash.js';
import { makeFacts } from '../steps/facts-fixture.js';
import { planConversion } from '../../src/conversion/pipeline.js';
import { factsFingerprint } from '../../src/discovery/parse.js';

test('canonicalJson equals the sorting-replacer definition on edge cases', () => {
  const values: unknown[] = [
    null,
    0,
    -0,
    1.5e300,
    NaN,
    Infinity,
    'a"b\\c\n\u2028\ud800',
    true,
    [],
    {},
    [undefined, () => 1, Symbol('s'), null, NaN],
    { b: 1, a: 2, 10: 'ten', 2: 'two', '01': 'x', '4294967295': 'big', '4294967294': 'max index', B: 3, é: 4, '': 5 },
    { u: undefined, f: () => 1, n: null, nested: { z: [{ y: 1, x: 2 }], a: new Date(0) } },
    { buf: Buffer.from('hi'), custom: { toJSON: (k: string) => ({ key: k, b: 1, a: 2 }) } },
    [{ toJSON: () => undefined }, { toJSON: () => 'x' }],
  ];
  values.forEach((v, i) => assert.equal(canonicalJson(v), canonicalJsonReference(v), `value ${i}`));
});

test('canonicalJson equals the definition on random JSON values', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const key = () => ['a', 'b', 'Z', '0', '7', '12', '-1', '1.5', 'ä', 'id', 'step', ''][Math.floor(rnd() * 12)]!;
  const gen = (depth: number): unknown => {
    const r = rnd();
    if (depth > 3 || r < 0.3) return [null, 1, -2.5, 'x', true, false, undefined][Math.floor(rnd() * 7)];
    if (r < 0.6) return Array.from({ length: Math.floor(rnd() * 4) }, () => gen(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = Math.floor(rnd() * 6); i > 0; i--) o[key()] = gen(depth + 1);
    return o;
  };
  for (let i = 0; i < 500; i++) {
    const v = gen(0);
    assert.equal(canonicalJson(v), canonicalJsonReference(v));
  }
});

test('canonicalJson equals the definition on real facts and a real plan', () => {
  const facts = makeFacts({ promote: 2, workers: 20 });
  assert.equal(canonicalJson(facts), canonicalJsonReference(facts));
  const plan = planConversion({ facts, fingerprint: factsFingerprint(facts), checks: [] });
  assert.equal(canonicalJson(plan), canonicalJsonReference(plan));
});
