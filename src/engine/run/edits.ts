/**
 * Edits to Kubernetes objects, pure: apply them, tell whether they are already in place, record and
 * restore the fields they change. A `yamlPath` edit changes one value inside a YAML document stored as a
 * string (ConfigMap data such as kube-proxy's kubeconfig.conf or kubeadm-config's ClusterConfiguration)
 * and keeps the rest of the document as it was: comments, order, style.
 *
 * A path segment `[name=X]` selects, in a list, the element whose `name` is X (a container, an env entry), so an
 * edit never depends on an element's position: `spec.template.spec.containers[name=agent].env[name=HOST].value`.
 */
import { isDeepStrictEqual } from 'node:util';
import { diffLines } from 'diff';
import YAML from 'yaml';
import type { ObjectEdit } from '../model/actions.js';
import type { FieldBefore } from '../records/journal.js';
import type { KubeObject } from '../model/ports.js';

type Json = Record<string, unknown>;

/** `[name=X]`: the element of a list whose `name` is X. Kubernetes keys cannot start with `[`. */
const SELECTOR = /^\[name=(.+)\]$/;

function selected(list: unknown[], segment: string): number | null {
  const m = SELECTOR.exec(segment);
  if (!m) return null;
  return list.findIndex((e) => e !== null && typeof e === 'object' && (e as Json)['name'] === m[1]);
}

/** A path as people read it: `spec.template.spec.containers[name=agent].env[name=HOST].value`. */
export function fieldPath(path: readonly string[]): string {
  return path.reduce((out, seg) => (SELECTOR.test(seg) ? `${out}${seg}` : out ? `${out}.${seg}` : seg), '');
}

export function getPath(obj: unknown, path: readonly string[]): { present: boolean; value?: unknown } {
  let cur: unknown = obj;
  for (const key of path) {
    if (Array.isArray(cur)) {
      const at = selected(cur, key);
      if (at !== null) {
        if (at < 0) return { present: false };
        cur = cur[at];
        continue;
      }
    }
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, key)) return { present: false };
    cur = (cur as Json)[key];
  }
  return { present: true, value: cur };
}

/**
 * A copy of obj with value set at path (creating maps on the way), or the key deleted when value is undefined.
 * A `[name=X]` segment must find its element (an element is never made up): otherwise it throws.
 */
export function setPath<T>(obj: T, path: readonly string[], value: unknown): T {
  const [head, ...rest] = path;
  if (head === undefined) return value as T;
  const base: Json = obj !== null && typeof obj === 'object' ? (Array.isArray(obj) ? ([...obj] as unknown as Json) : { ...(obj as Json) }) : {};
  let key = head;
  if (Array.isArray(base)) {
    const at = selected(base as unknown[], head);
    if (at !== null) {
      if (at < 0) throw new Error(`no element ${head} in the list`);
      key = String(at);
    }
  } else if (SELECTOR.test(head)) {
    throw new Error(`${head} selects an element of a list, and there is no list here`);
  }
  if (rest.length === 0 && value === undefined) {
    if (Array.isArray(base)) (base as unknown[]).splice(Number(key), 1);
    else delete base[key];
  } else {
    base[key] = setPath(base[key], rest, value);
  }
  return base as T;
}

function yamlText(obj: unknown, edit: ObjectEdit): string {
  const { present, value } = getPath(obj, edit.path);
  if (present && typeof value !== 'string') throw new Error(`${fieldPath(edit.path)} is not a string holding YAML`);
  return present ? (value as string) : '';
}

/** Sets (or deletes) yamlPath inside a YAML document, choosing the rendering closest to the original. */
export function editYaml(text: string, yamlPath: readonly string[], value: unknown): string {
  const render = (indentSeq: boolean) => {
    const doc = YAML.parseDocument(text);
    if (doc.errors.length) throw new Error(`not valid YAML: ${doc.errors[0]!.message}`);
    if (value === undefined) doc.deleteIn(yamlPath);
    else doc.setIn(yamlPath, value);
    return doc.toString({ indentSeq, lineWidth: 0 });
  };
  const changed = (candidate: string) => diffLines(text, candidate).reduce((n, c) => n + (c.added || c.removed ? (c.count ?? 1) : 0), 0);
  const a = render(false);
  const b = render(true);
  return changed(a) <= changed(b) ? a : b;
}

