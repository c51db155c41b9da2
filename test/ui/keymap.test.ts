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

test('text mode: a burst of Backspaces (one read) erases once per key; Ctrl-U, Ctrl-W, Home/End and arrows edit', () => {
  // ink delivers a burst as one input of several DEL bytes; a single Backspace as a key with `delete` set.
  assert.deepEqual(resolveKey({ input: '\u007f\u007f\u007f' }, 'form', true), [{ type: 'erase' }, { type: 'erase' }, { type: 'erase' }]);
  assert.deepEqual(resolveKey({ input: '', delete: true }, 'form', true), [{ type: 'erase' }]);
  assert.deepEqual(resolveKey({ input: 'ab\u007fc' }, 'form', true), [{ type: 'type', text: 'ab' }, { type: 'erase' }, { type: 'type', text: 'c' }]);
  assert.deepEqual(resolveKey({ input: 'u', ctrl: true }, 'form', true), [{ type: 'text', op: 'clear-line' }]);
  assert.deepEqual(resolveKey({ input: 'w', ctrl: true }, 'plan', true), [{ type: 'text', op: 'delete-word' }]);
  assert.deepEqual(resolveKey({ input: 'a', ctrl: true }, 'plan', true), [{ type: 'text', op: 'home' }]);
  assert.deepEqual(resolveKey({ input: '', home: true }, 'welcome', true), [{ type: 'text', op: 'home' }]);
  assert.deepEqual(resolveKey({ input: '', end: true }, 'welcome', true), [{ type: 'text', op: 'end' }]);
  assert.deepEqual(resolveKey({ input: '', leftArrow: true }, 'rollback', true), [{ type: 'text', op: 'left' }]);
  assert.deepEqual(resolveKey({ input: 'x\u0015y' }, 'form', true), [{ type: 'type', text: 'x' }, { type: 'text', op: 'clear-line' }, { type: 'type', text: 'y' }]);
});

test('plan keys: / searches, n and N move between matches; v lists the checks on the done screen', () => {
  assert.deepEqual(resolveKey({ input: '/' }, 'plan', false), [{ type: 'search' }]);
  assert.deepEqual(resolveKey({ input: 'n' }, 'plan', false), [{ type: 'next-match' }]);
  assert.deepEqual(resolveKey({ input: 'N', shift: true }, 'plan', false), [{ type: 'prev-match' }]);
  assert.deepEqual(resolveKey({ input: 'n' }, 'connect', false), [{ type: 'no' }]);
  assert.deepEqual(resolveKey({ input: 'v' }, 'done', false), [{ type: 'details' }]);
  assert.deepEqual(resolveKey({ input: 'a' }, 'rollback', false), [{ type: 'approve' }]);
});
