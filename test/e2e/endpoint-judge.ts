/**
 * Judges for the stable endpoint, all tools no one here wrote: kubectl (the dispatcher, versioned by the
 * server), openssl s_client, sha256 of the files every node holds, and the API objects as kubectl reads
 * them. Commands run in the lab's client namespace (labExec) or inside a node (nodeExec, for per-node
 * placement where the endpoint is the node's own 127.0.0.1).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { hostPath, labExec, nodeExec, type LabState } from '../../lab/lab.js';
import type { RunResult } from '../../lab/sys.js';

export function ok(r: RunResult, what: string): string {
  assert.equal(r.code, 0, `${what} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export function node(s: LabState, name: string): LabState['nodes'][number] {
  const n = s.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`lab has no node ${name}`);
  return n;
}

/** The host path of a node's file. */
export function fileOf(s: LabState, name: string, path: string): string {
  return hostPath(node(s, name), path);
}

/** Runs argv where a client of `endpoint` would: a worker (per-node: its local proxy) or the lab's client end. */
export function runFrom(s: LabState, from: string | null, argv: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return from === null ? labExec(s.dir, argv, { env, timeoutMs: 60_000 }) : nodeExec(s, from, argv, { env, timeoutMs: 60_000 });
}

export async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** The `server:` of the first cluster of a kubeconfig text. */
export function serverOf(kubeconfigText: string): string | undefined {
  const k = parse(kubeconfigText) as { clusters?: Array<{ cluster?: { server?: string } }> } | null;
  return k?.clusters?.[0]?.cluster?.server;
}

// ---------------------------------------------------------------------------------------------------------------
// openssl s_client: the certificate a client gets through `address:port`, verified for `name`

export interface Handshake {
  verifyCode: string;
  serial: string;
  sans: string;
}

function isIP(name: string): boolean {
  return /^[0-9.]+$/.test(name) || name.includes(':');
}

