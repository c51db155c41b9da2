/** `ha-wizard resume [SESSION] [--force-unlock ID] [--assume-done ID]... [--redo ID]...` */
import { parseArgs } from 'node:util';
import { ExitCode } from '../exit-codes.js';
import { resume } from '../engine/resume.js';
import { resolutionsFrom, runSession } from '../engine/cli-run.js';

const USAGE = 'Usage: ha-wizard resume [SESSION] [--force-unlock ID] [--assume-done ACTION]... [--redo ACTION]...';

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { 'force-unlock': { type: 'string' }, 'assume-done': { type: 'string', multiple: true }, redo: { type: 'string', multiple: true } },
    });
    if (parsed.positionals.length > 1) throw new Error('at most one session id');
  } catch (err) {
    process.stderr.write(`ha-wizard resume: ${(err as Error).message}\n${USAGE}\n`);
    return ExitCode.BadInput;
  }
  const { values, positionals } = parsed;
  return runSession('resume', positionals[0], {}, (session, deps, opts) =>
    resume(session, deps, { ...opts, forceUnlock: values['force-unlock'], resolutions: resolutionsFrom(values['assume-done'], values.redo) }),
  );
}
