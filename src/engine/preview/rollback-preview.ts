/**
 * The rollback preview: what `rollback` would undo, as data, before it touches anything: per step (newest first,
 * the order rollback runs) and host, every file put back with its diff against what is there now, every undo
 * command, every etcd member removed, every object's fields restored, and what stays because it has no undo.
 * Pure: observeRollback (below) reads the current files, their on-host backups and the objects; the CLI, the
 * JSON output and the wizard render this same data.
 */
import { structuredPatch } from 'diff';
import { isDeepStrictEqual } from 'node:util';
import { actionHost, isSensitive, type Action } from '../model/actions.js';
import { memberRemovedBy } from '../../etcd/etcdctl.js';
import { fileKey, type Plan } from '../model/plan.js';
import type { Hosts, KubeApiFactory, KubeObject } from '../model/ports.js';
import { RemoteError } from '../model/remote-host.js';
import { looksSecret, redactArgv } from '../model/secrets.js';
import { sha256 } from '../model/hash.js';
import type { ActionState, JournalState } from '../records/state.js';
import { getPath, restoreFields } from '../run/edits.js';
import { describeProbe, objectKey } from './preview.js';

export type UndoEntry =
  | {
      kind: 'file';
      action: string;
      host: string;
      path: string;
      /** restore: the original comes back from its backup; remove: the file did not exist before; unchanged: it already is the original. */
      change: 'restore' | 'remove' | 'unchanged';
      /** Where the original is kept on the host (restore). */
      backup?: string;
      /** Unified diff from what is on the host now to what rollback leaves (text files that are not secret). */
      diff?: string;
      sensitive: boolean;
      /** When the bytes are not shown: their hashes, now and after. */
      summary?: string;
      /** The backup is missing or differs from the original the journal recorded: rollback would stop here. */
      problem?: string;
    }
  | {
      kind: 'run';
      action: string;
      host: string;
      /** What the action did (its description); its undo reverses it. */
      description: string;
      undo: string[];
      /** The etcd member this undo removes (etcd's member remove), by name and peer URL. */
      etcdMember?: { name: string; peerURL: string };
      /** The undo runs only if this still shows the effect (an action whose apply was interrupted). */
      onlyIf?: string;
    }
  | {
      kind: 'object';
      action: string;
      host: string;
      object: string;
      /** Each field put back: what it holds now and after; a multi-line text (a kubeconfig in a ConfigMap) as a diff instead. */
      fields: Array<{ field: string; now: string; restored: string; diff?: string }>;
      /** The object is gone: rollback would fail here. */
      problem?: string;
    }
  /** Done by the session but has no undo: its effect stays. */
  | { kind: 'stays'; action: string; host: string; description: string };

export interface RollbackPreviewStep {
  id: string;
  title: string;
  entries: UndoEntry[];
}

export interface RollbackPreview {
  session: string;
  cluster: string;
  /** rollback --to: the steps up to and including this one are kept. */
  to: string | null;
  /** Newest first, as rollback runs them. */
  steps: RollbackPreviewStep[];
  /** The point-of-no-easy-return actions this rollback would undo (empty: it stays on the safe side). */
  pointOfNoReturn: Array<{ action: string; step: string; description: string }>;
  summary: { filesRestored: number; filesRemoved: number; commands: number; etcdMembersRemoved: string[]; objects: number; stays: number; problems: number; line: string };
}

export interface RollbackInputs {
  /** Current content by host:path (null: absent). */
  files: Map<string, Buffer | null>;
  /** Backup content by host:backupPath (null: missing). */
  backups: Map<string, Buffer | null>;
  /** Current objects by objectKey (null: absent). */
  objects: Map<string, KubeObject | null>;
}

function diffText(path: string, before: string, after: string): string {
  const patch = structuredPatch(path, path, before, after, '', '', { context: 3 });
  return patch.hunks.map((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines].join('\n')).join('\n');
}

function show(v: { present: boolean; value?: unknown }): string {
  if (!v.present) return '(absent)';
  const s = JSON.stringify(v.value) ?? String(v.value);
  if (looksSecret(s)) return `(sensitive, sha256:${sha256(s).slice(0, 16)}…)`;
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}

const hash = (b: Buffer | null | undefined) => (b ? `sha256:${sha256(b).slice(0, 16)}…` : 'absent');

