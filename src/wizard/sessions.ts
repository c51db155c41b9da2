/**
 * The sessions the wizard offers to continue: those that stopped, failed or were interrupted. Reads the session files
 * only (no SSH, no PKI), so the offer is on screen before the welcome menu would take a key.
 */
import { currentLock } from '../engine/records/lock.js';
import { listSessionIds, openSession, sessionJournal } from '../engine/records/session.js';
import { sessionStatus } from '../engine/records/state.js';
import { statusHeadline } from '../reporters/status-text.js';
import type { ResumableSession } from './model.js';

export async function findResumable(env: NodeJS.ProcessEnv = process.env): Promise<ResumableSession[]> {
  const out: ResumableSession[] = [];
  for (const id of listSessionIds(env).slice(-20)) {
    try {
      const s = openSession(id, env);
      const lock = currentLock(s.plan.cluster, env);
      const st = sessionStatus(s.plan, sessionJournal(s), lock?.session === s.id && lock.pid !== process.pid);
      if (!['stopped', 'failed', 'interrupted'].includes(st.state)) continue;
      const failed = st.steps.find((x) => x.failures.length);
      const current = st.steps.find((x) => x.current);
      // Only what the headline does not already say.
      const where = !st.lastRunChanged ? '' : failed ? `failed at ${failed.failures[0]!.action}` : current ? `stopped in ${current.current}` : '';
      out.push({ id, cluster: s.meta.cluster, state: st.state, done: st.done, total: st.total, where, headline: statusHeadline(s, st) });
    } catch {
      // A damaged session is listed by `ha-wizard sessions`, not offered here.
    }
  }
  return out;
}
