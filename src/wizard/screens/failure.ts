/** The failure screen (ui/FailureScreen.tsx): retry, skip (read-only actions only), roll back a step or everything, or quit. */
import { ExitCode } from '../../exit-codes.js';
import { isSkippable } from '../../engine/model/actions.js';
import type { FailureChoice, Intent, Transition, WizardState } from '../model.js';
import { quit, t } from '../transition.js';
import { previewRollback } from './rollback.js';

export function failureChoices(s: WizardState): FailureChoice[] {
  const f = s.run?.failure;
  const out: FailureChoice[] = ['retry'];
  if (s.options.canSkip && f && f.phase === 'apply' && skippable(s, f.action)) out.push('skip');
  if (f?.phase === 'apply') out.push('rollback-step', 'rollback-all');
  out.push('quit');
  return out;
}

/** The engine's rule (actions.ts isSkippable), asked of the failed action's preview entry. */
function skippable(s: WizardState, action: string): boolean {
  for (const step of s.plan?.preview.steps ?? []) {
    for (const e of step.entries) {
      if (e.action !== action) continue;
      if (e.kind === 'wait') return isSkippable({ type: 'wait' });
      if (e.kind === 'run') return isSkippable({ type: 'run', risk: e.risk });
      return false;
    }
  }
  return false;
}

export const FAILURE_LABEL: Record<FailureChoice, string> = {
  retry: 'Retry: check what the failed action left, then continue',
  skip: 'Skip it (read-only, changes nothing) and continue',
  'rollback-step': 'Roll back this step (keep the steps before it)',
  'rollback-all': 'Roll back everything',
  quit: 'Quit and resume later',
};

export function reduceFailure(s: WizardState, i: Intent): Transition {
  const choices = failureChoices(s);
  const f = s.failure ?? { choice: 0 };
  switch (i.type) {
    case 'up':
      return t({ ...s, failure: { choice: (f.choice + choices.length - 1) % choices.length } });
    case 'down':
      return t({ ...s, failure: { choice: (f.choice + 1) % choices.length } });
    case 'retry':
      return chooseFailure(s, 'retry');
    case 'quit':
      return chooseFailure(s, 'quit');
    case 'select':
      return chooseFailure(s, choices[f.choice] ?? 'quit');
    default:
      return t(s);
  }
}

/** The step before the failed one (rollback --to keeps it and everything before). */
function stepBefore(s: WizardState, step: string | null): string | undefined {
  // From the reviewed plan, or (a session resumed from a fresh start) from the steps this run went through.
  const ids = s.plan?.preview.steps.map((x) => x.id) ?? [...(s.run?.steps ?? [])].sort((a, b) => a.index - b.index).map((x) => x.id);
  const at = step ? ids.indexOf(step) : -1;
  return at > 0 ? ids[at - 1] : undefined;
}

function chooseFailure(s: WizardState, choice: FailureChoice): Transition {
  const session = s.session;
  if (!session) return quit(s, ExitCode.Failure, 'Nothing to resume.');
  const f = s.run?.failure;
  switch (choice) {
    case 'retry':
      return t({ ...s, busy: 'Retrying…' }, { type: 'resume', session });
    case 'skip':
      return t({ ...s, busy: 'Skipping…' }, { type: 'resume', session, ...(f ? { skip: f.action } : {}) });
    case 'rollback-step':
      return previewRollback(s, session, stepBefore(s, f?.step ?? null));
    case 'rollback-all':
      return previewRollback(s, session);
    case 'quit':
      return quit(s, ExitCode.Stopped, `Stopped. Continue later with: ${s.options.command} resume ${session}   (or undo: ${s.options.command} rollback ${session}${s.outcome?.rollbackCrossesPointOfNoReturn ? ' --past-point-of-no-return' : ''})`);
  }
}
