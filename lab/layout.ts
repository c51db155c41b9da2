/**
 * The lab's shape as pure data: option defaults and limits, node names and addresses, namespace and
 * interface names, and where each node's files live on the host. Nothing here touches the system.
 */
import { z } from 'zod';
import { basename, join, resolve } from 'node:path';
import { NODE_COMPONENTS_DIR, defaultK8sVersion, labReleases, resolveK8sVersion } from './components.js';

export type NodeRole = 'master' | 'promote' | 'worker' | 'proxy' | 'bastion';
export type SudoMode = 'none' | 'nopasswd' | 'password';

export interface LabOptions {
  dir: string;
  /** [a-z0-9-], at most 16 characters; default from the directory's name. Prefixes every namespace. */
  name?: string;
  /** Nodes to promote (cp2..), besides the master cp1. */
  promote?: number;
  workers?: number;
  /** A dedicated proxy host `lb` at .5 (otherwise the config asks for a per-node local proxy). */
  proxyHost?: boolean;
  serviceCidr?: string;
  dnsDomain?: string;
  /** The cluster's key algorithm (ClusterConfiguration.encryptionAlgorithm: RSA-2048, ECDSA-P256, ECDSA-P384). */
  keyAlgorithm?: LabKeyAlgorithm;
  /** The apiserver's port on the master (InitConfiguration.localAPIEndpoint.bindPort). */
  apiserverPort?: number;
  /**
   * The API version of the ClusterConfiguration in the kubeadm-config ConfigMap: v1beta4 as this kubeadm
   * writes it (default), or v1beta3 as a cluster made by an older kubeadm and upgraded may still hold it
   * (1.35 and 1.36 only: kubeadm 1.37 no longer reads v1beta3).
   */
  kubeadmConfigApi?: 'v1beta4' | 'v1beta3';
  /** `root`, or a user created on every node that reaches root through sudo. */
  sshUser?: string;
  /** Makes sudo ask for this password (never stored anywhere by the lab). */
  sudoPassword?: string;
  /** Nodes reachable only through a bastion host (ProxyJump). */
  bastion?: boolean;
  /** A release of lab/components.txt, "1.37" or "1.37.2"; default its first. */
  k8sVersion?: string;
  /** Make the cluster with kubeadm and run the node agents (default); false: nodes with sshd only. */
  cluster?: boolean;
  /**
   * cluster.yaml's endpoint on a virtual IP (placement vip, address .10 of the lab's subnet): keepalived with
   * HAProxy on every control-plane node on port 8443, or kube-vip in front of the apiservers' own port.
   */
  vip?: LabVip;
  /**
   * cluster.yaml's endpoint as a DNS name (DNS_ENDPOINT), which every node resolves (its /etc/hosts) to the
   * endpoint's address: the virtual IP, or the proxy host. Needs `vip` or `proxyHost`.
   */
  dnsEndpoint?: boolean;
  /**
   * The nodes' addresses: ipv4 (10.200.k.N/24, default), ipv6 (fd00:200:k::N/64 only: the cluster, the client end
   * and SSH on IPv6), or dual (both, IPv4 first: a dual-stack cluster, service CIDRs and node IPs of both families).
   */
  ipFamily?: LabIpFamily;
}

export type LabVip = 'keepalived' | 'kube-vip';
export type LabIpFamily = 'ipv4' | 'ipv6' | 'dual';

/** A lab's IPv6 address of host number `host` (decimal digits, read as hex groups: still one per host). */
export function ipv6Of(slot: number, host: number): string {
  return `fd00:200:${slot}::${host}`;
}

/** The service CIDRs of an IP family when --service-cidr is not given. */
export const SERVICE_CIDRS: Record<LabIpFamily, string> = { ipv4: '10.96.0.0/12', ipv6: 'fd00:10:96::/112', dual: '10.96.0.0/12,fd00:10:96::/112' };

/** The DNS name of a lab's endpoint with `dnsEndpoint` (resolved by each node's /etc/hosts). */
export const DNS_ENDPOINT = 'k8s-api.ha-wizard.lab';
/** The host number of the virtual IP on the lab's subnet. */
export const VIP_HOST = 10;

export type LabKeyAlgorithm = 'rsa' | 'ecdsa' | 'ecdsa-p384';

/** The options as recorded in lab.json: all set, the sudo password replaced by the mode it implies. */
export interface LabSettings {
  promote: number;
  workers: number;
  proxyHost: boolean;
  serviceCidr: string;
  dnsDomain: string;
  keyAlgorithm: LabKeyAlgorithm;
  apiserverPort: number;
  kubeadmConfigApi: 'v1beta4' | 'v1beta3';
  sshUser: string;
  sudo: SudoMode;
  bastion: boolean;
  /** Full release, "1.37.2". */
  k8sVersion: string;
  cluster: boolean;
  vip: LabVip | null;
  dnsEndpoint: boolean;
  ipFamily: LabIpFamily;
}

