/** Label and field selectors as kubectl sends them (`-l k=v,k2 in (a,b),!k3`, `--field-selector spec.nodeName=w1`). */
type Pred = (obj: any) => boolean;

function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out.map((x) => x.trim()).filter(Boolean);
}

export function labelSelector(sel: string | null): Pred {
  if (!sel) return () => true;
  const preds: Pred[] = splitTop(sel).map((req) => {
    const labels = (o: any): Record<string, string> => o?.metadata?.labels ?? {};
    let m = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(req);
    if (m) {
      const [, k, op, vals] = m;
      const set = new Set(vals!.split(',').map((v) => v.trim()));
      return op === 'in' ? (o) => set.has(labels(o)[k!]!) : (o) => !set.has(labels(o)[k!]!);
    }
    m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(req);
    if (m) {
      const [, k, op, v] = m;
      return op === '!=' ? (o) => labels(o)[k!] !== v : (o) => labels(o)[k!] === v;
    }
    if (req.startsWith('!')) return (o) => !(req.slice(1) in labels(o));
    return (o) => req in labels(o);
  });
  return (o) => preds.every((p) => p(o));
}

export function fieldSelector(sel: string | null): Pred {
  if (!sel) return () => true;
  const preds: Pred[] = splitTop(sel).map((req) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(req);
    if (!m) return () => false;
    const [, path, op, v] = m;
    const get = (o: any) => path!.split('.').reduce((c: any, p) => (c == null ? undefined : c[p]), o) ?? '';
    return op === '!=' ? (o) => String(get(o)) !== v : (o) => String(get(o)) === v;
  });
  return (o) => preds.every((p) => p(o));
}
