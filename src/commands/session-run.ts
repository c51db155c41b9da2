/**
 * Shared by `resume` and `rollback`: open the session, build its deps from the config it saved, run with interrupts. Events go to
 * `opts.onEvent` (the JSON reporter under --json), else to the plain reporter; messages go to stderr. `before` runs once the
 * hosts can be reached and before anything changes (rollback's preview and confirmation): a number it returns ends the command.
 */
import { BadInputError, ExitCode } from '../exit-codes.js';
import { isSkippable } from '../engine/model/actions.js';
import { exitCodeOf, type Outcome, type RunOptions } from '../engine/run/context.js';
import type { EngineDeps } from '../engine/model/ports.js';
import { interrupts } from '../engine/run/interrupt.js';
import { invokedAs, localizeCommands } from '../reporters/invocation.js';
import { plainReporter } from '../reporters/plain.js';
import { rollbackCommand } from '../reporters/status-text.js';
import { createEngineDeps, RuntimeUnavailableError, sessionConfig } from '../conversion/wiring.js';
import { connectPolicy, readSudoPasswordStdin } from './prompt.js';
import { latestSession, openSession, sessionJournal, type Session } from '../engine/records/session.js';
import { sessionStatus } from '../engine/records/state.js';

export async function runSession(
  command: string,
  sessionId: string | undefined,
  opts: RunOptions & { verbose?: boolean },
  body: (session: Session, deps: EngineDeps, opts: RunOptions) => Promise<Outcome>,
  before?: (session: Session, deps: EngineDeps) => Promise<number | null>,
  sudoPasswordStdin = false,
): Promise<number> {
  const me = invokedAs();
  /** `ha-wizard <command>: ` and the text, its commands in the form the operator runs them. */
  const say = (text: string) => process.stderr.write(`ha-wizard ${command}: ${localizeCommands(text, me)}\n`);
  let ints: ReturnType<typeof interrupts> | null = null;
  let close: (() => Promise<void>) | undefined;
  try {
    const session = sessionId ? openSession(sessionId) : latestSession();
    const { config } = sessionConfig(session);
    const sudo = sudoPasswordStdin ? { password: await readSudoPasswordStdin() } : config.ssh.sudoPasswordCommand ? { command: config.ssh.sudoPasswordCommand } : {};
    const deps = createEngineDeps(config, connectPolicy(false, sudo));
    close = () => deps.hosts.closeAll();
    let stop: number | null = null;
    try {
      stop = before ? await before(session, deps) : null;
    } catch (err) {
      if (err instanceof BadInputError || !(err instanceof Error)) throw err;
      // Reading the hosts for the preview failed (unreachable, say): the run never started.
      say(`${err.message}\nNothing was changed: the ${command} did not start.`);
      return ExitCode.Failure;
    }
    if (stop !== null) return stop;
    ints = interrupts((kind) =>
      process.stderr.write(
        kind === 'graceful'
          ? '\nInterrupt received: finishing the current action, then stopping safely (Ctrl-C again to stop immediately).\n'
          : '\nTwo interrupts received: stopping immediately; the action in flight will be checked on resume.\n',
      ),
    );
    const outcome = await body(session, deps, {
      ...opts,
      signal: ints.signal,
      hardSignal: ints.hardSignal,
      onEvent: opts.onEvent ?? plainReporter({ verbose: opts.verbose === true }),
    });
    if (outcome.status === 'failed') say(failureMessage(command, outcome, session));
    return exitCodeOf(outcome);
  } catch (err) {
    if (err instanceof BadInputError) {
      say(`${err.message}${err.hint ? `\n${err.hint}` : ''}`);
      return ExitCode.BadInput;
    }
    if (err instanceof RuntimeUnavailableError) {
      say(err.message);
      return ExitCode.Failure;
    }
    throw err;
  } finally {
    ints?.dispose();
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

/**
 * What a failed run tells the operator, after `ha-wizard <command>: `: the error, whether it changed anything, where the details
 * are, and how to go on or undo (in ha-wizard's own form; the caller puts the commands in the operator's, localizeCommands).
 */
export function failureMessage(command: string, outcome: { error: string; action: string | null }, session: Session): string {
  const failed = outcome.action ? session.plan.actions.find((a) => a.id === outcome.action) : undefined;
  // A failed action that changes nothing may also be skipped (resume --skip).
  const skip = failed && isSkippable(failed) ? `\nIt changes nothing, so you may instead go on without it: ha-wizard resume ${session.id} --skip ${failed.id}` : '';
  let st;
  try {
    st = sessionStatus(session.plan, sessionJournal(session), false);
  } catch {
    st = null;
  }
  const nothing = st && !st.lastRunChanged ? `\nThis ${st.operation ?? command} failed before changing anything: nothing was changed on any host.` : '';
  const undo = st ? rollbackCommand(session.id, st) : `ha-wizard rollback ${session.id}`;
  return `${outcome.error}${nothing}\nSee ${session.auditPath}; fix the cause, then: ha-wizard resume ${session.id} (or roll back: ${undo})${skip}`;
}
