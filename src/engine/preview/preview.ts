/**
 * The preview: what applying a plan would change, as data, built from the plan and the current state of
 * everything it touches. Pure: the caller reads the files and objects (observe.ts) and passes them in;
 * reporters/preview-text.ts lays it out for a terminal.
 *
 * Files are shown as unified diffs against what is on the host now (`+ create`, `~ replace`, `- remove`,
 * `= unchanged`); a later action on the same file diffs against the earlier one's result. Secret content
 * is never shown: `(sensitive, sha256:…)`, or for a certificate its spec. Commands are shown redacted
 * with their undo and probe; object patches as before → after of the fields they change.
 */
import { structuredPatch } from 'diff';
import { isDeepStrictEqual } from 'node:util';
import { actionHost, isSensitive, type Action, type CertSpec, type Content, type ObjectRef, type Probe, type Risk } from '../model/actions.js';
import { applyEdits, getPath, yamlGet } from '../run/edits.js';
import { fileKey, type Plan } from '../model/plan.js';
import type { KubeObject } from '../model/ports.js';
import { looksSecret, redactArgv, showArgv } from '../model/secrets.js';
import { sha256 } from '../model/hash.js';

export interface PreviewInputs {
  /** Current content of every file the plan writes or removes, by `host:path`; null when absent. */
  files: Map<string, Buffer | null>;
  /** Current objects the plan patches, by objectKey(); null when absent. */
  objects: Map<string, KubeObject | null>;
}

export function objectKey(host: string, ref: ObjectRef): string {
  return `${host}:${ref.apiVersion}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

export type FileChange = 'create' | 'replace' | 'unchanged' | 'remove' | 'absent' | 'generate';

export type PreviewEntry =
  | {
      kind: 'file';
      action: string;
      host: string;
      path: string;
      change: FileChange;
      mode?: number;
      /** Unified diff hunks (text files that are not secret). */
      diff?: string;
      sensitive: boolean;
      /** What will be written when the bytes are not shown (sensitive, generated, copied). */
      contentSummary?: string;
      /** The certificate issued at apply (a certificate file, or a kubeconfig's client certificate), field by field. */
      cert?: CertView;
      beforeSha256?: string;
      afterSha256?: string;
    }
  | { kind: 'run'; action: string; host: string; argv: string[]; undo: string[] | null; probe?: string; idempotent?: true; retry?: string; risk: Risk; description: string }
  | {
      kind: 'patch';
      action: string;
      host: string;
      object: string;
      change: 'patch' | 'unchanged' | 'missing';
      fields: Array<{ field: string; before: string; after: string }>;
    }
  | { kind: 'wait'; action: string; host: string; probe: string; timeoutMs: number; description: string };

export interface PreviewStep {
  id: string;
  title: string;
  description: string;
  risk: Risk;
  index: number;
  /** Set on the step holding the first point-of-no-easy-return action. */
  pointOfNoReturn: string | null;
  /** The step runs up to this many hosts at once (absent: one action at a time). */
  parallelHosts?: number;
  entries: PreviewEntry[];
}

export interface PreviewSummary {
  filesToWrite: number;
  filesReplaced: number;
  filesUnchanged: number;
  filesToRemove: number;
  commands: number;
  objectPatches: number;
  waits: number;
  /** Actions whose risk is 'disruptive' (restarts of control-plane components). */
  restarts: number;
  line: string;
}

export interface Preview {
  plan: { id: string; cluster: string; createdAt: string; factsFingerprint: string; actions: number };
  steps: PreviewStep[];
  summary: PreviewSummary;
}

/** A certificate spec as the review shows it: each SAN on its own line, so none is ever cut. */
export interface CertView {
  subject: string;
  sans: string[];
  usages: string[];
  validityDays: number;
  issuer: string;
}

export function certView(spec: CertSpec): CertView {
  return {
    subject: `CN=${spec.subject.commonName}${spec.subject.organization?.length ? `, O=${spec.subject.organization.join('+')}` : ''}`,
    sans: [...spec.dnsNames.map((d) => `DNS:${d}`), ...spec.ipAddresses.map((i) => `IP:${i}`)],
    usages: [...spec.usages],
    validityDays: spec.validityDays,
    issuer: `${spec.ca.host}:${spec.ca.certPath}`,
  };
}

export function describeCert(spec: CertSpec): string {
  const sans = [...spec.dnsNames.map((d) => `DNS:${d}`), ...spec.ipAddresses.map((i) => `IP:${i}`)];
  const subject = `CN=${spec.subject.commonName}${spec.subject.organization?.length ? `, O=${spec.subject.organization.join('+')}` : ''}`;
  return `${subject}; SANs ${sans.length ? sans.join(', ') : '(none)'}; usages ${spec.usages.join(', ') || '(none)'}; valid ${spec.validityDays} days; issuer ${spec.ca.host}:${spec.ca.certPath}`;
}

/** The `server:` values of a kubeconfig (not secret, unlike the rest of it). */
function kubeconfigServers(text: string): string[] {
  try {
    const doc = yamlGet(text, ['clusters']);
    const clusters = Array.isArray(doc.value) ? (doc.value as Array<{ cluster?: { server?: unknown } }>) : [];
    return clusters.map((c) => c.cluster?.server).filter((s): s is string => typeof s === 'string');
  } catch {
    return [];
  }
}

export function describeContent(content: Exclude<Content, { type: 'literal' }>, current?: Buffer | null): string {
  switch (content.type) {
    case 'private-key':
      return `(sensitive: private key, ${content.algorithm}, generated at apply)`;
    case 'certificate':
      return `(certificate issued at apply for the key ${content.keyPath}: ${describeCert(content.spec)})`;
    case 'copy':
      return `(${content.sensitive ? 'sensitive, ' : ''}byte-identical copy of ${content.fromHost}:${content.fromPath}, sha256:${content.sha256.slice(0, 16)}…)`;
    case 'kubeconfig':
      return `(sensitive: kubeconfig for ${content.userName} on ${content.clusterName}, server ${content.server}, CA ${content.caHost}:${content.caCertPath}; client certificate ${describeCert(content.client)})`;
    case 'kubeconfig-server': {
      const was = current ? kubeconfigServers(current.toString('utf8')) : [];
      return `(sensitive: ${content.fromPath} with its server ${was.length ? `${was.join(', ')} → ` : 'set to '}${content.server}; credentials unchanged)`;
    }
  }
}

export function describeProbe(probe: Probe): string {
  switch (probe.type) {
    case 'command':
      return `\`${showArgv(redactArgv(probe.argv))}\` succeeds on ${probe.host}${probe.stdoutIncludes !== undefined ? ` and prints "${probe.stdoutIncludes}"` : ''}`;
    case 'https':
      return `HTTPS GET https://${probe.address}:${probe.port}${probe.path} from ${probe.host} answers ${probe.expectStatus ?? 200} (server verified against ${probe.caPath} as ${probe.serverName}${probe.clientCertPath ? `, client cert ${probe.clientCertPath}` : ''})`;
    case 'file':
      return probe.absent ? `${probe.host}:${probe.path} is absent` : `${probe.host}:${probe.path} exists${probe.sha256 ? ` with sha256:${probe.sha256.slice(0, 16)}…` : ''}`;
  }
}