function fileEntry(a: Extract<Action, { type: 'write-file' | 'remove-file' }>, s: ActionState, inputs: RollbackInputs, sim: Map<string, Buffer | null>): UndoEntry {
  const key = fileKey(a.host, a.path);
  const now = sim.has(key) ? sim.get(key)! : (inputs.files.get(key) ?? null);
  const base = { kind: 'file' as const, action: a.id, host: a.host, path: a.path };
  if (s.before === undefined) {
    return { ...base, change: 'restore', sensitive: true, problem: `the journal holds no original for ${a.path}; rollback would stop here` };
  }
  if (s.before === null) {
    sim.set(key, null);
    if (!now) return { ...base, change: 'unchanged', sensitive: false, summary: 'absent before and now' };
    // What this session wrote goes whole: its lines would only repeat the plan, so the preview says how much.
    const sensitive = (a.type === 'write-file' && isSensitive(a.content)) || looksSecret(now.toString('utf8'));
    const lines = now.toString('utf8').split('\n').filter(Boolean).length;
    return { ...base, change: 'remove', sensitive, summary: sensitive ? `(sensitive, ${hash(now)})` : `(${lines} line${lines === 1 ? '' : 's'}, ${hash(now)})` };
  }
  // Already the original (an apply interrupted before it wrote): rollback leaves it, no backup needed.
  if (now && sha256(now) === s.before.sha256) {
    sim.set(key, now);
    return { ...base, change: 'unchanged', ...(s.backup ? { backup: s.backup } : {}), sensitive: false, summary: 'already the original' };
  }
  const backup = s.backup ?? undefined;
  const original = backup ? (inputs.backups.get(fileKey(a.host, backup)) ?? null) : null;
  const problem =
    !backup ? 'the journal holds no backup path' : !original ? `its backup ${backup} is missing` : sha256(original) !== s.before.sha256 ? `its backup ${backup} differs from the original (sha256 ${sha256(original).slice(0, 16)}…, recorded ${s.before.sha256.slice(0, 16)}…)` : undefined;
  if (problem) return { ...base, change: 'restore', ...(backup ? { backup } : {}), sensitive: true, problem: `${problem}; rollback would stop here` };
  sim.set(key, original);
  const sensitive = (a.type === 'write-file' && isSensitive(a.content)) || looksSecret(original!.toString('utf8')) || (now !== null && looksSecret(now.toString('utf8')));
  return {
    ...base,
    change: 'restore',
    backup: backup!,
    sensitive,
    ...(sensitive ? { summary: `(sensitive, ${hash(now)} → ${hash(original)})` } : { diff: diffText(a.path, now ? now.toString('utf8') : '', original!.toString('utf8')) }),
  };
}

/**
 * The preview of undoing `list` (undoOrder's output: newest first) of `plan`, whose journal folds to `state`.
 */
