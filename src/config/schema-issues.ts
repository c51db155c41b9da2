/**
 * Turns zod's issues into messages an operator can act on: the key as written, what was expected,
 * what to write instead ("did you mean `identityFiles`?", the allowed values, a corrected example).
 */
import type * as z from 'zod';
import type { FieldPath, RawIssue } from './issues.js';
import { pathText } from './issues.js';
import { closest } from './suggest.js';

type AnySchema = z.core.$ZodType;
interface Def {
  type: string;
  shape?: Record<string, AnySchema>;
  innerType?: AnySchema;
  element?: AnySchema;
  in?: AnySchema;
  options?: AnySchema[];
}

function defOf(schema: AnySchema): Def {
  return schema._zod.def as unknown as Def;
}

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional']);

function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (;;) {
    const d = defOf(s);
    if (WRAPPERS.has(d.type) && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else return s;
  }
}

/** The schema that validates the value at `path`, or undefined when the path leaves the schema. */
export function schemaAt(root: AnySchema, path: FieldPath): AnySchema | undefined {
  let s: AnySchema | undefined = unwrap(root);
  for (const seg of path) {
    if (!s) return undefined;
    const d = defOf(s);
    if (d.type === 'object' && typeof seg === 'string') s = d.shape?.[seg];
    else if (d.type === 'array' && typeof seg === 'number') s = d.element;
    else return undefined;
    if (s) s = unwrap(s);
  }
  return s;
}

function keysAt(root: AnySchema, path: FieldPath): string[] {
  const s = schemaAt(root, path);
  const d = s ? defOf(s) : undefined;
  return d?.type === 'object' && d.shape ? Object.keys(d.shape) : [];
}

/**
 * The shallowest places a key may be written, as paths: tells `user:` at the top level that it belongs
 * under `ssh:` (not also under every node's `ssh:` override).
 */