function diffText(path: string, before: string, after: string): string {
  const patch = structuredPatch(path, path, before, after, '', '', { context: 3 });
  return patch.hunks.map((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines].join('\n')).join('\n');
}

function showValue(v: unknown, present: boolean): string {
  if (!present) return '(absent)';
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v);
  if (s === undefined) return String(v);
  if (looksSecret(s)) return `(sensitive, sha256:${sha256(s).slice(0, 16)}…)`;
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}

export function buildPreview(plan: Plan, inputs: PreviewInputs): Preview {
  const files = new Map(inputs.files);
  const objects = new Map(inputs.objects);
  const summary = { filesToWrite: 0, filesReplaced: 0, filesUnchanged: 0, filesToRemove: 0, commands: 0, objectPatches: 0, waits: 0, restarts: 0 };
  let ponrSeen = false;
  const steps: PreviewStep[] = plan.steps.map((step, index) => {
    const entries: PreviewEntry[] = [];
    let pointOfNoReturn: string | null = null;
    for (const a of plan.actions.filter((x) => x.step === step.id)) {
      if (a.risk === 'disruptive') summary.restarts++;
      if (a.risk === 'point-of-no-easy-return' && !ponrSeen) {
        ponrSeen = true;
        pointOfNoReturn = a.id;
      }
      entries.push(entryFor(a, files, objects, summary));
    }
    const parallel = (step.parallelHosts ?? 1) > 1 ? { parallelHosts: step.parallelHosts } : {};
    return { id: step.id, title: step.title, description: step.description, risk: step.risk, index, pointOfNoReturn, ...parallel, entries };
  });
  const parts = [
    `${summary.filesToWrite} ${plural(summary.filesToWrite, 'file')} to write${summary.filesReplaced ? ` (${summary.filesReplaced} replace)` : ''}`,
    ...(summary.filesToRemove ? [`${summary.filesToRemove} ${plural(summary.filesToRemove, 'file')} to remove`] : []),
    `${summary.commands} ${plural(summary.commands, 'command')}`,
    `${summary.objectPatches} object ${plural(summary.objectPatches, 'patch', 'patches')}`,
    ...(summary.waits ? [`${summary.waits} ${plural(summary.waits, 'wait')}`] : []),
    `${summary.restarts} control-plane ${plural(summary.restarts, 'restart')}`,
  ];
  const line = `Plan: ${parts.join(', ')}.${summary.filesUnchanged ? ` ${summary.filesUnchanged} ${plural(summary.filesUnchanged, 'file')} already up to date.` : ''}`;
  return {
    plan: { id: plan.id, cluster: plan.cluster, createdAt: plan.createdAt, factsFingerprint: plan.factsFingerprint, actions: plan.actions.length },
    steps,
    summary: { ...summary, line },
  };
}

function plural(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}

