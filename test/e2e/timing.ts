/**
 * Where an apply's wall time went, from the session's own records: journal timestamps (started/done
 * per action) and the plan's action types. Waiting on the cluster = `wait` actions and commands that
 * retry until the cluster lets them through; the rest of the journal span is ha-wizard's own work
 * (SSH round trips, file writes, patches, bookkeeping between actions).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface ApplyTiming {
  /** Process start to exit, measured by the test. */
  wallMs: number;
  /** Before the first journal record: config, SSH connections, discovery, preflight, planning, certificates. */
  beforeJournalMs: number;
  /** First to last journal record. */
  journalMs: number;
  waitActionsMs: number;
  retryingCommandsMs: number;
  /** journalMs minus the two above. */
  wizardMs: number;
  /** The slowest actions, for the report. */
  slowest: Array<{ action: string; ms: number }>;
}

interface JournalRecord {
  type: string;
  at: string;
  action?: string;
  operation?: string;
}

export function sessionDirs(stateDir: string): string[] {
  const root = join(stateDir, 'sessions');
  return readdirSync(root)
    .map((d) => join(root, d))
    .sort();
}

export function applyTiming(sessionDir: string, startedAt: number, wallMs: number): ApplyTiming {
  const plan = JSON.parse(readFileSync(join(sessionDir, 'plan.json'), 'utf8')) as { actions: Array<{ id: string; type: string; retry?: unknown }> };
  const kind = new Map(plan.actions.map((a) => [a.id, a.retry ? 'retry' : a.type]));
  const records = readFileSync(join(sessionDir, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JournalRecord);
  // Only the first apply of the session (rollbacks append to the same journal later).
  const end = records.findIndex((r) => r.type === 'end' && r.operation === 'apply');
  const apply = end >= 0 ? records.slice(0, end + 1) : records;
  const t = (r: JournalRecord) => Date.parse(r.at);
  const started = new Map<string, number>();
  let waitActionsMs = 0;
  let retryingCommandsMs = 0;
  const durations: Array<{ action: string; ms: number }> = [];
  for (const r of apply) {
    if (!r.action) continue;
    if (r.type === 'started') started.set(r.action, t(r));
    else if (r.type === 'done' && started.has(r.action)) {
      const ms = t(r) - started.get(r.action)!;
      durations.push({ action: r.action, ms });
      const k = kind.get(r.action);
      if (k === 'wait') waitActionsMs += ms;
      else if (k === 'retry') retryingCommandsMs += ms;
    }
  }
  const first = t(apply[0]!);
  const journalMs = t(apply[apply.length - 1]!) - first;
  return {
    wallMs,
    beforeJournalMs: first - startedAt,
    journalMs,
    waitActionsMs,
    retryingCommandsMs,
    wizardMs: journalMs - waitActionsMs - retryingCommandsMs,
    slowest: durations.sort((a, b) => b.ms - a.ms).slice(0, 5),
  };
}

export function formatTiming(label: string, t: ApplyTiming): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return (
    `${label}: wall ${s(t.wallMs)} = start-up/discovery/plan ${s(t.beforeJournalMs)} + journal ${s(t.journalMs)} ` +
    `(waiting on the cluster: wait actions ${s(t.waitActionsMs)}, retrying commands ${s(t.retryingCommandsMs)}; ha-wizard itself ${s(t.wizardMs)}) + exit ${s(t.wallMs - t.beforeJournalMs - t.journalMs)}; ` +
    `slowest: ${t.slowest.map((x) => `${x.action} ${s(x.ms)}`).join(', ')}`
  );
}
