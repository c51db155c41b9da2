import { ExitCode } from '../exit-codes.js';

/** `ha-wizard resume`: not implemented yet. */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('ha-wizard resume: not implemented yet\n');
  return ExitCode.Failure;
}
