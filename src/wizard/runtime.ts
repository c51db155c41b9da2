/**
 * What the wizard needs from the rest of the program, as one interface. The live implementation
 * (live-runtime.ts) calls the config, transport, discovery, preflight, steps and engine modules; tests
 * use a scripted one that replays recorded engine events. The UI never sees this: the effects runner
 * (controller.ts) calls it and turns results into events.
 */
import type { ClusterConfig } from '../config/schema.js';
import type { EngineEvent, Phase } from '../engine/model/events.js';
import type { Preview } from '../engine/preview/preview.js';
import type { RollbackPreview } from '../engine/preview/rollback-preview.js';
import type { CheckResult } from '../preflight/checks.js';
import type { FactsSummary, HostConnState, PlanExtras, PlanSummary, ResumableSession, RunTarget, SessionCounts } from './model.js';

/** Questions a connection may put to the operator (first-contact host key, sudo password). */
export interface Prompts {
  hostState(host: string, state: HostConnState, detail: string): void;
  /** true = trust the key and record it in known_hosts. */
  unknownHost(host: string, fingerprint: string, keyType: string, note?: string): Promise<boolean>;
  /** The sudo password, asked once per run; null = the operator declined. */
  password(host: string, user: string): Promise<string | null>;
}

export interface RunHooks {
  /** Called once the session is open (before the first engine event); `target` from the session's own config. */
  started(phase: Phase, session: string, planned?: Record<string, number>, target?: RunTarget): void;
  event(e: EngineEvent): void;
  /** An interrupted action whose effect cannot be told: did it take effect? */
  decide(q: { phase: Phase; action: string; question: string }): Promise<'done' | 'redo'>;
  signal: AbortSignal;
  hardSignal: AbortSignal;
}

/** What the session's journal says after a run (the done and failure screens show it). */
export interface SessionAfter {
  /** Changes the whole session made and found in place (all its runs). */
  session?: SessionCounts;
  /** The run changed nothing on any host. */
  changedNothing?: boolean;
  /** Undoing the whole session now needs --past-point-of-no-return. */
  rollbackCrossesPointOfNoReturn?: boolean;
}

export type RunOutcome =
  | ({ status: 'finished' } & SessionAfter)
  | ({ status: 'stopped'; resumeCommand: string } & SessionAfter)
  | ({ status: 'failed'; error: string } & SessionAfter)
  /** Refused before changing anything (stale plan, lock held, point of no easy return): the message says why. */
  | { status: 'refused'; error: string; hint?: string };

export interface LoadedConfigText {
  text: string;
  config: ClusterConfig;
  warnings: string[];
}

export interface WizardRuntime {
  /** Whether a failed action that changes nothing can be skipped (the engine's resume `skip`). */
  readonly canSkip: boolean;
  findSessions(): Promise<ResumableSession[]>;
  /** Throws with the full report (a ConfigError/BadInputError message) when the file is unusable. */
  loadConfig(path: string): Promise<LoadedConfigText>;
  saveConfig(path: string, text: string): Promise<void>;
  /** Connects to every host of the loaded config; resolves true when all are connected. */
  connect(prompts: Prompts): Promise<boolean>;
  /** `reading` is told which host discovery reads and what (a file, a command, an API object), as it goes. */
  discover(reading?: (host: string, what: string) => void): Promise<{ facts: FactsSummary; checks: CheckResult[] }>;
  /**
   * Plans (and previews) the conversion; `failoverDrill` overrides the config's `verify.failoverDrill`
   * (true keeps the config's node when it names one). Also returns the old-address audit and the drill as planned.
   */
  makePlan(opts?: { failoverDrill?: boolean }): Promise<{ summary: PlanSummary; preview: Preview } & PlanExtras>;
  apply(hooks: RunHooks): Promise<RunOutcome>;
  resume(session: string, hooks: RunHooks, prompts: Prompts, skip?: string): Promise<RunOutcome>;
  /** What a rollback would undo, read without changing anything (the review before it). */
  previewRollback(session: string, to: string | undefined, prompts: Prompts): Promise<RollbackPreview>;
  rollback(session: string, to: string | undefined, hooks: RunHooks, prompts: Prompts, opts?: { pastPointOfNoReturn?: boolean }): Promise<RunOutcome>;
  close(): Promise<void>;
}
