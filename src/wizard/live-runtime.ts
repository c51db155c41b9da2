/**
 * The wizard's runtime against real hosts: config files, the SSH host pool, discovery and preflight,
 * the steps, the plan and preview, and the engine's apply / resume / rollback. Every module is used
 * through its public functions; nothing here executes an action itself.
 */
import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { BadInputError } from '../exit-codes.js';
import { readConfigFile, parseConfigText } from '../config/load.js';
import type { ClusterConfig } from '../config/schema.js';
import type { ClusterFacts } from '../discovery/facts.js';
import { discover, type DiscoveryResult } from '../discovery/discover.js';
import { factsFingerprint } from '../discovery/parse.js';
import { evaluatePreflight, type PreflightData } from '../preflight/checks.js';
import { buildSteps } from '../../steps/index.js';
import { buildPlan, withObserved, type Plan } from '../engine/plan.js';
import { observe, observedHashes } from '../engine/observe.js';
import { buildPreview } from '../engine/preview.js';
import { createSession, listSessionIds, newSessionId, openSession, sessionJournal, type Session } from '../engine/session.js';
import { sessionStatus } from '../engine/state.js';
import { currentLock } from '../engine/lock.js';
import { apply } from '../engine/executor.js';
import { resume } from '../engine/resume.js';
import { rollback } from '../engine/rollback.js';
import type { EngineDeps, Outcome, RunOptions } from '../engine/context.js';
import { HostPool, mapLimit, type PoolNode } from '../ssh/pool.js';
import { PkiMaterializer } from '../pki/materializer.js';
import { TunnelKubeApiFactory } from '../kube/client.js';
import { HttpsProber } from '../kube/prober.js';
import type { FactsSummary, PlanSummary, ResumableSession } from './model.js';
import { plannedCounts } from './progress.js';
import type { LoadedConfigText, Prompts, RunHooks, RunOutcome, WizardRuntime } from './runtime.js';

const DAY = 86_400_000;
/** Hosts connected at once on first contact (each may stop on a host key prompt). */
const CONNECT_PARALLEL = 8;

/** Every host of a config, with the role the connect screen shows. */
export function configHosts(c: ClusterConfig): PoolNode[] {
  const node = (n: ClusterConfig['controlPlane']['existing']): PoolNode => ({
    name: n.name,
    address: n.ssh?.host ?? n.address,
    ...(n.ssh?.port || n.ssh?.user ? { ssh: { ...(n.ssh.port ? { port: n.ssh.port } : {}), ...(n.ssh.user ? { user: n.ssh.user } : {}) } } : {}),
  });
  return [c.controlPlane.existing, ...c.controlPlane.promote, ...(c.proxy.host ? [c.proxy.host] : []), ...(c.workers ?? [])].map(node);
}

export function hostPool(c: ClusterConfig, prompts: Prompts): HostPool {
  return new HostPool(configHosts(c), {
    ssh: {
      user: c.ssh.user,
      port: c.ssh.port,
      identityFiles: c.ssh.identityFiles,
      knownHostsFiles: [c.ssh.knownHosts],
      ...(c.ssh.proxyJump ? { proxyJump: c.ssh.proxyJump } : {}),
    },
    sshConfig: { configPath: c.ssh.configFile === false ? null : c.ssh.configFile },
    acceptNewHostKeys: c.ssh.acceptNewHostKeys,
    connectTimeoutMs: c.ssh.connectTimeoutSeconds * 1000,
    onUnknownHost: async (host, fingerprint, detail) => (await prompts.unknownHost(host, fingerprint, detail.keyType, detail.note)) === true,
    ...(c.ssh.sudo === 'none' || c.ssh.sudo === 'nopasswd'
      ? {}
      : {
          askPassword: async ({ host, user }) => {
            const pw = await prompts.password(host, user);
            if (pw === null) throw new BadInputError(`sudo on ${host} needs ${user}'s password and none was given`);
            return pw;
          },
        }),
  });
}

