/**
 * resume: continues a session's last operation where it stopped. Done actions are skipped; an action
 * started but not recorded done is checked (recheck.ts) and then recorded done, redone, or put to the
 * operator. A session whose last operation finished has nothing to resume. `skip` (--skip ID) journals a failed
 * action that changes nothing as done (outcome 'skipped') instead of retrying it; executor.ts checkSkips says when.
 */
import { BadInputError } from '../../exit-codes.js';
import { RunContext, type Outcome, type RunOptions } from './context.js';
import type { EngineDeps } from '../model/ports.js';
import { checkSkips, continueApply, preflight } from './executor.js';
import { continueRollback } from './rollback.js';
import type { Session } from '../records/session.js';

export async function resume(session: Session, deps: EngineDeps, opts: RunOptions = {}): Promise<Outcome> {
  const ctx = RunContext.open(session, deps, opts, 'resume');
  try {
    const st = ctx.state();
    checkSkips(ctx);
    if (st.operation === null) {
      // Killed before the first record: nothing happened yet, so this is a fresh apply.
      await preflight(ctx);
      return await continueApply(ctx);
    }
    if (st.ending === 'finished') {
      throw new BadInputError(
        `session ${session.id} has nothing to resume: its ${st.operation}${st.to ? ` --to ${st.to}` : ''} finished`,
        st.operation === 'apply' ? `roll it back with \`ha-wizard rollback ${session.id}\` if needed` : 'make a new plan to apply again',
      );
    }
    ctx.emit({ type: 'notice', text: `resuming the ${st.operation} of session ${session.id} (${st.ending === 'open' ? 'interrupted' : st.ending})` });
    return st.operation === 'apply' ? await continueApply(ctx) : await continueRollback(ctx, st.to, st.pastPointOfNoReturn === true);
  } finally {
    ctx.close();
  }
}
