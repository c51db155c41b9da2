/**
 * The lab: nodes are network namespaces on one bridge, each with its own mount, UTS and PID
 * namespace, its own files under DIR/nodes/<name>/ and its own OpenSSH sshd on port 22.
 * See lab/README.md for the layout, and BRIEF.md section 5 for why.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  LINKS,
  NODE_MOUNTS,
  OVERLAYS,
  USR_LOCAL_BIN_SUBDIR,
  LabInputError,
  buildNodes,
  ipv6Of,
  mountPointsInUppers,
  settingsFrom,
  shadowedBy,
  subnetOf,
  type LabNode,
  type LabOptions,
  type LabState,
} from './layout.js';
import { CLIENT_BIN, bootstrapCluster, prepareCluster } from './cluster/index.js';
import { NODE_COMPONENTS_DIR, componentCache, missingBinaries } from './components.js';
import { clientKeyPath, clusterYaml, fstab, hostsFile, initScript, knownHosts, sshConfig, sshdConfig } from './render.js';
import { allocateSlot, releaseSlot, slotOwners } from './slots.js';
import {
  firstChildren,
  inParallel,
  ipBatch,
  isAlive,
  isRootNetns,
  listensOn,
  mustRun,
  netnsIdOf,
  onPath,
  processesByNetns,
  run,
  sleep,
  type RunOptions,
  type RunResult,
} from './sys.js';

export type { LabNode, LabOptions, LabState, LabSettings, NodeRole, SudoMode } from './layout.js';
export { LabInputError, hostPath, NODE_MOUNTS } from './layout.js';
export type { RunResult } from './sys.js';

export const INSTALL_HINT = 'sudo bash lab/install-deps.sh';

/** A lab problem the operator can fix (not root, missing packages, a busy name); `hint` says how. */
export class LabError extends Error {
  override readonly name = 'LabError';
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

export interface LabUpResult extends LabState {
  /** True when the lab was already running and nothing was changed. */
  alreadyRunning: boolean;
}

const here = dirname(fileURLToPath(import.meta.url));
const STATE_FILE = 'lab.json';
const SSHD_WAIT_MS = 20_000;

// ---------------------------------------------------------------------------------------------------------------
// State file

const nodeSchema = z.object({
  name: z.string(),
  role: z.enum(['master', 'promote', 'worker', 'proxy', 'bastion']),
  address: z.string(),
  address6: z.string().optional(),
  netns: z.string(),
  hostDir: z.string(),
  pid: z.number().int(),
  launcherPid: z.number().int(),
});

const stateSchema = z.object({
  name: z.string(),
  dir: z.string(),
  slot: z.number().int(),
  subnet: z.string(),
  clientAddress: z.string(),
  bastionAddress: z.string().nullable(),
  clientNetns: z.string().nullable(),
  clientLink: z.string().nullable(),
  clientNetnsId: z.string(),
  switchNetns: z.string(),
  netnsIds: z.record(z.string(), z.string()),
  options: z.object({
    promote: z.number().int(),
    workers: z.number().int(),
    proxyHost: z.boolean(),
    serviceCidr: z.string(),
    dnsDomain: z.string(),
    keyAlgorithm: z.enum(['rsa', 'ecdsa', 'ecdsa-p384']),
    apiserverPort: z.number().int(),
    kubeadmConfigApi: z.enum(['v1beta4', 'v1beta3']),
    sshUser: z.string(),
    sudo: z.enum(['none', 'nopasswd', 'password']),
    bastion: z.boolean(),
    k8sVersion: z.string(),
    cluster: z.boolean(),
    // Absent in a lab.json an older ha-wizard wrote.
    vip: z.enum(['keepalived', 'kube-vip']).nullable().default(null),
    dnsEndpoint: z.boolean().default(false),
    ipFamily: z.enum(['ipv4', 'ipv6', 'dual']).default('ipv4'),
  }),
  nodes: z.array(nodeSchema),
  createdAt: z.string(),
});

export function readLab(dir: string): LabState {
  const path = join(dir, STATE_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new LabError(`no lab in ${dir} (${(e as Error).message})`, 'start one with `ha-wizard lab up --out DIR`');
  }
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success) throw new LabError(`${path} is not a lab state file: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

function writeState(state: LabState): void {
  const path = join(state.dir, STATE_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

export function nodeOf(state: LabState, node: string | LabNode): LabNode {
  const name = typeof node === 'string' ? node : node.name;
  const found = state.nodes.find((n) => n.name === name);
  if (!found) throw new LabError(`lab ${state.name} has no node ${name} (nodes: ${state.nodes.map((n) => n.name).join(', ')})`);
  return found;
}

/** A node runs when its PID 1 is alive in the network namespace the lab made for it. */
export function nodeRunning(state: LabState, node: LabNode): boolean {
  return node.pid > 0 && isAlive(node.pid) && netnsIdOf(node.pid) === state.netnsIds[node.netns];
}

export interface LabStatus {
  name: string;
  dir: string;
  slot: number;
  subnet: string;
  nodes: (Pick<LabNode, 'name' | 'address' | 'role' | 'netns' | 'hostDir'> & { running: boolean })[];
}

export function labStatus(dir: string): LabStatus {
  const s = readLab(dir);
  return {
    name: s.name,
    dir: s.dir,
    slot: s.slot,
    subnet: s.subnet,
    nodes: s.nodes.map((n) => ({ name: n.name, address: n.address, role: n.role, netns: n.netns, hostDir: n.hostDir, running: nodeRunning(s, n) })),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Preflight

function preflight(settings: LabState['options'], dir: string): void {
  if (process.getuid?.() !== 0) {
    throw new LabError('the lab needs root (network namespaces, mounts, one sshd per node)', 'run it with sudo, e.g. `sudo ha-wizard lab up`');
  }
  const tools = ['ip', 'unshare', 'nsenter', '/usr/sbin/sshd', 'ssh', 'ssh-keygen'];
  if (settings.sshUser !== 'root') tools.push('useradd', 'chpasswd', 'sudo');
  if (settings.cluster) tools.push('openssl', 'nginx', 'haproxy');
  const missing = tools.filter((t) => !onPath(t));
  if (missing.length) throw new LabError(`the lab needs Debian packages (missing: ${missing.join(', ')})`, `run \`${INSTALL_HINT}\``);
  if (settings.cluster) {
    const unbuilt = missingBinaries(settings.k8sVersion);
    if (unbuilt.length) {
      throw new LabError(`the lab's Kubernetes v${settings.k8sVersion} is not built (missing: ${unbuilt.join(', ')})`, `run \`${INSTALL_HINT}\` (it builds every release in lab/components.txt)`);
    }
  }
  if (/[,:\n]/.test(dir)) throw new LabInputError(`lab directory ${dir} contains a comma, colon or newline, which mount options cannot carry`);
  const shadow = shadowedBy(dir);
  if (shadow) throw new LabInputError(`lab directory ${dir} is under ${shadow}, which every node replaces with its own: choose another --out`);
}

