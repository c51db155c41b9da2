/**
 * Independent checks of a converted lab cluster. Every verdict comes from a tool no one here wrote
 * (openssl, etcdctl, kubectl, sha256sum) or from kubeadm's rules written out again here (SAN sets,
 * key formats); nothing imports ha-wizard's own code.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { labExec, nodeExec, type LabNode, type LabState, type RunResult } from '../../lab/lab.js';
import { run } from '../../lab/sys.js';

export function ok(r: RunResult, what: string): string {
  assert.equal(r.code, 0, `${what} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export const node = (s: LabState, name: string): LabNode => {
  const n = s.nodes.find((x) => x.name === name);
  assert.ok(n, `lab has no node ${name}`);
  return n;
};
export const controlPlanes = (s: LabState): LabNode[] => s.nodes.filter((n) => n.role === 'master' || n.role === 'promote');
export const promoted = (s: LabState): LabNode[] => s.nodes.filter((n) => n.role === 'promote');
export const etcKubernetes = (s: LabState, name: string, file: string): string => join(node(s, name).hostDir, 'etc-kubernetes', file);

// ---------------------------------------------------------------------------------------------------------
// Files: sha256sum of every file under a node's /etc/kubernetes

/** Where the wizard keeps originals before it changes a file (kubeadm keeps its upgrade backups in the same tmp/). */
export const WIZARD_BACKUP = /^tmp\/ha-wizard-backup-[^/]+(\/|$)/;

/**
 * path (relative to the node's /etc/kubernetes, or another of its host subdirectories) → sha256, by `sha256sum`;
 * the wizard's own on-host backups left out.
 */
export async function treeHashes(s: LabState, name: string, subdir = 'etc-kubernetes'): Promise<Map<string, string>> {
  const root = join(node(s, name).hostDir, subdir);
  const r = ok(await run('sh', ['-c', 'cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum', 'sha', root]), `sha256sum ${name}`);
  const out = new Map<string, string>();
  for (const line of r.split('\n').filter(Boolean)) {
    const m = /^([0-9a-f]{64}) {2}\.\/(.+)$/.exec(line);
    assert.ok(m, `unexpected sha256sum line ${line}`);
    if (!WIZARD_BACKUP.test(m[2]!)) out.set(m[2]!, m[1]!);
  }
  return out;
}

export type Snapshot = Map<string, Map<string, string>>;

export async function snapshot(s: LabState, nodes: readonly string[]): Promise<Snapshot> {
  const out: Snapshot = new Map();
  for (const n of nodes) out.set(n, await treeHashes(s, n));
  return out;
}

/** Differences between two trees as readable lines (`cp2: pki/ca.crt missing` …), empty when equal. */
export function treeDiff(expected: Map<string, string>, actual: Map<string, string>, name: string): string[] {
  const lines: string[] = [];
  for (const [p, h] of expected) {
    const a = actual.get(p);
    if (a === undefined) lines.push(`${name}: ${p} missing`);
    else if (a !== h) lines.push(`${name}: ${p} differs`);
  }
  for (const p of actual.keys()) if (!expected.has(p)) lines.push(`${name}: ${p} extra`);
  return lines;
}

// ---------------------------------------------------------------------------------------------------------
// Certificates and keys (openssl)

export const openssl = (s: LabState, args: string[]) => labExec(s.dir, ['openssl', ...args]);

/** `IP:`/`DNS:` entries as openssl prints them (IPv6 long form), sorted. */
export async function sanSet(s: LabState, cert: string): Promise<string[]> {
  const text = ok(await openssl(s, ['x509', '-in', cert, '-noout', '-ext', 'subjectAltName']), `SANs of ${cert}`);
  const line = text.split('\n').find((l) => l.includes('DNS:') || l.includes('IP Address:')) ?? '';
  return line
    .trim()
    .split(/,\s*/)
    .filter(Boolean)
    .map((x) => x.replace('IP Address:', 'IP:'))
    .sort();
}

