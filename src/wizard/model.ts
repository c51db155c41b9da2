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
import type { RollbackPreview } from '../engine/preview/rollback-preview.js';
import type { CheckResult } from '../preflight/checks.js';
import type { FieldId, FormCheck, FormValues } from './form.js';
import type { RunProgress } from './progress.js';

export type Screen = 'resume' | 'welcome' | 'form' | 'connect' | 'discovery' | 'plan' | 'rollback' | 'execute' | 'failure' | 'done';

/** Editing keys of a text field (besides typing and Backspace): Ctrl-U, Ctrl-W, Home/End (Ctrl-A/E), ←/→, Delete. */
export type TextOp = 'clear-line' | 'delete-word' | 'home' | 'end' | 'left' | 'right' | 'delete';

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
  /** Plan review: search the plan (`/`), then the next and previous match (n, N). */
  | { type: 'search' }
  | { type: 'next-match' }
  | { type: 'prev-match' }
  /** Done screen: show or hide the verification checks. */
  | { type: 'details' }
  | { type: 'type'; text: string }
  | { type: 'erase' }
  | { type: 'text'; op: TextOp }
  /** The scrolled view as drawn (reported by the screen): which lines it shows, so a page key moves exactly a page. */
  | ({ type: 'viewport' } & Viewport);

/** A scrolled list as drawn: its first line, the first line not shown, the top of the page above, the last possible top. */
export interface Viewport {
  top: number;
  end: number;
  prevTop: number;
  lastTop: number;
}

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
  /** The state in plain words, as `status` says it (a run that failed before changing anything says nothing was changed). */
  headline?: string;
}

/** The cluster a run converts, as the done screen names it (from the loaded config, or a resumed session's saved one). */
export interface RunTarget {
  cluster: string;
  /** host:port */
  endpoint: string;
  /** The node kubeadm init ran on, whose admin.conf now points at the endpoint. */
  master: string;
  /** Its address (for a workstation's kubeconfig when the endpoint is each node's own loopback proxy). */
  masterAddress?: string;
  /** The etcd snapshot the session took before its first change (the last-resort restore point). */
  snapshot?: { host: string; path: string };
  /** Where the session keeps the originals of the files it replaced, on each host. */
  backupDir?: string;
}

/** The rollback review: what would be undone, then the typed confirmation. */
export interface RollbackReview {
  session: string;
  /** rollback --to: keep this step and the ones before it. */
  to?: string;
  preview: RollbackPreview;
  scroll: number;
  confirm: string | null;
  error: string | null;
  /** The screen to go back to on Esc. */
  back: Screen;
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

/** One match of the plan search: the step (index) and the line of its details. */
export interface SearchHit {
  step: number;
  line: number;
}

export interface PlanSearch {
  query: string;
  editing: boolean;
  hits: SearchHit[];
  /** The current match (index into hits). */
  at: number;
}

export interface SessionCounts {
  changed: number;
  unchanged: number;
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
        /** In that list: the offer (what ha-wizard can repoint) under the cursor. */
        offerCursor?: number;
        /** `/` search over every step's details: the query (being typed while `editing`), its matches, the current one. */
        search?: PlanSearch;
      } & PlanExtras)
    | null;
  /** Where the cursor is in the text field being edited (null: at the end). */
  cursor: number | null;
  /** The scrolled view on screen, as last drawn (null: none yet). */
  viewport: Viewport | null;
  /** Whether the search for sessions to resume is done (the welcome menu takes keys only then). */
  sessionsChecked: boolean;
  rollback: RollbackReview | null;
  /** The done screen: the summary, or one of its detail lists (scrolled). */
  doneView: { list: 'summary' | 'checks' | 'references'; scroll: number };
  /** What the operator asked the next plan to be made with (undefined: as the config says). */
  planOptions: { failoverDrill?: boolean; repoint?: readonly string[] };
  session: string | null;
  target: RunTarget | null;
  run: RunProgress | null;
  question: Question | null;
  interrupts: number;
  failure: { choice: number } | null;
  outcome: {
    status: 'finished' | 'stopped' | 'failed';
    phase: Phase;
    resumeCommand?: string;
    error?: string;
    /** Changes the whole session made (and found in place), counted from its journal: after a resume too. */
    session?: SessionCounts;
    /** The run failed before changing anything on any host. */
    changedNothing?: boolean;
    /** The whole session's rollback command needs --past-point-of-no-return. */
    rollbackCrossesPointOfNoReturn?: boolean;
  } | null;
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
  | { type: 'discovery-reading'; host: string; what: string }
  | { type: 'discovered'; facts: FactsSummary; checks: CheckResult[] }
  | { type: 'discover-failed'; error: string }
  | ({ type: 'planned'; summary: PlanSummary; preview: Preview } & PlanExtras)
  | { type: 'plan-failed'; error: string }
  | { type: 'run-started'; phase: Phase; session: string; at: number; planned?: Record<string, number>; target?: RunTarget }
  | { type: 'engine'; event: EngineEvent; at: number }
  | { type: 'question'; question: Question }
  | {
      type: 'run-ended';
      status: 'finished' | 'stopped' | 'failed';
      phase: Phase;
      resumeCommand?: string;
      error?: string;
      at: number;
      session?: SessionCounts;
      changedNothing?: boolean;
      rollbackCrossesPointOfNoReturn?: boolean;
    }
  | { type: 'rollback-previewed'; session: string; to?: string; preview: RollbackPreview }
  | { type: 'rollback-preview-failed'; error: string; hint?: string }
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
  | { type: 'make-plan'; failoverDrill?: boolean; repoint?: readonly string[] }
  | { type: 'apply' }
  | { type: 'resume'; session: string; skip?: string }
  /** Reads what a rollback would undo (changes nothing), for the review before it. */
  | { type: 'preview-rollback'; session: string; to?: string }
  | { type: 'rollback'; session: string; to?: string; pastPointOfNoReturn?: boolean }
  | { type: 'interrupt' }
  | { type: 'answer-question'; id: number; resolution: 'done' | 'redo' }
  | { type: 'exit'; code: number };

/** The state plus the effects this transition asked for (the runner executes them in order). */
export interface Transition {
  state: WizardState;
  effects: Effect[];
}

export type { FieldId };
