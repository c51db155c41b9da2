/**
 * The options shared by the commands that talk to a cluster, parsed one way everywhere.
 * Bad flags are bad input (exit 2) with the usage line.
 */
import type { ParseArgsConfig } from 'node:util';
import { BadInputError } from '../exit-codes.js';
import { parseFlags } from './args.js';
import { PREFLIGHT_CHECK_NAMES } from '../preflight/checks.js';

export const CLUSTER_OPTIONS = {
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
  'accept-new-host-keys': { type: 'boolean' },
  'ignore-preflight-errors': { type: 'string', multiple: true },
  /** The sudo password from standard input (docker login --password-stdin); never stored. */
  'sudo-password-stdin': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** The options of the commands that build a plan (plan, apply): choices for this plan only. */
export const PLAN_OPTIONS = {
  'failover-drill': { type: 'boolean' },
  /** Plan only these steps (names from steps/index.ts, comma-separated or repeated). */
  only: { type: 'string', multiple: true },
  /** Plan every step but these. */
  skip: { type: 'string', multiple: true },
} as const satisfies ParseArgsConfig['options'];

/**
 * `positional` names the one positional argument a command takes (e.g. 'session id'), if any. A bad flag is bad
 * input in ha-wizard's words, with a suggestion when a flag is close ("did you mean --dry-run?") and the usage.
 */
export function parseCommand<O extends NonNullable<ParseArgsConfig['options']>>(_command: string, usage: string, argv: string[], options: O, positional?: string) {
  return parseFlags(argv, options, usage, positional ? 1 : 0, positional);
}

/** `--ignore-preflight-errors=A,B --ignore-preflight-errors=C` → [A, B, C] (kubeadm's form). */
export function preflightIgnores(values: string[] | undefined): string[] {
  const names = (values ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  // A misspelt name would ignore nothing and the run would stop anyway, later and less clearly: refuse it now.
  const known = new Set(['all', ...PREFLIGHT_CHECK_NAMES.map((n) => n.toLowerCase())]);
  const unknown = names.filter((n) => !known.has(n.toLowerCase()));
  if (unknown.length) {
    throw new BadInputError(`--ignore-preflight-errors: unknown check ${unknown.map((n) => `"${n}"`).join(', ')}`, `check names: ${PREFLIGHT_CHECK_NAMES.join(', ')} (or all)`);
  }
  return names;
}
