/**
 * Every key binding in one table (Gemini CLI style): what key, what it means, where, and the words the
 * `?` overlay and the footer show. The root input handler resolves keys through here; nothing else
 * looks at raw keys.
 */
import type { Intent, IntentType, Screen } from '../wizard/model.js';

/** A key as ink reports it, reduced to what the table names. */
export interface KeyPress {
  input: string;
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  tab?: boolean;
  shift?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  meta?: boolean;
}

export interface Binding {
  /** Key names: 'up', 'down', 'left', 'right', 'pageup', 'pagedown', 'enter', 'esc', 'tab', 'space', 'ctrl+c', or a character. */
  keys: readonly string[];
  intent: Exclude<IntentType, 'type' | 'erase' | 'text'>;
  description: string;
  /** Screens where it applies (all when absent). */
  screens?: readonly Screen[];
  /** Shown in the footer of these screens (short form). */
  footer?: readonly Screen[];
}

export const BINDINGS: readonly Binding[] = [
  { keys: ['up', 'k'], intent: 'up', description: 'move up / scroll up', footer: ['resume', 'welcome', 'form', 'plan', 'rollback', 'failure', 'discovery'] },
  { keys: ['down', 'j', 'tab'], intent: 'down', description: 'move down / scroll down' },
  { keys: ['left', 'h'], intent: 'left', description: 'previous choice (form) / previous step (plan details)', screens: ['form', 'plan'] },
  { keys: ['right', 'l'], intent: 'right', description: 'next choice (form) / next step (plan details)', screens: ['form', 'plan'] },
  { keys: ['pageup'], intent: 'page-up', description: 'scroll a page up', screens: ['plan', 'rollback', 'discovery', 'done'] },
  { keys: ['pagedown'], intent: 'page-down', description: 'scroll a page down', screens: ['plan', 'rollback', 'discovery', 'done'] },
  { keys: ['enter'], intent: 'select', description: 'choose / continue / expand a step', footer: ['resume', 'welcome', 'form', 'discovery', 'plan', 'failure', 'done'] },
  { keys: ['space'], intent: 'toggle', description: 'expand or collapse a step; cycle a choice', screens: ['plan', 'form'] },
  { keys: ['a'], intent: 'approve', description: 'approve (then type the word it asks for)', screens: ['plan', 'rollback'], footer: ['plan', 'rollback'] },
  { keys: ['/'], intent: 'search', description: 'search the whole plan (every step\'s details)', screens: ['plan'], footer: ['plan'] },
  { keys: ['n'], intent: 'next-match', description: 'next match of the search', screens: ['plan'] },
  { keys: ['N'], intent: 'prev-match', description: 'previous match of the search', screens: ['plan'] },
  { keys: ['d'], intent: 'drill', description: 'add or remove the failover drill (re-plans)', screens: ['plan'] },
  { keys: ['o'], intent: 'references', description: 'show or hide references to the old address', screens: ['plan', 'done'] },
  { keys: ['v'], intent: 'details', description: 'show or hide the verification checks', screens: ['done'], footer: ['done'] },
  { keys: ['y'], intent: 'yes', description: 'accept (host key) / it took effect (question)', screens: ['connect', 'execute'] },
  { keys: ['n'], intent: 'no', description: 'refuse (host key) / redo it (question)', screens: ['connect', 'execute'] },
  { keys: ['r'], intent: 'retry', description: 'retry (connect, preflight, failed action)', screens: ['connect', 'discovery', 'failure', 'execute'], footer: ['connect', 'discovery', 'failure'] },
  { keys: ['e'], intent: 'edit', description: 'edit the config step by step', screens: ['connect'] },
  { keys: ['esc'], intent: 'back', description: 'back / cancel / collapse', footer: ['form', 'discovery', 'plan', 'rollback'] },
  { keys: ['?'], intent: 'help', description: 'show or hide this help', footer: ['resume', 'welcome', 'form', 'connect', 'discovery', 'plan', 'rollback', 'execute', 'failure', 'done'] },
  { keys: ['q'], intent: 'quit', description: 'quit (a session in progress can be resumed)', footer: ['resume', 'welcome', 'connect', 'discovery', 'plan', 'rollback', 'failure', 'done'] },
  { keys: ['ctrl+c'], intent: 'interrupt', description: 'applying: 1st = stop after the action, 2nd = stop now; else quit', footer: ['execute'] },
];

/** Screens that have a text field (the help then says how typing works). */
export const TEXT_SCREENS: readonly Screen[] = ['welcome', 'form', 'connect', 'plan', 'rollback'];

/** The names a key press matches, most specific first. */
export function keyNames(k: KeyPress): string[] {
  if (k.ctrl && k.input === 'c') return ['ctrl+c'];
  if (k.upArrow) return ['up'];
  if (k.downArrow) return ['down'];
  if (k.leftArrow) return ['left'];
  if (k.rightArrow) return ['right'];
  if (k.pageUp) return ['pageup'];
  if (k.pageDown) return ['pagedown'];
  if (k.home) return ['home'];
  if (k.end) return ['end'];
  if (k.return) return ['enter'];
  if (k.escape) return ['esc'];
  if (k.tab) return [k.shift ? 'shift+tab' : 'tab'];
  if (k.backspace || k.delete) return ['backspace'];
  if (k.input === ' ') return ['space'];
  return k.input ? [k.input] : [];
}