// ---------------------------------------------------------------------------------------------------------------
// Up

/**
 * Starts a lab in `opts.dir` and returns its state. On a running lab it changes nothing and returns
 * the running state with `alreadyRunning: true`. A stopped lab's directory is reused from scratch.
 */
export async function labUp(opts: LabOptions): Promise<LabUpResult> {
  const { name, dir, settings } = settingsFrom(opts);
  preflight(settings, dir);

  if (existsSync(join(dir, STATE_FILE))) {
    const old = readLab(dir);
    const running = old.nodes.filter((n) => nodeRunning(old, n));
    if (running.length === old.nodes.length && running.length > 0) return { ...old, alreadyRunning: true };
    if (running.length > 0) {
      const dead = old.nodes.filter((n) => !nodeRunning(old, n)).map((n) => n.name);
      throw new LabError(`lab ${old.name} in ${dir} is partly running (down: ${dead.join(', ')})`, `run \`ha-wizard lab down --dir ${dir}\` first`);
    }
    await teardown(old);
    for (const entry of ['nodes', 'client', STATE_FILE, 'ssh_config', 'known_hosts', 'cluster.yaml']) rmSync(join(dir, entry), { recursive: true, force: true });
  } else if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new LabInputError(`${dir} exists, is not empty and holds no lab: choose an empty or new directory`);
  }
  await claimName(name, dir);

  const slot = allocateSlot({ dir, name });
  const inRootNetns = isRootNetns();
  const bastion = settings.bastion;
  const state: LabState = {
    name,
    dir,
    slot,
    subnet: subnetOf(slot),
    clientAddress: bastion ? `10.201.${slot}.2` : settings.ipFamily === 'ipv6' ? ipv6Of(slot, 2) : `10.200.${slot}.2`,
    bastionAddress: bastion ? `10.201.${slot}.4` : null,
    clientNetns: inRootNetns ? `${name}-cl` : null,
    clientLink: inRootNetns ? null : LINKS.clientInCaller(slot),
    clientNetnsId: '',
    switchNetns: `${name}-sw`,
    netnsIds: {},
    options: settings,
    nodes: buildNodes(name, dir, slot, settings),
    createdAt: new Date().toISOString(),
  };

  try {
    mkdirSync(join(dir, 'client'), { recursive: true });
    const phase = phaseTimer();
    writeState(state); // first, so that `lab down` can clean up after a failed start
    await prepareFiles(state);
    phase('files and keys');
    if (settings.cluster) await prepareCluster(state);
    if (settings.cluster) phase('prepareCluster');
    await makeNetwork(state);
    writeState(state);
    phase('network');
    await startNodes(state, opts.sudoPassword, settings.cluster);
    writeState(state);
    phase('nodes (sshd listening)');
    if (settings.cluster) await bootstrapCluster(state, (node, argv, o) => nodeExec(state, node, argv, o));
    if (settings.cluster) phase('bootstrapCluster (kubeadm init and join)');
  } catch (e) {
    // HAW_LAB_KEEP=1 leaves a lab that failed to come up running, to look into (`lab down` stops it).
    if (process.env.HAW_LAB_KEEP !== '1') await teardown(state).catch(() => undefined);
    throw e;
  }
  return { ...state, alreadyRunning: false };
}

