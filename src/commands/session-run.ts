/**
 * Shared by `resume` and `rollback`: open the session, build its deps from the config it saved, run with interrupts. Events go to
 * `opts.onEvent` (the JSON reporter under --json), else to the plain reporter; messages go to stderr.
 */
import { BadInputError, ExitCode } from '../exit-codes.js';
import { isSkippable } from '../engine/model/actions.js';
import { exitCodeOf, type Outcome, type RunOptions } from '../engine/run/context.js';
import type { EngineDeps } from '../engine/model/ports.js';
import { interrupts } from '../engine/run/interrupt.js';
import { invokedAs } from '../reporters/invocation.js';
import { plainReporter } from '../reporters/plain.js';
import { createEngineDeps, RuntimeUnavailableError, sessionConfig } from '../conversion/wiring.js';
import { connectPolicy, readSudoPasswordStdin } from './prompt.js';
import { latestSession, openSession, type Session } from '../engine/records/session.js';

export async function runSession(
  command: string,
  sessionId: string | undefined,
  opts: RunOptions,
  body: (session: Session, deps: EngineDeps, opts: RunOptions) => Promise<Outcome>,
  sudoPasswordStdin = false,
): Promise<number> {
  const ints = interrupts((kind) =>
    process.stderr.write(
      kind === 'graceful'
        ? '\nInterrupt received: finishing the current action, then stopping safely (Ctrl-C again to stop immediately).\n'
        : '\nTwo interrupts received: stopping immediately; the action in flight will be checked on resume.\n',
    ),
  );
  let close: (() => Promise<void>) | undefined;
  try {
    const session = sessionId ? openSession(sessionId) : latestSession();
    const { config } = sessionConfig(session);
    const sudo = sudoPasswordStdin ? { password: await readSudoPasswordStdin() } : config.ssh.sudoPasswordCommand ? { command: config.ssh.sudoPasswordCommand } : {};
    const deps = createEngineDeps(config, connectPolicy(false, sudo));
    close = () => deps.hosts.closeAll();
    const outcome = await body(session, deps, {
      ...opts,
      signal: ints.signal,
      hardSignal: ints.hardSignal,
      onEvent: opts.onEvent ?? plainReporter(),
    });
    if (outcome.status === 'failed') process.stderr.write(`${failureMessage(command, outcome, session)}\n`);
    return exitCodeOf(outcome);
  } catch (err) {
    if (err instanceof BadInputError) {
      process.stderr.write(`ha-wizard ${command}: ${err.message}\n${err.hint ? `${err.hint}\n` : ''}`);
      return ExitCode.BadInput;
    }
    if (err instanceof RuntimeUnavailableError) {
      process.stderr.write(`ha-wizard ${command}: ${err.message}\n`);
      return ExitCode.Failure;
    }
    throw err;
  } finally {
    ints.dispose();
    await close?.();
  }
}

/** `--assume-done ID` / `--redo ID` (repeatable) into resolutions. */
export function resolutionsFrom(assumeDone: string[] = [], redo: string[] = []): Record<string, 'done' | 'redo'> {
  const out: Record<string, 'done' | 'redo'> = {};
  for (const id of assumeDone) out[id] = 'done';
  for (const id of redo) {
    if (out[id]) throw new BadInputError(`action ${id} is given both --assume-done and --redo`);
    out[id] = 'redo';
  }
  return out;
}

/** What a failed run tells the operator: the error, where the details are, and how to go on or undo. */
export function failureMessage(command: string, outcome: { error: string; action: string | null }, session: Session): string {
  const me = invokedAs();
  const failed = outcome.action ? session.plan.actions.find((a) => a.id === outcome.action) : undefined;
  // A failed action that changes nothing may also be skipped (resume --skip).
  const skip = failed && isSkippable(failed) ? `\nIt changes nothing, so you may instead go on without it: ${me} resume ${session.id} --skip ${failed.id}` : '';
  return `ha-wizard ${command}: ${outcome.error}\nSee ${session.auditPath}; fix the cause, then: ${me} resume ${session.id} (or roll back: ${me} rollback ${session.id})${skip}`;
}