export interface LabNode {
  name: string;
  role: NodeRole;
  /**
   * Address on the lab subnet 10.200.k.0/24, or fd00:200:k::/64 with ipFamily ipv6 (the bastion also has 10.201.k.4,
   * see `LabState.bastionAddress`).
   */
  address: string;
  /** With ipFamily dual: the node's IPv6 address besides `address`. */
  address6?: string;
  netns: string;
  /** Host directory holding this node's files (see `NODE_MOUNTS`). */
  hostDir: string;
  /** Host PID of the node's PID 1 (its sshd); 0 before the node runs. */
  pid: number;
  /** Host PID of the `unshare` launcher that owns the node's namespaces; 0 before the node runs. */
  launcherPid: number;
}

export interface LabState {
  name: string;
  dir: string;
  slot: number;
  /** `10.200.k.0/24`. */
  subnet: string;
  /** Client end of the lab: 10.200.k.2, or 10.201.k.2 with a bastion. */
  clientAddress: string;
  /** 10.201.k.4 with a bastion, else null. */
  bastionAddress: string | null;
  /** Namespace made for the client end, or null when the client end lives in the creator's own namespace. */
  clientNetns: string | null;
  /** Interface name of the client end when it lives in the creator's namespace, else null. */
  clientLink: string | null;
  /** `net:[inode]` of the namespace holding the client end. */
  clientNetnsId: string;
  /** The switch namespace (bridges). */
  switchNetns: string;
  /** `net:[inode]` of every namespace the lab made, by name: lets teardown find processes without /run/netns. */
  netnsIds: Record<string, string>;
  options: LabSettings;
  nodes: LabNode[];
  createdAt: string;
}

export const LIMITS = { promote: 89, workers: 140, slots: 250, nameLength: 16 } as const;

export const DEFAULTS = {
  promote: 2,
  workers: 0,
  proxyHost: false,
  serviceCidr: '10.96.0.0/12',
  dnsDomain: 'cluster.local',
  keyAlgorithm: 'ecdsa',
  apiserverPort: 6443,
  kubeadmConfigApi: 'v1beta4',
  sshUser: 'root',
  bastion: false,
  cluster: true,
  dnsEndpoint: false,
} as const;

const userName = z.string().regex(/^[a-z_][a-z0-9_-]{0,30}$/, 'a Unix user name ([a-z_][a-z0-9_-]*)');

export const optionsSchema = z.object({
  dir: z.string().min(1),
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes').max(LIMITS.nameLength).optional(),
  promote: z.number().int().min(0).max(LIMITS.promote).optional(),
  workers: z.number().int().min(0).max(LIMITS.workers).optional(),
  proxyHost: z.boolean().optional(),
  serviceCidr: z
    .string()
    .regex(/^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-f:]+\/\d{1,3})(,(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-f:]+\/\d{1,3}))?$/, 'a CIDR such as 10.96.0.0/12 or fd00:10:96::/112 (two, comma separated, for dual stack)')
    .optional(),
  dnsDomain: z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'a DNS domain such as cluster.local').optional(),
  keyAlgorithm: z.enum(['rsa', 'ecdsa', 'ecdsa-p384']).optional(),
  apiserverPort: z.number().int().min(1024).max(65535).optional(),
  kubeadmConfigApi: z.enum(['v1beta4', 'v1beta3']).optional(),
  sshUser: userName.optional(),
  sudoPassword: z.string().min(1).regex(/^[^\n:]*$/, 'no newline or colon').optional(),
  bastion: z.boolean().optional(),
  k8sVersion: z.string().regex(/^v?\d+\.\d+(\.\d+)?$/, 'a release such as 1.37 or 1.37.2').optional(),
  cluster: z.boolean().optional(),
  vip: z.enum(['keepalived', 'kube-vip']).optional(),
  dnsEndpoint: z.boolean().optional(),
  ipFamily: z.enum(['ipv4', 'ipv6', 'dual']).optional(),
});