/** With HAW_LAB_TIMING=1, prints how long each phase of `up` took (stderr); otherwise silent. */
function phaseTimer(): (label: string) => void {
  let last = process.hrtime.bigint();
  return (label) => {
    if (process.env.HAW_LAB_TIMING !== '1') return;
    const now = process.hrtime.bigint();
    process.stderr.write(`lab up: ${label} ${(Number(now - last) / 1e9).toFixed(3)} s\n`);
    last = now;
  };
}

/**
 * Refuses a name that another directory's lab holds, and clears namespaces a crashed lab of this
 * name left behind. A live lab always owns a slot naming it (claimed before any namespace is made),
 * so namespace files that no slot accounts for are leftovers and safe to delete.
 */
async function claimName(name: string, dir: string): Promise<void> {
  const holder = slotOwners().find((s) => s.owner?.name === name);
  if (holder?.owner) {
    throw new LabError(`a lab named ${name} runs from ${holder.owner.dir} (slot ${holder.slot})`, 'give this one another name (--name), or stop that one');
  }
  let leftovers: string[] = [];
  try {
    // Exactly the names this lab makes: a prefix match would also catch a live lab named `${name}-x`.
    const ours = new RegExp(`^${name}-(sw|cl|lb|bastion|cp\\d+|w\\d+)$`);
    leftovers = readdirSync('/run/netns').filter((f) => ours.test(f));
  } catch {
    /* no /run/netns yet */
  }
  await ipBatch(leftovers.map((f) => `netns del ${f}`), { force: true });
}

