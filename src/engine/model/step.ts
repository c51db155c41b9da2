/**
 * A step: one phase of the conversion on some hosts (a file in steps/, kubeadm-phase style). The steps read
 * the discovered facts and return data; they never talk to a host. The engine assembles their actions into
 * a plan, in order.
 */
import type { Action, Risk } from './actions.js';

export interface Step {
  /** Stable id, e.g. "etcd-cp2"; used by `rollback --to`, the journal and action ids. */
  id: string;
  title: string;
  /** Why this step exists, for the preview. */
  description: string;
  /** The highest risk among its actions (the preview's badge), computed once, where the step is made (steps/kit makeStep). */
  risk: Risk;
  actions: Action[];
  /**
   * The step may run its actions on up to this many hosts at once (the engine may bound it lower): each host's
   * actions keep their order, and an action marked `gate` runs alone between what comes before and after it.
   * Absent: one action at a time, in order.
   */
  parallelHosts?: number;
}

/** A step as the plan records it: everything but its actions (which the plan holds flat, in order). */
export type StepInfo = Omit<Step, 'actions'>;
