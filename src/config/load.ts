/**
 * Reading a cluster config file: YAML syntax, then the schema, then the semantic checks, each problem
 * placed at its line in the file. Nothing here contacts a host.
 *
 *   loadConfig(path)                → { config, warnings }, or throws ConfigError (a BadInputError, exit 2)
 *   parseConfigText(text, fileName) → the same from text already in memory
 *   checkConfigText(text, fileName) → every error and warning without throwing (validate --json, the wizard)
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { BadInputError } from '../exit-codes.js';
import { byPosition, pathText, renderIssue, renderReport, type ConfigIssue, type Placement, type RawIssue } from './issues.js';
import { expandPath } from './paths.js';
import { ClusterConfigSchema, type ClusterConfig } from './schema.js';
import { schemaIssues } from './schema-issues.js';
import { semanticIssues, type CheckEnv, type PathKind } from './semantic.js';
import { locate, parseYaml, type YamlSource } from './yaml-source.js';

export interface CheckOptions {
  /** For `~` (default: the current user's home). */
  home?: string;
  /** For relative paths (default: the directory of `fileName`). */
  baseDir?: string;
  /** How files named in the config are looked up (default: the local file system). */
  statPath?: (path: string) => PathKind;
}

export interface CheckResult {
  /** Present only when there are no errors: defaults filled in, `~` and relative paths expanded. */
  config?: ClusterConfig;
  errors: ConfigIssue[];
  warnings: ConfigIssue[];
}

export interface LoadedConfig {
  config: ClusterConfig;
  warnings: ConfigIssue[];
}

/** A config file that cannot be used; the message is the full report (every error, then the warnings). */
export class ConfigError extends BadInputError {
  constructor(
    readonly fileName: string,
    readonly errors: readonly ConfigIssue[],
    readonly warnings: readonly ConfigIssue[],
  ) {
    super(renderReport(fileName, errors, warnings));
  }
}

function statPathOnDisk(path: string): PathKind {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'missing';
  }
}

function finish(fileName: string, lines: readonly string[], raw: RawIssue & Placement, source?: YamlSource): ConfigIssue {
  const placed: Placement = source && raw.path.length ? locate(source, raw.path, raw.atKey) : raw;
  let message = raw.message;
  if (raw.seeAlso && source) {
    const other = locate(source, raw.seeAlso);
    message += ` (see ${pathText(raw.seeAlso)}${other.line !== undefined ? `, line ${other.line}` : ''})`;
  }
  const issue = {
    severity: raw.severity,
    path: pathText(raw.path),
    ...(placed.line !== undefined ? { line: placed.line, column: placed.column ?? 1 } : {}),
    message,
    ...(placed.found !== undefined && !raw.atKey ? { found: placed.found } : {}),
    ...(raw.hint ? { hint: raw.hint } : {}),
  };
  const text = renderIssue(fileName, lines, { ...issue, ...(placed.length !== undefined ? { length: placed.length } : {}) });
  return { ...issue, text };
}

function split(fileName: string, lines: readonly string[], raws: ReadonlyArray<RawIssue & Placement>, source?: YamlSource): Omit<CheckResult, 'config'> {
  const placed = raws.map((r) => finish(fileName, lines, r, source)).sort(byPosition);
  return { errors: placed.filter((i) => i.severity === 'error'), warnings: placed.filter((i) => i.severity === 'warning') };
}

function withExpandedPaths(config: ClusterConfig, home: string, baseDir: string): ClusterConfig {
  // Callers only get here without errors, so `~user` (null) has already been reported; keep it as written.
  const expand = (p: string) => expandPath(p, home, baseDir) ?? p;
  const ssh = config.ssh;
  return {
    ...config,
    ssh: {
      ...ssh,
      identityFiles: ssh.identityFiles.map(expand),
      knownHosts: expand(ssh.knownHosts),
      configFile: ssh.configFile === false ? false : expand(ssh.configFile),
    },
  };
}

/** Every error and warning in the text, placed in the file; the config when there is no error. */
export function checkConfigText(text: string, fileName: string, opts: CheckOptions = {}): CheckResult {
  const env: CheckEnv = {
    home: opts.home ?? homedir(),
    baseDir: opts.baseDir ?? dirname(resolve(fileName)),
    statPath: opts.statPath ?? statPathOnDisk,
  };
  const parsed = parseYaml(text);
  const lines = parsed.source.lines;
  if (!parsed.ok) return split(fileName, lines, parsed.errors);
  const { source, value } = parsed;
  if (value === null || value === undefined) {
    return split(fileName, lines, [
      {
        severity: 'error',
        path: [],
        message: 'the file is empty (or holds only comments)',
        hint: 'start from the example in README.md; `ha-wizard schema` prints every field',
      },
    ]);
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    const placement = locate(source, []);
    return split(fileName, lines, [
      {
        severity: 'error',
        path: [],
        message: `expected a mapping of keys (name:, controlPlane:, endpoint:, proxy:, ssh:) at the top level, found ${Array.isArray(value) ? 'a list' : 'a single value'}`,
        hint: 'the file starts with `name: <cluster name>`; see the example in README.md',
        ...placement,
      },
    ]);
  }
  const result = ClusterConfigSchema.safeParse(value);
  if (!result.success) {
    return split(fileName, lines, [...parsed.warnings, ...schemaIssues(ClusterConfigSchema, result.error.issues, value)], source);
  }
  const checked = split(fileName, lines, [...parsed.warnings, ...semanticIssues(result.data, value, env)], source);
  if (checked.errors.length) return checked;
  return { ...checked, config: withExpandedPaths(result.data, env.home, env.baseDir) };
}

/** The config in `text`; throws ConfigError (exit code 2) with the full report when it has any error. */
export function parseConfigText(text: string, fileName: string, opts: CheckOptions = {}): LoadedConfig {
  const { config, errors, warnings } = checkConfigText(text, fileName, opts);
  if (!config) throw new ConfigError(fileName, errors, warnings);
  return { config, warnings };
}

/** Reads a config file as text (an unreadable file is bad input too). */
export function readConfigFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new BadInputError(`cannot read config file ${path}: ${why}`, 'write one from the example in README.md, or pass its path with -c FILE');
  }
}

/** Reads and checks a config file; throws BadInputError (exit code 2) with the full report when unusable. */
export function loadConfig(path: string, opts: CheckOptions = {}): LoadedConfig {
  return parseConfigText(readConfigFile(path), path, opts);
}