async function prepareFiles(state: LabState): Promise<void> {
  const clientKey = clientKeyPath(state.dir);
  await mustRun('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `ha-wizard-lab-${state.name}`, '-f', clientKey]);
  const clientPub = readFileSync(`${clientKey}.pub`, 'utf8');
  const hosts = hostsFile(state);
  for (const node of state.nodes) {
    const d = node.hostDir;
    for (const sub of ['ssh', ...OVERLAYS.flatMap((o) => [o.upper, o.work]), ...NODE_MOUNTS.map((m) => m.hostSubdir), USR_LOCAL_BIN_SUBDIR]) {
      mkdirSync(join(d, sub), { recursive: true });
    }
    for (const p of mountPointsInUppers(node)) mkdirSync(p, { recursive: true });
    writeFileSync(join(d, 'fstab'), fstab(node, state.options.cluster ? componentCache() : null));
    mkdirSync(join(d, 'var-log', 'nginx'), { recursive: true });
    mkdirSync(join(d, 'var-log', 'haproxy'), { recursive: true });
    mkdirSync(join(d, 'root', '.ssh'), { recursive: true });
    chmodSync(join(d, 'root'), 0o700);
    chmodSync(join(d, 'root', '.ssh'), 0o700);
    chmodSync(join(d, 'var-lib-etcd'), 0o700);
    writeFileSync(join(d, 'root', '.ssh', 'authorized_keys'), clientPub, { mode: 0o600 });
    writeFileSync(join(d, 'ssh', 'authorized_keys'), clientPub, { mode: 0o600 });
    writeFileSync(join(d, 'ssh', 'sshd_config'), sshdConfig(node, state.options.sshUser));
    writeFileSync(join(d, 'etc.upper', 'hostname'), `${node.name}\n`);
    writeFileSync(join(d, 'etc.upper', 'hosts'), hosts);
  }
  await inParallel(state.nodes, 8, (n) =>
    mustRun('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', n.name, '-f', join(n.hostDir, 'ssh', 'ssh_host_ed25519_key')]),
  );
  const entries = state.nodes.flatMap((n) => {
    const pub = readFileSync(join(n.hostDir, 'ssh', 'ssh_host_ed25519_key.pub'), 'utf8');
    const e = [{ address: n.address, hostKeyPub: pub }];
    if (n.role === 'bastion' && state.bastionAddress) e.push({ address: state.bastionAddress, hostKeyPub: pub });
    return e;
  });
  writeFileSync(join(state.dir, 'known_hosts'), knownHosts(entries));
  writeFileSync(join(state.dir, 'ssh_config'), sshConfig(state));
  writeFileSync(join(state.dir, 'cluster.yaml'), clusterYaml(state));
}

/** The client end's addresses with their prefixes (IPv6 without duplicate address detection: usable at once). */
function clientAddrs(state: LabState): string[] {
  const family = state.options.ipFamily ?? 'ipv4';
  if (family === 'ipv6') return [`${state.clientAddress}/64 nodad`];
  return [`${state.clientAddress}/24`, ...(family === 'dual' ? [`${ipv6Of(state.slot, 2)}/64 nodad`] : [])];
}

/** Namespaces, veth pairs and bridges: three `ip` processes whatever the lab's size. */
async function makeNetwork(state: LabState): Promise<void> {
  const sw = state.switchNetns;
  const outer = state.bastionAddress !== null;
  const clientBridge = outer ? LINKS.outerBridge : LINKS.bridge;
  const names = [sw, ...state.nodes.map((n) => n.netns), ...(state.clientNetns ? [state.clientNetns] : [])];
  // The first `netns add` may have to create the /run/netns mount; keep it out of the batch.
  await mustRun('ip', ['netns', 'add', sw]);
  const main: string[] = names.slice(1).map((n) => `netns add ${n}`);
  for (const n of state.nodes) {
    main.push(`link add ${LINKS.node} netns ${n.netns} type veth peer name ${LINKS.switchPort(n.name)} netns ${sw}`);
    if (n.role === 'bastion') main.push(`link add ${LINKS.bastionOuter} netns ${n.netns} type veth peer name ${LINKS.switchOuterPort(n.name)} netns ${sw}`);
  }
  if (state.clientNetns) {
    main.push(`link add ${LINKS.clientInNetns} netns ${state.clientNetns} type veth peer name ${LINKS.switchClientPort} netns ${sw}`);
  } else if (state.clientLink) {
    // A leftover from a lab that died in this namespace without `down` would block the name.
    await ipBatch([`link del ${state.clientLink}`], { force: true });
    main.push(
      `link add ${state.clientLink} type veth peer name ${LINKS.switchClientPort} netns ${sw}`,
      ...clientAddrs(state).map((a) => `addr add ${a} dev ${state.clientLink}`),
      `link set ${state.clientLink} up`,
    );
  }
  try {
    await ipBatch(main);
  } finally {
    // Recorded even on failure, so teardown finds whatever was made.
    for (const n of names) {
      try {
        state.netnsIds[n] = `net:[${statSync(`/run/netns/${n}`).ino}]`;
      } catch {
        /* not created */
      }
    }
  }
  const swLines = ['link set lo up', `link add ${LINKS.bridge} type bridge`, `link set ${LINKS.bridge} up`];
  if (outer) swLines.push(`link add ${LINKS.outerBridge} type bridge`, `link set ${LINKS.outerBridge} up`);
  for (const n of state.nodes) {
    swLines.push(`link set ${LINKS.switchPort(n.name)} master ${LINKS.bridge} up`);
    if (n.role === 'bastion') swLines.push(`link set ${LINKS.switchOuterPort(n.name)} master ${LINKS.outerBridge} up`);
  }
  swLines.push(`link set ${LINKS.switchClientPort} master ${clientBridge} up`);
  await ipBatch(swLines, { netns: sw });
  if (state.clientNetns) {
    await ipBatch(
      ['link set lo up', ...clientAddrs(state).map((a) => `addr add ${a} dev ${LINKS.clientInNetns}`), `link set ${LINKS.clientInNetns} up`],
      { netns: state.clientNetns },
    );
    state.clientNetnsId = state.netnsIds[state.clientNetns] ?? '';
  } else {
    state.clientNetnsId = netnsIdOf('self') ?? '';
  }
}

