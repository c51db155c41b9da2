/**
 * `ha-wizard rollback [SESSION] [--to STEP] [--dry-run] [--yes] [--past-point-of-no-return] ...`: as careful as apply. First
 * the preview (what will be undone, per step and host: files with their diffs against what is there now, undo commands,
 * etcd members removed, objects restored), then a typed confirmation (the cluster's name); `--yes` approves without
 * asking, `--dry-run` shows the preview and changes nothing. Without a terminal and without --yes it is refused.
 */
import { BadInputError, ExitCode } from '../exit-codes.js';
import { checkPointOfNoReturn, previewRollback, rollback } from '../engine/run/rollback.js';
import { foldJournal, undoOrder } from '../engine/records/state.js';
import { sessionJournal } from '../engine/records/session.js';
import { resolutionsFrom, runSession } from './session-run.js';
import { parseCommand } from './options.js';
import { confirmTyped, interactive } from './prompt.js';
import { jsonReporter } from '../reporters/json.js';
import { renderRollbackPreview } from '../reporters/rollback-preview-text.js';
import { invokedAs, localizeCommands } from '../reporters/invocation.js';

const USAGE =
  'Usage: ha-wizard rollback [SESSION] [--to STEP] [--dry-run] [--yes] [--past-point-of-no-return] [--force-unlock ID] [--assume-done ACTION]... [--redo ACTION]... [--json] [--verbose] [--sudo-password-stdin]';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    'rollback',
    USAGE,
    argv,
    {
      to: { type: 'string' },
      'dry-run': { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      'past-point-of-no-return': { type: 'boolean' },
      'force-unlock': { type: 'string' },
      'assume-done': { type: 'string', multiple: true },
      redo: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
      'sudo-password-stdin': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    'session id',
  );
  if (values.help) {
    process.stdout.write(`${USAGE}

Undoes a session's done actions in reverse (the latest session when SESSION is omitted): restores backed-up files byte for byte,
runs undo commands, restores patched objects. --to STEP keeps STEP and everything before it.
First it shows what will be undone, per step and host (each file with its diff against what is there now, each command, the etcd
members removed, the objects restored), then asks you to type the cluster's name.
  --dry-run                  show that preview and change nothing
  --yes                      approve without asking (required without a terminal)
  --past-point-of-no-return  also undo what has no exact reverse (etcd members promoted to voters); refused without it
  --json                     one engine event per line (JSON Lines) on stdout; with --dry-run, the preview as JSON
  --verbose                  print multi-line scripts in full as they run
`);
    return ExitCode.Ok;
  }
  const me = invokedAs();
  const to = values.to;
  const pastPointOfNoReturn = values['past-point-of-no-return'] === true;
  const out = (text: string) => (values.json ? process.stderr : process.stdout).write(text);
  return runSession(
    'rollback',
    positionals[0],
    { ...(values.json ? { onEvent: jsonReporter() } : {}), verbose: values.verbose === true },
    (session, deps, opts) => rollback(session, deps, { ...opts, to, pastPointOfNoReturn, forceUnlock: values['force-unlock'], resolutions: resolutionsFrom(values['assume-done'], values.redo) }),
    async (session, deps) => {
      const preview = await previewRollback(session, deps, to !== undefined ? { to } : {});
      if (values['dry-run'] && values.json) process.stdout.write(`${JSON.stringify(preview, null, 2)}\n`);
      else out(renderRollbackPreview(preview, { color: Boolean(process.stdout.isTTY) && !values.json && !process.env['NO_COLOR'] }));
      const list = undoOrder(session.plan, foldJournal(session.plan, sessionJournal(session)), to);
      if (values['dry-run']) {
        // Say now what the real run would refuse, but a dry run itself changes nothing and succeeds.
        try {
          checkPointOfNoReturn(session, list, pastPointOfNoReturn);
        } catch (err) {
          if (!(err instanceof BadInputError)) throw err;
          process.stderr.write(`\nWithout --past-point-of-no-return this rollback would be refused:\n${localizeCommands(err.message, me)}\n`);
        }
        process.stderr.write(`Dry run: nothing was changed. To roll back: ${localizeCommands(`ha-wizard rollback ${session.id}${to ? ` --to ${to}` : ''}${pastPointOfNoReturn || (preview.pointOfNoReturn.length && !to) ? ' --past-point-of-no-return' : ''}`, me)}\n`);
        return ExitCode.Ok;
      }
      if (list.length === 0) {
        process.stderr.write(`Nothing to undo in session ${session.id}: nothing was changed.\n`);
        return ExitCode.Ok;
      }
      checkPointOfNoReturn(session, list, pastPointOfNoReturn);
      if (preview.summary.problems) {
        throw new BadInputError(`rollback would stop at ${preview.summary.problems} problem(s) marked with ! above; nothing was changed`, `see ${session.auditPath}; restore those files by hand from their backups, or put the backups back, then run it again`);
      }
      if (values.yes) return null;
      if (!interactive()) {
        throw new BadInputError('rollback asks you to confirm by typing the cluster name, and there is no terminal to ask in; nothing was changed', `review it with \`ha-wizard rollback ${session.id} --dry-run\`, then approve without asking: \`ha-wizard rollback ${session.id}${to ? ` --to ${to}` : ''}${pastPointOfNoReturn ? ' --past-point-of-no-return' : ''} --yes\``);
      }
      const ok = await confirmTyped(`Do you want to undo these changes on cluster ${session.plan.cluster}?`, session.plan.cluster, '--yes');
      if (!ok) {
        process.stderr.write('Rollback cancelled: nothing was changed.\n');
        return ExitCode.Failure;
      }
      return null;
    },
    values['sudo-password-stdin'] === true,
  );
}
