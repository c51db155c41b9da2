/**
 * Process exit codes, one meaning each. Scripts and CI branch on these, so they never change meaning.
 */
export const ExitCode = {
  /** Everything asked for was done (or, for `plan`/`validate`, the input is valid). */
  Ok: 0,
  /** Something failed while talking to hosts or the cluster; see the message and the session's audit log. */
  Failure: 1,
  /** Bad input: config, flags, plan file, journal, or a remote surprise found before anything changed. Nothing was changed. */
  BadInput: 2,
  /** Stopped on request (Ctrl-C, SIGTERM, SIGHUP) in a resumable state: run `ha-wizard resume`. */
  Stopped: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error caused by the operator's input. Its message says what is wrong and what to write instead;
 * it always maps to exit code 2 and is raised before any host is changed.
 */
export class BadInputError extends Error {
  override readonly name = 'BadInputError';
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}
