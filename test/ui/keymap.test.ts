import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveKey } from '../../src/ui/keymap.js';

test('text mode: a chunk holding a line end (a paste, fast typing over a slow link) types the text, then confirms', () => {
  assert.deepEqual(resolveKey({ input: 'prod-eu1\r' }, 'plan', true), [{ type: 'type', text: 'prod-eu1' }, { type: 'select' }]);
  assert.deepEqual(resolveKey({ input: 'a\r\nb' }, 'form', true), [{ type: 'type', text: 'a' }, { type: 'select' }, { type: 'type', text: 'b' }]);
  assert.deepEqual(resolveKey({ input: '\r', return: true }, 'plan', true), [{ type: 'select' }]);
  assert.deepEqual(resolveKey({ input: 'ab\u0007c' }, 'plan', true), [{ type: 'type', text: 'abc' }]);
  assert.deepEqual(resolveKey({ input: 'c', ctrl: true }, 'plan', true), [{ type: 'interrupt' }]);
  assert.deepEqual(resolveKey({ input: 'x', meta: true }, 'plan', true), []);
});

test('outside text fields a key resolves through the table, per screen', () => {
  assert.deepEqual(resolveKey({ input: 'a' }, 'plan', false), [{ type: 'approve' }]);
  assert.deepEqual(resolveKey({ input: 'a' }, 'done', false), []);
  assert.deepEqual(resolveKey({ input: '', downArrow: true }, 'plan', false), [{ type: 'down' }]);
});
