import { ExitCode } from '../exit-codes.js';

/** `ha-wizard schema`: not implemented yet. */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('ha-wizard schema: not implemented yet\n');
  return ExitCode.Failure;
}
