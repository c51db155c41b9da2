/** Engine events as plain lines (non-TTY output, and the resume/rollback commands until the UI takes over). */
import type { EngineEvent } from './events.js';

export function eventLine(e: EngineEvent): string | null {
  const verb = (p: string) => (p === 'rollback' ? 'undo ' : '');
  switch (e.type) {
    case 'step-start':
      return `== ${e.phase === 'rollback' ? 'rolling back ' : ''}step ${e.index + 1}/${e.total} ${e.step}: ${e.title} [${e.risk}]`;
    case 'action-start':
      return `  .. ${e.host}: ${e.description}`;
    case 'action-output':
      return e.text
        .split('\n')
        .map((l) => `     | ${l}`)
        .join('\n');
    case 'action-done':
      return `  ok ${verb(e.phase)}${e.action}: ${e.detail}`;
    case 'action-skipped':
      return `  -- ${verb(e.phase)}${e.action}: ${e.reason}`;
    case 'action-failed':
      return `  !! ${verb(e.phase)}${e.action} failed on ${e.host}: ${e.error}`;
    case 'step-done':
      return null;
    case 'notice':
      return `note: ${e.text}`;
    case 'stopped':
      return `Stopped${e.hard ? ' immediately (the action in flight will be checked on resume)' : ' safely'}. Continue with: ${e.resumeCommand}`;
    case 'finished':
      return `${e.phase === 'rollback' ? 'Rollback' : 'Apply'} complete: ${e.changed} changed, ${e.unchanged} already in place.`;
  }
}
