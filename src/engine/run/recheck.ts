/**
 * Checking an action that was started but never recorded as done (the process died, the host dropped,
 * the operator pressed Ctrl-C twice). The answer is `done` (its effect is there), `redo` (it is not,
 * and doing it again is safe) or `unknown` (neither can be shown: the operator decides).
 */
import type { Action } from '../model/actions.js';
import { RunContext } from './context.js';
import { badInput } from './errors.js';
import * as files from './host-files.js';
import { editsPresent, fieldsMatch } from './edits.js';
import type { Phase } from '../model/events.js';
import type { ActionState } from '../records/state.js';
import type { WriteFileAction } from '../model/actions.js';
import { sha256 } from '../model/hash.js';

/** The sha256 a write will produce when it is known without materialising secrets. */
export function knownTargetSha(action: WriteFileAction): string | null {
  if (action.content.type === 'literal') return sha256(action.content.text);
  if (action.content.type === 'copy') return action.content.sha256;
  return null;
}

export interface Check {
  verdict: 'done' | 'redo' | 'unknown';
  detail: string;
}

export async function checkApplied(ctx: RunContext, action: Action, state: ActionState): Promise<Check> {
  switch (action.type) {
    case 'write-file': {
      const current = await files.fileState(ctx, action.host, action.path);
      const original = state.before ?? null;
      const target = knownTargetSha(action);
      if (current && target !== null && current.sha256 === target && current.mode === action.mode) return { verdict: 'done', detail: 'the file has the planned content' };
      if (sameFile(current, original)) return { verdict: 'redo', detail: 'the file is still the original' };
      if (current && target === null && action.content.type !== 'literal' && current.mode === action.mode) {
        const h = await ctx.host(action.host);
        const bytes = await ctx.guard(h.readFile(action.path));
        if (await ctx.guard(ctx.deps.materializer.satisfies(action.content, action.host, bytes, ctx.hosts))) {
          return { verdict: 'done', detail: 'the file satisfies the planned content' };
        }
      }
      return {
        verdict: 'unknown',
        detail: `${action.host}:${action.path} is ${current ? `sha256 ${current.sha256.slice(0, 12)}… mode 0${current.mode.toString(8)}` : 'absent'}: neither the original (${original ? `sha256 ${original.sha256.slice(0, 12)}…` : 'absent'}) nor the planned content`,
      };
    }
    case 'remove-file': {
      const current = await files.fileState(ctx, action.host, action.path);
      if (!current) return { verdict: 'done', detail: 'the file is gone' };
      if (sameFile(current, state.before ?? null)) return { verdict: 'redo', detail: 'the file is still there' };
      return { verdict: 'unknown', detail: `${action.host}:${action.path} exists but differs from the file that was to be removed` };
    }
    case 'run': {
      if (action.probe) {
        const p = await ctx.probe(action.probe);
        return p.ok ? { verdict: 'done', detail: 'its probe says it took effect' } : { verdict: 'redo', detail: `its probe says it did not take effect (${p.detail})` };
      }
      if (state.status === 'apply-failed' && state.lastExitCode !== undefined) return { verdict: 'redo', detail: `it ran to its end and failed last time (exit ${state.lastExitCode})` };
      // A command that changes nothing (a config check) is safe to run again whatever happened.
      if (action.risk === 'read-only') return { verdict: 'redo', detail: 'it changes nothing and runs again' };
      // Its author declared that a second run has the effect of one (a reload, a restart).
      if (action.idempotent) return { verdict: 'redo', detail: 'it is idempotent and runs again' };
      return { verdict: 'unknown', detail: `\`${action.argv.join(' ')}\` on ${action.host} was interrupted and has no probe to tell whether it took effect` };
    }
    case 'patch-object': {
      const api = await ctx.kube(action.host);
      const obj = await ctx.guard(api.get(action.object));
      if (obj && editsPresent(obj, action.edits)) return { verdict: 'done', detail: 'the edits are in place' };
      if (obj && state.fieldsBefore && fieldsMatch(obj, state.fieldsBefore)) return { verdict: 'redo', detail: 'the object is as it was' };
      // Edits are idempotent sets; applying them again converges whatever happened in between.
      return { verdict: 'redo', detail: 'the edits are not (all) in place' };
    }
    case 'wait':
      return { verdict: 'redo', detail: 'waits are read-only and run again' };
  }
}

function sameFile(a: { sha256: string; mode: number } | null, b: { sha256: string; mode: number } | null): boolean {
  if (a === null || b === null) return a === b;
  return a.sha256 === b.sha256 && a.mode === b.mode;
}

/** The operator's answer for an action whose state cannot be told, or a failure naming the flags to pass. */
export async function resolveUnknown(ctx: RunContext, phase: Phase, action: Action, detail: string): Promise<'done' | 'redo'> {
  const given = ctx.opts.resolutions?.[action.id];
  if (given) return given;
  const decide = ctx.opts.decide;
  if (decide) return ctx.oneAtATime(() => decide({ phase, action, question: detail }));
  return badInput(
    `cannot tell whether ${phase === 'apply' ? '' : 'the undo of '}${action.id} took effect: ${detail}`,
    `check on the host, then run \`${ctx.resumeCommand} --assume-done ${action.id}\` or \`${ctx.resumeCommand} --redo ${action.id}\``,
  );
}
