/**
 * A plan step's details as display lines (files with their unified diff, commands with undo and probe,
 * certificates with each SAN on its own line, object patches, waits), so the plan screen can scroll them as a
 * window, wrap them at the terminal's width (nothing is ever cut) and search them.
 */
import type { PreviewEntry, PreviewStep } from '../engine/preview/preview.js';
import type { OldAddressReport } from '../discovery/old-address.js';
import { foldHosts, foldedStep } from './host-fold.js';

export interface Line {
  text: string;
  color?: string;
  bold?: boolean;
}

const SYMBOL: Record<string, string> = { create: '+ create', replace: '~ replace', unchanged: '= unchanged', remove: '- remove', absent: '= absent', generate: '+ generate' };

function argv(a: readonly string[]): string {
  return a.map((x) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(x) ? x : `'${x.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** A text that may hold newlines (a shell script in an argv) as display lines; continuation lines indented under the first. */
function block(first: string, text: string, style: Omit<Line, 'text'> = {}): Line[] {
  const [head = '', ...rest] = text.split('\n');
  const cont = ' '.repeat(first.length + 2);
  return [{ text: `${first}${head}`, ...style }, ...rest.map((l) => ({ text: `${cont}${l}`, ...style }))];
}

function entryLines(e: PreviewEntry): Line[] {
  const ind = '      ';
  switch (e.kind) {
    case 'file': {
      const color = e.change === 'create' ? 'green' : e.change === 'remove' ? 'red' : e.change === 'replace' ? 'yellow' : 'gray';
      const mode = e.mode !== undefined ? ` (0${e.mode.toString(8)})` : '';
      const out: Line[] = [{ text: `  ${SYMBOL[e.change] ?? e.change} ${e.path}${mode}`, color }];
      if (e.cert) {
        // Field by field, one SAN a line: the names this tool exists to get right are read in full.
        const isCert = e.contentSummary?.startsWith('(certificate') === true;
        const what = isCert ? (e.contentSummary ?? '').replace(/^\((certificate issued at apply for the key [^:]+):.*$/s, '$1') : (e.contentSummary ?? '').replace(/; client certificate .*$/s, ')');
        out.push({ text: `${ind}${what}` });
        out.push({ text: `${ind}${isCert ? '' : 'client certificate '}subject ${e.cert.subject}` });
        out.push({ text: `${ind}SANs (${e.cert.sans.length}):${e.cert.sans.length ? '' : ' none'}` });
        for (const san of e.cert.sans) out.push({ text: `${ind}  ${san}` });
        out.push({ text: `${ind}usages ${e.cert.usages.join(', ') || '(none)'}; valid ${e.cert.validityDays} days; issuer ${e.cert.issuer}` });
      } else if (e.contentSummary) out.push({ text: `${ind}${e.contentSummary}` });
      for (const l of e.diff ? e.diff.split('\n') : []) {
        out.push({ text: `${ind}${l}`, ...(l.startsWith('+') ? { color: 'green' } : l.startsWith('-') ? { color: 'red' } : l.startsWith('@@') ? { color: 'cyan' } : {}) });
      }
      return out;
    }
    case 'run':
      return [
        ...block('  $ ', argv(e.argv), { bold: true }),
        { text: `${ind}${e.description}` },
        ...block(`${ind}undo: `, e.undo ? argv(e.undo) : e.risk === 'read-only' ? 'none (changes nothing)' : 'none (point of no easy return)', e.undo || e.risk === 'read-only' ? {} : { color: 'red' }),
        ...(e.probe ? [{ text: `${ind}done when: ${e.probe}` }] : []),
        ...(e.retry ? [{ text: `${ind}${e.retry}` }] : []),
      ];
    case 'patch':
      if (e.change === 'missing') return [{ text: `  ! patch ${e.object}: not found now; apply would fail`, color: 'red' }];
      if (e.change === 'unchanged') return [{ text: `  = unchanged ${e.object}`, color: 'gray' }];
      return [{ text: `  ~ patch ${e.object}`, color: 'yellow' }, ...e.fields.map((f) => ({ text: `${ind}${f.field}: ${f.before} → ${f.after}` }))];
    case 'wait':
      return [{ text: `  … wait: ${e.description}` }, { text: `${ind}until ${e.probe}, at most ${Math.round(e.timeoutMs / 1000)} s` }];
  }
}

/**
 * A step's lines. Host blocks that read exactly like an earlier host's block of the same step once its own name is
 * put in (5,000 workers' repoints) are folded as the text preview folds them (host-fold.ts): the first is shown in
 * full with how many read like it, each later run of hosts is one line. A block that differs in any character shown
 * here (text, colour or weight), and the block holding the point of no easy return, are shown in full. Folding is
 * within the step, since the plan screen shows one step at a time: every step shows its own example.
 */
export function stepDetailLines(step: PreviewStep): Line[] {
  const out: Line[] = [];
  if (step.description) out.push({ text: step.description });
  const folding = foldHosts([step], (e) => entryLines(e).map((l) => `${l.color ?? ''}\u0001${l.bold ? 'b' : ''}\u0001${l.text}`));
  for (const item of foldedStep(folding, step)) {
    if (item.kind === 'run') {
      out.push({ text: item.line, bold: true });
      continue;
    }
    out.push({ text: item.heading, bold: true });
    for (const e of item.block.entries) {
      if (step.pointOfNoReturn === e.action) {
        out.push({ text: '  !! POINT OF NO EASY RETURN: from here on, rollback is not an exact reverse.', color: 'red', bold: true });
      }
      out.push(...entryLines(e));
    }
  }
  return out;
}

/** Everything the old-address audit found, as display lines: each object, then the field and what it holds. */
export function referenceLines(r: OldAddressReport): Line[] {
  const out: Line[] = [];
  for (const f of r.findings) {
    out.push({ text: f.object, bold: true });
    out.push({ text: `  ${f.field}: ${f.value}` });
    if (f.advice) out.push({ text: `    ${f.advice}`, color: 'gray' });
  }
  if (r.repointed?.length) {
    out.push({ text: `Repointed by this plan (${(r.offers ?? []).filter((o) => o.chosen).map((o) => o.id).join(', ')}):`, color: 'green' });
    for (const f of r.repointed) out.push({ text: `  ${f.object} ${f.field}`, color: 'green' });
  }
  for (const l of r.followUps ?? []) out.push({ text: l, color: 'yellow' });
  for (const n of r.unreachableNodes) {
    out.push({ text: `Node ${n}`, bold: true });
    out.push({ text: `  /etc/kubernetes/kubelet.conf: not in the config's workers (add it there)` });
  }
  if (r.notes.length) {
    out.push({ text: `The audit is incomplete (${r.notes.length} ${r.notes.length === 1 ? 'note' : 'notes'}):`, color: 'yellow' });
    for (const n of r.notes) out.push({ text: `  ${n}`, color: 'yellow' });
  }
  if (!out.length) out.push({ text: r.audited ? 'None found in the ConfigMaps, Secrets and workloads of any namespace, the nodes\' kubeconfigs or the apiserver flags.' : 'Discovery did not audit the cluster.' });
  return out;
}