export function buildRollbackPreview(plan: Plan, session: string, state: JournalState, list: readonly Action[], inputs: RollbackInputs, to: string | null = null): RollbackPreview {
  const sim = new Map<string, Buffer | null>();
  const objects = new Map(inputs.objects);
  const steps: RollbackPreviewStep[] = [];
  const summary = { filesRestored: 0, filesRemoved: 0, commands: 0, etcdMembersRemoved: [] as string[], objects: 0, stays: 0, problems: 0 };
  for (const a of list) {
    const s = state.actions.get(a.id)!;
    let entry: UndoEntry;
    switch (a.type) {
      case 'write-file':
      case 'remove-file':
        entry = fileEntry(a, s, inputs, sim);
        if (entry.kind === 'file' && entry.change === 'restore' && !entry.problem) summary.filesRestored++;
        if (entry.kind === 'file' && entry.change === 'remove') summary.filesRemoved++;
        break;
      case 'run': {
        if (!a.undo) {
          entry = { kind: 'stays', action: a.id, host: a.host, description: a.description };
          summary.stays++;
          break;
        }
        const member = memberRemovedBy(a.undo);
        entry = {
          kind: 'run',
          action: a.id,
          host: a.host,
          description: a.description,
          undo: redactArgv(a.undo),
          ...(member ? { etcdMember: member } : {}),
          ...(a.probe && s.status !== 'applied' ? { onlyIf: describeProbe(a.probe) } : {}),
        };
        summary.commands++;
        if (member && !summary.etcdMembersRemoved.includes(member.name)) summary.etcdMembersRemoved.push(member.name);
        break;
      }
      case 'patch-object': {
        const key = objectKey(a.host, a.object);
        const obj = objects.get(key) ?? null;
        const name = `${a.object.kind} ${a.object.namespace ? `${a.object.namespace}/` : ''}${a.object.name}`;
        if (!obj || !s.fieldsBefore) {
          entry = { kind: 'object', action: a.id, host: a.host, object: name, fields: [], problem: !obj ? `${name} does not exist now; rollback would stop here` : 'the journal holds no original fields; rollback would stop here' };
          break;
        }
        const restored = restoreFields(obj, s.fieldsBefore);
        objects.set(key, restored);
        const fields = s.fieldsBefore
          .map((f) => ({ field: f.path.join('.'), nowV: getPath(obj, f.path), thenV: getPath(restored, f.path) }))
          .filter((f) => !(f.nowV.present === f.thenV.present && isDeepStrictEqual(f.nowV.value, f.thenV.value)))
          .map((f) => {
            const multi = typeof f.nowV.value === 'string' && typeof f.thenV.value === 'string' && (f.nowV.value.includes('\n') || f.thenV.value.includes('\n'));
            const secret = multi && (looksSecret(f.nowV.value as string) || looksSecret(f.thenV.value as string));
            return { field: f.field, now: show(f.nowV), restored: show(f.thenV), ...(multi && !secret ? { diff: diffText(f.field, f.nowV.value as string, f.thenV.value as string) } : {}) };
          });
        entry = { kind: 'object', action: a.id, host: a.host, object: name, fields };
        if (fields.length) summary.objects++;
        break;
      }
      case 'wait':
        continue;
    }
    if ('problem' in entry && entry.problem) summary.problems++;
    const last = steps.at(-1);
    if (last?.id === a.step) last.entries.push(entry);
    else steps.push({ id: a.step, title: plan.steps.find((x) => x.id === a.step)?.title ?? a.step, entries: [entry] });
  }
  const pointOfNoReturn = list.filter((a) => a.risk === 'point-of-no-easy-return').map((a) => ({ action: a.id, step: a.step, description: a.description }));
  const n = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
  const parts = [
    n(summary.filesRestored, 'file') + ' restored',
    ...(summary.filesRemoved ? [`${n(summary.filesRemoved, 'file')} removed`] : []),
    n(summary.commands, 'undo command'),
    ...(summary.etcdMembersRemoved.length ? [`etcd ${summary.etcdMembersRemoved.length === 1 ? 'member' : 'members'} ${summary.etcdMembersRemoved.join(', ')} removed`] : []),
    `${n(summary.objects, 'object')} restored`,
  ];
  const line = list.length === 0 ? 'Rollback: nothing to undo.' : `Rollback: ${parts.join(', ')}.${summary.stays ? ` ${n(summary.stays, 'change')} without an undo stay${summary.stays === 1 ? 's' : ''}.` : ''}${summary.problems ? ` ${n(summary.problems, 'problem')} would stop it (see above).` : ''}`;
  return { session, cluster: plan.cluster, to, steps, pointOfNoReturn, summary: { ...summary, line } };
}

/** Reads (never changes) what the preview compares: the files rollback rewrites, their backups, the objects it restores. */
export async function observeRollback(list: readonly Action[], state: JournalState, hosts: Hosts, kube: KubeApiFactory): Promise<RollbackInputs> {
  const files = new Map<string, Buffer | null>();
  const backups = new Map<string, Buffer | null>();
  const objects = new Map<string, KubeObject | null>();
  const read = async (host: string, path: string): Promise<Buffer | null> => {
    const h = await hosts.get(host);
    try {
      return await h.readFile(path);
    } catch (err) {
      if (err instanceof RemoteError && err.code === 'ENOENT') return null;
      if ((await h.sha256(path)) === null) return null;
      throw err;
    }
  };
  const jobs: Array<Promise<void>> = [];
  for (const a of list) {
    if (a.type === 'write-file' || a.type === 'remove-file') {
      const key = fileKey(a.host, a.path);
      if (!files.has(key)) {
        files.set(key, null);
        jobs.push(read(a.host, a.path).then((b) => void files.set(key, b)));
      }
      const backup = state.actions.get(a.id)?.backup;
      if (backup && !backups.has(fileKey(a.host, backup))) {
        backups.set(fileKey(a.host, backup), null);
        jobs.push(read(a.host, backup).then((b) => void backups.set(fileKey(a.host, backup), b)));
      }
    }
  }
  await Promise.all(jobs);
  for (const a of list) {
    if (a.type !== 'patch-object') continue;
    const key = objectKey(a.host, a.object);
    if (objects.has(key)) continue;
    const api = await kube.forHost(await hosts.get(actionHost(a)));
    objects.set(key, await api.get(a.object));
  }
  return { files, backups, objects };
}
