/**
 * Problems found in a config file, and how they read. One shape for YAML syntax errors, schema errors
 * and semantic checks, so `validate`, the wizard and `--json` all show the same thing.
 */

export type Severity = 'error' | 'warning';
/** A path into the YAML document as zod reports it: keys and list indices. */
export type FieldPath = ReadonlyArray<string | number>;

/** An issue before it is placed in the file (what the checks produce). */
export interface RawIssue {
  severity: Severity;
  path: FieldPath;
  /** Point at the key rather than its value (unknown keys, keys that must go). */
  atKey?: boolean;
  /** What is wrong, or what was expected. */
  message: string;
  /** What to write instead. */
  hint?: string;
  /** Another place involved (the first of two duplicates); its path and line are added to the message. */
  seeAlso?: FieldPath;
}

/** An issue placed in the file and rendered. */
export interface ConfigIssue {
  severity: Severity;
  /** The field as written in YAML, e.g. `controlPlane.promote[1].address`; empty for the whole file. */
  path: string;
  /** 1-based; absent only when the file has no text to point at. */
  line?: number;
  column?: number;
  message: string;
  /** The value as written in the file (source text), when there is one. */
  found?: string;
  hint?: string;
  /** The complete human-readable rendering: location, message, found value, source excerpt, hint. */
  text: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `['controlPlane','promote',1,'address']` → `controlPlane.promote[1].address`. */
export function pathText(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENT.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export interface Placement {
  line?: number;
  column?: number;
  /** Characters to underline on that line. */
  length?: number;
  found?: string;
}

/**
 * Renders one issue, compiler style so editors and terminals can jump to it:
 *
 *   cluster.yaml:7:29: error: controlPlane.promote[1].address: expected an IPv4 or IPv6 address …
 *     found: 10.0.0.300
 *        7 |     - { name: cp3, address: 10.0.0.300 }
 *          |                             ^^^^^^^^^^
 *     hint: …
 */
export function renderIssue(fileName: string, lines: readonly string[], issue: Omit<ConfigIssue, 'text'> & { length?: number }): string {
  const where = issue.line !== undefined ? `${fileName}:${issue.line}:${issue.column ?? 1}` : fileName;
  const field = issue.path ? `${issue.path}: ` : '';
  const out = [`${where}: ${issue.severity}: ${field}${issue.message}`];
  if (issue.found !== undefined) out.push(`  found: ${issue.found}`);
  const src = issue.line !== undefined ? lines[issue.line - 1] : undefined;
  if (issue.line !== undefined && src !== undefined && src.trim() !== '') {
    const num = String(issue.line);
    const shown = src.replace(/\t/g, ' ');
    out.push(`  ${num.padStart(5)} | ${shown}`);
    const col = Math.max(1, Math.min(issue.column ?? 1, shown.length + 1));
    const len = Math.max(1, Math.min(issue.length ?? 1, shown.length - col + 1));
    out.push(`  ${' '.repeat(5)} | ${' '.repeat(col - 1)}${'^'.repeat(len)}`);
  }
  if (issue.hint) out.push(`  hint: ${issue.hint}`);
  return out.join('\n');
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** The whole report: a one-line summary, then errors, then warnings, in file order. */
export function renderReport(fileName: string, errors: readonly ConfigIssue[], warnings: readonly ConfigIssue[]): string {
  const head = errors.length
    ? `${fileName}: invalid config: ${count(errors.length, 'error')}${warnings.length ? `, ${count(warnings.length, 'warning')}` : ''}`
    : `${fileName}: valid${warnings.length ? `, ${count(warnings.length, 'warning')}` : ''}`;
  const body = [...errors, ...warnings].map((i) => i.text);
  const tail = errors.length ? ['Nothing was changed. `ha-wizard schema` prints the full format; README.md explains every field.'] : [];
  return [head, ...body, ...tail].join('\n\n');
}

/** Sorts by position; issues without a line come first (they concern the whole file). */
export function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}
