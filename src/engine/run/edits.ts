/**
 * Edits to Kubernetes objects, pure: apply them, tell whether they are already in place, record and
 * restore the fields they change. A `yamlPath` edit changes one value inside a YAML document stored as a
 * string (ConfigMap data such as kube-proxy's kubeconfig.conf or kubeadm-config's ClusterConfiguration)
 * and keeps the rest of the document as it was: comments, order, style.
 */
import { isDeepStrictEqual } from 'node:util';
import { diffLines } from 'diff';
import YAML from 'yaml';
import type { ObjectEdit } from '../model/actions.js';
import type { FieldBefore } from '../records/journal.js';
import type { KubeObject } from '../model/ports.js';

type Json = Record<string, unknown>;

export function getPath(obj: unknown, path: readonly string[]): { present: boolean; value?: unknown } {
  let cur: unknown = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, key)) return { present: false };
    cur = (cur as Json)[key];
  }
  return { present: true, value: cur };
}

/** A copy of obj with value set at path (creating maps on the way), or the key deleted when value is undefined. */
export function setPath<T>(obj: T, path: readonly string[], value: unknown): T {
  const [head, ...rest] = path;
  if (head === undefined) return value as T;
  const base: Json = obj !== null && typeof obj === 'object' ? (Array.isArray(obj) ? ([...obj] as unknown as Json) : { ...(obj as Json) }) : {};
  if (rest.length === 0 && value === undefined) {
    if (Array.isArray(base)) (base as unknown[]).splice(Number(head), 1);
    else delete base[head];
  } else {
    base[head] = setPath(base[head], rest, value);
  }
  return base as T;
}

function yamlText(obj: unknown, edit: ObjectEdit): string {
  const { present, value } = getPath(obj, edit.path);
  if (present && typeof value !== 'string') throw new Error(`${edit.path.join('.')} is not a string holding YAML`);
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
