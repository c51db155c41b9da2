/**
 * A real terminal for tests: a private tmux server (its own socket, so it never joins an operator's
 * tmux server, which may live in another network namespace) running one program in one pane. Keys go
 * in with `send-keys`, the screen comes out with `capture-pane`, exactly what a person would see.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface TmuxOptions {
  /** A directory for the server's socket and config (the test's temp dir). */
  dir: string;
  /** The program and its arguments, run without a shell. */
  argv: readonly string[];
  cols?: number;
  rows?: number;
}

/** The exit status of process `pid` if it has ended and waits to be reaped (state Z), else null. */
export function zombieStatus(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // reaped (tmux has the status then) or never there
  }
  // After "pid (comm) ": state is field 3, exit_code (the waitpid status, Linux 3.5+) field 52.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] !== 'Z') return null;
  const wait = Number(fields[52 - 3]);
  if (!Number.isInteger(wait)) return null;
  const sig = wait & 0x7f;
  return sig === 0 ? (wait >> 8) & 0xff : 128 + sig;
}

export class Tmux {
  private constructor(
    private readonly socket: string,
    private readonly config: string,
    readonly target: string,
  ) {}

  static async start(opts: TmuxOptions): Promise<Tmux> {
    const socket = join(opts.dir, 'tmux.sock');
    const config = join(opts.dir, 'tmux.conf');
    // remain-on-exit: the pane (and the program's exit status) stays after the program ends.
    writeFileSync(config, 'set -g remain-on-exit on\nset -g history-limit 5000\nset -g status off\n');
    const t = new Tmux(socket, config, 'ui');
    // Never CI mode (a CI runner sets CI=true, and ink then draws only the last frame): the pane is a terminal.
    const argv = ['env', '-u', 'CI', '-u', 'CONTINUOUS_INTEGRATION', ...opts.argv];
    await t.tmux(['new-session', '-d', '-s', 'ui', '-x', String(opts.cols ?? 120), '-y', String(opts.rows ?? 40), '--', ...argv]);
    return t;
  }

  private async tmux(args: string[]): Promise<string> {
    const { stdout } = await exec('tmux', ['-S', this.socket, '-f', this.config, ...args], { maxBuffer: 16 << 20 });
    return stdout;
  }

  /**
   * The visible screen, trailing blank lines dropped. With `history`, the scrolled-off lines above it too; with
   * `joined`, a line the terminal wrapped is one line again (plain output; a full-screen program's rows stay rows).
   */
  async screen(history = false, joined = false): Promise<string> {
    const text = await this.tmux(['capture-pane', '-p', '-t', this.target, ...(history ? ['-S', '-'] : []), ...(joined ? ['-J'] : [])]);
    return text.replace(/\s+$/, '');
  }

  /** Named keys (Enter, Escape, Down, C-c) or single characters. */
  async keys(...keys: string[]): Promise<void> {
    await this.tmux(['send-keys', '-t', this.target, ...keys]);
  }

  /** Bytes in one write to the terminal (hex, e.g. '7f' for Backspace): a burst, as a held key or a slow link delivers it. */
  async burst(...hex: string[]): Promise<void> {
    await this.tmux(['send-keys', '-t', this.target, '-H', ...hex]);
  }

  /** Resizes the terminal (the program gets SIGWINCH). */
  async resize(cols: number, rows: number): Promise<void> {
    await this.tmux(['resize-window', '-t', this.target, '-x', String(cols), '-y', String(rows)]);
  }

  /** Literal text, as typed. */
  async type(text: string): Promise<void> {
    await this.tmux(['send-keys', '-t', this.target, '-l', text]);
  }

  /** Polls the screen until it matches; fails with the last screen when it does not within `timeoutMs`. */
  async waitFor(what: RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = await this.screen();
      if (what.test(last)) return last;
      const ended = await this.exitStatus();
      if (ended !== null || Date.now() > deadline) {
        const why = ended !== null ? `the program exited with ${ended}` : `${timeoutMs} ms passed`;
        throw new Error(`${why} before the screen matched ${what}; the screen:\n${await this.screen(true)}`);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /**
   * The program's exit status once it has ended (128 + N when signal N ended it, as shells say), else null.
   * tmux's own record first; while tmux has not reaped it yet (seen for more than 20 s on a loaded machine,
   * the program long gone: tmux missed the SIGCHLD), the kernel's: a zombie's /proc stat carries its wait status.
   */
  async exitStatus(): Promise<number | null> {
    const out = (await this.tmux(['display-message', '-p', '-t', this.target, '#{pane_dead}/#{pane_dead_status}/#{pane_dead_signal}/#{pane_pid}/#{pid}'])).trim();
    const [dead, status, signal, pid, server] = out.split('/');
    if (dead === '1' && (status || signal)) return status ? Number(status) : 128 + Number(signal);
    const zombie = pid ? zombieStatus(Number(pid)) : null;
    // tmux built with libutempter can miss the SIGCHLD of a pane (tmux/tmux#311, #2679): nudge our own server.
    if (zombie !== null && server) process.kill(Number(server), 'SIGCHLD');
    return zombie;
  }

  async waitExit(timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const code = await this.exitStatus();
      if (code !== null) return code;
      if (Date.now() > deadline) throw new Error(`the program did not exit within ${timeoutMs} ms; the screen:\n${await this.screen(true)}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /** Starts the program again in the same pane, on a cleared screen (a previous one still running is killed). */
  async respawn(argv: readonly string[]): Promise<void> {
    await this.tmux(['clear-history', '-t', this.target]);
    await this.tmux(['respawn-pane', '-k', '-t', this.target, '--', ...argv]);
  }

  /** The pid of the program in the pane (as tmux started it). */
  async panePid(): Promise<number> {
    return Number((await this.tmux(['display-message', '-p', '-t', this.target, '#{pane_pid}'])).trim());
  }

  async kill(): Promise<void> {
    await this.tmux(['kill-server']).catch(() => undefined);
  }
}
