/**
 * The wizard's runtime against real hosts: config files, the SSH host pool, discovery and preflight,
 * the steps, the plan and preview, and the engine's apply / resume / rollback. Every module is used
 * through its public functions; nothing here executes an action itself.
 */
import 'reflect-metadata';
import { chmod, writeFile } from 'node:fs/promises';
import { BadInputError } from '../exit-codes.js';
import { readConfigFile, parseConfigText } from '../config/load.js';
import type { ClusterConfig } from '../config/schema.js';
import type { ClusterFacts } from '../discovery/facts.js';
import { discoverCluster, planConversion, previewConversion, type Discovered } from '../conversion/pipeline.js';
import { oldAddressReport } from '../discovery/old-address.js';
import { configNodes, createEngineDeps, RuntimeUnavailableError, sessionConfig, type ConnectPolicy } from '../conversion/wiring.js';
import { DRILL_STEP, drillTarget, drillWhat } from '../../steps/failover-drill.js';
import { type Plan } from '../engine/model/plan.js';
import { planDisruptive } from '../engine/model/approval.js';
import { actionHost } from '../engine/model/actions.js';
import type { Preview } from '../engine/preview/preview.js';
import { createSession, openSession, sessionJournal, type Session } from '../engine/records/session.js';
import { foldJournal, sessionStatus } from '../engine/records/state.js';
import { apply } from '../engine/run/executor.js';
import { resume } from '../engine/run/resume.js';
import { previewRollback, rollback } from '../engine/run/rollback.js';
import { backupRoot } from '../engine/run/host-files.js';
import { snapshotOf } from '../engine/model/plan.js';
import type { RollbackPreview } from '../engine/preview/rollback-preview.js';
import { watchedDeps } from '../conversion/watch.js';
import { findResumable } from './sessions.js';
import type { Outcome, RunOptions } from '../engine/run/context.js';
import type { EngineDeps } from '../engine/model/ports.js';
import type { CheckResult } from '../preflight/checks.js';
import { mapLimit, type HostPool } from '../ssh/pool.js';
import type { DrillSummary, FactsSummary, PlanExtras, PlanSummary, ResumableSession, RunTarget } from './model.js';
import { plannedCounts } from './progress.js';
import type { LoadedConfigText, Prompts, RunHooks, RunOutcome, SessionAfter, WizardRuntime } from './runtime.js';

/** Hosts connected at once on first contact (each may stop on a host key prompt). */
const CONNECT_PARALLEL = 8;

/** The connection policy that puts host keys and the sudo password to the operator. */
export function promptPolicy(prompts: Prompts): ConnectPolicy {
  return {
    onUnknownHost: async (host, fingerprint, detail) => (await prompts.unknownHost(host, fingerprint, detail.keyType, detail.note)) === true,
    askPassword: async ({ host, user }) => {
      const pw = await prompts.password(host, user);
      if (pw === null) throw new BadInputError(`sudo on ${host} needs ${user}'s password and none was given`);
      return pw;
    },
  };
}

export function summarizeFacts(facts: ClusterFacts, checks: readonly CheckResult[]): FactsSummary {
  const cc = facts.clusterConfiguration;
  return {
    cluster: facts.config.name,
    kubernetesVersion: facts.kubernetesVersion,
    etcdVersion: facts.etcdVersion,
    master: `${facts.master.name} (${facts.master.advertiseAddress}:${facts.master.apiserverPort})`,
    endpointNow: cc.controlPlaneEndpoint ?? `${facts.master.advertiseAddress}:${facts.master.apiserverPort}`,
    serviceSubnet: cc.serviceSubnet,
    podSubnet: cc.podSubnet ?? null,
    dnsDomain: cc.dnsDomain,
    etcdMembers: facts.etcd.members.map((m) => ({ name: m.name, peerURLs: m.peerURLs, isLearner: m.isLearner })),
    nodes: facts.nodes.map((n) => ({
      name: n.name,
      ready: n.ready,
      roles: Object.keys(n.labels)
        .filter((l) => l.startsWith('node-role.kubernetes.io/'))
        .map((l) => l.slice('node-role.kubernetes.io/'.length)),
    })),
    certificates: checks.filter((c) => c.name === 'CertificateExpiry').map((c) => c.message),
  };
}