async function startNodes(state: LabState, sudoPassword: string | undefined, withAgent: boolean): Promise<void> {
  const agent = withAgent ? { nodeBin: process.execPath, script: join(here, 'agent', 'main.js'), components: NODE_COMPONENTS_DIR } : null;
  for (const node of state.nodes) {
    const script = initScript({ node, slot: state.slot, labDir: state.dir, sshUser: state.options.sshUser, sudo: state.options.sudo, agent });
    const scriptPath = join(node.hostDir, 'init.sh');
    writeFileSync(scriptPath, script, { mode: 0o755 });
    const log = openSync(join(node.hostDir, 'launcher.log'), 'w');
    try {
      const child = spawn(
        'ip',
        ['netns', 'exec', node.netns, 'unshare', '--mount', '--uts', '--pid', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private', '--', '/bin/sh', scriptPath],
        { detached: true, stdio: [sudoPassword !== undefined ? 'pipe' : 'ignore', log, log] },
      );
      if (child.stdin) child.stdin.end(`${sudoPassword}\n`);
      child.on('error', () => undefined);
      child.unref();
      if (!child.pid) throw new Error(`could not start node ${node.name}`);
      node.launcherPid = child.pid;
    } finally {
      closeSync(log);
    }
  }
  const deadline = Date.now() + SSHD_WAIT_MS;
  let waiting = state.nodes;
  while (waiting.length > 0) {
    const dead = waiting.find((n) => !isAlive(n.launcherPid));
    if (dead) throw new Error(`node ${dead.name} failed to start: ${tail(join(dead.hostDir, 'launcher.log'))}${tail(join(dead.hostDir, 'var-log', 'sshd.log'))}`);
    waiting = waiting.filter((n) => !listensOn(n.launcherPid, 22));
    if (waiting.length === 0) break;
    if (Date.now() > deadline) throw new Error(`sshd did not start on ${waiting.map((n) => n.name).join(', ')} within ${SSHD_WAIT_MS / 1000} s`);
    await sleep(20);
  }
  const children = firstChildren(new Set(state.nodes.map((n) => n.launcherPid)));
  for (const node of state.nodes) {
    const pid = children.get(node.launcherPid);
    if (!pid) throw new Error(`node ${node.name}: its PID 1 was not found under launcher ${node.launcherPid}`);
    node.pid = pid;
  }
}

function tail(path: string): string {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return text ? `\n${path}:\n${text.split('\n').slice(-10).join('\n')}` : '';
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Down

/** Stops the lab in `dir`: no process, namespace, veth or slot of it remains. Its files stay for inspection. */
export async function labDown(dir: string): Promise<void> {
  if (!existsSync(join(dir, STATE_FILE))) return;
  await teardown(readLab(dir));
}

async function teardown(state: LabState): Promise<void> {
  const ours = new Set(Object.values(state.netnsIds));
  const self = netnsIdOf('self');
  if (self) ours.delete(self);
  // One pass over /proc finds every process in the lab's namespaces, including ones that entered a
  // node with nsenter or `ip netns exec` and ones a node left behind.
  const victims = processesByNetns()
    .filter((p) => ours.has(p.netns) && p.pid !== process.pid)
    .map((p) => p.pid);
  for (const pid of victims) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + 10_000;
  let alive = victims.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(10);
    alive = alive.filter(isAlive);
  }
  if (alive.length > 0) throw new Error(`lab ${state.name}: processes ${alive.join(', ')} did not exit after SIGKILL`);
  const names = Object.keys(state.netnsIds).filter((n) => existsSync(`/run/netns/${n}`));
  const lines = names.map((n) => `netns del ${n}`);
  if (state.clientLink && self === state.clientNetnsId) lines.push(`link del ${state.clientLink}`);
  // -force: a veth already gone with its peer namespace is not an error.
  await ipBatch(lines, { force: true });
  const left = names.filter((n) => existsSync(`/run/netns/${n}`));
  if (left.length) throw new Error(`lab ${state.name}: could not delete namespaces ${left.join(', ')}`);
  releaseSlot(state.slot, { dir: state.dir, name: state.name });
  for (const n of state.nodes) {
    n.pid = 0;
    n.launcherPid = 0;
  }
  if (existsSync(join(state.dir, STATE_FILE))) writeState(state);
}

// ---------------------------------------------------------------------------------------------------------------
// Running commands

export interface ExecOptions extends RunOptions {}

/**
 * Runs argv where the lab's client end is: in `<name>-cl` when the lab made one, else right here
 * (the lab was started from inside a private namespace, which holds the client end).
 */
export async function labExec(dir: string, argv: readonly string[], opts: ExecOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = clientArgv(readLab(dir), argv);
  return run(cmd as string, args, { ...opts, env: clientEnv(dir, opts.env ?? process.env) });
}

/** The lab's client tools first on PATH: the kubectl of the lab's own release (see prepareCluster). */
export function clientEnv(dir: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, PATH: `${join(dir, CLIENT_BIN)}:${env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'}` };
}

