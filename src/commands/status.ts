import { ExitCode } from '../exit-codes.js';

/** `ha-wizard status`: not implemented yet. */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('ha-wizard status: not implemented yet\n');
  return ExitCode.Failure;
}