/** Keys that keep their meaning while a text field has the focus. */
const TEXT_MODE: Record<string, Intent> = {
  'ctrl+c': { type: 'interrupt' },
  enter: { type: 'select' },
  esc: { type: 'back' },
  backspace: { type: 'erase' },
  up: { type: 'up' },
  down: { type: 'down' },
  tab: { type: 'down' },
  'shift+tab': { type: 'up' },
  left: { type: 'text', op: 'left' },
  right: { type: 'text', op: 'right' },
  home: { type: 'text', op: 'home' },
  end: { type: 'text', op: 'end' },
};

/** Control keys a line editor knows (readline's): Ctrl-U clears, Ctrl-W deletes a word, Ctrl-A/E go home/end. */
const TEXT_CONTROL: Record<string, Intent> = {
  '\u0015': { type: 'text', op: 'clear-line' },
  '\u0017': { type: 'text', op: 'delete-word' },
  '\u0001': { type: 'text', op: 'home' },
  '\u0005': { type: 'text', op: 'end' },
  '\u007f': { type: 'erase' },
  '\b': { type: 'erase' },
};
const CTRL_LETTER: Record<string, Intent> = { u: TEXT_CONTROL['\u0015']!, w: TEXT_CONTROL['\u0017']!, a: TEXT_CONTROL['\u0001']!, e: TEXT_CONTROL['\u0005']!, h: { type: 'erase' } };

/**
 * A chunk of input in a text field, key by key: printable runs are typed, line ends confirm, and every Backspace of a
 * burst erases (a held key, or a slow SSH link, delivers many in one read, which arrives as one "key").
 */
function textChunk(input: string): Intent[] {
  const out: Intent[] = [];
  let run = '';
  const flush = () => {
    if (run) out.push({ type: 'type', text: run });
    run = '';
  };
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (ch === '\r' || ch === '\n') {
      flush();
      if (ch === '\r' && input[i + 1] === '\n') i++;
      out.push({ type: 'select' });
    } else if (TEXT_CONTROL[ch]) {
      flush();
      out.push(TEXT_CONTROL[ch]!);
    } else if (ch === '\u001b') {
      // An escape sequence inside a chunk (a paste with arrows, or a key after a burst) is dropped whole.
      flush();
      const m = /^\u001b(\[[0-9;]*[~A-Za-z]|O[A-Za-z]|.)?/.exec(input.slice(i));
      i += (m?.[0].length ?? 1) - 1;
    } else if (ch >= ' ') run += ch;
  }
  flush();
  return out;
}

/**
 * The intents of a key (or of a chunk of input) on a screen; in text mode printable keys are typed.
 * Empty: the key means nothing here. A chunk can hold several keys: a paste, or fast typing over a slow
 * link arrives as one read ("prod-eu1\r", or a burst of Backspaces), and each of its keys counts.
 */
export function resolveKey(k: KeyPress, screen: Screen, textMode: boolean): Intent[] {
  const names = keyNames(k);
  if (textMode) {
    if (k.input.length > 1 && !k.ctrl && !k.meta && !names.some((n) => n !== k.input && TEXT_MODE[n])) return textChunk(k.input);
    for (const n of names) if (TEXT_MODE[n]) return [TEXT_MODE[n]];
    if (k.ctrl) return CTRL_LETTER[k.input] ? [CTRL_LETTER[k.input]!] : [];
    if (k.meta) return [];
    return textChunk(k.input);
  }
  if (names.includes('shift+tab')) return [{ type: 'up' }];
  for (const b of BINDINGS) {
    if (b.screens && !b.screens.includes(screen)) continue;
    if (names.some((n) => b.keys.includes(n))) return [{ type: b.intent } as Intent];
  }
  return [];
}

/** `↑/k` style labels. */
export function keyLabel(keys: readonly string[]): string {
  const pretty: Record<string, string> = { up: '↑', down: '↓', left: '←', right: '→', enter: 'Enter', esc: 'Esc', space: 'Space', tab: 'Tab', pageup: 'PgUp', pagedown: 'PgDn', 'ctrl+c': 'Ctrl-C' };
  return keys.map((k) => pretty[k] ?? k).join('/');
}

/** The footer's few hints for a screen. */
export function footerHints(screen: Screen): Array<{ keys: string; what: string }> {
  const short: Partial<Record<IntentType, string>> = { up: 'move', select: 'choose', approve: 'approve', search: 'search', details: 'checks', retry: 'retry', back: 'back', help: 'keys', quit: 'quit', interrupt: 'stop safely' };
  return BINDINGS.filter((b) => b.footer?.includes(screen)).map((b) => ({ keys: b.intent === 'up' ? '↑↓' : keyLabel(b.keys.slice(0, 1)), what: short[b.intent] ?? b.intent }));
}