/** The n-th address of an IPv4 CIDR (kubeadm's first service IP is n = 1). */
export function nthAddress(cidr: string, n: number): string {
  const [base, bits] = cidr.split('/');
  const octets = base!.split('.').map(Number);
  const value = ((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!;
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  const addr = ((value & mask) >>> 0) + n;
  return [24, 16, 8, 0].map((sh) => (addr >>> sh) & 255).join('.');
}

const isIp = (h: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(h);

/** kubeadm's apiserver serving SANs (certs/certlist.go + pkiutil.GetAPIServerAltNames), plus the HA endpoint. */
export function expectedApiserverSans(o: { nodeName: string; address: string; serviceCidr: string; dnsDomain: string; endpoint: string }): string[] {
  const set = new Set([
    `DNS:${o.nodeName}`,
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    `DNS:kubernetes.default.svc.${o.dnsDomain}`,
    `IP:${nthAddress(o.serviceCidr, 1)}`,
    `IP:${o.address}`,
    isIp(o.endpoint) ? `IP:${o.endpoint}` : `DNS:${o.endpoint}`,
  ]);
  return [...set].sort();
}

/** kubeadm's etcd server and peer SANs (pkiutil.GetEtcdAltNames / GetEtcdPeerAltNames). */
export function expectedEtcdSans(o: { nodeName: string; address: string }): string[] {
  return [`DNS:${o.nodeName}`, 'DNS:localhost', `IP:${o.address}`, 'IP:127.0.0.1', 'IP:0:0:0:0:0:0:0:1'].sort();
}

/** [certificate, its CA] under /etc/kubernetes/pki for every certificate kubeadm gives a control-plane node. */
export const NODE_CERTS: ReadonlyArray<readonly [string, string]> = [
  ['apiserver.crt', 'ca.crt'],
  ['apiserver-kubelet-client.crt', 'ca.crt'],
  ['front-proxy-client.crt', 'front-proxy-ca.crt'],
  ['apiserver-etcd-client.crt', 'etcd/ca.crt'],
  ['etcd/server.crt', 'etcd/ca.crt'],
  ['etcd/peer.crt', 'etcd/ca.crt'],
  ['etcd/healthcheck-client.crt', 'etcd/ca.crt'],
];

/** What kubeadm writes the same on every control-plane node (copied, never re-issued). */
export const SHARED_PKI = ['ca.crt', 'ca.key', 'sa.key', 'sa.pub', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key'];

/** The kubeconfigs kubeadm join --control-plane writes, with the client certificate's expected subject. */
export function kubeconfigSubjects(k8sMinor: number): Record<string, RegExp> {
  return {
    'admin.conf': k8sMinor >= 29 ? /O ?= ?kubeadm:cluster-admins, CN ?= ?kubernetes-admin/ : /O ?= ?system:masters, CN ?= ?kubernetes-admin/,
    'controller-manager.conf': /CN ?= ?system:kube-controller-manager/,
    'scheduler.conf': /CN ?= ?system:kube-scheduler/,
  };
}

/** The first line of a PEM private key: `EC PRIVATE KEY` (SEC1), `RSA PRIVATE KEY` (PKCS#1) or `PRIVATE KEY` (PKCS#8). */
export function pemKind(path: string): string {
  const first = readFileSync(path, 'utf8').split('\n')[0] ?? '';
  return /^-----BEGIN (.+)-----$/.exec(first)?.[1] ?? `not PEM: ${first.slice(0, 30)}`;
}

export const fileMode = (path: string) => statSync(path).mode & 0o777;

/** Writes the client certificate embedded in a kubeconfig to a file (for openssl) and returns its path. */
export function kubeconfigClientCert(kubeconfig: string, out: string): string {
  const conf = parse(readFileSync(kubeconfig, 'utf8')) as { users: Array<{ user: Record<string, string> }> };
  const data = conf.users[0]?.user['client-certificate-data'];
  assert.ok(data, `${kubeconfig} embeds no client certificate`);
  writeFileSync(out, Buffer.from(data, 'base64'));
  return out;
}

export function kubeconfigServer(kubeconfig: string): string {
  const conf = parse(readFileSync(kubeconfig, 'utf8')) as { clusters: Array<{ cluster: { server: string } }> };
  return conf.clusters[0]!.cluster.server;
}

// ---------------------------------------------------------------------------------------------------------
// etcd (etcdctl, run inside the master with kubeadm's healthcheck-client certificate)

/** etcdctl against the node's local member: kubeadm listens on 127.0.0.1 for an IPv4 node, on [::1] for an IPv6 one. */
const etcdctlOn = (s: LabState, on: string) =>
  `ETCDCTL_API=3 etcdctl --endpoints=https://${node(s, on).address.includes(':') ? '[::1]' : '127.0.0.1'}:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key`;

export interface EtcdMember {
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export async function etcdMembers(s: LabState, on = 'cp1'): Promise<EtcdMember[]> {
  const out = ok(await nodeExec(s, on, ['sh', '-c', `${etcdctlOn(s, on)} member list -w json`], { timeoutMs: 30_000 }), 'etcdctl member list');
  // Member IDs are uint64 and lose precision in JSON.parse; they are not used.
  const parsed = JSON.parse(out) as { members?: Array<Partial<EtcdMember>> };
  return (parsed.members ?? []).map((m) => ({ name: m.name ?? '', peerURLs: m.peerURLs ?? [], clientURLs: m.clientURLs ?? [], isLearner: m.isLearner === true }));
}

export async function etcdClusterHealth(s: LabState, on = 'cp1'): Promise<RunResult> {
  return nodeExec(s, on, ['sh', '-c', `${etcdctlOn(s, on)} endpoint health --cluster 2>&1`], { timeoutMs: 30_000 });
}

// ---------------------------------------------------------------------------------------------------------
// Kubernetes API (kubectl)

export function kubectlEnv(cacheDir: string): NodeJS.ProcessEnv {
  return { ...process.env, KUBECACHEDIR: cacheDir };
}

export async function kubectl(s: LabState, env: NodeJS.ProcessEnv, args: string[], kubeconfig = etcKubernetes(s, 'cp1', 'admin.conf')): Promise<RunResult> {
  return labExec(s.dir, ['kubectl', '--kubeconfig', kubeconfig, '--request-timeout=20s', ...args], { env, timeoutMs: 60_000 });
}

export async function kubectlJson<T>(s: LabState, env: NodeJS.ProcessEnv, args: string[], what: string): Promise<T> {
  return JSON.parse(ok(await kubectl(s, env, [...args, '-o', 'json']), what)) as T;
}
