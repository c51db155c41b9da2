/**
 * How a plan is approved: by typing a word. Kept apart from plan.ts (which loads zod for plan files) because
 * the wizard's first frame asks it too.
 */
import type { Risk } from './actions.js';

/** Whether applying the plan restarts control-plane components or crosses the point of no easy return. */
export function planDisruptive(plan: { steps: ReadonlyArray<{ risk: Risk }> }): boolean {
  return plan.steps.some((s) => s.risk === 'disruptive' || s.risk === 'point-of-no-easy-return');
}

/**
 * The word that approves a plan: the cluster's name when the plan is disruptive (a reflexive "yes" must not
 * convert the wrong cluster), `yes` otherwise. `apply` and the wizard ask for the same word.
 */
export function approvalWord(plan: { cluster: string; steps: ReadonlyArray<{ risk: Risk }> }): string {
  return planDisruptive(plan) ? plan.cluster : 'yes';
}
