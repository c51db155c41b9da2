/**
 * `ha-wizard demo [--dir DIR] [--keep]`: brings up a lab cluster (one master, two nodes to promote, two
 * workers, a dedicated proxy host), opens the wizard on its cluster.yaml from inside the lab's client
 * namespace (the only place lab addresses exist), and on exit offers to tear the lab down.
 * Linux, root and the lab's Debian packages only.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ExitCode } from '../exit-codes.js';
import { INVOKED_AS_ENV, invokedAs } from '../reporters/invocation.js';

const DEFAULT_DIR = '/var/tmp/ha-wizard-demo';
const USAGE = `Usage: ha-wizard demo [--dir DIR] [--keep]
  --dir DIR   lab directory (default ${DEFAULT_DIR})
  --keep      leave the lab running on exit without asking`;
export const INSTALL_COMMAND = 'sudo bash lab/install-deps.sh';

function runChild(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolveCode, reject) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd as string, args, { stdio: 'inherit', env });
    // The wizard owns Ctrl-C and SIGHUP while it runs; this process only waits for it.
    const ignore = () => undefined;
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
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

export async function run(argv: string[]): Promise<number> {
  let values: { dir?: string; keep?: boolean; help?: boolean };
  try {
    values = parseArgs({ args: argv, options: { dir: { type: 'string' }, keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (err) {
    process.stderr.write(`ha-wizard demo: ${(err as Error).message}\n${USAGE}\n`);
    return ExitCode.BadInput;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return ExitCode.Ok;
  }
  if (process.platform !== 'linux') {
    process.stderr.write('ha-wizard demo: the lab runs on Linux only (network namespaces).\n');
    return ExitCode.Failure;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write(`ha-wizard demo: the lab needs root (network namespaces, mounts, one sshd per node): sudo ${invokedAs().replace(/^sudo /, '')} demo\n`);
    return ExitCode.Failure;
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write('ha-wizard demo: the demo opens the interactive wizard and needs a terminal.\n');
    return ExitCode.BadInput;
  }
  const dir = resolve(values.dir ?? DEFAULT_DIR);
  // The commands printed here and by the wizard inside, in the form the operator started this one.
  const cmd = invokedAs();
  const lab = await import('../../lab/lab.js');
  process.stdout.write(`Starting a lab in ${dir}: cp1 (control plane), cp2 and cp3 (to promote), w1 and w2 (workers), lb (proxy host)…\n`);
  let state;
  try {
    state = await lab.labUp({ dir, promote: 2, workers: 2, proxyHost: true });
  } catch (err) {
    const hint = (err as { hint?: string }).hint;
    const missing = hint?.includes('install-deps.sh');
    process.stderr.write(`ha-wizard demo: ${(err as Error).message}\n${missing ? `Install them with:\n  ${INSTALL_COMMAND}\n` : hint ? `${hint}\n` : ''}`);
    return ExitCode.Failure;
  }
  process.stdout.write(`${state.alreadyRunning ? 'The lab was already running.' : 'Lab up.'} Opening the wizard on ${join(dir, 'cluster.yaml')}…\n`);
  const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
  // Sessions of the demo live with the lab, not among the operator's real ones.
  const env = { ...process.env, HA_WIZARD_STATE_DIR: join(dir, 'state'), [INVOKED_AS_ENV]: cmd };
  let code: number;
  try {
    code = await runChild(lab.clientArgv(state, [process.execPath, cli, '-c', join(dir, 'cluster.yaml')]), env);
  } catch (err) {
    process.stderr.write(`ha-wizard demo: cannot start the wizard: ${(err as Error).message}\n`);
    code = ExitCode.Failure;
  }
  const down = `${cmd} lab down --dir ${dir}`;
  if (values.keep) {
    process.stdout.write(`The lab keeps running. Look around: ${cmd} lab ssh --dir ${dir} cp1; stop it: ${down}\n`);
    return code;
  }
  const answer = await ask('Tear the lab down now? [Y/n] ');
  if (answer === '' || answer === 'y' || answer === 'yes') {
    await lab.labDown(dir);
    process.stdout.write('Lab stopped (its files stay in the directory for inspection).\n');
  } else {
    process.stdout.write(`The lab keeps running. Stop it later with: ${down}\n`);
  }
  return code;
}
