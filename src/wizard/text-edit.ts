/**
 * Editing a one-line text field, as a shell's line editor does: typing inserts at the cursor, Backspace deletes the
 * character before it (every one of a burst: a held key or a slow link delivers many at once), Ctrl-U clears the
 * line, Ctrl-W deletes the word before the cursor, Home/End (Ctrl-A/E) and ←/→ move. Pure: the value and the cursor
 * in, the value and the cursor out. The cursor is an index into the value; null means at the end.
 */
import type { Intent, TextOp } from './model.js';

export interface Edited {
  value: string;
  cursor: number | null;
}

/** A cursor within the value (null, or past the end, is the end). */
export function cursorAt(value: string, cursor: number | null): number {
  return cursor === null ? value.length : Math.max(0, Math.min(value.length, cursor));
}

function at(value: string, cursor: number): Edited {
  return { value, cursor: cursor >= value.length ? null : cursor };
}

/** The edit an intent makes to a text field, or null when the intent does not edit text. */
export function editText(value: string, cursor: number | null, i: Intent): Edited | null {
  const c = cursorAt(value, cursor);
  switch (i.type) {
    case 'type':
      return at(value.slice(0, c) + i.text + value.slice(c), c + i.text.length);
    case 'erase':
      return c === 0 ? { value, cursor } : at(value.slice(0, c - 1) + value.slice(c), c - 1);
    case 'text':
      return applyOp(value, c, i.op);
    default:
      return null;
  }
}

function applyOp(value: string, c: number, op: TextOp): Edited {
  switch (op) {
    case 'clear-line':
      // As readline's Ctrl-U: everything before the cursor goes.
      return at(value.slice(c), 0);
    case 'delete-word': {
      // As readline's Ctrl-W: the spaces before the cursor, then the word before them.
      let start = c;
      while (start > 0 && /\s/.test(value[start - 1]!)) start--;
      while (start > 0 && !/\s/.test(value[start - 1]!)) start--;
      return at(value.slice(0, start) + value.slice(c), start);
    }
    case 'home':
      return at(value, 0);
    case 'end':
      return { value, cursor: null };
    case 'left':
      return at(value, Math.max(0, c - 1));
    case 'right':
      return at(value, c + 1);
    case 'delete':
      return at(value.slice(0, c) + value.slice(c + 1), c);
  }
}
