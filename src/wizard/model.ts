/**
 * The wizard's state, the events that change it and the effects it asks for: plain data only, so the
 * reducer is a pure function and every screen can be rendered (and tested) from a recorded state.
 *
 *   events  = operator intents (from the root key handler) + results reported by the effects runner
 *   effects = what the reducer asks the runner to do (load a file, connect, plan, apply, answer a prompt)
 */
import type { OldAddressReport } from '../discovery/old-address.js';
import type { Risk } from '../engine/model/actions.js';
import type { EngineEvent, Phase } from '../engine/model/events.js';
import type { Preview } from '../engine/preview/preview.js';
import type { CheckResult } from '../preflight/checks.js';
import type { FieldId, FormCheck, FormValues } from './form.js';
import type { RunProgress } from './progress.js';

export type Screen = 'resume' | 'welcome' | 'form' | 'connect' | 'discovery' | 'plan' | 'execute' | 'failure' | 'done';

/** What a key means, after the keymap resolved it for the current input mode. */
export type Intent =
  | { type: 'up' }
  | { type: 'down' }
  | { type: 'left' }
  | { type: 'right' }
  | { type: 'page-up' }
  | { type: 'page-down' }
  | { type: 'select' }
  | { type: 'back' }
  | { type: 'toggle' }
  | { type: 'help' }
  | { type: 'interrupt' }
  | { type: 'quit' }
  | { type: 'approve' }
  | { type: 'yes' }
  | { type: 'no' }
  | { type: 'retry' }
  | { type: 'edit' }
  /** Plan review: add or remove the opt-in failover drill (re-plans). */
  | { type: 'drill' }
  /** Plan review: show or hide the references to the old address that ha-wizard does not change. */
  | { type: 'references' }
  | { type: 'type'; text: string }
  | { type: 'erase' };

export type IntentType = Intent['type'];

/** A session the wizard can offer to continue. */
export interface ResumableSession {
  id: string;
  cluster: string;
  state: string;
  done: number;
  total: number;
  /** Where it stands, in words (e.g. "failed at etcd-cp2/cp2/member-add"). */
  where: string;
}

/** The cluster a run converts, as the done screen names it (from the loaded config, or a resumed session's saved one). */
export interface RunTarget {
  cluster: string;
  /** host:port */
  endpoint: string;
  /** The node kubeadm init ran on, whose admin.conf now points at the endpoint. */
  master: string;
}

export type HostConnState = 'waiting' | 'connecting' | 'connected' | 'failed';

export interface HostRow {
  name: string;
  address: string;
  role: string;
  state: HostConnState;
  detail: string;
}

export interface HostKeyPrompt {
  id: number;
  host: string;
  fingerprint: string;
  keyType: string;
  note?: string;
}

export interface PasswordPrompt {
  id: number;
  host: string;
  user: string;
  value: string;
}

/** What discovery found, reduced to what the screen shows (no secrets; facts hold none anyway). */
export interface FactsSummary {
  cluster: string;
  kubernetesVersion: string;
  etcdVersion: string;
  master: string;
  endpointNow: string;
  serviceSubnet: string;
  podSubnet: string | null;
  dnsDomain: string;
  etcdMembers: Array<{ name: string; peerURLs: string[]; isLearner: boolean }>;
  nodes: Array<{ name: string; ready: boolean; roles: string[] }>;
  /** Certificate expiry, as the preflight words it. */
  certificates: string[];
}

export interface PlanSummary {
  id: string;
  cluster: string;
  disruptive: boolean;
  /** Action count per step id (for progress bars). */
  planned: Record<string, number>;
  steps: Array<{ id: string; title: string; risk: Risk; hosts: string[] }>;
}

export interface Question {
  id: number;
  phase: Phase;
  action: string;
  question: string;
}

/** The opt-in failover drill as planned: whether the plan holds it, and the control-plane node it stops (or would stop). */
export interface DrillSummary {
  on: boolean;
  /** null when the cluster has too few control-plane nodes for a drill. */
  node: string | null;
  /** What the drill does, when it is not stopping `node`'s apiserver (a virtual IP's drill cuts its holder's network). */
  what?: string;
}

export type { OldAddressReport };

/** What the plan review shows besides the steps: the old-address audit and the drill. */
export interface PlanExtras {
  /** Other references to the old master address that ha-wizard does not change (from discovery's audit). */
  references?: OldAddressReport;
  drill?: DrillSummary;
}