/** Validates options; throws with every problem listed, in `--flag: problem` form. */
export function settingsFrom(opts: LabOptions): { name: string; dir: string; settings: LabSettings } {
  const parsed = optionsSchema.safeParse(opts);
  if (!parsed.success) {
    throw new LabInputError(parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; '));
  }
  const o = parsed.data;
  const sshUser = o.sshUser ?? DEFAULTS.sshUser;
  if (o.sudoPassword !== undefined && sshUser === 'root') {
    throw new LabInputError('sudoPassword needs a non-root sshUser (root does not use sudo)');
  }
  const dir = resolve(o.dir);
  const k8sVersion = o.k8sVersion === undefined ? defaultK8sVersion() : resolveK8sVersion(o.k8sVersion);
  if (k8sVersion === null) {
    throw new LabInputError(`k8sVersion: the lab has no Kubernetes ${o.k8sVersion} (it runs ${labReleases().join(', ')}; lab/components.txt lists them)`);
  }
  if (o.kubeadmConfigApi === 'v1beta3' && !/^1\.3[56]\./.test(k8sVersion)) {
    throw new LabInputError(`kubeadmConfigApi: v1beta3 needs Kubernetes 1.35 or 1.36 (kubeadm ${k8sVersion} no longer reads it)`);
  }
  if (o.vip !== undefined && o.proxyHost) throw new LabInputError('vip: the endpoint is either a virtual IP or a dedicated proxy host (proxyHost), not both');
  const ipFamily = o.ipFamily ?? 'ipv4';
  if (ipFamily !== 'ipv4' && o.bastion) throw new LabInputError(`ipFamily: ${ipFamily} with a bastion is not built (the bastion's outer network is IPv4)`);
  if (o.dnsEndpoint && o.vip === undefined && !o.proxyHost) {
    throw new LabInputError(`dnsEndpoint: ${DNS_ENDPOINT} needs an address that survives a node: use it with vip or proxyHost`);
  }
  return {
    dir,
    name: o.name ?? nameFromDir(dir),
    settings: {
      promote: o.promote ?? DEFAULTS.promote,
      workers: o.workers ?? DEFAULTS.workers,
      proxyHost: o.proxyHost ?? DEFAULTS.proxyHost,
      serviceCidr: o.serviceCidr ?? SERVICE_CIDRS[ipFamily],
      dnsDomain: o.dnsDomain ?? DEFAULTS.dnsDomain,
      keyAlgorithm: o.keyAlgorithm ?? DEFAULTS.keyAlgorithm,
      apiserverPort: o.apiserverPort ?? DEFAULTS.apiserverPort,
      kubeadmConfigApi: o.kubeadmConfigApi ?? DEFAULTS.kubeadmConfigApi,
      sshUser,
      sudo: sshUser === 'root' ? 'none' : o.sudoPassword !== undefined ? 'password' : 'nopasswd',
      bastion: o.bastion ?? DEFAULTS.bastion,
      k8sVersion,
      cluster: o.cluster ?? DEFAULTS.cluster,
      vip: o.vip ?? null,
      dnsEndpoint: o.dnsEndpoint ?? DEFAULTS.dnsEndpoint,
      ipFamily,
    },
  };
}

export class LabInputError extends Error {
  override readonly name = 'LabInputError';
}

/** `/work/x/.lab` → `lab`; anything outside [a-z0-9-] becomes a dash; at most 16 characters. */
export function nameFromDir(dir: string): string {
  const cleaned = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, LIMITS.nameLength)
    .replace(/-+$/, '');
  return cleaned || 'lab';
}

export function subnetOf(slot: number): string {
  return `10.200.${slot}.0/24`;
}

/** Node names, roles and host numbers on 10.200.k.0/24. */
export function nodePlan(settings: LabSettings): { name: string; role: NodeRole; host: number }[] {
  const out: { name: string; role: NodeRole; host: number }[] = [];
  if (settings.bastion) out.push({ name: 'bastion', role: 'bastion', host: 4 });
  if (settings.proxyHost) out.push({ name: 'lb', role: 'proxy', host: 5 });
  out.push({ name: 'cp1', role: 'master', host: 11 });
  for (let i = 1; i <= settings.promote; i++) out.push({ name: `cp${i + 1}`, role: 'promote', host: 11 + i });
  for (let i = 1; i <= settings.workers; i++) out.push({ name: `w${i}`, role: 'worker', host: 100 + i });
  return out;
}

export function buildNodes(name: string, dir: string, slot: number, settings: LabSettings): LabNode[] {
  const family = settings.ipFamily ?? 'ipv4';
  return nodePlan(settings).map((n) => ({
    name: n.name,
    role: n.role,
    address: family === 'ipv6' ? ipv6Of(slot, n.host) : `10.200.${slot}.${n.host}`,
    ...(family === 'dual' ? { address6: ipv6Of(slot, n.host) } : {}),
    netns: `${name}-${n.name}`,
    hostDir: join(dir, 'nodes', n.name),
    pid: 0,
    launcherPid: 0,
  }));
}

