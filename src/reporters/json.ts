/**
 * The JSON reporter: one JSON object per line per engine event (JSON Lines), for scripts and CI.
 * Each line is the EngineEvent exactly as the engine emitted it, with `time` (ISO 8601) added first,
 * so a consumer can switch on `type` with the same union the UI uses (src/engine/events.ts).
 */
import type { EngineEvent, EventSink } from '../engine/model/events.js';

export interface JsonReporterOptions {
  write?: (text: string) => void;
  now?: () => Date;
}

export type JsonEventLine = { time: string } & EngineEvent;

export function jsonLine(e: EngineEvent, time: Date): string {
  return JSON.stringify({ time: time.toISOString(), ...e });
}

export function jsonReporter(opts: JsonReporterOptions = {}): EventSink {
  const write = opts.write ?? ((t: string) => void process.stdout.write(t));
  const now = opts.now ?? (() => new Date());
  return (e) => write(`${jsonLine(e, now())}\n`);
}

/** Parses a JSON Lines stream back into events (tests, and tools that replay a run). */
export function parseJsonLines(text: string): JsonEventLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as JsonEventLine);
}