/** The argv that runs `argv` in the lab's client namespace. */
export function clientArgv(state: LabState, argv: readonly string[]): string[] {
  if (argv.length === 0) throw new LabInputError('no command given');
  if (state.clientNetns) return ['ip', 'netns', 'exec', state.clientNetns, ...argv];
  if (netnsIdOf('self') !== state.clientNetnsId) {
    throw new LabError(`lab ${state.name}'s client end is in the network namespace that started it (${state.clientNetnsId}), not this one`, 'run the command from that namespace');
  }
  return [...argv];
}

/** `['ls', '/a b']` → `ls '/a b'` for the remote shell; a single argument is passed as a shell command, like ssh does. */
export function remoteCommand(argv: readonly string[]): string {
  if (argv.length === 1) return argv[0] as string;
  return argv.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Runs a command on a node with the OpenSSH client and DIR/ssh_config (key auth, strict host keys). */
export async function labSsh(dir: string, node: string, argv: readonly string[], opts: ExecOptions = {}): Promise<RunResult> {
  return labExec(dir, sshArgv(dir, node, argv), opts);
}

export function sshArgv(dir: string, node: string, argv: readonly string[]): string[] {
  return ['ssh', '-F', join(dir, 'ssh_config'), node, ...(argv.length ? ['--', remoteCommand(argv)] : [])];
}

/**
 * Runs argv inside a node's namespaces (mount, UTS, network, PID) as root, without ssh: for tests
 * that inject faults or check the node's state from inside.
 */
export async function nodeExec(state: LabState, node: string | LabNode, argv: readonly string[], opts: ExecOptions = {}): Promise<RunResult> {
  if (argv.length === 0) throw new LabInputError('no command given');
  const n = nodeOf(state, node);
  if (!nodeRunning(state, n)) throw new LabError(`node ${n.name} of lab ${state.name} is not running`);
  return run('nsenter', ['-t', String(n.pid), '-m', '-u', '-n', '-p', '--wdns=/', '--', ...argv], opts);
}
