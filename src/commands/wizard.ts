/**
 * `ha-wizard [-c FILE]`: the interactive wizard. Interactive vs plain is decided here, before ink is
 * loaded: without a terminal on stdin and stdout, or with CI set, the wizard cannot ask its questions,
 * so it fails with the commands to run instead (Shopify's throwInNonTTY).
 */
import { parseArgs } from 'node:util';
import { ExitCode } from '../exit-codes.js';
import { exitTracer } from '../wizard/exit-trace.js';
import { invokedAs } from '../reporters/invocation.js';
import { flagProblem } from './args.js';

const USAGE = 'Usage: ha-wizard [-c FILE] [--no-color]';

export function isCi(env: NodeJS.ProcessEnv): boolean {
  const v = env.CI ?? env.CONTINUOUS_INTEGRATION;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** Whether the ink wizard can run: both ends are terminals and we are not in CI (ink shows nothing live there). */
export function canRunInteractive(stdin: { isTTY?: boolean }, stdout: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stdin.isTTY) && Boolean(stdout.isTTY) && !isCi(env);
}

export function nonInteractiveMessage(configPath: string | undefined, env: NodeJS.ProcessEnv, cmd = 'ha-wizard'): string {
  const c = configPath ?? 'cluster.yaml';
  const why = isCi(env) ? 'CI is set' : 'stdin or stdout is not a terminal';
  return [
    `ha-wizard: the interactive wizard needs a terminal (${why}); it asks questions that have no answer here.`,
    'Run the same conversion non-interactively:',
    `  ${cmd} plan -c ${c} --out plan.json        review every change (add --json for machine-readable output)`,
    `  ${cmd} apply plan.json -c ${c} --yes   apply it; progress as plain lines (--json: JSON lines)`,
    `  ${cmd} resume [SESSION]                    continue after a stop or failure`,
  ].join('\n');
}

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values: { config?: string; 'no-color'?: boolean };
  const options = { config: { type: 'string', short: 'c' }, 'no-color': { type: 'boolean' } } as const;
  try {
    values = parseArgs({ args: argv, options, strict: true }).values;
  } catch (err) {
    // The wizard takes these flags alone; the commands' flags (--json, --yes, …) belong after a command.
    process.stderr.write(`ha-wizard: ${flagProblem(err, options, ['--help', '--version'])}\n${USAGE}\nRun \`${invokedAs(process.argv, env)} --help\` for the commands and their flags.\n`);
    return ExitCode.BadInput;
  }
  if (!canRunInteractive(process.stdin, process.stdout, env)) {
    process.stderr.write(`${nonInteractiveMessage(values.config, env, invokedAs(process.argv, env))}\n`);
    return ExitCode.BadInput;
  }
  const color = !values['no-color'] && !('NO_COLOR' in env && env.NO_COLOR !== '');
  const trace = exitTracer(env);
  const code = await runInteractive({ configPath: values.config ?? null, color, command: invokedAs(process.argv, env), trace });
  trace(`process.exit(${code})`);
  // Everything is closed (or given up on, bounded) and every session is journaled: nothing may keep the
  // operator's terminal now. A clean teardown leaves no handle, so this only cuts short what would linger.
  process.exit(code);
}

/** Teardown after the operator quit (unmount, message, closing connections) never takes longer than this. */
export const EXIT_DEADLINE_MS = 8000;
/** Of which closing the SSH connections may take at most this. */
const CLOSE_GRACE_MS = 5000;

/** Renders the wizard on this terminal until the operator leaves; returns the exit code. */
export async function runInteractive(opts: { configPath: string | null; color: boolean; command?: string; trace?: (moment: string) => void }): Promise<number> {
  const trace = opts.trace ?? (() => undefined);
  const [{ render }, { createElement }, { App }, { WizardController }, { lazyLiveRuntime }, { leaveIntent }] = await Promise.all([
    import('ink'),
    import('react'),
    import('../ui/App.js'),
    import('../wizard/controller.js'),
    import('../wizard/lazy-runtime.js'),
    import('../wizard/reducer.js'),
  ]);
  const runtime = lazyLiveRuntime();
  const controller = new WizardController(runtime, { configPath: opts.configPath, ...(opts.command ? { command: opts.command } : {}) });
  // Ctrl-C arrives as a key in raw mode; SIGINT covers Ctrl-C before raw mode and `kill -INT`, like the key.
  const onInterrupt = () => controller.intent({ type: 'interrupt' });
  // SIGTERM, and SIGHUP (the terminal is gone, e.g. the SSH session to the jump box dropped): no one will
  // press q, so the wizard stops a run safely, waits for it, and leaves by itself.
  const leaving: { unsubscribe: (() => void) | null } = { unsubscribe: null };
  const onLeave = () => {
    if (leaving.unsubscribe) return controller.intent({ type: 'interrupt' }); // a second signal: stop now
    const step = () => {
      const i = leaveIntent(controller.getState());
      if (i) controller.intent(i);
    };
    leaving.unsubscribe = controller.subscribe(step);
    step();
  };
  const handlers: Array<[NodeJS.Signals, () => void]> = [
    ['SIGINT', onInterrupt],
    ['SIGTERM', onLeave],
    ['SIGHUP', onLeave],
  ];
  for (const [s, h] of handlers) process.on(s, h);
  const ink = render(createElement(App, { controller, color: opts.color }), { exitOnCtrlC: false, patchConsole: true });
  // Asked for now, not after the quit: ink 6.8 creates this promise lazily and resolves it only from an
  // unmount that happens later; asked after the App has already exited (it exits itself on the quit
  // state, which can run before our continuation), it never settles. That was the wizard that did not
  // exit after q: it waited here forever, with its SSH connections (closed after this) still open.
  const inkExited = ink.waitUntilExit().catch(() => undefined);
  // The first frame is on screen before the SSH, PKI and engine modules load.
  setImmediate(() => controller.start());
  const { code, message } = await controller.exited;
  trace('controller exited');
  // From here on the operator has left: whatever the teardown waits on, the process ends within the
  // deadline. Unref'd: it never keeps the process alive, and it fires whenever something else does.
  setTimeout(() => {
    trace('deadline: forced exit');
    process.exit(code);
  }, EXIT_DEADLINE_MS).unref();
  try {
    // ink exits on the state's exit (App's effect); unmount is idempotent and covers a render that never came.
    ink.unmount();
    await inkExited;
    trace('ink exited');
    // ink unrefs stdin when raw mode goes off; make sure the terminal is back in cooked mode and stdin is
    // not read any more, whatever state the last frame left it in.
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
    process.stdin.pause();
    if (message) process.stdout.write(`${message}\n`);
    return code;
  } finally {
    leaving.unsubscribe?.();
    for (const [s, h] of handlers) process.off(s, h);
    trace('closing connections');
    await Promise.race([runtime.close().catch(() => undefined), new Promise((r) => setTimeout(r, CLOSE_GRACE_MS).unref())]);
    trace('connections closed');
  }
}
