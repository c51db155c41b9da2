/**
 * Content hashes: what a plan's id, a facts fingerprint, the preview's "sha256:…" and the journal's file
 * states are made of. One definition, so the same bytes always name the same way.
 */
import { createHash } from 'node:crypto';

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** JSON with sorted object keys: the same data always hashes the same. */
export function canonicalJson(value: unknown): string {
  const out = serialize(value);
  // Only a top-level undefined, function or symbol has no JSON (JSON.stringify returns undefined for it too).
  return out === undefined ? (JSON.stringify(value) as string) : out;
}

/**
 * The reference definition, kept for the equivalence test: JSON.stringify with a replacer that sorts keys. Byte for
 * byte what canonicalJson returns; about 4× slower on a 25,000-action plan (a sorted copy of every object).
 */
export function canonicalJsonReference(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** An array index as an object key: JavaScript orders these first, ascending, whatever the insertion order. */
const INDEX_KEY = /^(?:0|[1-9][0-9]{0,9})$/;
const isIndexKey = (k: string) => INDEX_KEY.test(k) && Number(k) < 4294967295;
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** One value as JSON.stringify with the sorting replacer writes it; undefined where it writes nothing. */
function serialize(value: unknown, key = ''): string | undefined {
  let v = value;
  if (v !== null && (typeof v === 'object' || typeof v === 'bigint') && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    v = (v as { toJSON(k: string): unknown }).toJSON(key);
  }
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) {
        let s = '[';
        for (let i = 0; i < v.length; i++) s += `${i ? ',' : ''}${serialize(v[i], String(i)) ?? 'null'}`;
        return `${s}]`;
      }
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj);
      // Sorted copies put index keys first (numeric order), then the rest in code-unit order; so does this.
      let split = 0;
      while (split < keys.length && isIndexKey(keys[split]!)) split++;
      const rest = keys.slice(split).sort(byCodeUnit);
      let s = '{';
      let first = true;
      for (let i = 0; i < keys.length; i++) {
        const k = i < split ? keys[i]! : rest[i - split]!;
        const item = serialize(obj[k], k);
        if (item === undefined) continue;
        s += `${first ? '' : ','}${JSON.stringify(k)}:${item}`;
        first = false;
      }
      return `${s}}`;
    }
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    default:
      return undefined;
  }
}
