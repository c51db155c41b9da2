/**
 * The lab's single-master cluster, made by the real kubeadm. The network part (lab.ts) calls:
 *   prepareCluster(state)        before the nodes start: the tools every node finds on its PATH
 *                                (kubeadm, kubectl, etcdctl of the lab's release; the systemctl shim that
 *                                drives the node agent) and the master's kubeadm config file
 *   bootstrapCluster(state, run) once every node's sshd listens: `kubeadm init` on the master (every
 *                                phase but preflight, which wants a container runtime), then `kubeadm
 *                                join` on every other Kubernetes node (TLS bootstrap through the real CSR
 *                                approver and signer), then waits until every Node is Ready and
 *                                kube-proxy is rolled out.
 * The node agents (agent/main.js) stand in for the kubelet and run the static pods kubeadm writes.
 */
import { randomBytes, createHash, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { NODE_COMPONENTS_DIR, etcdBinary, k8sBinary, kubeVipBinary, labKubeVipVersion, missingBinaries, pinnedEtcd, BUILD_COMMAND } from '../components.js';
import { existsSync } from 'node:fs';
import { hostPath, type LabNode, type LabState } from '../layout.js';
import { inParallel, type RunOptions, type RunResult } from '../sys.js';
import { initConfiguration, joinConfiguration, toV1beta3 } from './kubeadm-config.js';
import { SYSTEMCTL_SHIM } from './systemctl.js';

/** Runs argv inside a node's namespaces as root (lab.ts's nodeExec). */
export type NodeRunner = (node: LabNode, argv: readonly string[], opts?: RunOptions) => Promise<RunResult>;

/** Where the master's kubeadm configuration is kept, as an operator would keep it. */
export const KUBEADM_INIT_CONFIG = '/root/kubeadm-config.yaml';
export const KUBEADM_JOIN_CONFIG = '/root/kubeadm-join.yaml';
export const ADMIN_CONF = '/etc/kubernetes/admin.conf';
/** In the lab directory: the client end's tools (labExec puts it first on PATH): kubectl of the lab's release. */
export const CLIENT_BIN = 'client/bin';

const KUBE_ROLES: readonly LabNode['role'][] = ['master', 'promote', 'worker'];
const NODE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const INIT_TIMEOUT_MS = 900_000;
const JOIN_TIMEOUT_MS = 900_000;
const READY_TIMEOUT_S = 300;

export class ClusterError extends Error {
  override readonly name = 'ClusterError';
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

export function masterOf(state: LabState): LabNode {
  const m = state.nodes.find((n) => n.role === 'master');
  if (!m) throw new ClusterError(`lab ${state.name}: no master node`);
  return m;
}

/** A node's addresses for the kubelet's --node-ip: its address, then its IPv6 one in a dual-stack lab. */
export function nodeIPsOf(node: LabNode): string[] {
  return [node.address, ...(node.address6 ? [node.address6] : [])];
}

export function kubeNodes(state: LabState): LabNode[] {
  return state.nodes.filter((n) => KUBE_ROLES.includes(n.role));
}

/** Refuses a release whose binaries are not built yet, with the command that builds them. */
export function checkComponents(version: string): void {
  const missing = missingBinaries(version);
  if (missing.length) {
    throw new ClusterError(`the lab's Kubernetes v${version} is not built (missing: ${missing.join(', ')})`, `run \`${BUILD_COMMAND}\` (or \`bash lab/build-components.sh ${version}\`)`);
  }
}

async function put(path: string, content: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await rm(path, { force: true });
  await writeFile(path, content, { mode });
}

async function link(target: string, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await rm(path, { force: true });
  await symlink(target, path);
}

/** A random bootstrap token, [a-z0-9]{6}.[a-z0-9]{16}, as `kubeadm token generate` makes. */
export function bootstrapToken(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const pick = (n: number) => [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
  return `${pick(6)}.${pick(16)}`;
}

/** kubeadm's --discovery-token-ca-cert-hash: sha256 of the CA certificate's SubjectPublicKeyInfo. */
export function caCertHash(caPem: string): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** Refuses a kube-vip lab whose kube-vip is not built, with the command that builds it. */
export function checkKubeVip(): void {
  const v = labKubeVipVersion();
  if (!v) throw new ClusterError('lab/components.txt lists no kube-vip release', 'add a line such as `kube-vip 1.0.0`');
  if (!existsSync(kubeVipBinary(v))) throw new ClusterError(`the lab's kube-vip v${v} is not built (missing: ${kubeVipBinary(v)})`, `run \`${BUILD_COMMAND}\` (or \`bash lab/build-components.sh kube-vip\`)`);
}

export async function prepareCluster(state: LabState, token = bootstrapToken()): Promise<void> {
  const version = state.options.k8sVersion;
  checkComponents(version);
  if (state.options.vip === 'kube-vip') checkKubeVip();
  const etcd = pinnedEtcd(version)!;
  const inNode = (b: Parameters<typeof k8sBinary>[1]) => k8sBinary(version, b, NODE_COMPONENTS_DIR);
  const master = masterOf(state);
  await link(k8sBinary(version, 'kubectl'), join(state.dir, CLIENT_BIN, 'kubectl'));
  await Promise.all(
    state.nodes.map(async (node) => {
      await put(hostPath(node, '/usr/local/bin/systemctl'), SYSTEMCTL_SHIM, 0o755);
      await link(inNode('kubectl'), hostPath(node, '/usr/local/bin/kubectl'));
      if (!KUBE_ROLES.includes(node.role)) return;
      await link(inNode('kubeadm'), hostPath(node, '/usr/local/bin/kubeadm'));
      await link(etcdBinary(etcd, 'etcdctl', NODE_COMPONENTS_DIR), hostPath(node, '/usr/local/bin/etcdctl'));
      await link(etcdBinary(etcd, 'etcdutl', NODE_COMPONENTS_DIR), hostPath(node, '/usr/local/bin/etcdutl'));
      await mkdir(hostPath(node, '/etc/kubernetes/manifests'), { recursive: true });
    }),
  );
  await put(
    hostPath(master, KUBEADM_INIT_CONFIG),
    initConfiguration({
      k8sVersion: version,
      keyAlgorithm: state.options.keyAlgorithm,
      serviceCidr: state.options.serviceCidr,
      dnsDomain: state.options.dnsDomain,
      apiserverPort: state.options.apiserverPort,
      master: { name: master.name, address: master.address },
      ...(state.options.ipFamily && state.options.ipFamily !== 'ipv4' ? { nodeIPs: nodeIPsOf(master) } : {}),
      token,
    }),
    0o600,
  );
}

function inNodeOptions(opts: RunOptions = {}): RunOptions {
  return { ...opts, env: { PATH: NODE_PATH, HOME: '/root', LANG: 'C.UTF-8', ...opts.env } };
}

async function mustRunIn(run: NodeRunner, node: LabNode, argv: string[], what: string, timeoutMs: number): Promise<RunResult> {
  const r = await run(node, argv, inNodeOptions({ timeoutMs }));
  if (r.code !== 0) {
    const out = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-25).join('\n');
    throw new ClusterError(`${what} on ${node.name} failed (exit ${r.code}):\n${out}`);
  }
  return r;
}

/** Runs argv on the node and keeps its output in the node's /var/log/<log>, as an operator's terminal would. */
async function logged(run: NodeRunner, node: LabNode, argv: string[], log: string, what: string, timeoutMs: number): Promise<RunResult> {
  let r: RunResult | null = null;
  try {
    r = await mustRunIn(run, node, argv, what, timeoutMs);
    return r;
  } catch (e) {
    await put(hostPath(node, `/var/log/${log}`), (e as Error).message);
    // The lab is torn down after a failed start: what the node agent and the control plane said is
    // only ever seen if it travels with the error (a CI log is all there is).
    if (e instanceof ClusterError) throw new ClusterError(`${e.message}\n${await nodeLogTails(node)}`, e.hint);
    throw e;
  } finally {
    if (r) await put(hostPath(node, `/var/log/${log}`), `${r.stdout}${r.stderr}`);
  }
}

/** The last lines of the node agent's log and of each static pod's log on the node, for an error message. */
async function nodeLogTails(node: LabNode, lines = 12): Promise<string> {
  const out: string[] = [];
  for (const log of ['agent.log', 'etcd.log', 'kube-apiserver.log', 'kube-controller-manager.log', 'kube-scheduler.log']) {
    const text = await readFile(hostPath(node, `/var/log/${log}`), 'utf8').catch(() => null);
    if (text === null) continue;
    const tail = text.trimEnd().split('\n').slice(-lines).map((l) => `  ${l.slice(0, 300)}`);
    out.push(`--- ${node.name}:/var/log/${log} (last ${tail.length} lines)`, ...tail);
  }
  return out.length ? out.join('\n') : `(no agent or control-plane log on ${node.name} yet)`;
}

const AGENT_WAIT_MS = 60_000;

/**
 * Waits until every Kubernetes node's agent has started (its first log line comes after its signal handlers
 * and pid file), as systemd has the kubelet unit running before anyone types kubeadm. Without this, kubeadm's
 * `systemctl restart kubelet` could reach an agent still loading on a busy machine.
 */
async function agentsStarted(state: LabState): Promise<void> {
  const deadline = Date.now() + AGENT_WAIT_MS;
  for (const node of kubeNodes(state)) {
    for (;;) {
      const text = await readFile(hostPath(node, '/var/log/agent.log'), 'utf8').catch(() => '');
      if (text.includes('kubelet stand-in')) break;
      if (Date.now() > deadline) throw new ClusterError(`the node agent on ${node.name} did not start within ${AGENT_WAIT_MS / 1000} s`, `see ${hostPath(node, '/var/log/agent.log')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export async function bootstrapCluster(state: LabState, run: NodeRunner): Promise<void> {
  const master = masterOf(state);
  await agentsStarted(state);
  await logged(run, master, ['kubeadm', 'init', '--config', KUBEADM_INIT_CONFIG], 'kubeadm-init.log', 'kubeadm init', INIT_TIMEOUT_MS);
  const initText = await readFile(hostPath(master, KUBEADM_INIT_CONFIG), 'utf8');
  const token = /token: (\S+)/.exec(initText)?.[1];
  if (!token) throw new ClusterError(`${KUBEADM_INIT_CONFIG} on ${master.name} has no bootstrap token`);
  const hash = caCertHash(await readFile(hostPath(master, '/etc/kubernetes/pki/ca.crt'), 'utf8'));
  const endpoint = `${master.address.includes(':') ? `[${master.address}]` : master.address}:${state.options.apiserverPort}`;
  const others = kubeNodes(state).filter((n) => n !== master);
  await inParallel(others, 4, async (node) => {
    await put(hostPath(node, KUBEADM_JOIN_CONFIG), joinConfiguration({ nodeName: node.name, apiServerEndpoint: endpoint, token, caCertHash: hash, ...(state.options.ipFamily && state.options.ipFamily !== 'ipv4' ? { nodeIPs: nodeIPsOf(node) } : {}) }), 0o600);
    await logged(run, node, ['kubeadm', 'join', '--config', KUBEADM_JOIN_CONFIG], 'kubeadm-join.log', 'kubeadm join', JOIN_TIMEOUT_MS);
  });
  const kubectl = ['kubectl', '--kubeconfig', ADMIN_CONF];
  if (state.options.kubeadmConfigApi === 'v1beta3') {
    // An older kubeadm's ConfigMap, as a cluster made before 1.31 and upgraded may keep it.
    const cm = JSON.parse((await mustRunIn(run, master, [...kubectl, '-n', 'kube-system', 'get', 'cm', 'kubeadm-config', '-o', 'json'], 'reading kubeadm-config', 60_000)).stdout);
    cm.data.ClusterConfiguration = toV1beta3(cm.data.ClusterConfiguration);
    const r = await run(master, [...kubectl, 'replace', '-f', '-'], inNodeOptions({ input: JSON.stringify(cm), timeoutMs: 60_000 }));
    if (r.code !== 0) throw new ClusterError(`writing kubeadm-config as v1beta3 failed: ${r.stderr.trim()}`);
  }
  await mustRunIn(run, master, [...kubectl, 'wait', '--for=condition=Ready', 'node', '--all', `--timeout=${READY_TIMEOUT_S}s`], 'waiting for every Node Ready', (READY_TIMEOUT_S + 10) * 1000);
  await mustRunIn(run, master, [...kubectl, '-n', 'kube-system', 'rollout', 'status', 'daemonset/kube-proxy', `--timeout=${READY_TIMEOUT_S}s`], 'waiting for kube-proxy', (READY_TIMEOUT_S + 10) * 1000);
}
