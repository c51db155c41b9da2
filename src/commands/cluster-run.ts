/**
 * What `plan` and `apply` share: load the config, connect, discover, check, plan, preview, report.
 * Questions (unknown host keys, the sudo password, approval) go to the terminal when there is one;
 * without one they fail with the flag that answers them.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import type { ClusterConfig } from '../config/schema.js';
import { NothingToDo, alreadyConverted, discoverCluster, planClientsOnly, planConversion, preflightError, previewConversion, type Discovered, type PlanChoices } from '../conversion/pipeline.js';
import { checkStepNames } from '../../steps/index.js';
import { createEngineDeps } from '../conversion/wiring.js';
import type { EngineDeps } from '../engine/model/ports.js';
import type { Plan } from '../engine/model/plan.js';
import type { Preview } from '../engine/preview/preview.js';
import type { CheckResult } from '../preflight/checks.js';
import type { HostPool } from '../ssh/pool.js';
import { connectPolicy, readSudoPasswordStdin } from './prompt.js';
import { BadInputError } from '../exit-codes.js';

export interface ClusterRun {
  config: ClusterConfig;
  configText: string;
  deps: EngineDeps & { hosts: HostPool };
}

/** `sudoPasswordStdin`: read the sudo password from standard input (before anything connects). */
export async function openCluster(configPath: string | undefined, acceptNewHostKeys: boolean, sudoPasswordStdin = false): Promise<ClusterRun> {
  if (!configPath) throw new BadInputError('no cluster config given', 'pass -c cluster.yaml (see `ha-wizard validate` and README.md), or run `ha-wizard` for the interactive wizard');
  const { config, warnings } = loadConfig(configPath);
  for (const w of warnings) process.stderr.write(`${w.text}\n`);
  const sudo = sudoPasswordStdin ? { password: await readSudoPasswordStdin() } : config.ssh.sudoPasswordCommand ? { command: config.ssh.sudoPasswordCommand } : {};
  return { config, configText: readFileSync(configPath, 'utf8'), deps: createEngineDeps(config, connectPolicy(acceptNewHostKeys, sudo)) };
}

export function renderChecks(checks: readonly CheckResult[]): string {
  const mark = { pass: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;
  return checks
    .filter((c) => c.status !== 'pass')
    .map((c) => `[${mark[c.status]}] ${c.name}${c.host ? ` (${c.host})` : ''}: ${c.message}${c.fix ? `\n       fix: ${c.fix}` : ''}`)
    .join('\n');
}

export interface Planned {
  discovered: Discovered;
  plan: Plan;
  preview: Preview;
}

/** Discover, refuse on failed preflight (nothing changed), build the plan and its preview. `opts`: command-line choices for this plan. */
export async function discoverAndPlan(run: ClusterRun, ignorePreflight: string[], log: (line: string) => void, opts: PlanChoices = {}): Promise<Planned> {
  log(`Discovering ${run.config.name} through ${run.config.controlPlane.existing.name} (${run.config.controlPlane.existing.address}) ...`);
  const discovered = await discoverCluster(run.config, run.deps, ignorePreflight);
  const { facts, checks } = discovered;
  // An already converted cluster is said first and alone: its ports in use and etcd data are what HA looks like.
  const done = alreadyConverted(discovered);
  if (done) {
    // Already HA: only the API clients chosen with `repoint` that still name the old master, if any.
    const clients = opts.only || opts.skip ? null : planClientsOnly(discovered, undefined, opts);
    if (!clients) throw new NothingToDo(done);
    log(`Cluster ${facts.config.name} is already highly available with the configured nodes; the plan holds only the API clients chosen with repoint that still name the old master.`);
    const { plan, preview } = await previewConversion(clients, run.deps);
    return { discovered, plan, preview };
  }
  log(`Found Kubernetes ${facts.kubernetesVersion}, etcd ${facts.etcdVersion}, ${facts.etcd.members.length} etcd member(s), service subnet ${facts.clusterConfiguration.serviceSubnet}, DNS domain ${facts.clusterConfiguration.dnsDomain}, CA key ${facts.keyAlgorithms.ca}.`);
  const shown = renderChecks(checks);
  log(`Preflight: ${checks.filter((c) => c.status === 'pass').length} passed, ${checks.filter((c) => c.status === 'warn').length} warnings, ${checks.filter((c) => c.status === 'fail').length} failed${shown ? `\n${shown}` : ''}`);
  const failed = preflightError(checks);
  if (failed) throw failed;
  const { plan, preview } = await previewConversion(planConversion(discovered, undefined, opts), run.deps);
  return { discovered, plan, preview };
}

/**
 * `--failover-drill`, `--only STEP`, `--skip STEP` → the plan's choices (absent: the config and every step decide).
 * Step names may repeat the flag or be comma-separated (kubeadm's --skip-phases); unknown names are refused here,
 * before any host is contacted.
 */
export function planOptions(values: { 'failover-drill'?: boolean; only?: string[]; skip?: string[] }): PlanChoices {
  const names = (v: string[] | undefined) => (v ? v.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean) : undefined);
  const only = names(values.only);
  const skip = names(values.skip);
  const choices: PlanChoices = { ...(values['failover-drill'] ? { failoverDrill: true } : {}), ...(only ? { only } : {}), ...(skip ? { skip } : {}) };
  checkStepNames(choices);
  return choices;
}
