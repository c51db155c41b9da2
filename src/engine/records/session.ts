/**
 * Sessions on the workstation: `$XDG_STATE_HOME/ha-wizard/sessions/<id>/` (or `~/.local/state/…`;
 * `HA_WIZARD_STATE_DIR` overrides the whole `…/ha-wizard` directory, for tests).
 *
 *   plan.json      the plan, immutable (written once, read-only mode)
 *   journal.jsonl  append-only record of every action started and done (journal.ts)
 *   audit.log      every remote command, redacted, with exit code and duration (audit-log.ts)
 *   meta.json      who made the session, when, for which cluster and plan
 *   config.yaml    the cluster config the plan was made from (to reconnect on resume/rollback)
 *
 * Directories are 0700 and files 0600: the plan names hosts and paths of secrets, never their bytes.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { BadInputError } from '../../exit-codes.js';
import { readJournal, type JournalRecord } from './journal.js';
import { parsePlan, serializePlan, type Plan } from '../model/plan.js';

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HA_WIZARD_STATE_DIR) return env.HA_WIZARD_STATE_DIR;
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'ha-wizard');
}

export function sessionsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'sessions');
}

/** Creates a directory (and parents) and forces 0700 on it, whatever the umask. */
export function privateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
}

const metaSchema = z.strictObject({
  id: z.string(),
  cluster: z.string(),
  planId: z.string(),
  createdAt: z.iso.datetime(),
  createdBy: z.string(),
});
export type SessionMeta = z.infer<typeof metaSchema>;

export interface Session {
  id: string;
  dir: string;
  meta: SessionMeta;
  plan: Plan;
  journalPath: string;
  auditPath: string;
  /** The saved cluster config, or null when the session was made without one (tests). */
  configPath: string | null;
}

export function who(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep 'unknown'
  }
  return `${user}@${hostname()}`;
}

function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** `<cluster>-<yyyymmdd-hhmmss>-<4 hex>` (UTC). */
export function newSessionId(cluster: string, now = new Date()): string {
  return `${cluster}-${stamp(now)}-${randomBytes(2).toString('hex')}`;
}

function writePrivate(path: string, data: string, mode = 0o600): void {
  writeFileSync(path, data, { mode, flag: 'wx' });
  chmodSync(path, mode);
}

export function createSession(plan: Plan, opts: { id?: string; configText?: string; now?: Date; env?: NodeJS.ProcessEnv } = {}): Session {
  const now = opts.now ?? new Date();
  const root = sessionsDir(opts.env);
  privateDir(root);
  const id = opts.id ?? plan.session ?? newSessionId(plan.cluster, now);
  const dir = join(root, id);
  if (existsSync(join(dir, 'plan.json'))) {
    throw new BadInputError(`this plan was already applied in session ${id}`, `continue it with \`ha-wizard resume ${id}\`, or make a new plan with \`ha-wizard plan\``);
  }
  privateDir(dir);
  const meta: SessionMeta = { id, cluster: plan.cluster, planId: plan.id, createdAt: now.toISOString(), createdBy: who() };
  writePrivate(join(dir, 'plan.json'), serializePlan(plan), 0o400);
  writePrivate(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  writePrivate(join(dir, 'journal.jsonl'), '');
  writePrivate(join(dir, 'audit.log'), '');
  let configPath: string | null = null;
  if (opts.configText !== undefined) {
    configPath = join(dir, 'config.yaml');
    writePrivate(configPath, opts.configText);
  }
  return { id, dir, meta, plan, journalPath: join(dir, 'journal.jsonl'), auditPath: join(dir, 'audit.log'), configPath };
}

export function openSession(id: string, env: NodeJS.ProcessEnv = process.env): Session {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(id)) throw new BadInputError(`"${id}" is not a session id`, 'list them with `ha-wizard sessions`');
  const dir = join(sessionsDir(env), id);
  if (!existsSync(dir)) throw new BadInputError(`no session "${id}" in ${sessionsDir(env)}`, 'list them with `ha-wizard sessions`');
  const metaPath = join(dir, 'meta.json');
  const parsed = metaSchema.safeParse(JSON.parse(readFileSync(metaPath, 'utf8')));
  if (!parsed.success) throw new BadInputError(`${metaPath}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const plan = parsePlan(readFileSync(join(dir, 'plan.json'), 'utf8'), join(dir, 'plan.json'));
  if (plan.id !== parsed.data.planId) throw new BadInputError(`${dir}: plan.json (${plan.id}) is not the session's plan (${parsed.data.planId})`);
  const configPath = join(dir, 'config.yaml');
  return {
    id,
    dir,
    meta: parsed.data,
    plan,
    journalPath: join(dir, 'journal.jsonl'),
    auditPath: join(dir, 'audit.log'),
    configPath: existsSync(configPath) ? configPath : null,
  };
}

/** Session ids, oldest first (ids embed a UTC timestamp, so sorting by creation time). */
export function listSessionIds(env: NodeJS.ProcessEnv = process.env): string[] {
  const root = sessionsDir(env);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => statSync(join(root, d)).isDirectory())
    .sort((a, b) => sessionTime(a).localeCompare(sessionTime(b)) || a.localeCompare(b));
}

function sessionTime(id: string): string {
  return /-(\d{8}-\d{6})-[0-9a-f]{4}$/.exec(id)?.[1] ?? '';
}

/** The newest session, optionally of one cluster; BadInputError when there is none. */
export function latestSession(cluster?: string, env: NodeJS.ProcessEnv = process.env): Session {
  const ids = listSessionIds(env).filter((id) => !cluster || id.startsWith(`${cluster}-`));
  const last = ids.at(-1);
  if (!last) throw new BadInputError(`no sessions${cluster ? ` for cluster ${cluster}` : ''} in ${sessionsDir(env)}`, 'start one with `ha-wizard apply`');
  return openSession(last, env);
}

export function sessionJournal(session: Session): JournalRecord[] {
  return readJournal(session.journalPath);
}
