/**
 * What every screen's reducer is made of: the transition (the next state and the effects it asks for), moving
 * to a screen, leaving the wizard with an exit code, a menu cursor, and the effects two screens share.
 */
import { ExitCode } from '../exit-codes.js';
import type { Effect, Intent, Screen, Transition, WizardState } from './model.js';
import { editText } from './text-edit.js';

/** The spinner while an approved apply opens its session: from here on q does not leave (Ctrl-C stops). */
export const STARTING = 'Starting the session…';

export const go = (state: WizardState, screen: Screen, extra: Partial<WizardState> = {}): WizardState => ({ ...state, screen, menu: 0, message: null, ...extra });
export const t = (state: WizardState, ...effects: Effect[]): Transition => ({ state, effects });
export const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

/** Leaves the wizard: the exit code (exit-codes.ts, one meaning each) and the last words on the terminal. */
export function quit(s: WizardState, code: ExitCode, message: string): Transition {
  return t({ ...s, exit: { code, message } }, { type: 'exit', code });
}

/** Up and down in a menu of `count` choices, wrapping; null for any other intent. */
export function menuMove(s: WizardState, i: Intent, count: number): WizardState | null {
  if (i.type === 'up') return { ...s, menu: (s.menu + count - 1) % count };
  if (i.type === 'down') return { ...s, menu: (s.menu + 1) % count };
  return null;
}

/** The make-plan effect with the operator's recorded choices. */
export function makePlan(s: WizardState): Effect {
  return s.planOptions.failoverDrill === undefined ? { type: 'make-plan' } : { type: 'make-plan', failoverDrill: s.planOptions.failoverDrill };
}

/**
 * A text field's edit by this intent (typing, Backspace, Ctrl-U/W, Home/End, ←/→), with the cursor kept in the state;
 * null when the intent does not edit text. `set` puts the new value where the field lives.
 */
export function editField(s: WizardState, value: string, i: Intent, set: (s: WizardState, value: string) => WizardState): Transition | null {
  const e = editText(value, s.cursor, i);
  if (!e) return null;
  return t({ ...set(s, e.value), cursor: e.cursor });
}

/**
 * A scroll position moved by a key, over the view as it is drawn (state.viewport): a page key moves exactly a page
 * (the lines shown, whatever their wrapped height), so no line is ever skipped; never past the last page.
 */
export function scrolled(s: WizardState, scroll: number, i: Intent): number | null {
  const v = s.viewport;
  const last = v ? v.lastTop : Number.MAX_SAFE_INTEGER;
  switch (i.type) {
    case 'up':
      return Math.max(0, Math.min(scroll, last) - 1);
    case 'down':
      return Math.min(last, scroll + 1);
    case 'page-up':
      return v ? Math.max(0, Math.min(v.prevTop, scroll - 1)) : Math.max(0, scroll - 10);
    case 'page-down':
      return v ? Math.min(last, Math.max(v.end, scroll + 1)) : scroll + 10;
    default:
      return null;
  }
}
