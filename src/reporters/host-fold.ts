/**
 * Folding of host blocks that read alike (5,000 workers' kubelet repoints are one shape), shared by the text preview
 * (preview-text.ts) and the wizard's plan screen lines (plan-lines.ts): one algorithm, one wording. Each caller
 * renders entries its own way and passes that rendering in, so a block is compared on exactly the text it would show.
 */
import type { PreviewEntry, PreviewStep } from '../engine/preview/preview.js';

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
  /** Every block → the index of its step (`PreviewStep.index`). */
  stepOf: Map<HostBlock, number>;
}

/**
 * Which host blocks of `steps` read exactly like an earlier one once each block's own host name is replaced by a
 * placeholder: those are folded into a line naming the block they read like. Compared on the full rendered text, so
 * a worker whose file, command, probe or point of no return differs in any character is shown in full (and becomes
 * an example itself). A block holding the point of no easy return is never folded.
 */
export function foldHosts(steps: readonly PreviewStep[], render: (e: PreviewEntry) => readonly string[]): Folding {
  const likeOf = new Map<HostBlock, HostBlock>();
  const folded = new Map<HostBlock, number>();
  const stepOf = new Map<HostBlock, number>();
  const shown = new Map<string, HostBlock>();
  const blocksByStep = new Map<PreviewStep, HostBlock[]>();
  for (const step of steps) {
    const blocks = hostBlocks(step.entries);
    blocksByStep.set(step, blocks);
    for (const b of blocks) {
      stepOf.set(b, step.index);
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
  }
  return { blocks: blocksByStep, likeOf, folded, stepOf };
}

/** One step laid out: a block shown in full under its heading, or a run of folded hosts as one line. */
export type FoldedItem = { kind: 'block'; block: HostBlock; heading: string } | { kind: 'run'; hosts: string[]; line: string };

/**
 * A step's blocks as the folding shows them: a block shown in full with its heading (`on w1:`, or with how many
 * hosts read like it), each run of consecutive blocks folded into the same example as one line.
 */
export function foldedStep(folding: Folding, step: PreviewStep): FoldedItem[] {
  const blocks = folding.blocks.get(step) ?? hostBlocks(step.entries);
  const out: FoldedItem[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    const like = folding.likeOf.get(b);
    if (like) {
      // A run of hosts whose actions read exactly like an earlier host's (its name put in): one line for all of them.
      const run = [b];
      while (i + 1 < blocks.length && folding.likeOf.get(blocks[i + 1]!) === like) run.push(blocks[++i]!);
      const hosts = run.map((r) => r.host);
      const n = like.entries.length;
      out.push({
        kind: 'run',
        hosts,
        line: `on ${hostList(hosts)} (${count(run.length, 'host')}): ${count(n, 'action')} each, like ${like.host}'s in step ${folding.stepOf.get(like)! + 1} (${like.host}'s name put in)`,
      });
      continue;
    }
    const folded = folding.folded.get(b) ?? 0;
    out.push({
      kind: 'block',
      block: b,
      heading: folded
        ? `${(folded + 1).toLocaleString('en-US')} hosts × ${count(b.entries.length, 'action')}, each like ${b.host}'s (the ${folded.toLocaleString('en-US')} others are folded below): on ${b.host}:`
        : `on ${b.host}:`,
    });
  }
  return out;
}

function shapeOf(b: HostBlock, render: (e: PreviewEntry) => readonly string[]): string {
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