export function summarizePlan(plan: Plan): PlanSummary {
  const hosts = (step: string) => [...new Set(plan.actions.filter((a) => a.step === step).map(actionHost))];
  return {
    id: plan.id,
    cluster: plan.cluster,
    disruptive: planDisruptive(plan),
    planned: plannedCounts(plan.actions),
    steps: plan.steps.map((s) => ({ id: s.id, title: s.title, risk: s.risk, hosts: hosts(s.id) })),
  };
}

/** The drill as planned: on when the plan holds its step; the node it stops, read from the plan (or the one it would stop). */
export function drillSummary(facts: ClusterFacts, plan: Plan): DrillSummary {
  const what = drillWhat(facts);
  return { on: plan.steps.some((s) => s.id === DRILL_STEP), node: drillTarget(facts, plan), ...(what ? { what } : {}) };
}

export function targetOf(c: ClusterConfig): RunTarget {
  return { cluster: c.name, endpoint: `${c.endpoint.host}:${c.endpoint.port}`, master: c.controlPlane.existing.name, masterAddress: c.controlPlane.existing.address };
}

/** An engine outcome with what the session's journal says now: its whole change count, whether this run changed anything. */
function withSession(session: Session, o: Outcome): RunOutcome {
  const after: SessionAfter = {};
  try {
    const st = foldJournal(session.plan, sessionJournal(session));
    const status = sessionStatus(session.plan, sessionJournal(session), false);
    let changed = 0;
    let unchanged = 0;
    for (const s of st.actions.values()) {
      if (s.status !== 'applied') continue;
      if (s.outcome === 'unchanged') unchanged++;
      else if (s.outcome !== 'skipped') changed++;
    }
    after.session = { changed, unchanged };
    if (!status.lastRunChanged) after.changedNothing = true;
    if (status.rollbackCrossesPointOfNoReturn) after.rollbackCrossesPointOfNoReturn = true;
  } catch {
    // An unreadable journal: the screens fall back to this run's own counts.
  }
  if (o.status === 'finished') return { status: 'finished', ...after };
  if (o.status === 'stopped') return { status: 'stopped', resumeCommand: o.resumeCommand, ...after };
  return { status: 'failed', error: o.error, ...after };
}

async function refusing(run: () => Promise<RunOutcome>): Promise<RunOutcome> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof BadInputError) return { status: 'refused', error: err.message, ...(err.hint ? { hint: err.hint } : {}) };
    // A session without its saved config cannot be reached: refused before anything changed, like bad input.
    if (err instanceof RuntimeUnavailableError) return { status: 'refused', error: err.message };
    return { status: 'failed', error: err instanceof Error ? err.message : String(err) };
  }
}

export class LiveRuntime implements WizardRuntime {
  readonly canSkip = true;
  private config: { path: string; text: string; value: ClusterConfig } | null = null;
  private deps: (EngineDeps & { hosts: HostPool }) | null = null;
  private discovered: Discovered | null = null;
  private planned: Plan | null = null;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async findSessions(): Promise<ResumableSession[]> {
    return findResumable(this.env);
  }

  async loadConfig(path: string): Promise<LoadedConfigText> {
    const text = readConfigFile(path);
    const { config, warnings } = parseConfigText(text, path);
    await this.drop();
    this.config = { path, text, value: config };
    return { text, config, warnings: warnings.map((w) => w.text) };
  }

  /** Written 0600 (it names every host and how to reach them), also over an existing file. */
  async saveConfig(path: string, text: string): Promise<void> {
    await writeFile(path, text, { mode: 0o600 });
    await chmod(path, 0o600);
  }

  private async drop(): Promise<void> {
    const d = this.deps;
    this.deps = null;
    this.discovered = null;
    this.planned = null;
    await d?.hosts.closeAll();
  }

  async connect(prompts: Prompts): Promise<boolean> {
    const c = this.needConfig();
    this.deps ??= createEngineDeps(c.value, promptPolicy(prompts));
    const pool = this.deps.hosts;
    const results = await mapLimit(configNodes(c.value), CONNECT_PARALLEL, async (n) => {
      prompts.hostState(n.name, 'connecting', '');
      try {
        await pool.get(n.name);
        prompts.hostState(n.name, 'connected', '');
        return true;
      } catch (err) {
        prompts.hostState(n.name, 'failed', err instanceof Error ? err.message : String(err));
        return false;
      }
    });
    return results.every((r) => r.ok && r.value);
  }

  async discover(reading?: (host: string, what: string) => void): Promise<{ facts: FactsSummary; checks: CheckResult[] }> {
    const c = this.needConfig();
    if (!this.deps) throw new Error('not connected');
    this.discovered = await discoverCluster(c.value, reading ? watchedDeps(this.deps, reading) : this.deps);
    return { facts: summarizeFacts(this.discovered.facts, this.discovered.checks), checks: this.discovered.checks };
  }