function entryFor(a: Action, files: Map<string, Buffer | null>, objects: Map<string, KubeObject | null>, summary: Omit<PreviewSummary, 'line'>): PreviewEntry {
  switch (a.type) {
    case 'write-file': {
      const key = fileKey(a.host, a.path);
      const before = files.get(key) ?? null;
      const beforeSha = before ? sha256(before) : undefined;
      const sensitive = isSensitive(a.content) || (before !== null && looksSecret(before.toString('utf8')));
      const base = { kind: 'file' as const, action: a.id, host: a.host, path: a.path, mode: a.mode, sensitive, beforeSha256: beforeSha };
      if (a.content.type !== 'literal') {
        files.set(key, null);
        summary.filesToWrite++;
        if (before) summary.filesReplaced++;
        const afterSha = a.content.type === 'copy' ? a.content.sha256 : undefined;
        const cert = a.content.type === 'certificate' ? { cert: certView(a.content.spec) } : a.content.type === 'kubeconfig' ? { cert: certView(a.content.client) } : {};
        if (afterSha && beforeSha === afterSha) {
          summary.filesToWrite--;
          summary.filesReplaced--;
          summary.filesUnchanged++;
          return { ...base, change: 'unchanged', afterSha256: afterSha, contentSummary: describeContent(a.content, before), ...cert };
        }
        return { ...base, change: before ? 'replace' : 'create', afterSha256: afterSha, contentSummary: describeContent(a.content, before), ...cert };
      }
      const after = Buffer.from(a.content.text);
      files.set(key, after);
      const afterSha = sha256(after);
      if (beforeSha === afterSha) {
        summary.filesUnchanged++;
        return { ...base, change: 'unchanged', afterSha256: afterSha };
      }
      summary.filesToWrite++;
      if (before) summary.filesReplaced++;
      if (sensitive) return { ...base, change: before ? 'replace' : 'create', afterSha256: afterSha, contentSummary: `(sensitive, sha256:${afterSha.slice(0, 16)}…)` };
      return { ...base, change: before ? 'replace' : 'create', afterSha256: afterSha, diff: diffText(a.path, before ? before.toString('utf8') : '', a.content.text) };
    }
    case 'remove-file': {
      const key = fileKey(a.host, a.path);
      const before = files.get(key) ?? null;
      files.set(key, null);
      if (!before) return { kind: 'file', action: a.id, host: a.host, path: a.path, change: 'absent', sensitive: false };
      summary.filesToRemove++;
      const sensitive = looksSecret(before.toString('utf8'));
      const beforeSha = sha256(before);
      return {
        kind: 'file',
        action: a.id,
        host: a.host,
        path: a.path,
        change: 'remove',
        sensitive,
        beforeSha256: beforeSha,
        ...(sensitive ? { contentSummary: `(sensitive, sha256:${beforeSha.slice(0, 16)}…)` } : { diff: diffText(a.path, before.toString('utf8'), '') }),
      };
    }
    case 'run':
      summary.commands++;
      return {
        kind: 'run',
        action: a.id,
        host: a.host,
        argv: redactArgv(a.argv),
        undo: a.undo ? redactArgv(a.undo) : null,
        ...(a.probe ? { probe: describeProbe(a.probe) } : {}),
        ...(a.idempotent ? { idempotent: true as const } : {}),
        ...(a.retry ? { retry: `retries for up to ${Math.round(a.retry.timeoutMs / 1000)} s${a.retry.onlyIfStderrIncludes ? ` on "${a.retry.onlyIfStderrIncludes.join('" or "')}"` : ''}` } : {}),
        risk: a.risk,
        description: a.description,
      };
    case 'patch-object': {
      const key = objectKey(a.host, a.object);
      const obj = objects.get(key) ?? null;
      const name = `${a.object.kind} ${a.object.namespace ? `${a.object.namespace}/` : ''}${a.object.name}`;
      if (!obj) return { kind: 'patch', action: a.id, host: a.host, object: name, change: 'missing', fields: [] };
      const next = applyEdits(obj, a.edits);
      objects.set(key, next);
      const fields = a.edits.map((e) => {
        const field = `${e.path.join('.')}${e.yamlPath ? ` » ${e.yamlPath.join('.')}` : ''}`;
        const read = (o: KubeObject) => {
          if (!e.yamlPath) return getPath(o, e.path);
          const text = getPath(o, e.path);
          return typeof text.value === 'string' ? yamlGet(text.value, e.yamlPath) : { present: false };
        };
        const b = read(obj);
        const n = read(next);
        return { field, before: showValue(b.value, b.present), after: showValue(n.value, n.present), same: b.present === n.present && isDeepStrictEqual(b.value, n.value) };
      });
      const change = fields.every((f) => f.same) ? 'unchanged' : 'patch';
      if (change === 'patch') summary.objectPatches++;
      return { kind: 'patch', action: a.id, host: a.host, object: name, change, fields: fields.filter((f) => !f.same).map(({ same: _s, ...f }) => f) };
    }
    case 'wait':
      summary.waits++;
      return { kind: 'wait', action: a.id, host: actionHost(a), probe: describeProbe(a.probe), timeoutMs: a.timeoutMs, description: a.description };
  }
}
