#!/usr/bin/env node
/**
 * Entry point. Kept tiny on purpose: `--help` and `--version` must not load ink, React, ssh2 or zod,
 * so every subcommand lives in its own module under src/commands/ and is imported only when chosen.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { BadInputError, ExitCode } from './exit-codes.js';

interface CommandInfo {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

const COMMANDS: Record<string, CommandInfo> = {
  plan: { summary: 'Discover the cluster and show every change (dry run); --out saves the plan', load: () => import('./commands/plan.js') },
  apply: { summary: 'Apply a plan (a saved one, or a fresh one after review)', load: () => import('./commands/apply.js') },
  resume: { summary: 'Continue an interrupted session where it stopped', load: () => import('./commands/resume.js') },
  rollback: { summary: 'Undo a session, whole or back to a step', load: () => import('./commands/rollback.js') },
  status: { summary: "Show a session's progress", load: () => import('./commands/status.js') },
  sessions: { summary: 'List sessions on this workstation', load: () => import('./commands/sessions.js') },
  schema: { summary: 'Print the JSON Schema of the cluster config file', load: () => import('./commands/schema.js') },
  validate: { summary: 'Check a cluster config file without contacting any host', load: () => import('./commands/validate.js') },
  lab: { summary: 'Run the built-in test lab (up, down, status, exec, ssh)', load: () => import('./commands/lab.js') },
  demo: { summary: 'Bring up a lab cluster and open the wizard on it', load: () => import('./commands/demo.js') },
};

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function helpText(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'ha-wizard: turn a single-control-plane kubeadm cluster into a highly available one, over SSH.',
    '',
    'Usage:',
    '  ha-wizard                      interactive wizard (resumes a session in progress)',
    '  ha-wizard <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Common options:',
    '  -c, --config FILE   cluster config (YAML); see `ha-wizard schema`',
    '  --json              machine-readable output',
    '  --yes               approve without asking (non-interactive apply)',
    '  -h, --help          help for ha-wizard or a command',
    '  -v, --version       print the version',
    '',
    'Exit codes: 0 ok, 1 failure, 2 bad input (nothing changed), 3 stopped (resumable).',
    'Docs: README.md. Try it without a cluster: sudo ha-wizard demo',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '-v' || first === '--version' || first === 'version') {
    process.stdout.write(`${packageVersion()}\n`);
    return ExitCode.Ok;
  }
  if (first === '-h' || first === '--help' || first === 'help') {
    process.stdout.write(`${helpText()}\n`);
    return ExitCode.Ok;
  }
  if (first === undefined || first.startsWith('-')) {
    const { run } = await import('./commands/wizard.js');
    return run(argv);
  }
  const command = COMMANDS[first];
  if (!command) {
    const [{ suggestCommand }, { invokedAs }] = await Promise.all([import('./commands/args.js'), import('./reporters/invocation.js')]);
    const near = suggestCommand(first, Object.keys(COMMANDS));
    const me = invokedAs();
    process.stderr.write(`ha-wizard: unknown command "${first}"${near ? ` (did you mean "${near}"? ${me} ${near} --help shows how to use it)` : ''}. Run \`${me} --help\` for the list.\n`);
    return ExitCode.BadInput;
  }
  const mod = await command.load();
  try {
    return await mod.run(rest);
  } catch (err) {
    if (!(err instanceof BadInputError)) throw err;
    // Bad input is raised before any host is changed, so it gets its own exit code; its commands as the operator runs them.
    const { invokedAs, localizeCommands } = await import('./reporters/invocation.js');
    const text = `${err.message}${err.hint ? `\n${err.hint}` : ''}`;
    process.stderr.write(`ha-wizard ${first}: ${localizeCommands(text, invokedAs())}\n`);
    return ExitCode.BadInput;
  }
}

// Run only when executed (also through npm's bin symlink), not when imported by tests.
if (process.argv[1] && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      const hint = err instanceof BadInputError && err.hint ? `\n${err.hint}` : '';
      process.stderr.write(`ha-wizard: ${err instanceof Error ? err.message : String(err)}${hint}\n`);
      // Bad input is raised before any host is changed, so it gets its own exit code.
      process.exitCode = err instanceof BadInputError ? ExitCode.BadInput : ExitCode.Failure;
    },
  );
}
