/** `ha-wizard plan -c FILE [--json] [--out plan.json]`: discover, check, and show every change. Changes nothing. */
import { writeFileSync } from 'node:fs';
import { NothingToDo } from '../conversion/pipeline.js';
import { ExitCode } from '../exit-codes.js';
import { renderPreview } from '../reporters/preview-text.js';
import { serializePlan } from '../engine/model/plan.js';
import { CLUSTER_OPTIONS, PLAN_OPTIONS, parseCommand, preflightIgnores } from './options.js';
import { discoverAndPlan, openCluster, planOptions } from './cluster-run.js';
import { oldAddressReport } from '../discovery/old-address.js';
import { STEPS } from '../../steps/index.js';
import { renderOldAddressReport } from '../reporters/old-address-text.js';
import { carriedOverJson, carriedOverText } from '../reporters/carried-over-text.js';
import { invokedAs } from '../reporters/invocation.js';

const USAGE = 'Usage: ha-wizard plan -c cluster.yaml [--json] [--out plan.json] [--failover-drill] [--only STEP,...] [--skip STEP,...] [--accept-new-host-keys] [--sudo-password-stdin] [--ignore-preflight-errors=NAME,...]';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand('plan', USAGE, argv, { ...CLUSTER_OPTIONS, ...PLAN_OPTIONS, out: { type: 'string', short: 'o' } });
  if (values.help) {
    process.stdout.write(`${USAGE}\n\nDiscovers the cluster, runs the preflight checks and prints every file diff and command, per host.\nNothing changes on any host. --out saves the plan for \`ha-wizard apply plan.json\`.\n--failover-drill adds the opt-in drill at the end (as verify.failoverDrill: true in the config): one apiserver is\nstopped, the endpoint must keep answering, the apiserver is started again.\n--only STEP plans only the named steps, --skip STEP every step but those (comma-separated or repeated; a group name such as\npromote names all its steps). A selection that leaves out a step another one needs is refused, with the reason.\nSteps, in order:\n${STEPS.map((s) => `  ${s.name.padEnd(22)} ${s.summary}`).join('\n')}\nAlso lists references to the old master address in kube-system that ha-wizard does not change.\n`);
    return ExitCode.Ok;
  }
  const run = await openCluster(values.config, values['accept-new-host-keys'] === true, values['sudo-password-stdin'] === true);
  try {
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const { plan, preview, discovered } = await discoverAndPlan(run, preflightIgnores(values['ignore-preflight-errors']), log, planOptions(values));
    const report = oldAddressReport(discovered.facts);
    const text = renderOldAddressReport(report);
    const carried = carriedOverText(discovered.facts);
    if (values.json) process.stdout.write(`${JSON.stringify({ checks: discovered.checks, preview, oldAddressReferences: report, carriedOver: carriedOverJson(discovered.facts) }, null, 2)}\n`);
    else process.stdout.write(`${renderPreview(preview, { color: Boolean(process.stdout.isTTY) && !process.env['NO_COLOR'] })}\n${carried}${text ? `${text}\n` : ''}`);
    if (values.out) {
      writeFileSync(values.out, serializePlan(plan), { mode: 0o644 });
      log(`Saved the plan to ${values.out}. Apply exactly this plan with: ${invokedAs()} apply ${values.out} -c ${values.config}`);
    } else if (!values.json) {
      log(`Note: you didn't use --out to save this plan, so ha-wizard can't guarantee to take exactly these actions if you run \`${invokedAs()} apply\` now.`);
    }
    return ExitCode.Ok;
  } catch (err) {
    if (!(err instanceof NothingToDo)) throw err;
    if (values.json) process.stdout.write(`${JSON.stringify({ nothingToDo: true, message: err.message }, null, 2)}\n`);
    else process.stdout.write(`${err.message}\n`);
    return ExitCode.Ok;
  } finally {
    await run.deps.hosts.closeAll();
  }
}