/** Interface names (at most 15 bytes, unique within their namespace). */
export const LINKS = {
  /** In a node: the leg on the lab bridge; the bastion's second leg is `eth1`. */
  node: 'eth0',
  bastionOuter: 'eth1',
  /** In the switch namespace: the peer of node X's eth0, and of the bastion's eth1. */
  switchPort: (node: string) => `v-${node}`,
  switchOuterPort: (node: string) => `o-${node}`,
  switchClientPort: 'v-cl',
  /** The client end when it lives in the creator's namespace (unique per slot). */
  clientInCaller: (slot: number) => `hawlab${slot}`,
  /** The client end inside `<name>-cl`. */
  clientInNetns: 'eth0',
  bridge: 'br0',
  outerBridge: 'br1',
} as const;

/**
 * Where a node's paths live on the host, relative to its hostDir. Writing to the host path before
 * the node starts is how the fixture seeds a node. The listed directories are bind mounts of the
 * node's own trees; see `OVERLAYS` for /etc, /var/lib, /etc/nginx and /etc/haproxy.
 */
export const NODE_MOUNTS: readonly { path: string; hostSubdir: string }[] = [
  { path: '/etc/kubernetes', hostSubdir: 'etc-kubernetes' },
  { path: '/var/lib/etcd', hostSubdir: 'var-lib-etcd' },
  { path: '/var/lib/kubelet', hostSubdir: 'var-lib-kubelet' },
  { path: '/root', hostSubdir: 'root' },
  { path: '/home', hostSubdir: 'home' },
  { path: '/var/log', hostSubdir: 'var-log' },
];

/** Copied into the node's tmpfs /usr/local/bin at start (shims such as `systemctl`). */
export const USR_LOCAL_BIN_SUBDIR = 'usr-local-bin';

/**
 * Overlays, mounted in this order: the host's tree below, the node's `upper` directory above, so
 * the node starts with the host's files and its writes stay its own. /etc/nginx and /etc/haproxy
 * are "seeded from the host" this way instead of by copying (copying 33 files into 50 nodes cost
 * seconds on this disk); their upper directories hold what the node (or the fixture) wrote.
 */
export const OVERLAYS: readonly { path: string; upper: string; work: string }[] = [
  { path: '/etc', upper: 'etc.upper', work: 'etc.work' },
  { path: '/var/lib', upper: 'var-lib.upper', work: 'var-lib.work' },
  { path: '/etc/nginx', upper: 'etc-nginx', work: 'etc-nginx.work' },
  { path: '/etc/haproxy', upper: 'etc-haproxy', work: 'etc-haproxy.work' },
];

const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

/**
 * The host path that a node sees at `inNodePath` (for writing seeds before start, or reading
 * results). For a path in an overlay it is the overlay's upper layer, which holds what was written
 * there (an untouched file is read from the host's own tree).
 */
export function hostPath(node: Pick<LabNode, 'hostDir'>, inNodePath: string): string {
  if (!inNodePath.startsWith('/')) throw new Error(`hostPath: ${inNodePath} is not absolute`);
  const candidates = [
    { path: '/usr/local/bin', sub: USR_LOCAL_BIN_SUBDIR },
    ...NODE_MOUNTS.map((m) => ({ path: m.path, sub: m.hostSubdir })),
    ...OVERLAYS.map((o) => ({ path: o.path, sub: o.upper })),
  ].filter((c) => under(inNodePath, c.path));
  const best = candidates.sort((a, b) => b.path.length - a.path.length)[0];
  if (!best) throw new Error(`hostPath: ${inNodePath} is the host's own path inside a node (not private to the node)`);
  return join(node.hostDir, best.sub, inNodePath.slice(best.path.length));
}

/**
 * Mount points inside an overlay, as host paths in the enclosing overlay's upper layer: made before
 * start so that `mount -a` finds them (the host has no /etc/kubernetes or /var/lib/kubelet).
 */
export function mountPointsInUppers(node: Pick<LabNode, 'hostDir'>): string[] {
  const points = [...OVERLAYS.map((o) => o.path), ...NODE_MOUNTS.map((m) => m.path), NODE_COMPONENTS_DIR];
  return points.flatMap((p) => {
    const o = OVERLAYS.filter((x) => p.startsWith(`${x.path}/`)).sort((a, b) => b.path.length - a.path.length)[0];
    return o ? [join(node.hostDir, o.upper, p.slice(o.path.length))] : [];
  });
}

/** Host paths that a node hides under its own mounts: a lab dir there would be invisible inside the nodes. */
export const SHADOWED_PATHS = ['/etc', '/var/lib', '/root', '/home', '/var/log', '/run', '/usr/local/bin'] as const;

export function shadowedBy(dir: string): string | null {
  return SHADOWED_PATHS.find((p) => dir === p || dir.startsWith(`${p}/`)) ?? null;
}
