/** `ha-wizard sessions [--json]`: the sessions on this workstation, newest last, with their state. */
import { BadInputError, ExitCode } from '../exit-codes.js';
import { currentLock } from '../engine/records/lock.js';
import { listSessionIds, openSession, sessionJournal, sessionsDir } from '../engine/records/session.js';
import { sessionStatus } from '../engine/records/state.js';
import { parseCommand } from './options.js';

export async function run(argv: string[]): Promise<number> {
  const USAGE = 'Usage: ha-wizard sessions [--json]';
  const { values } = parseCommand('sessions', USAGE, argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(`${USAGE}\n\nLists the sessions on this workstation (${sessionsDir()}), newest last, with their state.\n`);
    return ExitCode.Ok;
  }
  const rows = listSessionIds().map((id) => {
    try {
      const s = openSession(id);
      const lock = currentLock(s.plan.cluster);
      const st = sessionStatus(s.plan, sessionJournal(s), lock?.session === id);
      return { id, cluster: s.meta.cluster, createdAt: s.meta.createdAt, createdBy: s.meta.createdBy, planId: s.plan.id, state: st.state, done: st.done, total: st.total };
    } catch (err) {
      return { id, error: err instanceof BadInputError ? err.message : String(err) };
    }
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return ExitCode.Ok;
  }
  if (rows.length === 0) {
    process.stdout.write(`No sessions in ${sessionsDir()}.\n`);
    return ExitCode.Ok;
  }
  for (const r of rows) {
    if ('error' in r) process.stdout.write(`${r.id}  (unreadable: ${r.error})\n`);
    else process.stdout.write(`${r.id}  ${r.state.padEnd(12)} ${String(r.done).padStart(3)}/${r.total} actions  ${r.createdAt}  ${r.createdBy}\n`);
  }
  return ExitCode.Ok;
}
