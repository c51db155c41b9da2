/** `ha-wizard rollback [SESSION] [--to STEP] [--past-point-of-no-return] [--force-unlock ID]` */
import { ExitCode } from '../exit-codes.js';
import { rollback } from '../engine/run/rollback.js';
import { resolutionsFrom, runSession } from './session-run.js';
import { parseCommand } from './options.js';
import { jsonReporter } from '../reporters/json.js';

const USAGE = 'Usage: ha-wizard rollback [SESSION] [--to STEP] [--past-point-of-no-return] [--force-unlock ID] [--assume-done ACTION]... [--redo ACTION]... [--json] [--sudo-password-stdin]';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    'rollback',
    USAGE,
    argv,
    {
      to: { type: 'string' },
      'past-point-of-no-return': { type: 'boolean' },
      'force-unlock': { type: 'string' },
      'assume-done': { type: 'string', multiple: true },
      redo: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      'sudo-password-stdin': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    'session id',
  );
  if (values.help) {
    process.stdout.write(`${USAGE}

Undoes a session's done actions in reverse (the latest session when SESSION is omitted): restores backed-up files byte for byte,
runs undo commands, restores patched objects. --to STEP keeps STEP and everything before it.
--json prints one engine event per line (JSON Lines) on stdout; messages go to stderr.
`);
    return ExitCode.Ok;
  }
  return runSession('rollback', positionals[0], values.json ? { onEvent: jsonReporter() } : {}, (session, deps, opts) =>
    rollback(session, deps, {
      ...opts,
      to: values.to,
      pastPointOfNoReturn: values['past-point-of-no-return'] === true,
      forceUnlock: values['force-unlock'],
      resolutions: resolutionsFrom(values['assume-done'], values.redo),
    }),
    values['sudo-password-stdin'] === true,
  );
}
