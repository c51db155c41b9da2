/**
 * Command-line flags, parsed by node:util's parseArgs but reported in ha-wizard's own words: an unknown flag or
 * argument names the closest one it might be ("did you mean --dry-run?"), a flag without its value says what value,
 * and every refusal is bad input (exit 2) with the command's usage. Nothing here loads a dependency.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BadInputError } from '../exit-codes.js';
import { closest } from '../config/suggest.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Every spelling of the flags (`--dry-run`, `-y`). */
function spellings(options: Options): string[] {
  return Object.entries(options).flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]);
}

/** The long name of a flag as parseArgs' message quotes it (`'-c, --config <value>'` → `--config`). */
function flagIn(message: string): string {
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  return /--[\w-]+/.exec(quoted)?.[0] ?? quoted.split(/[ ,=]/)[0] ?? quoted;
}

/** parseArgs' error in ha-wizard's words, with a suggestion when one flag is close. */
export function flagProblem(err: unknown, options: Options, extra: readonly string[] = []): string {
  const code = (err as NodeJS.ErrnoException).code;
  const message = (err as Error).message;
  const candidates = [...spellings(options), ...extra];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const given = flagIn(message).replace(/=.*$/, '');
      const near = given.startsWith('--') ? closest(given, candidates.filter((c) => c.startsWith('--'))) : undefined;
      return `unknown flag ${given}${near ? `; did you mean ${near}?` : ''}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = flagIn(message);
      if (/does not take an argument/.test(message)) return `${flag} takes no value (it is on or off): write ${flag} alone`;
      return `${flag} needs a value: ${flag} VALUE`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const given = /'([^']*)'/.exec(message)?.[1] ?? '';
      const near = closest(`--${given}`, candidates.filter((c) => c.startsWith('--')));
      return `unexpected argument "${given}"${near ? `; did you mean ${near}?` : ''}`;
    }
    default:
      throw err;
  }
}

/**
 * Parses `argv` against `options`; at most `positionals` positional arguments (named `positionalName` in the
 * refusal). A bad flag or argument is a BadInputError whose hint is `usage`.
 */
export function parseFlags<O extends Options>(argv: string[], options: O, usage: string, positionals = 0, positionalName = 'argument') {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: positionals > 0, strict: true });
  } catch (err) {
    throw new BadInputError(flagProblem(err, options), usage);
  }
  if (parsed.positionals.length > positionals) {
    const extra = parsed.positionals[positionals]!;
    const near = extra.startsWith('-') ? undefined : closest(`--${extra}`, spellings(options).filter((c) => c.startsWith('--')));
    throw new BadInputError(positionals ? `at most one ${positionalName}, found also "${extra}"${near ? `; did you mean ${near}?` : ''}` : `unexpected argument "${extra}"${near ? `; did you mean ${near}?` : ''}`, usage);
  }
  return parsed;
}

/** `rolback` → `rollback` (the closest command, if it is close enough to be a typo). */
export function suggestCommand(given: string, commands: readonly string[]): string | undefined {
  return closest(given, commands);
}
