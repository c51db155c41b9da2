/**
 * `ha-wizard [-c FILE]`: the interactive wizard. Interactive vs plain is decided here, before ink is
 * loaded: without a terminal on stdin and stdout, or with CI set, the wizard cannot ask its questions,
 * so it fails with the commands to run instead (Shopify's throwInNonTTY).
 */
import { parseArgs } from 'node:util';
import { ExitCode } from '../exit-codes.js';

const USAGE = 'Usage: ha-wizard [-c FILE] [--no-color]';

export function isCi(env: NodeJS.ProcessEnv): boolean {
  const v = env.CI ?? env.CONTINUOUS_INTEGRATION;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** Whether the ink wizard can run: both ends are terminals and we are not in CI (ink shows nothing live there). */
export function canRunInteractive(stdin: { isTTY?: boolean }, stdout: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stdin.isTTY) && Boolean(stdout.isTTY) && !isCi(env);
}

export function nonInteractiveMessage(configPath: string | undefined, env: NodeJS.ProcessEnv): string {
  const c = configPath ?? 'cluster.yaml';
  const why = isCi(env) ? 'CI is set' : 'stdin or stdout is not a terminal';
  return [
    `ha-wizard: the interactive wizard needs a terminal (${why}); it asks questions that have no answer here.`,
    'Run the same conversion non-interactively:',
    `  ha-wizard plan -c ${c} --out plan.json        review every change (add --json for machine-readable output)`,
    `  ha-wizard apply plan.json -c ${c} --yes   apply it; progress as plain lines (--json: JSON lines)`,
    '  ha-wizard resume [SESSION]                    continue after a stop or failure',
  ].join('\n');
}

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values: { config?: string; 'no-color'?: boolean };
  try {
    values = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, 'no-color': { type: 'boolean' } }, strict: true }).values;
  } catch (err) {
    process.stderr.write(`ha-wizard: ${(err as Error).message}\n${USAGE}\n`);
    return ExitCode.BadInput;
  }
  if (!canRunInteractive(process.stdin, process.stdout, env)) {
    process.stderr.write(`${nonInteractiveMessage(values.config, env)}\n`);
    return ExitCode.BadInput;
  }
  const color = !values['no-color'] && !('NO_COLOR' in env && env.NO_COLOR !== '');
  const code = await runInteractive({ configPath: values.config ?? null, color });
  // The operator has quit and every session is journaled: a connection that lingers must not keep the
  // terminal (seen once after a resumed run). Unref'd, so a clean exit never waits for it.
  setTimeout(() => process.exit(code), 1000).unref();
  return code;
}

const CLOSE_GRACE_MS = 5000;

/** Renders the wizard on this terminal until the operator leaves; returns the exit code. */
export async function runInteractive(opts: { configPath: string | null; color: boolean }): Promise<number> {
  const [{ render }, { createElement }, { App }, { WizardController }, { lazyLiveRuntime }] = await Promise.all([
    import('ink'),
    import('react'),
    import('../ui/App.js'),
    import('../wizard/controller.js'),
    import('../wizard/lazy-runtime.js'),
  ]);
  const runtime = lazyLiveRuntime();
  const controller = new WizardController(runtime, { configPath: opts.configPath });
  // Ctrl-C arrives as a key in raw mode; these cover kill, a dropped SSH session to the jump box (SIGHUP), and Ctrl-C before raw mode.
  const onSignal = () => controller.intent({ type: 'interrupt' });
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  const ink = render(createElement(App, { controller, color: opts.color }), { exitOnCtrlC: false, patchConsole: true });
  // The first frame is on screen before the SSH, PKI and engine modules load.
  setImmediate(() => controller.start());
  try {
    const { code, message } = await controller.exited;
    await ink.waitUntilExit().catch(() => undefined);
    ink.unmount();
    if (message) process.stdout.write(`${message}\n`);
    return code;
  } finally {
    for (const s of signals) process.off(s, onSignal);
    await Promise.race([runtime.close().catch(() => undefined), new Promise((r) => setTimeout(r, CLOSE_GRACE_MS).unref())]);
  }
}
