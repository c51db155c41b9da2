/**
 * One engine operation over the lab's SSH hosts in its own process, so the engine lab test can SIGKILL it
 * (HA_WIZARD_TEST_KILL_AFTER_RECORD) mid-run.   node engine-child.js apply|resume|rollback LABDIR SESSION
 */
import { apply } from '../../src/engine/run/executor.js';
import { resume } from '../../src/engine/run/resume.js';
import { rollback } from '../../src/engine/run/rollback.js';
import { openSession } from '../../src/engine/records/session.js';
import { exitCodeOf } from '../../src/engine/run/context.js';
import { engineDeps } from './engine-hosts.js';

const [op, labDir, id] = process.argv.slice(2);
const session = openSession(id!);
const d = engineDeps(labDir!);
try {
  const outcome = op === 'apply' ? await apply(session.plan, session, d) : op === 'resume' ? await resume(session, d) : await rollback(session, d);
  if (outcome.status !== 'finished') process.stderr.write(`${JSON.stringify(outcome)}\n`);
  process.exitCode = exitCodeOf(outcome);
} finally {
  await d.hosts.closeAll();
}
