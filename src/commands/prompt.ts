/**
 * Plain terminal questions for the non-ink commands (`plan`, `apply`, `resume`). No TTY means no
 * questions: each function fails with the flag that answers it instead, so scripts never hang.
 */
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

/** The operator's answers while connecting: host keys and the sudo password asked here, or refused without a terminal. */
export function connectPolicy(acceptNewHostKeys: boolean): ConnectPolicy {
  if (!interactive()) return { acceptNewHostKeys };
  return {
    acceptNewHostKeys,
    onUnknownHost: async (host, fingerprint, detail) => {
      const answer = await ask(
        `The authenticity of host '${host}' can't be established.\n${detail.keyType} key fingerprint is ${fingerprint}.\nAre you sure you want to continue connecting (yes/no)? `,
        { flag: '--accept-new-host-keys' },
      );
      return answer.trim() === 'yes';
    },
    askPassword: ({ host, user }) => ask(`[sudo] password for ${user} (asked once, used on every node; first needed on ${host}): `, { hidden: true }),
  };
}
