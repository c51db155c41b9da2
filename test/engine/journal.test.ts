import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, parseJournal, readJournal } from '../../src/engine/records/journal.js';

function journalWithRecords(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'haw-journal-')), 'journal.jsonl');
  const j = Journal.open(path);
  j.append({ type: 'begin', operation: 'apply', planId: 'p', pid: 1 });
  j.append({ type: 'started', phase: 'apply', action: 'a' });
  j.append({ type: 'done', phase: 'apply', action: 'a', outcome: 'changed' });
  j.close();
  return path;
}

test('records round-trip, numbered, in a 0600 file', () => {
  const path = journalWithRecords();
  const recs = readJournal(path);
  assert.deepEqual(recs.map((r) => [r.seq, r.type]), [[1, 'begin'], [2, 'started'], [3, 'done']]);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const j = Journal.open(path);
  assert.equal(j.append({ type: 'end', operation: 'apply', status: 'finished' }).seq, 4);
  j.close();
});

test('a corrupted line is reported with its number and nothing is parsed past it', () => {
  const path = journalWithRecords();
  const lines = readFileSync(path, 'utf8').split('\n');
  lines[1] = lines[1]!.replace('"started"', '"strated"');
  writeFileSync(path, lines.join('\n'));
  assert.throws(() => readJournal(path), (e: Error) => e.message.startsWith(`${path} line 2: type: `));
  lines[1] = '{"seq":2,"at":';
  writeFileSync(path, lines.join('\n'));
  assert.throws(() => readJournal(path), new RegExp(`line 2: not valid JSON`));
});

test('a truncated last line is reported as truncated', () => {
  const path = journalWithRecords();
  appendFileSync(path, '{"seq":4,"at":"2026-01-01T00:00:00.000Z","type":"sta');
  assert.throws(() => readJournal(path), /line 4: truncated record \(no end of line\)/);
});

test('a missing record breaks the sequence and is reported', () => {
  const text = readFileSync(journalWithRecords(), 'utf8').split('\n');
  text.splice(1, 1);
  assert.throws(() => parseJournal(text.join('\n'), 'j'), /j line 2: sequence number 3, expected 2/);
});

test('appendDurable from 100 concurrent lanes: every record in sequence, each resolved once written, the journal readable', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'haw-journal-')), 'journal.jsonl');
  const j = Journal.open(path);
  j.append({ type: 'begin', operation: 'apply', planId: 'p', pid: 1 });
  const lane = async (i: number) => {
    for (let k = 0; k < 3; k++) {
      const started = await j.appendDurable({ type: 'started', phase: 'apply', action: `a${i}-${k}` });
      // Resolved: the record is in the file (and was fsync'd) before the lane goes on to touch its host.
      assert.ok(readFileSync(path, 'utf8').includes(`"seq":${started.seq},`));
      await new Promise((r) => setImmediate(r));
      await j.appendDurable({ type: 'done', phase: 'apply', action: `a${i}-${k}`, outcome: 'changed' });
    }
  };
  await Promise.all(Array.from({ length: 100 }, (_, i) => lane(i)));
  // A record appended after the last flush started: close() flushes it synchronously.
  void j.appendDurable({ type: 'end', operation: 'apply', status: 'finished' });
  j.close();
  const recs = readJournal(path);
  assert.equal(recs.length, 1 + 600 + 1);
  assert.deepEqual(recs.map((r) => r.seq), Array.from({ length: 602 }, (_, i) => i + 1));
});
