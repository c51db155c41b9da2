/** A WizardRuntime that replays recorded engine events and answers from a script: no hosts, no files. */
import type { EngineEvent } from '../../src/engine/model/events.js';
import type { CheckResult } from '../../src/preflight/checks.js';
import type { FactsSummary, OldAddressReport, ResumableSession } from '../../src/wizard/model.js';
import type { LoadedConfigText, Prompts, RunHooks, RunOutcome, WizardRuntime } from '../../src/wizard/runtime.js';
import { parseConfigText } from '../../src/config/load.js';
import { DRILL_PREVIEW, DRILL_SUMMARY, PREVIEW, ROLLBACK_PREVIEW, SUMMARY } from '../ui/fixtures/plan.js';
import type { RollbackPreview } from '../../src/engine/preview/rollback-preview.js';
import { SESSION } from '../ui/fixtures/events.js';

export const CONFIG_TEXT = `name: demo
controlPlane:
  existing: { name: cp1, address: 10.200.0.11 }
  promote:
    - { name: cp2, address: 10.200.0.12 }
    - { name: cp3, address: 10.200.0.13 }
endpoint: { host: 10.200.0.5 }
proxy: { kind: nginx, placement: dedicated, host: { name: lb, address: 10.200.0.5 } }
ssh: { configFile: false }
`;

export const FACTS: FactsSummary = {
  cluster: 'demo',
  kubernetesVersion: '1.31.4',
  etcdVersion: '3.5.15',
  master: 'cp1 (10.200.0.11:6443)',
  endpointNow: '10.200.0.11:6443',
  serviceSubnet: '10.96.0.0/12',
  podSubnet: null,
  dnsDomain: 'cluster.local',
  etcdMembers: [{ name: 'cp1', peerURLs: ['https://10.200.0.11:2380'], isLearner: false }],
  nodes: [
    { name: 'cp1', ready: true, roles: ['control-plane'] },
    { name: 'cp2', ready: true, roles: [] },
  ],
  certificates: ['/etc/kubernetes/pki/ca.crt valid for 3649 days'],
};

export const CHECKS: CheckResult[] = [
  { name: 'EtcdHealthy', status: 'pass', message: 'etcd endpoint health: healthy', fix: '', ignorable: false },
  { name: 'ControlPlaneCount', status: 'pass', message: '3 control-plane nodes (etcd tolerates 1 failures)', fix: '', ignorable: true },
  { name: 'Port-6443', status: 'fail', message: 'cp2: port 6443 is in use', fix: "stop what listens on 6443 (ss -ltnp 'sport = :6443') or pick another node", ignorable: false, host: 'cp2' },
];

export interface Script {
  sessions?: ResumableSession[];
  hostKeyFor?: string;
  password?: boolean;
  checks?: CheckResult[];
  apply?: { events: EngineEvent[]; outcome: RunOutcome };
  resume?: { events: EngineEvent[]; outcome: RunOutcome };
  rollback?: { events: EngineEvent[]; outcome: RunOutcome };
  /** The old-address audit makePlan reports (none when absent). */
  references?: OldAddressReport;
  /** The config's verify.failoverDrill (the drill stops cp3). */
  failoverDrill?: boolean;
  /** Whether the runtime offers skipping a failed action that changes nothing (the live one does). */
  canSkip?: boolean;
  /** The rollback preview fails with this error (the hosts cannot be reached). */
  previewFails?: string;
}

export class ScriptedRuntime implements WizardRuntime {
  readonly canSkip: boolean;
  readonly calls: string[] = [];
  answers: { hostKey?: boolean; password?: string | null; decided?: string } = {};
  constructor(private readonly script: Script) {
    this.canSkip = script.canSkip ?? false;
  }

  async findSessions() {
    return this.script.sessions ?? [];
  }

  async loadConfig(path: string): Promise<LoadedConfigText> {
    this.calls.push(`load ${path}`);
    if (path !== 'cluster.yaml') throw new Error(`cannot read config file ${path}: no such file`);
    const { config } = parseConfigText(CONFIG_TEXT, path, { home: '/root', baseDir: '/', statPath: () => 'file' });
    return { text: CONFIG_TEXT, config, warnings: [] };
  }

