/**
 * The preview as text for a terminal (`plan`, `apply` before it asks), Terraform-like: per step its badge,
 * per host every file change with its diff, every command with its undo, every patch and wait, then the
 * summary line. The preview itself (what changes) is built by the engine (engine/preview/preview.ts); this
 * only lays it out.
 */
import type { Risk } from '../engine/model/actions.js';
import { showArgv } from '../engine/model/secrets.js';
import type { FileChange, Preview, PreviewEntry } from '../engine/preview/preview.js';
import { foldHosts, foldedStep } from './host-fold.js';

// The folding moved to host-fold.ts (the plan screen's lines fold the same way); re-exported for existing importers.
export { hostList, withoutName } from './host-fold.js';

const BADGE: Record<Risk, string> = {
  'read-only': '[read-only]',
  reversible: '[reversible]',
  disruptive: '[disruptive]',
  'point-of-no-easy-return': '[POINT OF NO EASY RETURN]',
};

const SYMBOL: Record<FileChange, string> = { create: '+ create ', replace: '~ replace', unchanged: '= unchanged', remove: '- remove ', absent: '= absent ', generate: '+ generate' };

/** Terraform-like text. `color` adds ANSI colours for terminals. */
export function renderPreview(preview: Preview, opts: { color?: boolean } = {}): string {
  const c = (code: string, s: string) => (opts.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const plainC = (_code: string, s: string) => s;
  const out: string[] = [];
  out.push(`ha-wizard plan ${preview.plan.id} for cluster ${preview.plan.cluster} (${preview.plan.actions} actions, facts ${preview.plan.factsFingerprint.slice(0, 19)}…)`);
  const folding = foldHosts(preview.steps, (e) => renderEntry(e, plainC));
  for (const step of preview.steps) {
    out.push('');
    out.push(c('1', `Step ${step.index + 1}/${preview.steps.length}  ${step.id}: ${step.title}  ${BADGE[step.risk]}`));
    if (step.description) out.push(`  ${step.description}`);
    if (step.parallelHosts) out.push(`  Runs up to ${step.parallelHosts} hosts at once, each host's actions in order.`);
    for (const item of foldedStep(folding, step)) {
      if (item.kind === 'run') {
        out.push(`  ${item.line}`);
        continue;
      }
      out.push(`  ${item.heading}`);
      for (const e of item.block.entries) {
        if (step.pointOfNoReturn === e.action) {
          out.push(c('31;1', '    !! POINT OF NO EASY RETURN: from here on, rollback is not an exact reverse (see its undo below).'));
        }
        out.push(...renderEntry(e, c));
      }
    }
  }
  out.push('');
  out.push(c('1', preview.summary.line));
  return `${out.join('\n')}\n`;
}

function renderEntry(e: PreviewEntry, c: (code: string, s: string) => string): string[] {
  const ind = '        ';
  switch (e.kind) {
    case 'file': {
      const colour = e.change === 'create' ? '32' : e.change === 'remove' ? '31' : e.change === 'replace' ? '33' : '2';
      const mode = e.mode !== undefined ? ` (0${e.mode.toString(8)})` : '';
      const lines = [c(colour, `    ${SYMBOL[e.change]} ${e.path}${mode}`)];
      if (e.contentSummary) lines.push(`${ind}${e.contentSummary}${e.change === 'replace' && e.beforeSha256 ? `; was sha256:${e.beforeSha256.slice(0, 16)}…` : ''}`);
      if (e.diff) {
        for (const l of e.diff.split('\n')) lines.push(`${ind}${l.startsWith('+') ? c('32', l) : l.startsWith('-') ? c('31', l) : l.startsWith('@@') ? c('36', l) : l}`);
      }
      return lines;
    }
    case 'run':
      return [
        `    $ ${showArgv(e.argv)}`,
        `${ind}${e.description}`,
        `${ind}undo: ${e.undo ? showArgv(e.undo) : e.risk === 'read-only' ? 'none (changes nothing)' : 'none (point of no easy return)'}`,
        ...(e.probe ? [`${ind}done when: ${e.probe}`] : []),
        ...(!e.probe && e.idempotent ? [`${ind}if interrupted: runs again (idempotent)`] : []),
        ...(e.retry ? [`${ind}${e.retry}`] : []),
      ];
    case 'patch':
      if (e.change === 'missing') return [c('31', `    ! patch ${e.object}: not found now; apply would fail`)];
      if (e.change === 'unchanged') return [c('2', `    = unchanged ${e.object}`)];
      return [c('33', `    ~ patch ${e.object}`), ...e.fields.map((f) => `${ind}${f.field}: ${f.before} → ${f.after}`)];
    case 'wait':
      return [`    … wait: ${e.description}`, `${ind}until ${e.probe}, at most ${Math.round(e.timeoutMs / 1000)} s`];
  }
}