  async makePlan(opts: { failoverDrill?: boolean; repoint?: readonly string[] } = {}): Promise<{ summary: PlanSummary; preview: Preview } & PlanExtras> {
    const d = this.discovered;
    if (!d || !this.deps) throw new Error('discover the cluster first');
    const buildOpts = { ...(opts.failoverDrill !== undefined ? { failoverDrill: opts.failoverDrill } : {}), ...(opts.repoint !== undefined ? { repoint: opts.repoint } : {}) };
    const { plan, preview } = await previewConversion(planConversion(d, undefined, buildOpts), this.deps);
    this.planned = plan;
    return { summary: summarizePlan(plan), preview, references: oldAddressReport(d.facts, opts.repoint ?? d.facts.config.repoint), drill: drillSummary(d.facts, plan) };
  }

  private runOptions(hooks: RunHooks): RunOptions {
    return {
      signal: hooks.signal,
      hardSignal: hooks.hardSignal,
      onEvent: hooks.event,
      decide: (q) => hooks.decide({ phase: q.phase, action: q.action.id, question: q.question }),
      env: this.env,
    };
  }

  async apply(hooks: RunHooks): Promise<RunOutcome> {
    const c = this.needConfig();
    const plan = this.planned;
    const deps = this.deps;
    if (!plan || !deps || !this.discovered) return { status: 'refused', error: 'there is no reviewed plan to apply' };
    const fingerprint = this.discovered.fingerprint;
    return refusing(async () => {
      const session = createSession(plan, { configText: c.text, env: this.env });
      hooks.started('apply', session.id, plannedCounts(plan.actions), this.targetFor(session));
      return withSession(session, await apply(plan, session, deps, { ...this.runOptions(hooks), factsFingerprint: fingerprint }));
    });
  }

  /** The deps for a session: the ones already connected to its cluster, or new ones from its saved config. */
  private depsFor(session: Session, prompts: Prompts): EngineDeps {
    if (this.deps && this.config?.value.name === session.plan.cluster) return this.deps;
    const { path, text, config } = sessionConfig(session);
    this.config = { path, text, value: config };
    this.deps = createEngineDeps(config, promptPolicy(prompts));
    return this.deps;
  }

  /** The run's target, named from the session's config, with where its snapshot and backups are. */
  private targetFor(session: Session): RunTarget {
    const snap = snapshotOf(session.plan);
    return { ...targetOf(this.needConfig().value), ...(snap ? { snapshot: snap } : {}), backupDir: `${backupRoot(session.id)}/` };
  }

  async resume(id: string, hooks: RunHooks, prompts: Prompts, skip?: string): Promise<RunOutcome> {
    return refusing(async () => {
      const session = openSession(id, this.env);
      const deps = this.depsFor(session, prompts);
      const st = sessionStatus(session.plan, sessionJournal(session), false);
      hooks.started(st.operation ?? 'apply', session.id, plannedCounts(session.plan.actions), this.targetFor(session));
      // The engine refuses a skip of anything but a failed action that changes nothing (BadInputError: refused).
      return withSession(session, await resume(session, deps, { ...this.runOptions(hooks), ...(skip ? { skip: [skip] } : {}) }));
    });
  }

  async previewRollback(id: string, to: string | undefined, prompts: Prompts): Promise<RollbackPreview> {
    const session = openSession(id, this.env);
    return previewRollback(session, this.depsFor(session, prompts), to ? { to } : {});
  }

  async rollback(id: string, to: string | undefined, hooks: RunHooks, prompts: Prompts, opts: { pastPointOfNoReturn?: boolean } = {}): Promise<RunOutcome> {
    return refusing(async () => {
      const session = openSession(id, this.env);
      const deps = this.depsFor(session, prompts);
      hooks.started('rollback', session.id, plannedCounts(session.plan.actions), this.targetFor(session));
      return withSession(session, await rollback(session, deps, { ...this.runOptions(hooks), ...(to ? { to } : {}), ...(opts.pastPointOfNoReturn ? { pastPointOfNoReturn: true } : {}) }));
    });
  }

  async close(): Promise<void> {
    await this.drop();
  }

  private needConfig(): NonNullable<LiveRuntime['config']> {
    if (!this.config) throw new Error('no config loaded');
    return this.config;
  }
}
