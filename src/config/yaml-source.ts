/**
 * The YAML text of a config file, kept next to its parsed value so every problem can be shown where it
 * is written: line, column, the source line and the value as typed.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { FieldPath, Placement, RawIssue } from './issues.js';

export interface YamlSource {
  readonly text: string;
  readonly lines: readonly string[];
  readonly doc: Document;
  readonly lineCounter: LineCounter;
}

export type ParsedYaml =
  | { ok: true; source: YamlSource; value: unknown; warnings: Array<RawIssue & Placement> }
  | { ok: false; source: YamlSource; errors: Array<RawIssue & Placement> };

/** What to do about each kind of YAML syntax error, in the operator's terms. */
const SYNTAX_HINTS: Partial<Record<string, string>> = {
  BAD_INDENT: 'indent with spaces so that keys of the same mapping start in the same column and children sit deeper than their parent; close every { and [',
  TAB_AS_INDENT: 'YAML does not allow tabs for indentation: replace them with spaces',
  DUPLICATE_KEY: 'a key may appear once per mapping: remove or merge the repeated one',
  MISSING_CHAR: 'a closing quote or bracket is missing: close it on the same line',
  MULTIPLE_DOCS: 'a config file holds one YAML document: remove the `---` separator and what follows, or split the file',
  BLOCK_AS_IMPLICIT_KEY: 'a key is probably missing its `: ` (colon and space), or a nested mapping is not indented on its own line',
  MULTILINE_IMPLICIT_KEY: 'a key must fit on one line: check for a missing `: ` (colon and space) or an unclosed quote on the line above',
  UNEXPECTED_TOKEN: 'check for a stray character, or quote the value if it contains `:`, `#`, `{`, `[` or starts with `*`, `&`, `!`, `@` or a backquote',
  BAD_SCALAR_START: 'quote the value: it starts with a character that YAML reserves (`@`, backquote, `%`)',
  BLOCK_IN_FLOW: 'inside { } or [ ] everything must stay on the flow syntax: write `key: value` pairs separated by commas',
  BAD_ALIAS: 'an alias `*name` must refer to an anchor `&name` defined earlier in the file',
};

const GENERIC_SYNTAX_HINT = 'fix the YAML syntax at this position; `ha-wizard schema` describes the expected format';

function sourceOf(text: string): { lines: string[]; lineCounter: LineCounter; doc: Document } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  return { lines: text.split(/\r?\n/), lineCounter, doc };
}

function at(lc: LineCounter, offset: number): { line: number; column: number } {
  const p = lc.linePos(offset);
  return { line: p.line, column: p.col };
}

/** Parses the text; on syntax errors returns every one of them, placed, with a hint each. */
export function parseYaml(text: string): ParsedYaml {
  const { lines, lineCounter, doc } = sourceOf(text);
  const source: YamlSource = { text, lines, doc, lineCounter };
  const errors: Array<RawIssue & Placement> = [];
  const seenLines = new Set<number>();
  for (const e of doc.errors) {
    const place = { ...at(lineCounter, e.pos[0]), length: Math.max(1, e.pos[1] - e.pos[0]) };
    // One mistake often trips two or three parser rules on the same line; the first says it best.
    if (seenLines.has(place.line)) continue;
    seenLines.add(place.line);
    const opened = e.code === 'MISSING_CHAR' ? unclosedQuote(lines, e.message, place.line) : undefined;
    errors.push({
      severity: 'error',
      path: [],
      message: opened ? `YAML syntax error: the ${opened.quote} quote opened here is never closed` : `YAML syntax error: ${e.message.replace(/\.?$/, '')}`,
      hint: SYNTAX_HINTS[e.code] ?? GENERIC_SYNTAX_HINT,
      ...(opened ?? place),
    });
  }
  if (errors.length) return { ok: false, source, errors };
  let value: unknown;
  try {
    // maxAliasCount bounds "billion laughs" expansion; an unknown alias throws here too.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return {
      ok: false,
      source,
      errors: [{ severity: 'error', path: [], message: `YAML error: ${err instanceof Error ? err.message : String(err)}`, hint: SYNTAX_HINTS['BAD_ALIAS'] }],
    };
  }
  const warnings: Array<RawIssue & Placement> = doc.warnings.map((w) => ({
    severity: 'warning',
    path: [],
    message: `YAML: ${w.message.replace(/\.?$/, '')}`,
    ...at(lineCounter, w.pos[0]),
  }));
  return { ok: true, source, value, warnings };
}