export type FailureChoice = 'retry' | 'skip' | 'rollback-step' | 'rollback-all' | 'quit';

export interface WizardState {
  screen: Screen;
  help: boolean;
  /** One line for the operator (an error of the last effect, a saved file, …). */
  message: { kind: 'info' | 'error'; text: string } | null;
  /** An effect in flight that the screen waits on (spinner text). */
  busy: string | null;
  /** Options given on the command line. */
  options: { configPath: string | null; canSkip: boolean; command: string };
  resumable: ResumableSession[];
  menu: number;
  welcome: { mode: 'menu' | 'path'; path: string; report: string | null };
  config: { path: string; text: string; name: string; endpoint: string; warnings: string[] } | null;
  form: { values: FormValues; field: number; check: FormCheck };
  connect: { hosts: HostRow[]; hostKey: HostKeyPrompt | null; password: PasswordPrompt | null; done: boolean };
  discovery: { facts: FactsSummary | null; checks: CheckResult[]; scroll: number; error: string | null };
  plan:
    | ({
        summary: PlanSummary;
        preview: Preview;
        cursor: number;
        expanded: string | null;
        scroll: number;
        confirm: string | null;
        error: string | null;
        /** The list of old-address references is open (instead of the steps). */
        showReferences?: boolean;
      } & PlanExtras)
    | null;
  /** What the operator asked the next plan to be made with (undefined: as the config says). */
  planOptions: { failoverDrill?: boolean };
  session: string | null;
  target: RunTarget | null;
  run: RunProgress | null;
  question: Question | null;
  interrupts: number;
  failure: { choice: number } | null;
  outcome: { status: 'finished' | 'stopped' | 'failed'; phase: Phase; resumeCommand?: string; error?: string } | null;
  exit: { code: number; message: string } | null;
}

/** Results the effects runner reports back. */
export type ResultEvent =
  | { type: 'sessions-found'; sessions: ResumableSession[] }
  | { type: 'config-loaded'; path: string; text: string; config: import('../config/schema.js').ClusterConfig; warnings: string[] }
  | { type: 'config-invalid'; path: string; report: string }
  | { type: 'config-saved'; path: string }
  | { type: 'host-state'; host: string; state: HostConnState; detail: string }
  | { type: 'host-key-prompt'; prompt: HostKeyPrompt }
  | { type: 'password-prompt'; id: number; host: string; user: string }
  | { type: 'connect-done'; ok: boolean }
  | { type: 'discovered'; facts: FactsSummary; checks: CheckResult[] }
  | { type: 'discover-failed'; error: string }
  | ({ type: 'planned'; summary: PlanSummary; preview: Preview } & PlanExtras)
  | { type: 'plan-failed'; error: string }
  | { type: 'run-started'; phase: Phase; session: string; at: number; planned?: Record<string, number>; target?: RunTarget }
  | { type: 'engine'; event: EngineEvent; at: number }
  | { type: 'question'; question: Question }
  | { type: 'run-ended'; status: 'finished' | 'stopped' | 'failed'; phase: Phase; resumeCommand?: string; error?: string; at: number }
  | { type: 'run-refused'; error: string; hint?: string };

export type WizardEvent = { type: 'intent'; intent: Intent } | ResultEvent;

export type Effect =
  | { type: 'find-sessions' }
  | { type: 'load-config'; path: string }
  | { type: 'save-config'; path: string; text: string }
  | { type: 'connect' }
  | { type: 'answer-host-key'; id: number; accept: boolean }
  | { type: 'answer-password'; id: number; password: string | null }
  | { type: 'discover' }
  /** failoverDrill: the operator's choice (absent: the config's `verify.failoverDrill`). */
  | { type: 'make-plan'; failoverDrill?: boolean }
  | { type: 'apply' }
  | { type: 'resume'; session: string; skip?: string }
  | { type: 'rollback'; session: string; to?: string }
  | { type: 'interrupt' }
  | { type: 'answer-question'; id: number; resolution: 'done' | 'redo' }
  | { type: 'exit'; code: number };

/** The state plus the effects this transition asked for (the runner executes them in order). */
export interface Transition {
  state: WizardState;
  effects: Effect[];
}

export type { FieldId };
