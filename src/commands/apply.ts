/**
 * `ha-wizard apply -c FILE [--yes]`: plan, show it, ask, apply.
 * `ha-wizard apply PLAN.json -c FILE`: apply exactly a saved plan (no question, like Terraform's saved plans);
 * refused when the cluster changed since it was made.
 */
import { readFileSync } from 'node:fs';
import { BadInputError, ExitCode } from '../exit-codes.js';
import { renderPreview } from '../reporters/preview-text.js';
import { parsePlan, type Plan } from '../engine/model/plan.js';
import { approvalWord, planDisruptive } from '../engine/model/approval.js';
import { createSession } from '../engine/records/session.js';
import { apply } from '../engine/run/executor.js';
import { exitCodeOf } from '../engine/run/context.js';
import { interrupts } from '../engine/run/interrupt.js';
import { failureMessage } from './session-run.js';
import { invokedAs, localizeCommands } from '../reporters/invocation.js';
import { plainReporter } from '../reporters/plain.js';
import { jsonReporter } from '../reporters/json.js';
import { NothingToDo, discoverCluster, preflightError } from '../conversion/pipeline.js';
import { oldAddressReport } from '../discovery/old-address.js';
import { renderOldAddressReport } from '../reporters/old-address-text.js';
import { carriedOverText } from '../reporters/carried-over-text.js';
import { confirmTyped } from './prompt.js';
import { CLUSTER_OPTIONS, PLAN_OPTIONS, parseCommand, preflightIgnores } from './options.js';
import { discoverAndPlan, openCluster, planOptions } from './cluster-run.js';

const USAGE = 'Usage: ha-wizard apply [PLAN.json] -c cluster.yaml [--yes] [--json] [--verbose] [--failover-drill] [--only STEP,...] [--skip STEP,...] [--force-unlock ID] [--accept-new-host-keys] [--sudo-password-stdin] [--ignore-preflight-errors=NAME,...]';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('apply', USAGE, argv, { ...CLUSTER_OPTIONS, ...PLAN_OPTIONS, yes: { type: 'boolean', short: 'y' }, 'force-unlock': { type: 'string' }, verbose: { type: 'boolean' } }, 'plan file');
  if (values.help) {
    process.stdout.write(`${USAGE}\n\nWithout PLAN.json: discovers, shows the plan and asks you to type the cluster's name (the word it shows; anything else\ncancels, exit 1, nothing changed); --yes approves without asking. --verbose prints multi-line scripts in full as they run.\nWith PLAN.json (from \`ha-wizard plan --out\`): applies exactly that plan, refused when stale.\n--failover-drill adds the opt-in drill at the end; --only and --skip choose steps as for \`ha-wizard plan\` (neither with PLAN.json: plan it with \`ha-wizard plan ... --out\`).\n`);
    return ExitCode.Ok;
  }
  const run = await openCluster(values.config, values['accept-new-host-keys'] === true, values['sudo-password-stdin'] === true);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const ignores = preflightIgnores(values['ignore-preflight-errors']);
  try {
    let plan: Plan;
    let fingerprint: string;
    let oldAddress: string;
    const savedPath = positionals[0];
    if (savedPath && values['failover-drill']) {
      throw new BadInputError('--failover-drill cannot change a saved plan', `make a plan with the drill: ha-wizard plan -c ${values.config ?? 'cluster.yaml'} --failover-drill --out plan.json`);
    }
    if (savedPath && (values.only || values.skip)) {
      throw new BadInputError(`${values.only ? '--only' : '--skip'} cannot change a saved plan`, `make a plan with those steps: ha-wizard plan -c ${values.config ?? 'cluster.yaml'} ${values.only ? '--only' : '--skip'} STEP --out plan.json`);
    }
    if (savedPath) {
      plan = parsePlan(readPlanFile(savedPath), savedPath);
      if (plan.cluster !== run.config.name) throw new BadInputError(`${savedPath} is a plan for cluster "${plan.cluster}", not "${run.config.name}"`, 'pass the config the plan was made with');
      log(`Re-checking the cluster against ${savedPath} ...`);
      const discovered = await discoverCluster(run.config, run.deps, ignores);
      const failed = preflightError(discovered.checks);
      if (failed) throw failed;
      fingerprint = discovered.fingerprint;
      oldAddress = renderOldAddressReport(oldAddressReport(discovered.facts));
    } else {
      const planned = await discoverAndPlan(run, ignores, log, planOptions(values));
      plan = planned.plan;
      fingerprint = planned.discovered.fingerprint;
      oldAddress = renderOldAddressReport(oldAddressReport(planned.discovered.facts));
      if (!values.json) process.stdout.write(`${renderPreview(planned.preview, { color: Boolean(process.stdout.isTTY) && !process.env['NO_COLOR'] })}\n${carriedOverText(planned.discovered.facts)}${oldAddress ? `${oldAddress}\n` : ''}`);
      if (!values.yes) {
        const ok = await confirmTyped(`Do you want to perform these actions on cluster ${plan.cluster}?${planDisruptive(plan) ? ' The plan restarts control-plane components.' : ''}`, approvalWord(plan), '--yes');
        if (!ok) {
          // Declining is not success: scripts that go on after `apply` must not think it applied (Terraform exits 1 too).
          log('Apply cancelled: nothing was changed.');
          return ExitCode.Failure;
        }
      }
    }
    const session = createSession(plan, { configText: run.configText });
    log(`Session ${session.id} (journal: ${session.journalPath})`);
    const ints = interrupts((kind) =>
      log(kind === 'graceful' ? '\nInterrupt received: finishing the current action, then stopping safely (Ctrl-C again to stop immediately).' : '\nTwo interrupts received: stopping immediately; the action in flight will be checked on resume.'),
    );
    try {
      const outcome = await apply(plan, session, run.deps, {
        factsFingerprint: fingerprint,
        signal: ints.signal,
        hardSignal: ints.hardSignal,
        ...(values['force-unlock'] ? { forceUnlock: values['force-unlock'] } : {}),
        onEvent: values.json ? jsonReporter() : plainReporter({ verbose: values.verbose === true }),
      });
      // Done: what ha-wizard did not change is repeated last, where the operator looks (stderr under --json).
      if (outcome.status === 'finished' && oldAddress) {
        if (values.json) log(oldAddress);
        else process.stdout.write(`\n${oldAddress}\n`);
      }
      if (outcome.status === 'failed') log(`ha-wizard apply: ${localizeCommands(failureMessage('apply', outcome, session), invokedAs())}`);
      return exitCodeOf(outcome);
    } finally {
      ints.dispose();
    }
  } catch (err) {
    if (!(err instanceof NothingToDo)) throw err;
    if (values.json) process.stdout.write(`${JSON.stringify({ nothingToDo: true, message: err.message }, null, 2)}\n`);
    else process.stdout.write(`${err.message}\n`);
    return ExitCode.Ok;
  } finally {
    await run.deps.hosts.closeAll();
  }
}

/** The saved plan's text; a missing or unreadable file is bad input, named with the fix. */
function readPlanFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new BadInputError(`cannot read plan file ${path}: ${why}`, 'pass the file written by `ha-wizard plan --out FILE`, or run `ha-wizard apply -c cluster.yaml` without a plan file to plan afresh');
  }
}
