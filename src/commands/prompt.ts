/**
 * Plain terminal questions for the non-ink commands (`plan`, `apply`, `resume`). No TTY means no
 * questions: each function fails with the flag that answers it instead, so scripts never hang.
 */
import { execFile } from 'node:child_process';
import { createInterface } from 'node:readline';
import { BadInputError } from '../exit-codes.js';
import type { ConnectPolicy } from '../conversion/wiring.js';

export function interactive(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY) && !process.env['CI'];
}

/** One line typed by the operator (echoed unless `hidden`), on stderr so stdout stays machine-readable. */
export async function ask(question: string, opts: { hidden?: boolean; flag?: string } = {}): Promise<string> {
  if (!interactive()) {
    throw new BadInputError(`cannot ask "${question.trim()}" without a terminal`, opts.flag ? `pass ${opts.flag}` : 'run it in a terminal');
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (opts.hidden) {
    // Echo nothing of what is typed: the readline writes through _writeToOutput.
    const r = rl as unknown as { _writeToOutput: (s: string) => void };
    const original = r._writeToOutput.bind(rl);
    let prompted = false;
    r._writeToOutput = (s: string) => {
      if (!prompted) {
        prompted = true;
        original(s);
      } else if (s.includes('\n')) original('\n');
    };
  }
  try {
    // Ctrl-C at the question answers nothing: the caller treats it as a refusal (nothing changes).
    return await new Promise<string>((resolve) => {
      rl.once('SIGINT', () => {
        process.stderr.write('\n');
        resolve('');
      });
      rl.question(question, resolve);
    });
  } finally {
    rl.close();
  }
}

/** Terraform-style approval: only the exact word counts. */
export async function confirmTyped(prompt: string, word: string, flag: string): Promise<boolean> {
  const answer = await ask(`${prompt}\n  Only '${word}' will be accepted to approve.\n\n  Enter a value: `, { flag });
  return answer.trim() === word;
}

/** Where the sudo password comes from when a host's sudo needs one (besides a terminal). */
export interface SudoPasswordSource {
  /** Read from standard input with --sudo-password-stdin (in memory only). */
  password?: string;
  /** The config's ssh.sudoPasswordCommand: an askpass-style command whose stdout is the password. */
  command?: readonly string[];
}

/**
 * `--sudo-password-stdin`, as `docker login --password-stdin`: the whole of standard input, less one final newline.
 * Refused on a terminal (type it at the prompt instead) and when empty. Never written anywhere.
 */
export async function readSudoPasswordStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new BadInputError('--sudo-password-stdin reads the password from standard input, which is a terminal here', 'pipe it in (e.g. `pass show ops/sudo | ha-wizard apply -c cluster.yaml --yes --sudo-password-stdin`), or leave the flag out to be asked');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (!password) throw new BadInputError('--sudo-password-stdin: standard input was empty', 'pipe the sudo password in, followed by at most one newline');
  if (password.includes('\n')) throw new BadInputError('--sudo-password-stdin: standard input holds more than one line', 'pipe only the sudo password (one line)');
  return password;
}

/** Runs the askpass-style command (no shell); its stdout less one final newline is the password. The prompt is in HA_WIZARD_SUDO_PROMPT. */
export function askpass(command: readonly string[], prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command[0]!, command.slice(1), { env: { ...process.env, HA_WIZARD_SUDO_PROMPT: prompt }, timeout: 120_000, maxBuffer: 64 * 1024 }, (err, stdout) => {
      if (err) {
        const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : `failed (${(err as { code?: unknown }).code ?? (err as Error).message})`;
        reject(new BadInputError(`ssh.sudoPasswordCommand ${command[0]} ${why}; nothing was changed`, 'fix the command in the config (it runs on this workstation without a shell and prints the password), or pass --sudo-password-stdin'));
        return;
      }
      const password = String(stdout).replace(/\r?\n$/, '');
      if (!password) reject(new BadInputError(`ssh.sudoPasswordCommand ${command[0]} printed nothing`, 'it must print the sudo password on its standard output'));
      else resolve(password);
    });
  });
}

/**
 * The operator's answers while connecting: host keys asked here (or refused without a terminal); the sudo password
 * from --sudo-password-stdin, else the config's askpass command, else asked here.
 */
export function connectPolicy(acceptNewHostKeys: boolean, sudo: SudoPasswordSource = {}): ConnectPolicy {
  const prompt = (host: string, user: string) => `[sudo] password for ${user} (asked once, used on every node; first needed on ${host}): `;
  const fromSource: ConnectPolicy['askPassword'] | undefined =
    sudo.password !== undefined
      ? async () => sudo.password!
      : sudo.command?.length
        ? ({ host, user }) => askpass(sudo.command!, prompt(host, user))
        : undefined;
  if (!interactive()) return { acceptNewHostKeys, ...(fromSource ? { askPassword: fromSource } : {}) };
  return {
    acceptNewHostKeys,
    onUnknownHost: async (host, fingerprint, detail) => {
      const answer = await ask(
        `The authenticity of host '${host}' can't be established.\n${detail.keyType} key fingerprint is ${fingerprint}.\nAre you sure you want to continue connecting (yes/no)? `,
        { flag: '--accept-new-host-keys' },
      );
      return answer.trim() === 'yes';
    },
    askPassword: fromSource ?? (({ host, user }) => ask(prompt(host, user), { hidden: true })),
  };
}
