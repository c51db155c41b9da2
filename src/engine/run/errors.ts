/**
 * How a run fails, and how a failure is told: the three error classes the executor, rollback and the step
 * runner tell apart (a hard stop is not a failure; a command that ran to its end has a known effect), and the
 * redacted wording of an error for the journal and the operator.
 */
import { BadInputError } from '../../exit-codes.js';
import { redactText } from '../model/secrets.js';

/** Thrown (internally) when the hard signal fires; the run ends as 'stopped' with the action left started. */
export class HardStop extends Error {
  override readonly name = 'HardStop';
}

/** A failure of one action, already described for the operator (host, command, stderr). */
export class ActionError extends Error {
  override readonly name = 'ActionError';
}

/** A command that ran to its end and exited non-zero: its effect is known (it failed), unlike a dropped one. */
export class CommandFailed extends ActionError {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The last lines of a command's output, redacted, for an error message. */
export function tail(text: string, lines = 5): string {
  const t = redactText(text.trim()).split('\n').slice(-lines).join('\n');
  return t || '(no output)';
}

/** A Kubernetes write refused because the object changed since it was read (HTTP 409): read again and retry. */
export function isConflict(err: unknown): boolean {
  const e = err as { status?: unknown; statusCode?: unknown; code?: unknown; message?: unknown };
  return e?.status === 409 || e?.statusCode === 409 || e?.code === 409 || e?.code === 'Conflict' || (typeof e?.message === 'string' && /\b409\b|conflict/i.test(e.message));
}

export function describeError(err: unknown): string {
  return redactText(err instanceof Error ? err.message : String(err));
}

export function badInput(msg: string, hint?: string): never {
  throw new BadInputError(msg, hint);
}
