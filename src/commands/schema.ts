/**
 * `ha-wizard schema`: prints the JSON Schema of the cluster config file (draft 2020-12), for editors:
 * `# yaml-language-server: $schema=<path or URL of ha-wizard.schema.json>` at the top of cluster.yaml.
 */
import { parseArgs } from 'node:util';
import { flagProblem } from './args.js';
import { configJsonSchemaText } from '../config/json-schema.js';
import { ExitCode } from '../exit-codes.js';

const USAGE = `Usage: ha-wizard schema

Prints the JSON Schema of the cluster config file on stdout (the same as assets/ha-wizard.schema.json).
Editors that use yaml-language-server complete and check cluster.yaml with it when the file starts with
  # yaml-language-server: $schema=./ha-wizard.schema.json

Options:
  -h, --help   this help`;

const OPTIONS = { help: { type: 'boolean', short: 'h' } } as const;

/** node:util parseArgs throws on unknown or malformed flags: report it in our words with the usage, exit code 2. */
function flagError(err: unknown): number {
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) throw err;
  process.stderr.write(`ha-wizard schema: ${flagProblem(err, OPTIONS)}\n\n${USAGE}\n`);
  return ExitCode.BadInput;
}

export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  } catch (err) {
    return flagError(err);
  }
  if (args.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return ExitCode.Ok;
  }
  process.stdout.write(configJsonSchemaText());
  return ExitCode.Ok;
}