export function summarizeFacts(facts: ClusterFacts, pre: PreflightData): FactsSummary {
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
    certificates: pre.certificates.map((c) => ({ path: c.path, notAfter: c.notAfter.toISOString(), days: Math.floor((c.notAfter.getTime() - pre.now.getTime()) / DAY) })),
  };
}

export function summarizePlan(plan: Plan): PlanSummary {
  const hosts = (step: string) => [...new Set(plan.actions.filter((a) => a.step === step).map((a) => (a.type === 'wait' ? a.probe.host : a.host)))];
  return {
    id: plan.id,
    cluster: plan.cluster,
    disruptive: plan.steps.some((s) => s.risk === 'disruptive' || s.risk === 'point-of-no-easy-return'),
    planned: plannedCounts(plan.actions),
    steps: plan.steps.map((s) => ({ id: s.id, title: s.title, risk: s.risk, hosts: hosts(s.id) })),
  };
}

function outcomeOf(o: Outcome): RunOutcome {
  if (o.status === 'finished') return { status: 'finished' };
  if (o.status === 'stopped') return { status: 'stopped', resumeCommand: o.resumeCommand };
  return { status: 'failed', error: o.error };
}

async function refusing(run: () => Promise<Outcome>): Promise<RunOutcome> {
  try {
    return outcomeOf(await run());
  } catch (err) {
    if (err instanceof BadInputError) return { status: 'refused', error: err.message, ...(err.hint ? { hint: err.hint } : {}) };
    return { status: 'failed', error: err instanceof Error ? err.message : String(err) };
  }
}

export class LiveRuntime implements WizardRuntime {
  readonly canSkip = false;
  private config: { path: string; text: string; value: ClusterConfig } | null = null;
  private pool: HostPool | null = null;
  private readonly kube = new TunnelKubeApiFactory();
  private discovered: DiscoveryResult | null = null;
  private planned: { plan: Plan; sessionId: string } | null = null;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async findSessions(): Promise<ResumableSession[]> {
    const out: ResumableSession[] = [];
    for (const id of listSessionIds(this.env).slice(-20)) {
      try {
        const s = openSession(id, this.env);
        const lock = currentLock(s.plan.cluster, this.env);
        const st = sessionStatus(s.plan, sessionJournal(s), lock?.session === s.id && lock.pid !== process.pid);
        if (!['stopped', 'failed', 'interrupted'].includes(st.state)) continue;
        const failed = st.steps.find((x) => x.failures.length);
        const current = st.steps.find((x) => x.current);
        const where = failed ? `failed at ${failed.failures[0]!.action}` : current ? `stopped in ${current.current}` : `${st.state} after ${st.done} actions`;
        out.push({ id, cluster: s.meta.cluster, state: st.state, done: st.done, total: st.total, where });
      } catch {
        // A damaged session is listed by `ha-wizard sessions`, not offered here.
      }
    }
    return out;
  }

  async loadConfig(path: string): Promise<LoadedConfigText> {
    const text = readConfigFile(path);
    const { config, warnings } = parseConfigText(text, path);
    this.config = { path, text, value: config };
    await this.dropPool();
    return { text, config, warnings: warnings.map((w) => w.text) };
  }

  async saveConfig(path: string, text: string): Promise<void> {
    await writeFile(path, text, { mode: 0o644 });
  }

  private async dropPool(): Promise<void> {
    const p = this.pool;
    this.pool = null;
    this.discovered = null;
    this.planned = null;
    await p?.closeAll();
  }