export async function sClient(s: LabState, from: string | null, address: string, port: number, name: string, caFile: string): Promise<Handshake> {
  const verify = isIP(name) ? ['-verify_ip', name] : ['-verify_hostname', name, '-servername', name];
  // One shell per handshake: s_client reads stdin (closed), prints the chain and the verify result; the
  // leaf is re-parsed by openssl x509 for its serial and SANs.
  const script =
    'out=$(openssl s_client -connect "$1" -CAfile "$2" -verify_return_error "${@:3}" </dev/null 2>&1); rc=$?\n' +
    'printf "%s\\n" "$out" | grep "Verify return code" || echo "Verify return code: none (s_client exit $rc)"\n' +
    'printf "%s\\n" "$out" | openssl x509 -noout -serial -ext subjectAltName 2>/dev/null || true';
  const r = await runFrom(s, from, ['bash', '-c', script, 'sclient', `${address.includes(':') ? `[${address}]` : address}:${port}`, caFile, ...verify], {});
  const text = r.stdout;
  return {
    verifyCode: /Verify return code: ([^\n]*)/.exec(text)?.[1]?.trim() ?? `no result: ${text}${r.stderr}`,
    serial: /serial=(\S+)/.exec(text)?.[1] ?? '',
    sans: /X509v3 Subject Alternative Name:\s*\n\s*([^\n]*)/.exec(text)?.[1]?.trim() ?? '',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// What "original state" means: files by sha256, ConfigMap data, node labels and taints

/**
 * Paths under a node's hostDir that change by themselves or by design, each for a stated reason:
 * logs; etcd's live data (membership is judged with etcdctl instead); overlay work dirs and the launcher's
 * log (the lab's own); the engine's on-host backups and the backup step's tarballs (kept after a rollback
 * on purpose, like kubeadm's upgrade backups); kubectl's discovery cache in /root/.kube/cache (written by
 * steps/kubelet.ts's Node-Ready probe, which runs kubectl without --cache-dir: reported, not my file).
 */
const VOLATILE = [
  /^var-log\//,
  /^var-lib-etcd\//,
  /^[^/]+\.work\//,
  /^launcher\.log$/,
  /^etc-kubernetes\/tmp\/ha-wizard-backup-[^/]+\//,
  /^var-lib\.upper\/ha-wizard\/backups\/[^/]+\//,
  /^root\/\.kube\/cache\//,
];

export type FileSnapshot = Map<string, string>;

/** `node:relative/path` → `sha256 mode` (symlinks: `-> target`) for every file of every node. */
export function snapshotFiles(s: LabState): FileSnapshot {
  const out: FileSnapshot = new Map();
  for (const n of s.nodes) {
    const walk = (rel: string) => {
      const abs = join(n.hostDir, rel);
      let st;
      try {
        st = lstatSync(abs);
      } catch {
        return;
      }
      if (rel && VOLATILE.some((re) => re.test(st.isDirectory() ? `${rel}/` : rel))) return;
      if (st.isDirectory()) {
        for (const e of readdirSync(abs)) walk(rel ? `${rel}/${e}` : e);
      } else if (st.isSymbolicLink()) out.set(`${n.name}:${rel}`, `-> ${readlinkSync(abs)}`);
      else if (st.isFile()) out.set(`${n.name}:${rel}`, `${createHash('sha256').update(readFileSync(abs)).digest('hex')} ${(st.mode & 0o7777).toString(8)}`);
    };
    walk('');
  }
  return out;
}

/** The differences between two snapshots, one line each (empty: identical). */
export function diffSnapshots(before: FileSnapshot, after: FileSnapshot): string[] {
  const lines: string[] = [];
  for (const [k, v] of before) {
    const w = after.get(k);
    if (w === undefined) lines.push(`missing ${k}`);
    else if (w !== v) lines.push(`changed ${k}: ${v} → ${w}`);
  }
  for (const k of after.keys()) if (!before.has(k)) lines.push(`added ${k}`);
  return lines;
}

export interface ApiState {
  configMaps: Record<string, Record<string, string>>;
  nodes: Record<string, { labels: Record<string, string>; taints: unknown[] }>;
}

export const JUDGED_CONFIGMAPS = [
  ['kube-system', 'kube-proxy'],
  ['kube-system', 'kubeadm-config'],
  ['kube-public', 'cluster-info'],
] as const;

/** kubectl with cp1's admin credentials, straight to cp1's apiserver (not the endpoint: the proxy may be gone). */
export function kubectlDirect(s: LabState, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  const cp1 = node(s, 'cp1');
  return labExec(
    s.dir,
    ['kubectl', '--kubeconfig', fileOf(s, 'cp1', '/etc/kubernetes/admin.conf'), '--server', `https://${cp1.address}:6443`, '--request-timeout=20s', ...args],
    { env, timeoutMs: 60_000 },
  );
}

export async function apiState(s: LabState, env: NodeJS.ProcessEnv): Promise<ApiState> {
  const configMaps: ApiState['configMaps'] = {};
  for (const [ns, name] of JUDGED_CONFIGMAPS) {
    const cm = JSON.parse(ok(await kubectlDirect(s, ['-n', ns, 'get', 'configmap', name, '-o', 'json'], env), `get cm ${ns}/${name}`)) as { data?: Record<string, string> };
    configMaps[`${ns}/${name}`] = cm.data ?? {};
  }
  const list = JSON.parse(ok(await kubectlDirect(s, ['get', 'nodes', '-o', 'json'], env), 'get nodes')) as {
    items: Array<{ metadata: { name: string; labels?: Record<string, string> }; spec?: { taints?: unknown[] } }>;
  };
  const nodes: ApiState['nodes'] = {};
  for (const n of list.items) nodes[n.metadata.name] = { labels: n.metadata.labels ?? {}, taints: n.spec?.taints ?? [] };
  return { configMaps, nodes };
}
