/**
 * The session journal: append-only JSON lines, one write + fsync per record (the engine's fsyncs run off the
 * event loop and are shared by the records of concurrent lanes: appendDurable).
 *
 * Write-ahead discipline: a `started` record (with everything needed to undo: the file's before-state and
 * backup path, or the object's before-fields) is on disk before anything touches a host, and a `done`
 * record after. A `started` without `done` is an action in an unknown state; resume checks it.
 *
 * Reading is strict: a line that does not parse, fails the schema, or breaks the sequence is reported
 * with its line number and the engine refuses to act, because acting on a guessed journal could
 * repeat or skip a change.
 *
 * Test hook (crash tests only): with env `HA_WIZARD_TEST_KILL_AFTER_RECORD=N` the process SIGKILLs itself
 * right after the Nth record it appended is fsync'd, so tests can stop the engine at every record.
 * (With group commit, records that shared that fsync are on disk too.)
 * With `HA_WIZARD_TEST_PAUSE_AT=ID[,ID…]` it SIGSTOPs itself once, right after the started record of the first
 * of those actions is fsync'd: the network-fault tests put a fault in at that moment, then SIGCONT it.
 */
import { closeSync, fsync, fsyncSync, openSync, readFileSync, writeSync, constants } from 'node:fs';
import { z } from 'zod';
import { BadInputError } from '../../exit-codes.js';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const phase = z.enum(['apply', 'rollback']);
const seqAt = { seq: z.number().int().positive(), at: z.iso.datetime() };

export const fileStateSchema = z.strictObject({
  sha256,
  mode: z.number().int().min(0).max(0o7777),
  uid: z.number().int().min(0),
  gid: z.number().int().min(0),
});
export type FileState = z.infer<typeof fileStateSchema>;

/** The value of one edited field before the patch (`present: false`: the field did not exist). */
export const fieldBeforeSchema = z.strictObject({ path: z.array(z.string()), present: z.boolean(), value: z.unknown().optional() });
export type FieldBefore = z.infer<typeof fieldBeforeSchema>;

export const journalRecordSchema = z.discriminatedUnion('type', [
  z.strictObject({
    ...seqAt,
    type: z.literal('begin'),
    operation: phase,
    planId: z.string(),
    pid: z.number().int(),
    /** rollback --to STEP */
    to: z.string().optional(),
    /** rollback --past-point-of-no-return, remembered so a resumed rollback keeps the operator's decision. */
    pastPointOfNoReturn: z.boolean().optional(),
  }),
  z.strictObject({
    ...seqAt,
    type: z.literal('started'),
    phase,
    action: z.string(),
    /** write/remove: the file before this action (null: it did not exist). */
    before: fileStateSchema.nullable().optional(),
    /** write/remove: where the original is saved on the host. */
    backup: z.string().nullable().optional(),
    /** patch: the edited fields before this action. */
    fieldsBefore: z.array(fieldBeforeSchema).optional(),
    /** write (a new file) and run (`createsDirs`): directories absent before this action; rollback removes them when empty. */
    createdDirs: z.array(z.string().regex(/^\/./)).optional(),
  }),
  z.strictObject({
    ...seqAt,
    type: z.literal('done'),
    phase,
    action: z.string(),
    /**
     * changed: this run made the change. unchanged: it was already so, nothing was touched (and nothing is
     * undone by rollback). verified: an interrupted action was checked on resume and found done.
     * operator: the operator said it is done. skipped: it failed and the operator skipped it (only an action
     * that changes nothing, actions.ts isSkippable); `detail` says why.
     */
    outcome: z.enum(['changed', 'unchanged', 'verified', 'operator', 'skipped']),
    /** write: sha256 of the content now on the host. */
    sha256: sha256.optional(),
    mode: z.number().int().optional(),
    exitCode: z.number().int().optional(),
    /** patch: the object's resourceVersion after this write (rollback tells a later change by someone else from it). */
    resourceVersion: z.string().optional(),
    detail: z.string().optional(),
  }),
  z.strictObject({
    ...seqAt,
    type: z.literal('failed'),
    phase,
    action: z.string(),
    error: z.string(),
    /** Set when a command ran to its end and exited non-zero (its effect is known). */
    exitCode: z.number().int().optional(),
  }),
  z.strictObject({ ...seqAt, type: z.literal('stopped'), phase, hard: z.boolean() }),
  z.strictObject({ ...seqAt, type: z.literal('end'), operation: phase, status: z.enum(['finished', 'failed']) }),
]);
export type JournalRecord = z.infer<typeof journalRecordSchema>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type NewRecord = DistributiveOmit<JournalRecord, 'seq' | 'at'>;

