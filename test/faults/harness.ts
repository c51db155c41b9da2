/**
 * Shared by the fault tests: labs that clean up after themselves, the CLI as a child process (so the
 * crash hook can SIGKILL it), and snapshots of every node's files and of the cluster's objects, judged by
 * sha256sum-style hashes and by etcdctl/kubectl run inside the nodes.
 */
import { spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { labDown, labUp, nodeExec, type LabOptions, type LabState } from '../../lab/lab.js';
import type { JournalRecord } from '../../src/engine/records/journal.js';
import type { Plan } from '../../src/engine/model/plan.js';

export const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const made: string[] = [];
const tag = `f${process.pid % 100000}`;

/** A lab named after this process (unique), removed by `cleanupLabs`. */
export async function faultLab(suffix: string, opts: Omit<LabOptions, 'dir' | 'name'>): Promise<LabState> {
  const dir = mkdtempSync(join(tmpdir(), `hawf-${suffix}-`));
  made.push(dir);
  return labUp({ dir, name: `${tag}${suffix}`, ...opts });
}

export async function cleanupLabs(): Promise<void> {
  for (const dir of made.splice(0)) {
    await labDown(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the wizard's CLI with its state in `stateDir`; `killAfter` arms the journal crash hook. */
export function cli(stateDir: string, args: string[], opts: { killAfter?: number; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, HA_WIZARD_STATE_DIR: stateDir, NO_COLOR: '1' };
    delete env.HA_WIZARD_TEST_KILL_AFTER_RECORD;
    if (opts.killAfter !== undefined) env.HA_WIZARD_TEST_KILL_AFTER_RECORD = String(opts.killAfter);
    const child = spawn(process.execPath, [CLI, ...args], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 240_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function describe(r: CliResult): string {
  return `exit ${r.code ?? r.signal}\n--- stdout (tail)\n${r.stdout.split('\n').slice(-25).join('\n')}\n--- stderr\n${r.stderr.slice(-3000)}`;
}

export function sessionDirs(stateDir: string): string[] {
  const root = join(stateDir, 'sessions');
  return existsSync(root) ? readdirSync(root).map((d) => join(root, d)) : [];
}

/** The only session in a state dir. */
export function onlySession(stateDir: string): { id: string; dir: string; plan: Plan; journal: () => JournalRecord[] } {
  const dirs = sessionDirs(stateDir);
  if (dirs.length !== 1) throw new Error(`expected one session in ${stateDir}, found ${dirs.length}`);
  const dir = dirs[0]!;
  const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as Plan;
  const journal = () => {
    const text = existsSync(join(dir, 'journal.jsonl')) ? readFileSync(join(dir, 'journal.jsonl'), 'utf8') : '';
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as JournalRecord);
  };
  return { id: dir.split('/').at(-1)!, dir, plan, journal };
}

// ---- files ---------------------------------------------------------------------------------------

/** The host subtrees of a node that hold configuration (not data, logs or runtime state). */
const TREES = ['etc-kubernetes', 'var-lib-kubelet', 'etc-nginx', 'etc-haproxy'];

export type Snapshot = Map<string, string>;

/**
 * `node:/path` → sha256 (or `link:TARGET`, `whiteout`) of every file in the nodes' configuration trees.
 * The engine's own backups (/etc/kubernetes/tmp) are left out: they are bookkeeping, checked apart.
 */
export function snapshot(s: LabState, keep: (node: string, path: string) => boolean = () => true): Snapshot {
  const out: Snapshot = new Map();
  for (const n of s.nodes) {
    for (const tree of TREES) {
      const base = join(n.hostDir, tree);
      if (!existsSync(base)) continue;
      walk(base, (file) => {
        const path = `/${tree.replace(/^etc-/, 'etc/').replace(/^var-lib-/, 'var/lib/')}/${relative(base, file)}`;
        if (path.startsWith('/etc/kubernetes/tmp/')) return;
        if (!keep(n.name, path)) return;
        const st = lstatSync(file);
        const mode = (st.mode & 0o7777).toString(8);
        if (st.isSymbolicLink()) out.set(`${n.name}:${path}`, `link:${readlinkSync(file)}`);
        else if (st.isCharacterDevice()) out.set(`${n.name}:${path}`, 'whiteout');
        else if (st.isFile()) out.set(`${n.name}:${path}`, `${mode}:${createHash('sha256').update(readFileSync(file)).digest('hex')}`);
      });
    }
  }
  return out;
}

function walk(dir: string, visit: (file: string) => void): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, visit);
    else visit(p);
  }
}

export function hostFile(s: LabState, key: string): string {
  const sep = key.indexOf(':');
  const node = s.nodes.find((n) => n.name === key.slice(0, sep))!;
  const path = key.slice(sep + 1);
  const m = /^\/(etc|var\/lib)\/([^/]+)(\/.*)$/.exec(path)!;
  return join(node.hostDir, `${m[1] === 'etc' ? 'etc-' : 'var-lib-'}${m[2]}`, m[3]!);
}

/** Differences between two snapshots, one line each (empty: equal). */
export function diffSnapshots(a: Snapshot, b: Snapshot, label: [string, string] = ['before', 'after']): string[] {
  const out: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) out.push(`${k}: ${label[0]} ${v.slice(0, 16)}, ${label[1]} ${b.get(k)?.slice(0, 16) ?? 'absent'}`);
  for (const k of b.keys()) if (!a.has(k)) out.push(`${k}: ${label[0]} absent, ${label[1]} present`);
  return out;
}

/**
 * A file's content with everything that differs between two honest runs replaced by what it means:
 * private keys by their kind, certificates by subject, issuer and SANs, the session id by a marker.
 * Two conversions of the same cluster must agree on this exactly.
 */
export function meaning(text: string, session: string): string {
  const describeCert = (der: Buffer | string) => {
    const c = new X509Certificate(der);
    return `CERT[subject=${c.subject.replace(/\n/g, ',')}; issuer=${c.issuer.replace(/\n/g, ',')}; san=${c.subjectAltName ?? ''}; ca=${c.ca}]`;
  };
  return text
    .replaceAll(session, 'SESSION')
    .replace(/-----BEGIN ([A-Z ]*PRIVATE KEY)-----[\s\S]*?-----END \1-----/g, (_m, kind: string) => `KEY[${kind}]`)
    .replace(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g, (pem) => describeCert(pem))
    .replace(/(client-key-data:\s*)(\S+)/g, (_m, k: string, b64: string) => `${k}KEY[${/BEGIN ([A-Z ]*PRIVATE KEY)/.exec(Buffer.from(b64, 'base64').toString())?.[1] ?? '?'}]`)
    .replace(/(client-certificate-data:\s*)(\S+)/g, (_m, k: string, b64: string) => `${k}${describeCert(Buffer.from(b64, 'base64'))}`);
}

/** Like `snapshot`, but hashing each file's `meaning` (for comparing two conversions). */
export function meaningSnapshot(s: LabState, session: string, keep?: (node: string, path: string) => boolean): Snapshot {
  const raw = snapshot(s, keep);
  const out: Snapshot = new Map();
  for (const [k, v] of raw) {
    if (!/^\d+:/.test(v)) {
      out.set(k, v);
      continue;
    }
    const text = readFileSync(hostFile(s, k), 'latin1');
    out.set(k, `${v.split(':')[0]}:${createHash('sha256').update(meaning(text, session)).digest('hex')}`);
  }
  return out;
}

// ---- cluster state -------------------------------------------------------------------------------

export async function onNode(s: LabState, node: string, script: string, timeoutMs = 60_000): Promise<string> {
  const r = await nodeExec(s, node, ['sh', '-c', script], { timeoutMs });
  if (r.code !== 0) throw new Error(`${node}: ${script}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const ETCDCTL =
  'ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key --command-timeout=10s';

export interface Member {
  name: string;
  peerURLs: string[];
  isLearner: boolean;
}

/** etcd's membership as the master's etcd sees it (etcdctl, with kubeadm's healthcheck-client certificate). */
export async function etcdMembers(s: LabState, node = 'cp1'): Promise<Member[]> {
  const out = JSON.parse(await onNode(s, node, `${ETCDCTL} member list -w json`)) as { members: Array<Partial<Member>> };
  return out.members.map((m) => ({ name: m.name ?? '', peerURLs: [...(m.peerURLs ?? [])].sort(), isLearner: m.isLearner === true })).sort((a, b) => a.name.localeCompare(b.name));
}

export async function etcdHealthy(s: LabState, node = 'cp1'): Promise<boolean> {
  const r = await nodeExec(s, node, ['sh', '-c', `${ETCDCTL} endpoint health`], { timeoutMs: 30_000 });
  return r.code === 0 && /is healthy/.test(r.stdout + r.stderr);
}

/** kubectl inside a node with its admin.conf. */
export async function kubectl(s: LabState, args: string[], node = 'cp1'): Promise<string> {
  const r = await nodeExec(s, node, ['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', '--request-timeout=20s', ...args], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} on ${node}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

/**
 * What the conversion may change in the API, without what the server itself maintains: ConfigMap data in
 * kube-system and kube-public, and every node's labels and taints.
 */
export async function apiState(s: LabState, node = 'cp1'): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const ns of ['kube-system', 'kube-public']) {
    const list = JSON.parse(await kubectl(s, ['get', 'configmaps', '-n', ns, '-o', 'json'], node)) as { items: Array<{ metadata: { name: string }; data?: unknown }> };
    for (const cm of list.items) out[`cm/${ns}/${cm.metadata.name}`] = cm.data ?? null;
  }
  const nodes = JSON.parse(await kubectl(s, ['get', 'nodes', '-o', 'json'], node)) as { items: Array<{ metadata: { name: string; labels?: unknown }; spec?: { taints?: unknown } }> };
  for (const n of nodes.items) out[`node/${n.metadata.name}`] = { labels: n.metadata.labels ?? {}, taints: n.spec?.taints ?? [] };
  return out;
}

/** The kubeconfig `server:` of a kubeconfig file on a node. */
export function kubeconfigServer(s: LabState, node: string, path: string): string {
  const conf = parse(readFileSync(hostFile(s, `${node}:${path}`), 'utf8')) as { clusters: Array<{ cluster: { server: string } }> };
  return conf.clusters[0]!.cluster.server;
}

export async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Every file in a directory tree that contains a PEM private key block or `needle`. */
export function leaks(dir: string, needles: string[] = []): string[] {
  const found: string[] = [];
  if (!existsSync(dir)) return found;
  walk(dir, (f) => {
    const text = readFileSync(f, 'latin1');
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) || needles.some((n) => n && text.includes(n))) found.push(f);
  });
  return found;
}