/**
 * The parser reports a missing closing quote where the file ends; the operator needs where it opened:
 * the nearest line above with an odd number of that quote character.
 */
function unclosedQuote(lines: readonly string[], message: string, errorLine: number): (Placement & { quote: string; line: number }) | undefined {
  const quote = /"/.test(message) ? '"' : /'/.test(message) ? "'" : undefined;
  if (!quote) return undefined;
  for (let n = Math.min(errorLine, lines.length); n >= 1; n--) {
    const text = (lines[n - 1] ?? '').replace(/\\./g, '');
    const count = text.split(quote).length - 1;
    if (count % 2 === 1) {
      const column = text.indexOf(quote) + 1;
      return { quote: quote === '"' ? 'double' : 'single', line: n, column, length: 1 };
    }
  }
  return undefined;
}

function keyOf(node: unknown): string | undefined {
  if (isScalar(node)) return String(node.value);
  return undefined;
}

function describeNode(source: YamlSource, node: YamlNode | null | undefined): string | undefined {
  if (!node) return 'nothing (the value is empty)';
  if (isMap(node)) return 'a mapping (key: value pairs)';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    if (node.value === null) return 'nothing (the value is empty)';
    const r = node.range;
    if (!r) return JSON.stringify(node.value);
    const raw = source.text.slice(r[0], r[1]);
    const first = raw.split(/\r?\n/)[0] ?? '';
    const shown = first.length > 80 ? `${first.slice(0, 77)}...` : first;
    return first === raw ? shown : `${shown}...`;
  }
  return undefined;
}

function rangeOf(source: YamlSource, node: YamlNode | null | undefined): Placement | undefined {
  const r = node?.range;
  if (!r) return undefined;
  const start = at(source.lineCounter, r[0]);
  const line = source.lines[start.line - 1] ?? '';
  const length = Math.max(1, Math.min(r[1] - r[0], line.length - start.column + 1));
  return { ...start, length };
}

/**
 * Where a field is written. For a field that is missing, the nearest enclosing thing that exists
 * (the key of its parent mapping, or the list item), so "missing `address`" points at the node entry.
 */
export function locate(source: YamlSource, path: FieldPath, atKey = false): Placement {
  const doc = source.doc;
  let node: YamlNode | null | undefined = doc.contents as YamlNode | null;
  let keyNode: YamlNode | undefined;
  for (const seg of path) {
    if (node && isAlias(node)) node = node.resolve(doc) as YamlNode | undefined;
    let next: YamlNode | null | undefined;
    let nextKey: YamlNode | undefined;
    let found = false;
    if (node && isMap(node)) {
      const pair = node.items.find((p) => keyOf(p.key) === String(seg));
      if (pair) {
        found = true;
        nextKey = pair.key as YamlNode;
        next = pair.value as YamlNode | null;
      }
    } else if (node && isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item !== undefined) {
        found = true;
        next = item as YamlNode | null;
      }
    }
    if (!found) {
      // Missing at the top level: the whole file, no line is better than line 1.
      if (!keyNode && node === doc.contents) return {};
      // Missing deeper: point at what holds it.
      const holder = keyNode && node && !(isMap(node) && node.flow) ? rangeOf(source, keyNode) : rangeOf(source, node);
      return holder ?? {};
    }
    keyNode = nextKey;
    node = next;
  }
  const found = describeNode(source, node);
  if (atKey && keyNode) return { ...rangeOf(source, keyNode) };
  const valueRange = node && node.range && node.range[1] > node.range[0] ? rangeOf(source, node) : undefined;
  const range = valueRange ?? rangeOf(source, keyNode) ?? rangeOf(source, node);
  return { ...range, ...(path.length ? { found } : {}) };
}
