/**
 * The proxy templates in assets/: a small mustache subset, enough for config files and nothing more.
 *
 *   {{name}}                 the value (string or number); a missing name is an error, never an empty string
 *   {{#name}} … {{/name}}    a list: once per item, with the item's fields in scope; a true/non-empty value: once
 *   {{^name}} … {{/name}}    once when the value is false, null, '' or an empty list
 *
 * Values are inserted verbatim: callers validate them (addresses, paths) before rendering, because a newline
 * or a `;` in a value would change the config's meaning.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type TemplateValue = string | number | boolean | null | TemplateScope[];
export interface TemplateScope {
  [name: string]: TemplateValue;
}

const TAG = /\{\{([#^/]?)\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g;

function lookup(scopes: TemplateScope[], name: string): TemplateValue {
  for (let i = scopes.length - 1; i >= 0; i--) {
    const scope = scopes[i]!;
    if (Object.prototype.hasOwnProperty.call(scope, name)) return scope[name]!;
  }
  throw new Error(`template value "${name}" is not set`);
}

function truthy(v: TemplateValue): boolean {
  return Array.isArray(v) ? v.length > 0 : v !== false && v !== null && v !== '';
}

/** The index just after the `{{/name}}` that closes the section opened before `from`. */
function sectionEnd(text: string, name: string, from: number): { bodyEnd: number; after: number } {
  let depth = 1;
  const re = new RegExp(TAG.source, 'g');
  re.lastIndex = from;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[2] !== name) continue;
    if (m[1] === '#' || m[1] === '^') depth++;
    else if (m[1] === '/' && --depth === 0) return { bodyEnd: m.index, after: m.index + m[0].length };
  }
  throw new Error(`template section "${name}" is not closed`);
}

function render(text: string, scopes: TemplateScope[]): string {
  let out = '';
  let pos = 0;
  const re = new RegExp(TAG.source, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const [tag, kind, name] = m as unknown as [string, string, string];
    out += text.slice(pos, m.index);
    pos = m.index + tag.length;
    if (kind === '') {
      const v = lookup(scopes, name);
      if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`template value "${name}" is not a string or number`);
      out += String(v);
    } else if (kind === '/') {
      throw new Error(`template section "${name}" closed but never opened`);
    } else {
      const { bodyEnd, after } = sectionEnd(text, name, pos);
      const body = text.slice(pos, bodyEnd);
      const v = lookup(scopes, name);
      if (kind === '^') {
        if (!truthy(v)) out += render(body, scopes);
      } else if (Array.isArray(v)) {
        for (const item of v) out += render(body, [...scopes, item]);
      } else if (truthy(v)) {
        out += render(body, scopes);
      }
      pos = after;
      re.lastIndex = after;
    }
  }
  return out + text.slice(pos);
}

/** A section tag alone on its line takes the whole line with it, so sections leave no blank lines behind. */
function dropStandaloneLines(text: string): string {
  return text.replace(/^[ \t]*(\{\{[#^/]\s*[A-Za-z][A-Za-z0-9_]*\s*\}\})[ \t]*\n/gm, '$1');
}

export function renderTemplate(text: string, values: TemplateScope): string {
  return render(dropStandaloneLines(text), [values]);
}

/** The package's assets/ directory, found upward from this module (works from src/ and from dist/src/). */
function assetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'assets', 'nginx-stream.conf.tmpl'))) return join(dir, 'assets');
    const up = dirname(dir);
    if (up === dir) throw new Error('ha-wizard assets/ directory not found (is the package installed completely?)');
    dir = up;
  }
}

const cache = new Map<string, string>();

/** A template from assets/, read once. */
export function assetTemplate(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(join(assetsDir(), name), 'utf8');
    cache.set(name, text);
  }
  return text;
}
