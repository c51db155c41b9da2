/** `ha-wizard resume [SESSION] [--force-unlock ID] [--assume-done ID]... [--redo ID]... [--skip ID]...` */
import { ExitCode } from '../exit-codes.js';
import { resume } from '../engine/run/resume.js';
import { resolutionsFrom, runSession } from './session-run.js';
import { parseCommand } from './options.js';
import { jsonReporter } from '../reporters/json.js';

const USAGE = 'Usage: ha-wizard resume [SESSION] [--force-unlock ID] [--assume-done ACTION]... [--redo ACTION]... [--skip ACTION]... [--json] [--verbose] [--sudo-password-stdin]';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('resume', USAGE, argv, { 'force-unlock': { type: 'string' }, 'assume-done': { type: 'string', multiple: true }, redo: { type: 'string', multiple: true }, skip: { type: 'string', multiple: true }, json: { type: 'boolean' }, verbose: { type: 'boolean' }, 'sudo-password-stdin': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, 'session id');
  if (values.help) {
    process.stdout.write(`${USAGE}

Continues an interrupted session (the latest when SESSION is omitted). An action that was started but not recorded done is
checked first; when that cannot tell, --assume-done or --redo answers for it.
--skip ACTION goes on without an action that failed, instead of retrying it: only a wait or a read-only command (one that
changes nothing) can be skipped; the journal records it as skipped, with the failure, and rollback has nothing to undo for it.
--json prints one engine event per line (JSON Lines) on stdout; messages go to stderr.
`);
    return ExitCode.Ok;
  }
  return runSession('resume', positionals[0], { ...(values.json ? { onEvent: jsonReporter() } : {}), verbose: values.verbose === true }, (session, deps, opts) =>
    resume(session, deps, { ...opts, forceUnlock: values['force-unlock'], resolutions: resolutionsFrom(values['assume-done'], values.redo), ...(values.skip?.length ? { skip: values.skip } : {}) }),
    undefined,
    values['sudo-password-stdin'] === true,
  );
}