  async saveConfig(path: string) {
    this.calls.push(`save ${path}`);
  }

  async connect(p: Prompts) {
    this.calls.push('connect');
    for (const h of ['cp1', 'cp2', 'cp3', 'lb']) {
      p.hostState(h, 'connecting', '');
      if (h === this.script.hostKeyFor) {
        this.answers.hostKey = await p.unknownHost(h, 'SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', 'ssh-ed25519');
        if (!this.answers.hostKey) {
          p.hostState(h, 'failed', `${h}: host key refused`);
          return false;
        }
      }
      if (h === 'cp1' && this.script.password) this.answers.password = await p.password(h, 'ops');
      p.hostState(h, 'connected', '');
    }
    return true;
  }

  async discover() {
    this.calls.push('discover');
    return { facts: FACTS, checks: this.script.checks ?? CHECKS.filter((c) => c.status !== 'fail') };
  }

  async makePlan(opts: { failoverDrill?: boolean } = {}) {
    this.calls.push(opts.failoverDrill === undefined ? 'plan' : `plan drill=${opts.failoverDrill}`);
    const on = opts.failoverDrill ?? this.script.failoverDrill ?? false;
    return {
      ...(on ? { summary: DRILL_SUMMARY, preview: DRILL_PREVIEW } : { summary: SUMMARY, preview: PREVIEW }),
      drill: { on, node: 'cp3' },
      ...(this.script.references ? { references: this.script.references } : {}),
    };
  }

  private async replay(phase: 'apply' | 'rollback', run: { events: EngineEvent[]; outcome: RunOutcome } | undefined, hooks: RunHooks): Promise<RunOutcome> {
    if (!run) return { status: 'refused', error: `no ${phase} scripted` };
    // As the live runtime: the target comes from the session's own config, so a resumed run names its cluster.
    hooks.started(phase, SESSION, undefined, { cluster: 'demo', endpoint: '10.200.0.5:6443', master: 'cp1' });
    for (const e of run.events) {
      // A graceful interrupt stops between actions, as the engine does.
      if (hooks.signal.aborted && e.type === 'action-start') {
        hooks.event({ type: 'stopped', phase, hard: hooks.hardSignal.aborted, resumeCommand: `ha-wizard resume ${SESSION}` });
        return { status: 'stopped', resumeCommand: `ha-wizard resume ${SESSION}` };
      }
      hooks.event(e);
      await new Promise((r) => setImmediate(r));
    }
    return run.outcome;
  }

  async apply(hooks: RunHooks) {
    this.calls.push('apply');
    return this.replay('apply', this.script.apply, hooks);
  }

  async resume(session: string, hooks: RunHooks, _prompts: Prompts, skip?: string) {
    this.calls.push(`resume ${session}${skip ? ` --skip ${skip}` : ''}`);
    return this.replay('apply', this.script.resume, hooks);
  }

  async previewRollback(session: string, to: string | undefined): Promise<RollbackPreview> {
    this.calls.push(`preview-rollback ${session}${to ? ` --to ${to}` : ''}`);
    if (this.script.previewFails) throw new Error(this.script.previewFails);
    return { ...ROLLBACK_PREVIEW, session, to: to ?? null };
  }

  async rollback(session: string, to: string | undefined, hooks: RunHooks, _prompts: Prompts, opts: { pastPointOfNoReturn?: boolean } = {}) {
    this.calls.push(`rollback ${session}${to ? ` --to ${to}` : ''}${opts.pastPointOfNoReturn ? ' --past-point-of-no-return' : ''}`);
    return this.replay('rollback', this.script.rollback, hooks);
  }

  async close() {}
}

/** Waits until the event loop has run pending effects (React 19's scheduler and our promises). */
export function tick(): Promise<void> {
  return new Promise((r) => setImmediate(() => setTimeout(r, 0)));
}

export async function until(cond: () => boolean, what: string, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (cond()) return;
    await tick();
  }
  throw new Error(`timed out waiting for ${what}`);
}
