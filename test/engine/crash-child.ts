/**
 * Runs one engine operation on dir-hosts in its own process, so crash tests can SIGKILL it
 * (HA_WIZARD_TEST_KILL_AFTER_RECORD) and check what the next process makes of it.
 *   node crash-child.js apply|resume|rollback BASE SESSION
 */
import { apply } from '../../src/engine/run/executor.js';
import { resume } from '../../src/engine/run/resume.js';
import { rollback } from '../../src/engine/run/rollback.js';
import { openSession } from '../../src/engine/records/session.js';
import { exitCodeOf } from '../../src/engine/run/context.js';
import { deps } from './fixtures.js';

const [op, base, id] = process.argv.slice(2);
const session = openSession(id!);
const d = deps(base!);
const outcome = op === 'apply' ? await apply(session.plan, session, d) : op === 'resume' ? await resume(session, d) : await rollback(session, d);
process.exitCode = exitCodeOf(outcome);
