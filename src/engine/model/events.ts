/**
 * What the engine tells the outside world while it works. The ink UI, the plain reporter and the JSON
 * reporter render only these; none of them looks at the engine's internals.
 */
import type { ActionType, Risk } from './actions.js';

/** `apply` executes the plan's actions; `rollback` undoes them in reverse. */
export type Phase = 'apply' | 'rollback';

export type EngineEvent =
  /** `actions`: how many actions this run goes through in the step (known from the plan, so a progress count never jumps). */
  | { type: 'step-start'; phase: Phase; step: string; title: string; risk: Risk; index: number; total: number; actions: number }
  /** `limitMs`: a wait's deadline (it fails when nothing passed by then). */
  | { type: 'action-start'; phase: Phase; step: string; action: string; actionType: ActionType; host: string; description: string; limitMs?: number }
  /** Progress from a long action (command output lines, wait attempts); already redacted. */
  | { type: 'action-output'; phase: Phase; action: string; text: string }
  /**
   * A wait's last probe did not pass yet: what it is waiting for is the action's description; `answer` is the probe's
   * answer in words (never the command); `elapsedMs` of at most `limitMs`. Sent when the answer changes.
   */
  | { type: 'wait-progress'; phase: Phase; action: string; answer: string; elapsedMs: number; limitMs: number; attempt: number }
  /** A command failed in a way its step says is transient and runs again in `retryInMs`: `reason` says why in words. */
  | { type: 'retry'; phase: Phase; action: string; reason: string; attempt: number; retryInMs: number; elapsedMs: number; limitMs: number }
  | { type: 'action-done'; phase: Phase; action: string; detail: string }
  /** What a measuring command measured (RunAction.measurement): its values, and the same in words. */
  | { type: 'measurement'; phase: Phase; action: string; name: string; summary: string; values: Record<string, number | string> }
  /** Nothing needed doing: done in an earlier run, already in the desired state, or nothing to undo. */
  | { type: 'action-skipped'; phase: Phase; action: string; reason: string }
  | { type: 'action-failed'; phase: Phase; action: string; host: string; error: string }
  | { type: 'step-done'; phase: Phase; step: string }
  | { type: 'notice'; text: string }
  /** Interrupted on request; `resume` continues. `hard`: the action in flight was abandoned and will be checked. */
  | { type: 'stopped'; phase: Phase; hard: boolean; resumeCommand: string }
  | { type: 'finished'; phase: Phase; changed: number; unchanged: number };

export type EventSink = (event: EngineEvent) => void;
