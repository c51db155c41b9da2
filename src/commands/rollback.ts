/** `ha-wizard rollback [SESSION] [--to STEP] [--past-point-of-no-return] [--force-unlock ID]` */
import { parseArgs } from 'node:util';
import { ExitCode } from '../exit-codes.js';
import { rollback } from '../engine/rollback.js';
import { resolutionsFrom, runSession } from '../engine/cli-run.js';

const USAGE = 'Usage: ha-wizard rollback [SESSION] [--to STEP] [--past-point-of-no-return] [--force-unlock ID] [--assume-done ACTION]... [--redo ACTION]...';

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        to: { type: 'string' },
        'past-point-of-no-return': { type: 'boolean' },
        'force-unlock': { type: 'string' },
        'assume-done': { type: 'string', multiple: true },
        redo: { type: 'string', multiple: true },
      },
    });
    if (parsed.positionals.length > 1) throw new Error('at most one session id');
  } catch (err) {
    process.stderr.write(`ha-wizard rollback: ${(err as Error).message}\n${USAGE}\n`);
    return ExitCode.BadInput;
  }
  const { values, positionals } = parsed;
  return runSession('rollback', positionals[0], {}, (session, deps, opts) =>
    rollback(session, deps, {
      ...opts,
      to: values.to,
      pastPointOfNoReturn: values['past-point-of-no-return'] === true,
      forceUnlock: values['force-unlock'],
      resolutions: resolutionsFrom(values['assume-done'], values.redo),
    }),
  );
}
