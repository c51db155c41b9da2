/**
 * The rollback preview as text (`rollback`, `rollback --dry-run`, and the wizard's rollback review): per step (in
 * the order rollback runs them) and host, each file put back with its diff against what is there now, each undo
 * command, each etcd member removed, each object restored, then the summary line. The data is built by the engine
 * (engine/preview/rollback-preview.ts); this lays it out, as lines the wizard can scroll or as one text.
 */
import { showArgv } from '../engine/model/secrets.js';
import type { RollbackPreview, UndoEntry } from '../engine/preview/rollback-preview.js';

export interface PreviewLine {
  text: string;
  color?: string;
  bold?: boolean;
}

/** A text that may hold newlines (a shell script) as lines, continuation lines indented under the first. */
function block(first: string, text: string, style: Omit<PreviewLine, 'text'> = {}): PreviewLine[] {
  const [head = '', ...rest] = text.split('\n');
  const cont = ' '.repeat(first.length + 2);
  return [{ text: `${first}${head}`, ...style }, ...rest.map((l) => ({ text: `${cont}${l}`, ...style }))];
}

function entryLines(e: UndoEntry): PreviewLine[] {
  const ind = '      ';
  switch (e.kind) {
    case 'file': {
      if (e.problem) return [{ text: `  ! ${e.path}: ${e.problem}`, color: 'red', bold: true }];
      if (e.change === 'unchanged') return [{ text: `  = ${e.path}: ${e.summary ?? 'already as before'}`, color: 'gray' }];
      const head: PreviewLine =
        e.change === 'remove'
          ? { text: `  - remove ${e.path}: it did not exist before this session ${e.summary ?? ''}`.trimEnd(), color: 'red' }
          : { text: `  ~ restore ${e.path} from ${e.backup}`, color: 'yellow' };
      const out = [head];
      if (e.summary && e.change !== 'remove') out.push({ text: `${ind}${e.summary}` });
      for (const l of e.diff ? e.diff.split('\n') : []) {
        out.push({ text: `${ind}${l}`, ...(l.startsWith('+') ? { color: 'green' } : l.startsWith('-') ? { color: 'red' } : l.startsWith('@@') ? { color: 'cyan' } : {}) });
      }
      return out;
    }
    case 'run': {
      const head: PreviewLine[] = e.etcdMember
        ? [{ text: `  ✂ remove etcd member ${e.etcdMember.name} (${e.etcdMember.peerURL})`, color: 'red', bold: true }]
        : [];
      return [
        ...head,
        ...block('  $ ', showArgv(e.undo), { bold: true }),
        { text: `${ind}undoes: ${e.description}` },
        ...(e.onlyIf ? [{ text: `${ind}only if ${e.onlyIf}` }] : []),
      ];
    }
    case 'object':
      if (e.problem) return [{ text: `  ! ${e.object}: ${e.problem}`, color: 'red', bold: true }];
      if (!e.fields.length) return [{ text: `  = ${e.object}: already as before`, color: 'gray' }];
      return [
        { text: `  ~ restore ${e.object}`, color: 'yellow' },
        ...e.fields.flatMap((f): PreviewLine[] =>
          f.diff
            ? [{ text: `${ind}${f.field}:` }, ...f.diff.split('\n').map((l) => ({ text: `${ind}  ${l}`, ...(l.startsWith('+') ? { color: 'green' } : l.startsWith('-') ? { color: 'red' } : l.startsWith('@@') ? { color: 'cyan' } : {}) }))]
            : [{ text: `${ind}${f.field}: ${f.now} → ${f.restored}` }],
        ),
      ];
    case 'stays':
      return [{ text: `  · stays: ${e.description} (no undo)`, color: 'gray' }];
  }
}

/** The preview as lines, for the wizard (scrolled) and for the text below. */
export function rollbackPreviewLines(p: RollbackPreview): PreviewLine[] {
  const out: PreviewLine[] = [];
  p.steps.forEach((step, i) => {
    out.push({ text: `Undo ${i + 1}/${p.steps.length}  ${step.id}: ${step.title}`, bold: true });
    let host: string | null = null;
    for (const e of step.entries) {
      if (e.host !== host) {
        host = e.host;
        out.push({ text: ` on ${host}:` });
      }
      out.push(...entryLines(e));
    }
  });
  if (p.pointOfNoReturn.length) {
    out.push({ text: `!! This crosses the point of no easy return: ${p.pointOfNoReturn.map((a) => a.action).join(', ')}. Their undo is not an exact reverse.`, color: 'red', bold: true });
  }
  out.push({ text: p.summary.line, bold: true });
  return out;
}

/** Terraform-like text for a terminal; `color` adds ANSI colours. */
export function renderRollbackPreview(p: RollbackPreview, opts: { color?: boolean } = {}): string {
  const codes: Record<string, string> = { red: '31', green: '32', yellow: '33', cyan: '36', gray: '2' };
  const paint = (l: PreviewLine) => {
    if (!opts.color) return l.text;
    const c = [l.bold ? '1' : '', l.color ? codes[l.color] : ''].filter(Boolean).join(';');
    return c ? `\u001b[${c}m${l.text}\u001b[0m` : l.text;
  };
  const head = `ha-wizard rollback of session ${p.session} (cluster ${p.cluster})${p.to ? `, keeping step ${p.to} and the steps before it` : ''}`;
  return `${[head, '', ...rollbackPreviewLines(p).map(paint)].join('\n')}\n`;
}
