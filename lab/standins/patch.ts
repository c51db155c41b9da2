/**
 * The three patch kinds kubectl and the wizard send: JSON merge patch (RFC 7386, `kubectl label`),
 * strategic merge patch (`kubectl taint`, `kubectl rollout restart`) and JSON patch (RFC 6902).
 * The strategic merge here knows the merge keys of the list fields a lab object has; every other
 * list is replaced whole, as the real one does for lists without a patch strategy (e.g. node taints).
 */
type Json = any;

const isObj = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return patch;
  const out: Record<string, Json> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** List fields merged by key (from the patchMergeKey tags of k8s.io/api). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  conditions: 'type',
  addresses: 'type',
  ownerReferences: 'uid',
  imagePullSecrets: 'name',
  tolerations: '',
  finalizers: '',
};

export function strategicMergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return patch;
  const out: Record<string, Json> = isObj(target) ? { ...target } : {};
  const orderDirectives = new Map<string, Json[]>();
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$setElementOrder/')) {
      orderDirectives.set(k.slice('$setElementOrder/'.length), v as Json[]);
      continue;
    }
    if (k.startsWith('$')) continue; // $patch, $retainKeys: not needed by anything the lab sees
    if (v === null) {
      delete out[k];
      continue;
    }
    const mergeKey = MERGE_KEYS[k];
    if (Array.isArray(v) && mergeKey && Array.isArray(out[k])) {
      const current = [...(out[k] as Json[])];
      for (const item of v) {
        if (!isObj(item)) continue;
        const idx = current.findIndex((c) => isObj(c) && c[mergeKey] === item[mergeKey]);
        if (item.$patch === 'delete') {
          if (idx >= 0) current.splice(idx, 1);
        } else if (idx >= 0) current[idx] = strategicMergePatch(current[idx], item);
        else current.push(strategicMergePatch({}, item));
      }
      out[k] = current;
    } else if (isObj(v)) {
      out[k] = v.$patch === 'replace' ? stripDirectives(v) : strategicMergePatch(out[k], v);
    } else {
      out[k] = v;
    }
  }
  for (const [k, order] of orderDirectives) {
    const mergeKey = MERGE_KEYS[k];
    const list = out[k];
    if (!mergeKey || !Array.isArray(list)) continue;
    const pos = (x: Json) => order.findIndex((o) => isObj(o) && isObj(x) && o[mergeKey] === x[mergeKey]);
    out[k] = [...list].sort((a, b) => (pos(a) === -1 ? 1e9 : pos(a)) - (pos(b) === -1 ? 1e9 : pos(b)));
  }
  return out;
}

function stripDirectives(v: Record<string, Json>): Record<string, Json> {
  const { $patch: _drop, ...rest } = v;
  return rest;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export class PatchError extends Error {}

export function jsonPatch(target: Json, ops: Array<{ op: string; path: string; value?: Json; from?: string }>): Json {
  let doc = structuredClone(target);
  const parentOf = (path: string): [Json, string] => {
    const parts = pointer(path);
    const last = parts.pop();
    if (last === undefined) throw new PatchError('the root cannot be patched');
    let cur = doc;
    for (const p of parts) {
      cur = cur?.[Array.isArray(cur) ? Number(p) : p];
      if (cur === undefined) throw new PatchError(`path ${path} does not exist`);
    }
    return [cur, last];
  };
  const get = (path: string) => pointer(path).reduce((c: Json, p) => (c === undefined ? undefined : c[Array.isArray(c) ? Number(p) : p]), doc);
  for (const op of ops) {
    switch (op.op) {
      case 'add':
      case 'replace': {
        const [parent, key] = parentOf(op.path);
        if (Array.isArray(parent)) {
          const i = key === '-' ? parent.length : Number(key);
          if (op.op === 'add') parent.splice(i, 0, op.value);
          else parent[i] = op.value;
        } else {
          if (op.op === 'replace' && !(key in parent)) throw new PatchError(`replace: ${op.path} does not exist`);
          parent[key] = op.value;
        }
        break;
      }
      case 'remove': {
        const [parent, key] = parentOf(op.path);
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else if (key in parent) delete parent[key];
        else throw new PatchError(`remove: ${op.path} does not exist`);
        break;
      }
      case 'test':
        if (JSON.stringify(get(op.path)) !== JSON.stringify(op.value)) throw new PatchError(`test failed at ${op.path}`);
        break;
      case 'copy':
      case 'move': {
        const v = structuredClone(get(op.from ?? ''));
        if (op.op === 'move') doc = jsonPatch(doc, [{ op: 'remove', path: op.from ?? '' }]);
        doc = jsonPatch(doc, [{ op: 'add', path: op.path, value: v }]);
        break;
      }
      default:
        throw new PatchError(`unknown JSON patch op ${op.op}`);
    }
  }
  return doc;
}
