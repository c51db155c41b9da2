import { test } from 'node:test';
import assert from 'node:assert/strict';
import { editText } from '../../src/wizard/text-edit.js';

const op = (o: 'clear-line' | 'delete-word' | 'home' | 'end' | 'left' | 'right' | 'delete') => ({ type: 'text' as const, op: o });

test('typing inserts at the cursor; Backspace deletes before it; at the start it does nothing', () => {
  assert.deepEqual(editText('prod', null, { type: 'type', text: '-eu1' }), { value: 'prod-eu1', cursor: null });
  assert.deepEqual(editText('eu1', 0, { type: 'type', text: 'prod-' }), { value: 'prod-eu1', cursor: 5 });
  assert.deepEqual(editText('prod', null, { type: 'erase' }), { value: 'pro', cursor: null });
  assert.deepEqual(editText('prod', 2, { type: 'erase' }), { value: 'pod', cursor: 1 });
  assert.deepEqual(editText('prod', 0, { type: 'erase' }), { value: 'prod', cursor: 0 });
  let v = { value: 'abc', cursor: null as number | null };
  for (let i = 0; i < 5; i++) v = editText(v.value, v.cursor, { type: 'erase' })!;
  assert.deepEqual(v, { value: '', cursor: null }, 'more Backspaces than characters: empty, nothing else');
});

test('Ctrl-U clears before the cursor, Ctrl-W the word before it, Home/End/←/→ move, Delete removes at the cursor', () => {
  assert.deepEqual(editText('prod eu one', null, op('delete-word')), { value: 'prod eu ', cursor: null });
  assert.deepEqual(editText('prod eu  ', null, op('delete-word')), { value: 'prod ', cursor: null });
  assert.deepEqual(editText('prod eu one', null, op('clear-line')), { value: '', cursor: null });
  assert.deepEqual(editText('prod eu one', 5, op('clear-line')), { value: 'eu one', cursor: 0 });
  assert.deepEqual(editText('abc', null, op('home')), { value: 'abc', cursor: 0 });
  assert.deepEqual(editText('abc', 0, op('end')), { value: 'abc', cursor: null });
  assert.deepEqual(editText('abc', 1, op('left')), { value: 'abc', cursor: 0 });
  assert.deepEqual(editText('abc', 2, op('right')), { value: 'abc', cursor: null });
  assert.deepEqual(editText('abc', 1, op('delete')), { value: 'ac', cursor: 1 });
  assert.equal(editText('abc', null, { type: 'select' }), null, 'not an edit');
});
