/**
 * `ha-wizard validate -c FILE [--json]`: checks a cluster config file offline (never contacts a host).
 * Exit 0 when valid (warnings on stderr), 2 when not (the report on stderr). Imports no UI or SSH code,
 * so it starts fast in editors' save hooks and CI.
 */
import { parseArgs } from 'node:util';
import { flagProblem } from './args.js';
import { checkConfigText, readConfigFile } from '../config/load.js';
import { renderReport } from '../config/issues.js';
import { BadInputError, ExitCode } from '../exit-codes.js';

const USAGE = `Usage: ha-wizard validate -c FILE [--json]

Checks a cluster config file: YAML syntax, every field, and the rules between fields
(duplicate nodes, endpoint, proxy placement, control-plane count, identity files).
Contacts no host.

Options:
  -c, --config FILE   the cluster config (YAML)
  --json              print {"file","valid","errors","warnings"} on stdout instead of the report
  -h, --help          this help

Exit codes: 0 valid (warnings go to stderr), 2 invalid or bad flags.`;

const OPTIONS = { config: { type: 'string', short: 'c' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

/** node:util parseArgs throws on unknown or malformed flags: report it in our words with the usage, exit code 2. */
function flagError(err: unknown): number {
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) throw err;
  process.stderr.write(`ha-wizard validate: ${flagProblem(err, OPTIONS)}\n\n${USAGE}\n`);
  return ExitCode.BadInput;
}

export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: OPTIONS,
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    return flagError(err);
  }
  const { config: file, json, help } = args.values;
  if (help) {
    process.stdout.write(`${USAGE}\n`);
    return ExitCode.Ok;
  }
  if (!file) {
    process.stderr.write(`ha-wizard validate: missing -c FILE (the cluster config to check)\n\n${USAGE}\n`);
    return ExitCode.BadInput;
  }
  let text: string;
  try {
    text = readConfigFile(file);
  } catch (err) {
    if (!(err instanceof BadInputError)) throw err;
    if (json) process.stdout.write(`${JSON.stringify({ file, valid: false, errors: [{ severity: 'error', path: '', message: err.message, text: err.message }], warnings: [] }, null, 2)}\n`);
    else process.stderr.write(`ha-wizard validate: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
    return ExitCode.BadInput;
  }
  const { errors, warnings } = checkConfigText(text, file);
  const valid = errors.length === 0;
  if (json) process.stdout.write(`${JSON.stringify({ file, valid, errors, warnings }, null, 2)}\n`);
  else if (!valid || warnings.length) process.stderr.write(`${renderReport(file, errors, warnings)}\n`);
  else process.stderr.write(`${file}: valid\n`);
  return valid ? ExitCode.Ok : ExitCode.BadInput;
}
