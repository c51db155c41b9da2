/** `ha-wizard status [SESSION] [--json]`: progress per step, the action in flight, failures. */
import { BadInputError, ExitCode } from '../exit-codes.js';
import { currentLock } from '../engine/records/lock.js';
import { latestSession, openSession, sessionJournal } from '../engine/records/session.js';
import { sessionStatus, type StepProgress } from '../engine/records/state.js';
import { parseCommand } from './options.js';
import { invokedAs } from '../reporters/invocation.js';
import { nextCommands, statusHeadline } from '../reporters/status-text.js';

const USAGE = 'Usage: ha-wizard status [SESSION] [--json]';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('status', USAGE, argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, 'session id');
  if (values.help) {
    process.stdout.write(`${USAGE}\n\nShows a session's progress per step (the latest session when SESSION is omitted), the action in flight and failures.\n`);
    return ExitCode.Ok;
  }
  try {
    const session = positionals[0] ? openSession(positionals[0]) : latestSession();
    const lock = currentLock(session.plan.cluster);
    const st = sessionStatus(session.plan, sessionJournal(session), lock?.session === session.id);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ session: session.id, cluster: session.meta.cluster, planId: session.plan.id, lock, ...st }, null, 2)}\n`);
      return ExitCode.Ok;
    }
    const me = invokedAs();
    const out = [`Session ${session.id} (cluster ${session.meta.cluster}, plan ${session.plan.id}): ${statusHeadline(session, st)}`];
    if (lock) out.push(`Locked by ${lock.who} pid ${lock.pid} (${lock.operation}) since ${lock.createdAt}`);
    for (const s of st.steps) {
      out.push(stepLine(s, st.operation === 'rollback'));
      for (const f of s.failures) out.push(`      failed ${f.action}: ${f.error}`);
      for (const k of s.skipped) out.push(`      skipped ${k.action}: ${k.reason}`);
    }
    const next = nextCommands(session.id, st, me);
    if (next) out.push(next);
    process.stdout.write(`${out.join('\n')}\n`);
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof BadInputError) {
      process.stderr.write(`ha-wizard status: ${(err as Error).message}\n${(err as BadInputError).hint ? `${(err as BadInputError).hint}\n` : ''}`);
      return ExitCode.BadInput;
    }
    throw err;
  }
}

/** A step's line: applied counts while applying; after a rollback, what was undone and what is still in effect. */
function stepLine(s: StepProgress, rolledBack: boolean): string {
  if (rolledBack) {
    const mark = s.current ? '▸' : s.inEffect ? '•' : s.undone ? '↺' : ' ';
    const what = s.inEffect ? `${s.inEffect} change(s) in effect${s.undone ? `, ${s.undone} undone` : ''}` : s.undone ? `undone (${s.undone})` : 'nothing to undo';
    return `  ${mark} ${s.id.padEnd(24)} ${what}${s.current ? `  in flight: ${s.current}` : ''}`;
  }
  return `  ${s.done === s.total ? '✓' : s.current ? '▸' : ' '} ${s.id.padEnd(24)} ${s.done}/${s.total}${s.undone ? `  (${s.undone} undone)` : ''}${s.current ? `  in flight: ${s.current}` : ''}`;
}