/** What to repoint, one line each (the done screen's "what to do next"). */
export function repointItems(r: OldAddressReport): string[] {
  return [...r.findings.map((f) => `${f.object}: ${f.field}`), ...r.unreachableNodes.map((n) => `Node ${n}: /etc/kubernetes/kubelet.conf (not in the config's workers)`)];
}

/**
 * Lines cut into rows of at most `width` characters, nothing dropped: a continuation row keeps the line's indent
 * (plus two), so a wrapped SAN list or script still reads as one entry.
 */
export function wrapLines<T extends Line>(lines: readonly T[], width: number): T[] {
  const w = Math.max(20, width);
  const out: T[] = [];
  for (const l of lines) {
    if (l.text.length <= w) {
      out.push(l);
      continue;
    }
    const indent = Math.min(/^ */.exec(l.text)![0].length + 2, Math.floor(w / 2));
    let rest = l.text;
    let first = true;
    while (rest.length) {
      const room = first ? w : w - indent;
      let cut = rest.length;
      if (rest.length > room) {
        // At the last space that fits, unless that leaves half the row empty: then the row is cut where it ends. A row
        // broken at a space stays shorter than the width, so a full-width row always means a word goes on below.
        cut = rest.lastIndexOf(' ', room - 1);
        if (cut <= room / 2) cut = room;
      }
      out.push({ ...l, text: `${first ? '' : ' '.repeat(indent)}${rest.slice(0, cut)}` });
      rest = rest.slice(cut);
      if (rest.startsWith(' ')) rest = rest.slice(1);
      first = false;
    }
  }
  return out;
}

/** Every line of every step that contains `query` (case-insensitive), in plan order. */
export function searchSteps(steps: readonly PreviewStep[], query: string): Array<{ step: number; line: number }> {
  const q = query.toLowerCase();
  if (!q) return [];
  return steps.flatMap((s, step) =>
    stepDetailLines(s)
      .map((l, line) => ({ step, line, hit: l.text.toLowerCase().includes(q) }))
      .filter((h) => h.hit)
      .map(({ step: st, line }) => ({ step: st, line })),
  );
}
