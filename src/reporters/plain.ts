/**
 * The plain reporter: engine events as text for logs, pipes and CI (no TTY, or CI set). One line per
 * action per host when it ends (ok / skip / FAIL, undo when rolling back, with its duration), a header per step, command
 * output indented under the action that printed it and prefixed with its host (a fleet step's hosts run at once, so
 * their output lines interleave), and the Terraform-style ending.
 */
import type { EngineEvent, EventSink } from '../engine/model/events.js';
import { asInvoked, invokedAs } from './invocation.js';

export interface PlainReporterOptions {
  /** Where lines go (default: process.stdout). */
  write?: (text: string) => void;
  /** Clock for durations (tests pass a fake one). */
  now?: () => number;
  /** Print command output lines (default true). */
  output?: boolean;
  /** How the operator runs ha-wizard, for the resume command (default: as this process was started). */
  command?: string;
  /** Print multi-line scripts in full (`--verbose`); by default a script is named by what it does. */
  verbose?: boolean;
}

interface Started {
  host: string;
  at: number;
  description: string;
}

/** A backticked command that spans lines (an `sh -c` script) becomes what it does; `--verbose` keeps it. */
export function condenseScripts(text: string, description: string): string {
  return text.replace(/`[^`]*\n[^`]*`/g, () => `the script (${description.replace(/^undo: /, '')})`);
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** A host column as wide as the longest host seen so far (at least 8), so lines stay aligned. */
function pad(host: string, width: number): string {
  return host.padEnd(width);
}

export function plainReporter(opts: PlainReporterOptions = {}): EventSink {
  const write = opts.write ?? ((t: string) => void process.stdout.write(t));
  const now = opts.now ?? Date.now;
  const showOutput = opts.output ?? true;
  const verbose = opts.verbose ?? false;
  const short = (action: string, text: string) => (verbose ? text : condenseScripts(text, started.get(action)?.description ?? action));
  const secs = (ms: number) => `${Math.round(ms / 1000)} s`;
  const command = opts.command ?? invokedAs();
  const started = new Map<string, Started>();
  let width = 8;
  const line = (s: string) => write(`${s}\n`);
  const hostOf = (action: string) => started.get(action)?.host ?? action.split('/')[1] ?? '-';
  const took = (action: string) => {
    const s = started.get(action);
    return s ? ` (${seconds(now() - s.at)})` : '';
  };
  return (e: EngineEvent) => {
    switch (e.type) {
      case 'step-start':
        line(`${e.phase === 'rollback' ? 'Rolling back' : 'Step'} ${e.index + 1}/${e.total} ${e.step}: ${e.title} [${e.risk}]`);
        return;
      case 'action-start':
        started.set(e.action, { host: e.host, at: now(), description: e.description });
        width = Math.max(width, e.host.length);
        return;
      case 'action-output':
        if (!showOutput) return;
        // Prefixed with the host: the engine runs a fleet step's hosts at once, so their output interleaves.
        for (const l of e.text.split('\n')) line(`       ${pad(hostOf(e.action), width)}  | ${l}`);
        return;
      case 'wait-progress':
        line(`  wait ${pad(hostOf(e.action), width)}  ${e.action}: ${e.answer} (${secs(e.elapsedMs)} of ${secs(e.limitMs)})`);
        return;
      case 'retry':
        line(`  retry ${pad(hostOf(e.action), width - 1)}  ${e.action}: ${e.reason}; trying again in ${seconds(e.retryInMs)} (attempt ${e.attempt + 1}, ${secs(e.elapsedMs)} of ${secs(e.limitMs)})`);
        return;
      case 'action-done':
        line(`  ${e.phase === 'rollback' ? 'undo' : 'ok  '} ${pad(hostOf(e.action), width)}  ${e.action}: ${short(e.action, e.detail)}${took(e.action)}`);
        return;
      case 'action-skipped':
        line(`  skip ${pad(hostOf(e.action), width)}  ${e.action}: ${e.reason}`);
        return;
      case 'action-failed':
        line(`  FAIL ${pad(e.host, width)}  ${e.action}: ${short(e.action, e.error)}${took(e.action)}`);
        return;
      case 'step-done':
        return;
      case 'measurement':
        line(`  measured ${pad(hostOf(e.action), width)}  ${e.name}: ${e.summary}`);
        return;
      case 'notice':
        line(`note: ${e.text}`);
        return;
      case 'stopped':
        line(
          e.hard
            ? `Stopped immediately: the action in flight was abandoned and will be checked on resume. Continue with: ${asInvoked(e.resumeCommand, command)}`
            : `Stopped safely after the current action. Continue with: ${asInvoked(e.resumeCommand, command)}`,
        );
        return;
      case 'finished':
        line(`${e.phase === 'rollback' ? 'Rollback' : 'Apply'} complete: ${e.changed} changed, ${e.unchanged} already in place.`);
        return;
    }
  };
}
