/**
 * Builds the engine's deps for `resume` and `rollback` from what the session saved: its cluster config
 * (`config.yaml`, written when the session was created). The same factory as `plan`/`apply` uses.
 */
import { readFileSync } from 'node:fs';
import { parseConfigText } from '../config/load.js';
import { createEngineDeps } from './pipeline.js';
import { connectPolicy } from '../commands/prompt.js';
import type { EngineDeps } from '../engine/run/context.js';
import type { HostPool } from '../ssh/pool.js';
import type { Session } from '../engine/records/session.js';

export class RuntimeUnavailableError extends Error {
  override readonly name = 'RuntimeUnavailableError';
}

/** The deps for a session, from its saved config. */
export async function createDeps(session: Session, opts: { acceptNewHostKeys?: boolean } = {}): Promise<EngineDeps & { hosts: HostPool }> {
  if (!session.configPath) {
    throw new RuntimeUnavailableError(`session ${session.id} has no saved config.yaml, so its hosts cannot be reached; it was made by a test or an older version`);
  }
  const { config } = parseConfigText(readFileSync(session.configPath, 'utf8'), session.configPath);
  return createEngineDeps(config, connectPolicy(opts.acceptNewHostKeys === true));
}