export function yamlGet(text: string, yamlPath: readonly string[]): { present: boolean; value?: unknown } {
  const parsed: unknown = YAML.parse(text);
  return getPath(parsed, yamlPath);
}

export function applyEdits(obj: KubeObject, edits: readonly ObjectEdit[]): KubeObject {
  let out = obj;
  for (const e of edits) {
    if (e.yamlPath) out = setPath(out, e.path, editYaml(yamlText(out, e), e.yamlPath, e.value));
    else out = setPath(out, e.path, e.value);
  }
  return out;
}

/** Whether every edit is already in place (resume uses it for a patch that was interrupted). */
export function editsPresent(obj: KubeObject, edits: readonly ObjectEdit[]): boolean {
  return edits.every((e) => {
    const cur = e.yamlPath ? yamlGet(yamlText(obj, e), e.yamlPath) : getPath(obj, e.path);
    return e.value === undefined ? !cur.present : cur.present && isDeepStrictEqual(cur.value, e.value);
  });
}

/** The fields the edits touch, as they are now: what rollback restores. One entry per distinct path. */
export function fieldsBefore(obj: KubeObject, edits: readonly ObjectEdit[]): FieldBefore[] {
  const seen = new Set<string>();
  const out: FieldBefore[] = [];
  for (const e of edits) {
    const key = JSON.stringify(e.path);
    if (seen.has(key)) continue;
    seen.add(key);
    const cur = getPath(obj, e.path);
    out.push(cur.present ? { path: e.path, present: true, value: cur.value } : { path: e.path, present: false });
  }
  return out;
}

export function restoreFields(obj: KubeObject, before: readonly FieldBefore[]): KubeObject {
  let out = obj;
  for (const f of before) out = setPath(out, f.path, f.present ? f.value : undefined);
  return out;
}

export function fieldsMatch(obj: KubeObject, before: readonly FieldBefore[]): boolean {
  return before.every((f) => {
    const cur = getPath(obj, f.path);
    return f.present ? cur.present && isDeepStrictEqual(cur.value, f.value) : !cur.present;
  });
}

/** A short, safe rendering of a field's value for a message (secret-looking text is never shown). */
function showField(present: boolean, value: unknown): string {
  if (!present) return '(absent)';
  const s = JSON.stringify(value) ?? String(value);
  if (/PRIVATE KEY|client-key-data|token:/.test(s)) return '(sensitive)';
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/**
 * Fields of a patch that someone else changed after it: each edited field holds neither its before-value nor what the
 * edits make of it (the edits applied to the object with the before-values put back). Empty: rollback may restore.
 */
export function laterChanges(obj: KubeObject, edits: readonly ObjectEdit[], before: readonly FieldBefore[]): Array<{ field: string; now: string; wrote: string; before: string }> {
  let ours: KubeObject;
  try {
    ours = applyEdits(restoreFields(obj, before), edits);
  } catch {
    // The before-values cannot even be put back (a list element an edit selects is gone): someone removed it.
    return before
      .filter((f) => f.present && !getPath(obj, f.path).present)
      .map((f) => ({ field: fieldPath(f.path), now: '(absent)', wrote: '(a value)', before: showField(true, f.value) }));
  }
  const out: Array<{ field: string; now: string; wrote: string; before: string }> = [];
  for (const f of before) {
    const cur = getPath(obj, f.path);
    const was = f.present ? { present: true, value: f.value } : { present: false };
    const wrote = getPath(ours, f.path);
    const same = (a: { present: boolean; value?: unknown }, b: { present: boolean; value?: unknown }) => a.present === b.present && (!a.present || isDeepStrictEqual(a.value, b.value));
    if (same(cur, was) || same(cur, wrote)) continue;
    out.push({ field: fieldPath(f.path), now: showField(cur.present, cur.value), wrote: showField(wrote.present, wrote.value), before: showField(was.present, was.value) });
  }
  return out;
}
