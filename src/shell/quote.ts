/**
 * POSIX shell quoting. An SSH exec request carries one string that sshd hands to the login shell
 * (`$SHELL -c STRING`), so every argv element must reach the command literally whatever it contains.
 * Assumes a POSIX login shell (sh, dash, bash, ksh, zsh); csh and fish quote differently.
 */

// Words made only of these characters mean the same quoted or not (no `=`: `a=b` first is an assignment;
// no `~`: tilde expansion; no `%`: zsh job specs; no `#`, `!`, `{`, `}`, `[`, `*`, `?`, `$`, quotes, spaces).
const SAFE = /^[A-Za-z0-9_@+,./:-]+$/;

// Reserved words are keywords only when unquoted and in command position.
const RESERVED = new Set(['!', '{', '}', 'case', 'do', 'done', 'elif', 'else', 'esac', 'fi', 'for', 'function', 'if', 'in', 'select', 'then', 'time', 'until', 'while', '[[', ']]', 'coproc']);

/** Quotes one argument. Throws on NUL (no argv can hold it) and on lone UTF-16 surrogates (not encodable). */
export function shQuote(arg: string): string {
  if (arg.includes('\0')) throw new Error('a command argument contains a NUL byte, which no shell argument can hold');
  if (/[\uD800-\uDFFF]/u.test(arg)) throw new Error('a command argument contains an unpaired UTF-16 surrogate');
  if (SAFE.test(arg) && !RESERVED.has(arg)) return arg;
  // Inside single quotes nothing is special except the quote itself: close, escape it, reopen.
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Quotes argv into one command line that the remote shell splits back into exactly argv. */
export function shJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(shQuote).join(' ');
}