/** Parses journal text; throws BadInputError naming the first bad line. */
export function parseJournal(text: string, source = 'journal.jsonl'): JournalRecord[] {
  const records: JournalRecord[] = [];
  if (text === '') return records;
  const lines = text.split('\n');
  const last = lines.pop();
  const hint =
    'the journal is the only record of what changed; nothing was executed. Inspect the hosts, then repair the line ' +
    '(an incomplete last line means the workstation crashed while writing it: the action it describes never started) or roll back by hand';
  if (last !== '') {
    throw new BadInputError(`${source} line ${lines.length + 1}: truncated record (no end of line): ${preview(last ?? '')}`, hint);
  }
  lines.forEach((line, i) => {
    const n = i + 1;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      throw new BadInputError(`${source} line ${n}: not valid JSON (${(err as Error).message}): ${preview(line)}`, hint);
    }
    const parsed = journalRecordSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      throw new BadInputError(`${source} line ${n}: ${at}${issue?.message ?? 'invalid record'}`, hint);
    }
    if (parsed.data.seq !== n) {
      throw new BadInputError(`${source} line ${n}: sequence number ${parsed.data.seq}, expected ${n} (a record is missing or repeated)`, hint);
    }
    records.push(parsed.data);
  });
  return records;
}

function preview(line: string): string {
  return JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}…` : line);
}

export function readJournal(path: string): JournalRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return parseJournal(text, path);
}

/** An open journal for appending. One process appends at a time (the lock guarantees it). */
export class Journal {
  private fd: number;
  private nextSeq: number;
  private written = 0;
  private readonly killAfter: number | undefined;

  private constructor(
    readonly path: string,
    readonly records: JournalRecord[],
  ) {
    this.fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
    this.nextSeq = records.length + 1;
    const kill = process.env.HA_WIZARD_TEST_KILL_AFTER_RECORD;
    this.killAfter = kill ? Number(kill) : undefined;
    this.pauseAt = new Set((process.env.HA_WIZARD_TEST_PAUSE_AT ?? '').split(',').filter(Boolean));
  }

  private readonly pauseAt: Set<string>;
  private pauseDue = false;

  /** Reads (strictly) and opens for appending. */
  static open(path: string): Journal {
    return new Journal(path, readJournal(path));
  }

  /** Appends one record and fsyncs before returning. */
  append(record: NewRecord, now = new Date()): JournalRecord {
    const full = this.write(record, now);
    this.fsync();
    return full;
  }

  /**
   * Appends one record now (in order with every other append) and resolves once it is fsync'd. The write is
   * synchronous (one write call per record, in sequence order); the fsync runs on libuv's thread pool, so the
   * event loop keeps serving other lanes' SSH traffic while the disk flushes. Group commit: records appended
   * while no flush has started share the next one; records appended while a flush is in flight wait for a
   * flush that starts after it (an fsync that began before a write does not cover it). The caller awaits it
   * before going on, exactly as it relies on append(): a `started` record is on disk before its host is touched.
   */
  appendDurable(record: NewRecord, now = new Date()): Promise<JournalRecord> {
    const full = this.write(record, now);
    return this.flushAfterWrite().then(() => full);
  }

  /** A flush that has not started yet (it covers every record written before it starts). */
  private nextFlush: Promise<void> | null = null;
  /** The flush running on the thread pool, if any. */
  private inFlight: Promise<void> | null = null;

  private flushAfterWrite(): Promise<void> {
    if (this.nextFlush) return this.nextFlush;
    // Start on the next turn, so every lane appending in this turn shares it; after the one in flight, if any.
    const before = this.inFlight ?? Promise.resolve();
    const flush = before
      .catch(() => undefined)
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => {
        // From here on, a record written needs the flush after this one.
        if (this.nextFlush === flush) this.nextFlush = null;
        this.inFlight = flush;
        return this.fsyncOffLoop();
      })
      .finally(() => {
        if (this.inFlight === flush) this.inFlight = null;
      });
    this.nextFlush = flush;
    return flush;
  }

  private fsyncOffLoop(): Promise<void> {
    if (this.fd < 0) return Promise.resolve();
    const fd = this.fd;
    return new Promise<void>((resolve, reject) => {
      fsync(fd, (err) => {
        // close() flushed synchronously and closed the descriptor meanwhile: the records are on disk.
        if (err && this.fd !== fd) return resolve();
        if (err) return reject(err);
        try {
          this.afterSync();
          resolve();
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  private write(record: NewRecord, now: Date): JournalRecord {
    const full = { seq: this.nextSeq, at: now.toISOString(), ...record } as JournalRecord;
    const buf = Buffer.from(`${JSON.stringify(full)}\n`);
    // One write call per record: a crash leaves whole records, or at worst one torn last line that parseJournal reports.
    const n = writeSync(this.fd, buf);
    if (n !== buf.length) throw new Error(`${this.path}: short write (${n} of ${buf.length} bytes)`);
    this.nextSeq++;
    this.records.push(full);
    this.written++;
    if (full.type === 'started' && full.phase === 'apply' && this.pauseAt.has(full.action)) {
      this.pauseAt.clear();
      this.pauseDue = true;
    }
    return full;
  }

  private fsync(): void {
    if (this.fd < 0) return;
    fsyncSync(this.fd);
    this.afterSync();
  }

  private afterSync(): void {
    // The crash hook fires once the Nth record is on disk (with any records that shared its fsync).
    if (this.killAfter !== undefined && this.written >= this.killAfter) process.kill(process.pid, 'SIGKILL');
    if (this.pauseDue) {
      this.pauseDue = false;
      process.kill(process.pid, 'SIGSTOP');
    }
  }

  close(): void {
    if (this.fd >= 0) {
      // A group fsync still to start or running on the thread pool: flush now, the records are written.
      if (this.nextFlush || this.inFlight) fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}
