/**
 * How the operator started ha-wizard, so that a printed "run this next" command works when pasted:
 * `npx ha-wizard` under npx (it is not on PATH then), `ha-wizard` through the installed bin link,
 * else the exact `node path/to/cli.js` that ran. A parent ha-wizard (the demo) passes its own form down
 * in HA_WIZARD_INVOKED_AS; `sudo` is kept when the operator used it (the lab needs root).
 */
import { basename, delimiter, dirname, isAbsolute, relative, resolve } from 'node:path';

export const INVOKED_AS_ENV = 'HA_WIZARD_INVOKED_AS';

export function invokedAs(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const given = env[INVOKED_AS_ENV];
  if (given) return given;
  const sudo = env['SUDO_USER'] && process.getuid?.() === 0 ? 'sudo ' : '';
  if (env['npm_command'] === 'exec') return `${sudo}npx ha-wizard`;
  const script = argv[1];
  if (!script) return `${sudo}ha-wizard`;
  if (basename(script) === 'ha-wizard') {
    const onPath = (env['PATH'] ?? '').split(delimiter).some((d) => d && resolve(d) === dirname(resolve(cwd, script)));
    return `${sudo}${onPath ? 'ha-wizard' : shortPath(script, cwd)}`;
  }
  return `${sudo}node ${shortPath(script, cwd)}`;
}

/** A path as short as it can be and still work from `cwd`. */
function shortPath(p: string, cwd: string): string {
  const abs = resolve(cwd, p);
  if (resolve(cwd) === '/') return abs;
  const rel = relative(cwd, abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? (rel.includes('/') ? rel : `./${rel}`) : abs;
}

/** `ha-wizard resume X` (as the engine words it) in the form the operator can run. */
export function asInvoked(command: string, prefix: string): string {
  return command.replace(/^ha-wizard(?= |$)/, prefix);
}

/** ha-wizard's subcommands: a printed `ha-wizard <one of these>` is a command for the operator to run. */
const SUBCOMMANDS = ['plan', 'apply', 'resume', 'rollback', 'status', 'sessions', 'schema', 'validate', 'lab', 'demo'];

/**
 * Every command in `text` that ha-wizard prints for the operator to run (`ha-wizard rollback X`, or a bare
 * `ha-wizard` in backquotes), in the form the operator started it, so it works when pasted. Prose that merely
 * names ha-wizard ("ha-wizard does not change them") is left alone.
 */
export function localizeCommands(text: string, prefix: string): string {
  if (prefix === 'ha-wizard') return text;
  // `ha-wizard lab up: …` is the program naming itself before a message (words then a colon), not a command.
  const sub = new RegExp(`(^|[\\s\`'"(:])ha-wizard(?= (?:${SUBCOMMANDS.join('|')})\\b)(?! [a-z]+(?: [a-z]+)?:)`, 'g');
  return text.replace(sub, (_m, before: string) => `${before}${prefix}`).replace(/`ha-wizard`/g, `\`${prefix}\``);
}
