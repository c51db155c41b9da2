/**
 * `ha-wizard demo [--dir DIR] [--keep]`: brings up a lab cluster (one master, two nodes to promote, two workers, a
 * dedicated proxy host), opens the wizard on its cluster.yaml from inside the lab's client namespace (the only place
 * lab addresses exist), and on exit offers to tear the lab down.
 *
 * `ha-wizard demo [--dir DIR] COMMAND [ARGS...]` runs any other ha-wizard command where the demo's sessions are: in the
 * lab's client namespace, with the demo's own state directory. That is the form every command the demo's wizard prints
 * takes (`… demo status S`, `… demo rollback S`), so each works when pasted.
 *
 * Two demos at once do not collide: without --dir, a demo whose default directory is in use by another running demo
 * takes the next free one (`/var/tmp/ha-wizard-demo-2`, …), and says so. Linux, root and the lab's Debian packages only.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BadInputError, ExitCode } from '../exit-codes.js';
import { INVOKED_AS_ENV, invokedAs, localizeCommands } from '../reporters/invocation.js';
import { closest } from '../config/suggest.js';

export const DEFAULT_DIR = '/var/tmp/ha-wizard-demo';
const USAGE = `Usage: ha-wizard demo [--dir DIR] [--keep]
       ha-wizard demo [--dir DIR] COMMAND [ARGS...]
  --dir DIR   lab directory (default ${DEFAULT_DIR}; when another demo is using it, the next free ${DEFAULT_DIR}-N)
  --keep      leave the lab running on exit without asking
  COMMAND     run an ha-wizard command on the demo's sessions and lab, e.g. status, sessions, rollback SESSION, resume SESSION
              (it runs in the lab's network namespace with the demo's state directory ${DEFAULT_DIR}/state)`;
export const INSTALL_COMMAND = 'sudo bash lab/install-deps.sh';
/** The file that says a demo is running on a lab directory (its pid), so a second demo takes another. */
const PID_FILE = 'demo.pid';