function placesOfKey(root: AnySchema, key: string): string[] {
  const out: string[] = [];
  const walk = (s: AnySchema, path: Array<string | number>, depth: number) => {
    const d = defOf(unwrap(s));
    if (depth > 6) return;
    if (d.type === 'array' && d.element) walk(d.element, [...path, 0], depth + 1);
    if (d.type !== 'object' || !d.shape) return;
    for (const [k, child] of Object.entries(d.shape)) {
      if (k === key) out.push(pathText([...path, k]).replace(/\[0\]/g, '[]'));
      walk(child, [...path, k], depth + 1);
    }
  };
  walk(root, [], 0);
  const depth = (p: string) => p.split(/[.[]/).length;
  const shallowest = Math.min(...out.map(depth));
  return [...new Set(out.filter((p) => depth(p) === shallowest))];
}

/** The field's help text: on the field itself, or on a wrapper (`.default()`, `.optional()`) around it. */
function descriptionAt(root: AnySchema, path: FieldPath): string | undefined {
  const parent = path.length ? schemaAt(root, path.slice(0, -1)) : undefined;
  const last = path[path.length - 1];
  const d = parent ? defOf(parent) : undefined;
  let s: AnySchema | undefined =
    d?.type === 'object' && typeof last === 'string' ? d.shape?.[last] : d?.type === 'array' && typeof last === 'number' ? d.element : undefined;
  while (s) {
    const description = (s as unknown as { description?: string }).description;
    if (description) return description;
    const inner: Def = defOf(s);
    s = WRAPPERS.has(inner.type) ? inner.innerType : inner.type === 'pipe' ? inner.in : undefined;
  }
  return undefined;
}

function valueAt(input: unknown, path: FieldPath): unknown {
  let v = input;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping (key: value lines)',
  array: 'a list',
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

function isZodDefaultMessage(message: string): boolean {
  return /^Invalid (input|option|string|key|element)|^Too (small|big)|^Unrecognized key/.test(message);
}

function code(s: unknown): string {
  return `\`${String(s)}\``;
}

function addressHint(value: unknown, field: string): string | undefined {
  if (typeof value === 'number') return `write the address as text, such as 10.0.0.12`;
  if (typeof value !== 'string') return undefined;
  const portHome = field === 'endpoint.host' ? 'endpoint.port' : 'ssh.port';
  if (value.includes('://')) return `write only the host, without a scheme such as https:// (the port goes in ${portHome})`;
  if (/^[^:]+:\d+$/.test(value) || /^\[[0-9a-fA-F:]+\]:\d+$/.test(value)) return `write the address without \`:port\`; the port goes in ${portHome}`;
  if (/\/\d+$/.test(value)) return 'write one address without a /prefix length, such as 10.0.0.12';
  if (/^[0-9.]+$/.test(value)) {
    const parts = value.split('.');
    if (parts.length !== 4) return 'an IPv4 address has four numbers separated by dots, such as 10.0.0.12';
    if (parts.some((p) => p.length > 1 && p.startsWith('0'))) return `write the numbers without leading zeros: ${parts.map((p) => String(Number(p))).join('.')}`;
    if (parts.some((p) => p === '' || Number(p) > 255)) return 'each of the four numbers of an IPv4 address is between 0 and 255';
  }
  if (value.includes(':')) return 'an IPv6 address is up to eight groups of hex digits separated by `:`, with `::` at most once, such as fd00::12';
  if (value.includes('_')) return 'DNS names may not contain `_`; use `-`';
  if (/\s/.test(value)) return 'an address has no spaces';
  return undefined;
}

function nodeNameHint(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'write the node name as text, such as cp2';
  if (/[A-Z]/.test(value) && /^[a-z0-9.-]+$/.test(value.toLowerCase())) return `Kubernetes node names are lowercase: write ${value.toLowerCase()}`;
  if (/[^a-zA-Z0-9.-]/.test(value) || value.includes('..'))
    return 'no spaces, `_`, `/`, `..`, quotes or shell characters: the name becomes part of file paths and commands on the hosts. Use the name `kubectl get nodes` shows';
  return undefined;
}

function clusterNameHint(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const fixed = value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
  return fixed && fixed !== value ? `for example: name: ${fixed}` : undefined;
}

/** Hints that depend on which field failed, not on how. */
function fieldHint(path: FieldPath, value: unknown): string | undefined {
  const last = path[path.length - 1];
  const field = pathText(path);
  if (value === null) return `the value after \`${String(last)}:\` is empty: write one, or remove the key if it is optional`;
  if (path.length === 1 && last === 'name') return clusterNameHint(value);
  if (last === 'name') return nodeNameHint(value);
  if (last === 'address' || last === 'host') return addressHint(value, field);
  if (last === 'port') return 'write a port number from 1 to 65535, such as 22 or 6443';
  if (last === 'user') return 'write the account name only, such as ops; how it becomes root is set by ssh.sudo';
  if (last === 'proxyJump') return 'write it as for `ssh -J`: ops@bastion.example.com, or ops@bastion.example.com:2222 for another port';
  if (path[0] === 'repoint')
    return 'write repoint: all, or a list of what `ha-wizard plan` offers to repoint: cilium, calico, or a DaemonSet or Deployment as Kind/namespace/name (such as DaemonSet/monitoring/node-agent)';
  return undefined;
}

/** Every error says what to write: when nothing more specific applies, the field's own description. */
function withHint(issue: RawIssue, root: AnySchema): RawIssue {
  if (issue.hint) return issue;
  const description = descriptionAt(root, issue.path);
  return description ? { ...issue, hint: `${pathText(issue.path)}: ${description}` } : issue;
}

function typeHint(expected: string, value: unknown, field: string): string | undefined {
  if (expected === 'boolean' && typeof value === 'string') return 'write true or false without quotes (YAML 1.2 reads yes/no/on/off as text)';
  if (expected === 'number' && typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) return `write the number without quotes: ${value.trim()}`;
  if (expected === 'array' && (typeof value === 'string' || (value !== null && typeof value === 'object' && !Array.isArray(value))))
    return `write a list: put the value in [ ] or on lines starting with \`- \` under ${field}`;
  if (expected === 'object' && typeof value === 'string') return `write a mapping such as { name: cp2, address: 10.0.0.12 } (fields on indented lines under ${field})`;
  return undefined;
}

function issuePath(issue: z.core.$ZodIssue): Array<string | number> {
  return issue.path.filter((p): p is string | number => typeof p !== 'symbol');
}

/** Paths of keys that an unknown key in the same mapping is probably a misspelling of. */
function misspeltKeys(root: AnySchema, issues: readonly z.core.$ZodIssue[]): Set<string> {
  const out = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const path = issuePath(issue);
    for (const key of issue.keys) {
      const guess = closest(key, keysAt(root, path));
      if (guess) out.add(pathText([...path, guess]));
    }
  }
  return out;
}

/** One operator-facing issue per problem (zod reports several unknown keys in one issue; they are split). */
export function schemaIssues(root: AnySchema, issues: readonly z.core.$ZodIssue[], input: unknown): RawIssue[] {
  const out: RawIssue[] = [];
  const misspelt = misspeltKeys(root, issues);
  for (const issue of issues) {
    const path = issuePath(issue);
    const field = pathText(path);
    const value = valueAt(input, path);
    if (value === undefined && issue.code !== 'unrecognized_keys' && path.length) {
      const key = path[path.length - 1];
      // `endpiont:` is reported as unknown with "did you mean `endpoint`?"; saying endpoint is missing too is noise.
      if (typeof key === 'string' && misspelt.has(pathText(path))) continue;
      const description = descriptionAt(root, path);
      out.push({
        severity: 'error',
        path,
        message: `missing required key ${code(key)}${path.length > 1 ? ` in ${pathText(path.slice(0, -1))}` : ''}`,
        hint: `add \`${String(key)}:\`${description ? ` (${description})` : ''}`,
      });
      continue;
    }
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = keysAt(root, path);
        for (const key of issue.keys) {
          const guess = closest(key, known);
          const elsewhere = placesOfKey(root, key).filter((p) => p !== pathText([...path, key]));
          const hint = guess
            ? `did you mean \`${guess}\`?`
            : elsewhere.length
              ? `\`${key}\` belongs under ${elsewhere.map((p) => code(p.replace(/\.?[^.]+$/, '') || '(top level)')).join(' or ')}: move it there`
              : `the keys allowed ${path.length ? `in ${field}` : 'at the top level'} are: ${known.join(', ')}`;
          out.push({ severity: 'error', path: [...path, key], atKey: true, message: `unknown key ${code(key)}`, hint });
        }
        break;
      }
      case 'invalid_type': {
        const expected = String(issue.expected);
        const message = isZodDefaultMessage(issue.message) ? `expected ${TYPE_WORDS[expected] ?? expected}` : issue.message;
        const hint = typeHint(expected, value, field) ?? fieldHint(path, value);
        out.push({ severity: 'error', path, message, ...(hint ? { hint } : {}) });
        break;
      }
      case 'invalid_value': {
        const allowed = issue.values.map((v) => code(v));
        const guess = typeof value === 'string' ? closest(value, issue.values.map(String)) : undefined;
        out.push({
          severity: 'error',
          path,
          message: `expected one of ${allowed.join(', ')}`,
          hint: guess ? `did you mean \`${guess}\`?` : `write one of: ${issue.values.map(String).join(', ')}`,
        });
        break;
      }
      case 'invalid_union': {
        const message = isZodDefaultMessage(issue.message) ? 'this value has the wrong form' : issue.message;
        const hint = fieldHint(path, value);
        out.push({ severity: 'error', path, message, ...(hint ? { hint } : {}) });
        break;
      }
      default: {
        const hint = fieldHint(path, value);
        out.push({ severity: 'error', path, message: issue.message, ...(hint ? { hint } : {}) });
      }
    }
  }
  return out.map((i) => withHint(i, root));
}
