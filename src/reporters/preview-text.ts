/**
 * The preview as text for a terminal (`plan`, `apply` before it asks), Terraform-like: per step its badge,
 * per host every file change with its diff, every command with its undo, every patch and wait, then the
 * summary line. The preview itself (what changes) is built by the engine (engine/preview/preview.ts); this
 * only lays it out.
 */
import type { Risk } from '../engine/model/actions.js';
import { showArgv } from '../engine/model/secrets.js';
import type { FileChange, Preview, PreviewEntry, PreviewStep } from '../engine/preview/preview.js';

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
  const folding = foldHosts(preview, (e) => renderEntry(e, plainC));
  for (const step of preview.steps) {
    out.push('');
    out.push(c('1', `Step ${step.index + 1}/${preview.steps.length}  ${step.id}: ${step.title}  ${BADGE[step.risk]}`));
    if (step.description) out.push(`  ${step.description}`);
    if (step.parallelHosts) out.push(`  Runs up to ${step.parallelHosts} hosts at once, each host's actions in order.`);
    const blocks = folding.blocks.get(step)!;
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i]!;
      const like = folding.likeOf.get(b);
      if (like) {
        // A run of hosts whose actions read exactly like an earlier host's (its name put in): one line for all of them.
        const run = [b];
        while (i + 1 < blocks.length && folding.likeOf.get(blocks[i + 1]!) === like) run.push(blocks[++i]!);
        const n = like.entries.length;
        out.push(
          `  on ${hostList(run.map((r) => r.host))} (${count(run.length, 'host')}): ${count(n, 'action')} each, like ${like.host}'s in step ${folding.stepOf.get(like)! + 1} (${like.host}'s name put in)`,
        );
        continue;
      }
      const folded = folding.folded.get(b) ?? 0;
      out.push(
        folded
          ? `  ${(folded + 1).toLocaleString('en-US')} hosts × ${count(b.entries.length, 'action')}, each like ${b.host}'s (the ${folded.toLocaleString('en-US')} others are folded below): on ${b.host}:`
          : `  on ${b.host}:`,
      );
      for (const e of b.entries) {
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

/** A host's consecutive entries in one step (a parallel step lists each host's actions together). */
export interface HostBlock {
  host: string;
  entries: PreviewEntry[];
}

export function hostBlocks(entries: readonly PreviewEntry[]): HostBlock[] {
  const out: HostBlock[] = [];
  for (const e of entries) {
    const last = out.at(-1);
    if (last && last.host === e.host) last.entries.push(e);
    else out.push({ host: e.host, entries: [e] });
  }
  return out;
}

export interface Folding {
  /** Each step's host blocks (the objects the maps below are keyed by). */
  blocks: Map<PreviewStep, HostBlock[]>;
  /** A folded block → the block shown in full that it reads like. */
  likeOf: Map<HostBlock, HostBlock>;
  /** A block shown in full → how many later blocks were folded into it. */
  folded: Map<HostBlock, number>;
  /** Every block → the index of its step. */
  stepOf: Map<HostBlock, number>;
}

/**
 * Which host blocks read exactly like an earlier one once each block's own host name is replaced by a placeholder
 * (5,000 workers' kubelet repoints are one shape): those are folded into a line naming the block they read like.
 * Compared on the full rendered text, so a worker whose file, command, probe or point of no return differs in any
 * character is shown in full (and becomes an example itself). A block holding the point of no easy return is never folded.
 */
export function foldHosts(preview: Preview, render: (e: PreviewEntry) => string[]): Folding {
  const likeOf = new Map<HostBlock, HostBlock>();
  const folded = new Map<HostBlock, number>();
  const stepOf = new Map<HostBlock, number>();
  const shown = new Map<string, HostBlock>();
  const blocksByStep = new Map<PreviewStep, HostBlock[]>();
  preview.steps.forEach((step, si) => {
    const blocks = hostBlocks(step.entries);
    blocksByStep.set(step, blocks);
    for (const b of blocks) {
      stepOf.set(b, si);
      const ponr = b.entries.some((e) => e.action === step.pointOfNoReturn);
      const shape = ponr ? null : shapeOf(b, render);
      const first = shape === null ? undefined : shown.get(shape);
      if (first && first.host !== b.host) {
        likeOf.set(b, first);
        folded.set(first, (folded.get(first) ?? 0) + 1);
      } else if (shape !== null && !first) {
        shown.set(shape, b);
      }
    }
  });
  return { blocks: blocksByStep, likeOf, folded, stepOf };
}

function shapeOf(b: HostBlock, render: (e: PreviewEntry) => string[]): string {
  const text = `${b.entries.length}\n${b.entries.map((e) => `${e.kind}\n${render(e).join('\n')}`).join('\n')}`;
  return withoutName(text, b.host);
}

const NAME_CHAR = /[A-Za-z0-9_-]/;

/** The text with each whole-word occurrence of `name` replaced by a placeholder (`w1` in `w10` or `w1-x` is not one). */
export function withoutName(text: string, name: string): string {
  if (!name) return text;
  let out = '';
  let from = 0;
  for (let at = text.indexOf(name); at !== -1; at = text.indexOf(name, at + name.length)) {
    const before = at > 0 ? text[at - 1]! : '';
    const after = text[at + name.length] ?? '';
    if ((before && (NAME_CHAR.test(before) || before === '.')) || (after && NAME_CHAR.test(after))) continue;
    out += `${text.slice(from, at)}\u0000HOST\u0000`;
    from = at + name.length;
  }
  return out + text.slice(from);
}

/** Host names, runs of consecutive numbers with one prefix as `w2…w50`. */
export function hostList(names: readonly string[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < names.length) {
    const m = /^(.*?)(\d+)$/.exec(names[i]!);
    let j = i;
    if (m) {
      while (j + 1 < names.length) {
        const n = /^(.*?)(\d+)$/.exec(names[j + 1]!);
        const prev = /^(.*?)(\d+)$/.exec(names[j]!)!;
        if (!n || n[1] !== m[1] || Number(n[2]) !== Number(prev[2]) + 1 || n[2]!.startsWith('0')) break;
        j++;
      }
    }
    parts.push(j > i + 1 ? `${names[i]}…${names[j]}` : j === i + 1 ? `${names[i]}, ${names[j]}` : names[i]!);
    i = j + 1;
  }
  return parts.join(', ');
}

function count(n: number, what: string): string {
  return `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;
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