function runChild(argv: string[], env: NodeJS.ProcessEnv, ignoreSignals: boolean): Promise<number> {
  return new Promise((resolveCode, reject) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd as string, args, { stdio: 'inherit', env });
    // The child owns Ctrl-C and SIGHUP while it runs; this process only waits for it.
    const ignore = () => undefined;
    const signals: NodeJS.Signals[] = ignoreSignals ? ['SIGINT', 'SIGTERM', 'SIGHUP'] : [];
    for (const s of signals) process.on(s, ignore);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      for (const s of signals) process.off(s, ignore);
      resolveCode(code ?? (signal ? ExitCode.Failure : ExitCode.Ok));
    });
  });
}

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return (await rl.question(question)).trim().toLowerCase();
  } finally {
    rl.close();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of another demo running on `dir`, if any. */
export function demoUsing(dir: string, self = process.pid): number | null {
  try {
    const pid = Number(readFileSync(join(dir, PID_FILE), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && pid !== self && alive(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** The default directory, or the first `-N` sibling no other running demo uses. */
export function freeDemoDir(base = DEFAULT_DIR, self = process.pid): string {
  for (let n = 1; ; n++) {
    const dir = n === 1 ? base : `${base}-${n}`;
    if (demoUsing(dir, self) === null) return dir;
  }
}

/** `ha-wizard demo [--dir DIR]` as the operator runs it: the prefix of every command the demo's wizard prints. */
export function demoPrefix(cmd: string, dir: string): string {
  return `${cmd} demo${dir === DEFAULT_DIR ? '' : ` --dir ${dir}`}`;
}

interface DemoArgs {
  dir?: string;
  keep: boolean;
  help: boolean;
  command: string[];
}

/** The demo's own flags come first; from the first word on, the rest is an ha-wizard command and its flags. */
export function parseDemoArgs(argv: readonly string[]): DemoArgs {
  const out: DemoArgs = { keep: false, help: false, command: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--dir' || a.startsWith('--dir=')) {
      const v = a === '--dir' ? argv[++i] : a.slice('--dir='.length);
      if (!v) throw new BadInputError('--dir needs a value: --dir DIR', USAGE);
      out.dir = v;
    } else if (a === '--keep') out.keep = true;
    else if (a === '-h' || a === '--help') out.help = true;
    else if (a.startsWith('-')) {
      const near = closest(a, ['--dir', '--keep', '--help']);
      throw new BadInputError(`unknown flag ${a}${near ? `; did you mean ${near}?` : ''} (a command's flags go after the command: demo rollback SESSION --yes)`, USAGE);
    } else {
      out.command = argv.slice(i);
      break;
    }
  }
  return out;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseDemoArgs(argv);
  if (args.help) {
    process.stdout.write(`${localizeCommands(USAGE, invokedAs())}\n`);
    return ExitCode.Ok;
  }
  const cmd = invokedAs();
  if (process.platform !== 'linux') {
    process.stderr.write('ha-wizard demo: the lab runs on Linux only (network namespaces).\n');
    return ExitCode.Failure;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write(`ha-wizard demo: the lab needs root (network namespaces, mounts, one sshd per node): sudo ${cmd.replace(/^sudo /, '')} demo${argv.length ? ` ${argv.join(' ')}` : ''}\n`);
    return ExitCode.Failure;
  }
  const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
  if (args.command.length) return runInDemo(args, cmd, cli);
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write(`ha-wizard demo: the demo opens the interactive wizard and needs a terminal. Without one, bring a lab up with \`${cmd} lab up\` and use \`plan\`/\`apply\` (see \`${cmd} lab --help\`).\n`);
    return ExitCode.BadInput;
  }
  const dir = resolve(args.dir ?? freeDemoDir());
  const other = demoUsing(dir);
  if (other !== null) {
    throw new BadInputError(`another demo (pid ${other}) is using ${dir}`, `run this one elsewhere: ${cmd} demo --dir ${dir}-mine (or without --dir, which picks a free directory)`);
  }
  if (!args.dir && dir !== DEFAULT_DIR) process.stdout.write(`Another demo is using ${DEFAULT_DIR}; this one uses ${dir}.\n`);
  // The commands printed here and by the wizard inside, in the form the operator started this one, through this demo.
  const prefix = demoPrefix(cmd, dir);
  const lab = await import('../../lab/lab.js');
  process.stdout.write(`Starting a lab in ${dir}: cp1 (control plane), cp2 and cp3 (to promote), w1 and w2 (workers), lb (proxy host)…\n`);
  let state;
  try {
    state = await lab.labUp({ dir, promote: 2, workers: 2, proxyHost: true });
  } catch (err) {
    const hint = (err as { hint?: string }).hint;
    const missing = hint?.includes('install-deps.sh');
    process.stderr.write(`ha-wizard demo: ${localizeCommands((err as Error).message, cmd)}\n${missing ? `Install them with:\n  ${INSTALL_COMMAND}\n` : hint ? `${localizeCommands(hint, cmd)}\n` : ''}`);
    return ExitCode.Failure;
  }
  writeFileSync(join(dir, PID_FILE), `${process.pid}\n`);
  try {
    process.stdout.write(`${state.alreadyRunning ? 'The lab was already running.' : 'Lab up.'} Opening the wizard on ${join(dir, 'cluster.yaml')}…\n`);
    // Sessions of the demo live with the lab, not among the operator's real ones; `… demo COMMAND` finds them there.
    const env = { ...process.env, HA_WIZARD_STATE_DIR: join(dir, 'state'), [INVOKED_AS_ENV]: prefix };
    let code: number;
    try {
      code = await runChild(lab.clientArgv(state, [process.execPath, cli, '-c', join(dir, 'cluster.yaml')]), env, true);
    } catch (err) {
      process.stderr.write(`ha-wizard demo: cannot start the wizard: ${(err as Error).message}\n`);
      code = ExitCode.Failure;
    }
    const down = `${cmd} lab down --dir ${dir}`;
    if (args.keep) {
      process.stdout.write(`The lab keeps running. Its sessions: ${prefix} sessions; look around: ${cmd} lab ssh --dir ${dir} cp1; stop it: ${down}\n`);
      return code;
    }
    const answer = await ask('Tear the lab down now? [Y/n] ');
    if (answer === '' || answer === 'y' || answer === 'yes') {
      await lab.labDown(dir);
      process.stdout.write(`Lab stopped (its files and sessions stay in ${dir}; ${prefix} sessions lists them).\n`);
    } else {
      process.stdout.write(`The lab keeps running: ${prefix} status and ${prefix} rollback SESSION work on it. Stop it later with: ${down}\n`);
    }
    return code;
  } finally {
    if (demoUsing(dir, -1) === process.pid) rmSync(join(dir, PID_FILE), { force: true });
  }
}

/** `demo [--dir DIR] COMMAND ARGS…`: the command in the lab's client namespace, with the demo's sessions. */
async function runInDemo(args: DemoArgs, cmd: string, cli: string): Promise<number> {
  const dir = resolve(args.dir ?? DEFAULT_DIR);
  const [sub] = args.command;
  if (sub === 'demo') throw new BadInputError('demo inside demo: give the command alone, e.g. demo status');
  const env = { ...process.env, HA_WIZARD_STATE_DIR: join(dir, 'state'), [INVOKED_AS_ENV]: demoPrefix(cmd, dir) };
  const argv = [process.execPath, cli, ...args.command];
  if (sub === 'lab') throw new BadInputError(`the lab has its own command: ${cmd} ${args.command.join(' ')} --dir ${dir}`);
  const lab = await import('../../lab/lab.js');
  if (!existsSync(join(dir, 'lab.json'))) {
    throw new BadInputError(`no demo in ${dir}`, `start one with \`${cmd} demo${args.dir ? ` --dir ${dir}` : ''}\``);
  }
  const state = lab.readLab(dir);
  const running = state.nodes.length > 0 && state.nodes.every((n) => lab.nodeRunning(state, n));
  if (!running) {
    // Reading the sessions needs no network; anything that talks to the nodes needs the lab up.
    if (sub === 'status' || sub === 'sessions' || sub === 'schema' || sub === 'validate') return runChild(argv, env, false);
    throw new BadInputError(
      `the demo's lab in ${dir} is not running (it was torn down), so its nodes cannot be reached and there is nothing left to change`,
      `its sessions stay readable (\`${demoPrefix(cmd, dir)} sessions\`); start a new demo with \`${cmd} demo\``,
    );
  }
  return runChild(lab.clientArgv(state, argv), env, true);
}