  async connect(prompts: Prompts): Promise<boolean> {
    const c = this.needConfig();
    this.pool ??= hostPool(c.value, prompts);
    const pool = this.pool;
    const results = await mapLimit(configHosts(c.value), CONNECT_PARALLEL, async (n) => {
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

  async discover(): Promise<{ facts: FactsSummary; checks: ReturnType<typeof evaluatePreflight> }> {
    const c = this.needConfig();
    if (!this.pool) throw new Error('not connected');
    this.discovered = await discover(c.value, this.pool, this.kube);
    return { facts: summarizeFacts(this.discovered.facts, this.discovered.preflight), checks: evaluatePreflight(this.discovered.preflight) };
  }

  async makePlan(): Promise<{ summary: PlanSummary; preview: ReturnType<typeof buildPreview> }> {
    const c = this.needConfig();
    const d = this.discovered;
    if (!d || !this.pool) throw new Error('discover the cluster first');
    const sessionId = newSessionId(c.value.name);
    const steps = buildSteps(d.facts, { session: sessionId });
    const draft = buildPlan({ cluster: c.value.name, factsFingerprint: factsFingerprint(d.facts), steps });
    const inputs = await observe(draft, this.pool, this.kube);
    const plan = withObserved(draft, observedHashes(inputs));
    this.planned = { plan, sessionId };
    return { summary: summarizePlan(plan), preview: buildPreview(plan, inputs) };
  }

  private deps(pool: HostPool): EngineDeps {
    return { hosts: pool, materializer: new PkiMaterializer(), kube: this.kube, prober: new HttpsProber() };
  }

  private runOptions(hooks: RunHooks): RunOptions {
    return {
      signal: hooks.signal,
      hardSignal: hooks.hardSignal,
      onEvent: hooks.event,
      decide: (q) => hooks.decide({ phase: q.phase, action: q.action.id, question: q.question }),
    };
  }

  async apply(hooks: RunHooks): Promise<RunOutcome> {
    const c = this.needConfig();
    const p = this.planned;
    if (!p || !this.pool) return { status: 'refused', error: 'there is no reviewed plan to apply' };
    const pool = this.pool;
    return refusing(async () => {
      const session = createSession(p.plan, { id: p.sessionId, configText: c.text, env: this.env });
      hooks.started('apply', session.id, plannedCounts(p.plan.actions));
      return apply(p.plan, session, this.deps(pool), this.runOptions(hooks));
    });
  }

  /** The pool for a session: the one already connected, or one from the session's saved config. */
  private async poolFor(session: Session, prompts: Prompts): Promise<HostPool> {
    if (this.pool && this.config && this.config.value.name === session.plan.cluster) return this.pool;
    if (!session.configPath) throw new BadInputError(`session ${session.id} has no saved config.yaml, so its hosts cannot be reached`);
    const text = readConfigFile(session.configPath);
    const { config } = parseConfigText(text, session.configPath);
    this.config = { path: session.configPath, text, value: config };
    this.pool = hostPool(config, prompts);
    return this.pool;
  }

  async resume(id: string, hooks: RunHooks, prompts: Prompts, skip?: string): Promise<RunOutcome> {
    return refusing(async () => {
      if (skip) throw new BadInputError(`skipping ${skip} is not supported by the engine yet`, 'retry it, or roll back');
      const session = openSession(id, this.env);
      const pool = await this.poolFor(session, prompts);
      const st = sessionStatus(session.plan, sessionJournal(session), false);
      hooks.started(st.operation ?? 'apply', session.id, plannedCounts(session.plan.actions));
      return resume(session, this.deps(pool), this.runOptions(hooks));
    });
  }

  async rollback(id: string, to: string | undefined, hooks: RunHooks, prompts: Prompts): Promise<RunOutcome> {
    return refusing(async () => {
      const session = openSession(id, this.env);
      const pool = await this.poolFor(session, prompts);
      hooks.started('rollback', session.id, plannedCounts(session.plan.actions));
      return rollback(session, this.deps(pool), { ...this.runOptions(hooks), ...(to ? { to } : {}) });
    });
  }

  async close(): Promise<void> {
    await this.dropPool();
  }

  private needConfig(): NonNullable<LiveRuntime['config']> {
    if (!this.config) throw new Error('no config loaded');
    return this.config;
  }
}
