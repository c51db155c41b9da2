/**
 * Discovery: reads the cluster as it is, over SSH (the only transport) and the Kubernetes API (tunnelled
 * through the master). I/O only; every output goes through a parser in parse.ts. Secrets read here
 * (admin.conf, kubelet.conf with embedded keys) stay in memory long enough to read `server:`; facts
 * never hold them. Returns the facts the steps are built from and the data preflight evaluates.
 */
import type { ClusterConfigLike, ConfigNode } from './config-like.js';
import type { ClusterFacts, Finding, KubeNode } from './facts.js';
import type { Hosts, KubeApi, KubeApiFactory } from '../engine/model/ports.js';
import { apiserverURL } from './nodes.js';
import { RemoteError, type RemoteHost } from '../engine/model/remote-host.js';
import type { NodeProbe, PreflightData } from '../preflight/checks.js';
import { BadInputError } from '../exit-codes.js';
import { StaticPod } from '../manifests/static-pod.js';
import { versionFromImage } from '../manifests/versions.js';
import { apiserverPort } from '../manifests/apiserver.js';
import { getServer, parseKubeconfig } from '../kube/kubeconfig.js';
import { etcdctl, localEtcdEndpoint } from '../etcd/etcdctl.js';
import { AuditSink, apiserverFlagFindings, endpointUrlOf, linkFindings, matchers } from './old-address.js';
import { auditCluster, auditNodeFiles } from './audit.js';
import { REPOINT_WORKLOAD } from './api-clients.js';
import { SHARED_PKI_FILES } from '../pki/kubeadm-certs.js';
import { canonicalIP } from '../pki/ip.js';
import { hostPort } from '../pki/hosts.js';
import {
  certificateInfo,
  clockOffsetMs,
  keyAlgorithmOfCert,
  parseClusterConfiguration,
  parseDfFree,
  parseEndpointHealth,
  parseListeningPorts,
  parseMemberList,
  parseNodes,
  IDENTITY_SCRIPT,
  parseIdentity,
} from './parse.js';
import { discoverCarriedFiles } from './carry-over.js';
import { discoverEndpoint } from './endpoint.js';
import { KEEPALIVED_PATHS, KUBE_VIP_MANIFEST } from '../proxy/vip.js';
import { PROXY_PATHS } from '../proxy/render.js';
import { classifyPromoteNode, type HostIdentity, type PromoteState } from './node-state.js';
import { listPaged } from './paged.js';
import { mapLimit } from '../ssh/pool.js';

const PKI = '/etc/kubernetes/pki';
const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
const KUBELET_CONF = '/etc/kubernetes/kubelet.conf';
/** Configured nodes read at once during discovery (the engine's own cap of hosts at once, DEFAULT_MAX_PARALLEL_HOSTS). */
const DISCOVERY_PARALLEL_HOSTS = 50;
/** Files the plan may replace on a promoted node (their before-state is part of the facts). */
const NODE_FILES = [
  KUBELET_CONF,
  '/etc/kubernetes/admin.conf',
  '/etc/kubernetes/controller-manager.conf',
  '/etc/kubernetes/scheduler.conf',
  ...COMPONENTS.map((c) => `/etc/kubernetes/manifests/${c}.yaml`),
  ...SHARED_PKI_FILES.map((f) => f.path),
  ...['apiserver', 'apiserver-kubelet-client', 'front-proxy-client', 'apiserver-etcd-client', 'etcd/server', 'etcd/peer', 'etcd/healthcheck-client'].flatMap((b) => [`${PKI}/${b}.crt`, `${PKI}/${b}.key`]),
];
const MASTER_FILES = [...SHARED_PKI_FILES.map((f) => f.path), `${PKI}/apiserver.crt`, `${PKI}/apiserver.key`, '/etc/kubernetes/admin.conf', '/etc/kubernetes/super-admin.conf', ...COMPONENTS.map((c) => `/etc/kubernetes/manifests/${c}.yaml`)];

async function readText(host: RemoteHost, path: string): Promise<string | null> {
  try {
    return (await host.readFile(path)).toString('utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return null;
    throw e;
  }
}

async function sh(host: RemoteHost, argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await host.exec(argv, { timeoutMs: 30_000 });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

async function probeNode(host: RemoteHost, promote: boolean): Promise<NodeProbe> {
  const ss = await sh(host, ['ss', '-Hltn']);
  const sent = Date.now();
  const date = await sh(host, ['date', '+%s.%N']);
  const received = Date.now();
  const df = await sh(host, ['df', '-PB1', '/var/lib']);
  const probe: NodeProbe = {
    host: host.name,
    reachable: true,
    // Every RemoteHost runs as root (directly or through sudo probed at connect time).
    sudo: true,
    listening: parseListeningPorts(ss.stdout),
    clockOffsetMs: clockOffsetMs(date.stdout, sent, received, host.name),
    diskFree: [{ path: '/var/lib', bytes: parseDfFree(df.stdout, '/var/lib', host.name) }],
  };
  if (promote) probe.etcdDataPresent = (await host.stat('/var/lib/etcd/member')).exists;
  return probe;
}

/** Who the host says it is (read-only; only public data crosses the wire). */
async function identityOf(host: RemoteHost, node: ConfigNode, field: string, role: HostIdentity['role']): Promise<HostIdentity> {
  const r = await sh(host, ['sh', '-c', IDENTITY_SCRIPT]);
  return { host: node.name, field, role, address: node.address, ...parseIdentity(r.stdout) };
}

/** The apiserver certificate's SANs on a node, or null when it has none (public certificate only). */
async function apiserverSANsOn(host: RemoteHost): Promise<{ dnsNames: string[]; ipAddresses: string[] } | null> {
  const text = await readText(host, `${PKI}/apiserver.crt`);
  if (text === null) return null;
  const { dnsNames, ipAddresses } = certificateInfo(text, `${host.name}:${PKI}/apiserver.crt`);
  return { dnsNames, ipAddresses };
}

/** A kubeconfig's server, read in memory; its credentials are dropped here. */
function serverOf(text: string, label: string): string {
  return getServer(parseKubeconfig(text, label), label);
}

function hasEmbeddedSecret(text: string, label: string): boolean {
  return parseKubeconfig(text, label).users.some((u) => u.user['client-key-data'] !== undefined || u.user.token !== undefined);
}

export interface DiscoveryResult {
  facts: ClusterFacts;
  preflight: PreflightData;
}

/**
 * The master is the one host discovery cannot go without: failing to reach it (address, port, user, key,
 * host key, sudo) is a problem in the operator's input or setup, found before anything changed (exit 2).
 * The other nodes' connection problems become the SSH preflight check instead.
 */
async function connectMaster(hosts: Hosts, masterName: string): Promise<RemoteHost> {
  try {
    return await hosts.get(masterName);
  } catch (err) {
    if (!(err instanceof RemoteError)) throw err;
    const fix = err.code?.startsWith('EHOSTKEY')
      ? 'if the host was reinstalled, verify the new key out of band and update known_hosts (ssh-keygen -R HOST); otherwise treat it as an attack'
      : err.code === 'ESUDO'
        ? 'log in as root, or allow the SSH user sudo (NOPASSWD, or ssh.sudo: password in a terminal)'
        : 'check controlPlane.existing.address, ssh.user, ssh.port and ssh.identityFiles (ssh -v to the same target)';
    throw new BadInputError(`cannot reach the master ${masterName}, nothing was changed: ${err.message}`, `fix: ${fix}`);
  }
}

export async function discover(config: ClusterConfigLike, hosts: Hosts, kube: KubeApiFactory, now = new Date()): Promise<DiscoveryResult> {
  const masterName = config.controlPlane.existing.name;
  const master = await connectMaster(hosts, masterName);
  const files: Record<string, string | null> = {};
  const hash = async (h: RemoteHost, path: string) => (files[`${h.name}:${path}`] = await h.sha256(path));

  // Static pod manifests: versions, ports, addresses; unparsable ones are a preflight failure.
  const manifests: Record<string, string> = {};
  const manifestErrors: Record<string, string> = {};
  const pods: Partial<Record<(typeof COMPONENTS)[number], StaticPod>> = {};
  for (const c of COMPONENTS) {
    const text = await readText(master, `/etc/kubernetes/manifests/${c}.yaml`);
    if (text === null) {
      if (c !== 'etcd') manifestErrors[c] = 'missing';
      continue;
    }
    manifests[c] = text;
    try {
      pods[c] = StaticPod.parse(text, c);
    } catch (e) {
      manifestErrors[c] = e instanceof BadInputError ? e.message : String(e);
    }
  }
  const api = pods['kube-apiserver'];
  const kubernetesVersion = api ? versionFromImage(api.image) : null;
  const etcdVersion = pods.etcd ? versionFromImage(pods.etcd.image) : null;
  const advertiseAddress = api?.flag('advertise-address') ?? config.controlPlane.existing.address;

  // CAs: algorithms from the public certificates only.
  const caPem = async (path: string) => {
    const text = await readText(master, path);
    if (text === null) throw new BadInputError(`${path} is missing on ${masterName}`, 'is this the kubeadm control-plane node? ha-wizard reads the cluster CA from it');
    return text;
  };
  const keyAlgorithms = {
    ca: keyAlgorithmOfCert(await caPem(`${PKI}/ca.crt`), `${PKI}/ca.crt`),
    etcdCa: pods.etcd ? keyAlgorithmOfCert(await caPem(`${PKI}/etcd/ca.crt`), `${PKI}/etcd/ca.crt`) : keyAlgorithmOfCert(await caPem(`${PKI}/ca.crt`), `${PKI}/ca.crt`),
    frontProxyCa: keyAlgorithmOfCert(await caPem(`${PKI}/front-proxy-ca.crt`), `${PKI}/front-proxy-ca.crt`),
  };
  const apiserverCert = certificateInfo(await caPem(`${PKI}/apiserver.crt`), `${PKI}/apiserver.crt`);
  const caCert = certificateInfo(await caPem(`${PKI}/ca.crt`), `${PKI}/ca.crt`);

  // The Kubernetes API through the master.
  const k: KubeApi = await kube.forHost(master);
  const kubeadmConfig = await k.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'kubeadm-config' });
  const ccText = (kubeadmConfig?.['data'] as Record<string, string> | undefined)?.['ClusterConfiguration'];
  if (!ccText) throw new BadInputError('kube-system/kubeadm-config has no ClusterConfiguration', 'this cluster was not made by kubeadm, or the ConfigMap was edited; restore it with kubeadm init phase upload-config kubeadm');
  const { externalEtcd, ...clusterConfiguration } = parseClusterConfiguration(ccText);
  // Page by page (kubectl's chunk size): 5,000 Nodes are never one response nor one parsed array of raw objects.
  const nodes: KubeNode[] = (await listPaged(k, 'v1', 'Node', { map: (items, offset) => parseNodes(items, offset) })).items;
  const apiserverPods = await k.list('v1', 'Pod', 'kube-system', 'component=kube-apiserver');
  const kubeProxy = await k.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'kube-proxy' });
  const clusterInfo = await k.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-public', name: 'cluster-info' });
  const cmServer = (cm: typeof kubeProxy, key: string, label: string) => {
    const text = (cm?.['data'] as Record<string, string> | undefined)?.[key];
    return text ? serverOf(text, label) : null;
  };

  // etcd, from the master's local member.
  const etcdctlAvailable = (await sh(master, ['sh', '-c', 'command -v etcdctl'])).code === 0;
  let members: ClusterFacts['etcd']['members'] = [];
  let healthy: boolean | null = null;
  let healthError: string | undefined;
  const etcdEndpoint = localEtcdEndpoint(pods.etcd?.flag('listen-client-urls'));
  if (pods.etcd && etcdctlAvailable) {
    const list = await sh(master, etcdctl(['member', 'list', '-w', 'json'], etcdEndpoint));
    if (list.code !== 0) throw new BadInputError(`etcdctl member list failed on ${masterName}: ${list.stderr.trim().split('\n')[0] ?? ''}`, 'check that etcd runs and /etc/kubernetes/pki/etcd/healthcheck-client.{crt,key} exist');
    members = parseMemberList(list.stdout, masterName);
    const health = await sh(master, etcdctl(['endpoint', 'health', '-w', 'json'], etcdEndpoint));
    const parsed = health.stdout.trim() ? parseEndpointHealth(health.stdout, masterName) : [];
    healthy = parsed.length > 0 && parsed.every((h) => h.health);
    healthError = parsed.find((h) => h.error)?.error ?? (health.code !== 0 ? health.stderr.trim().split('\n')[0] : undefined);
  }

  // Files the plan reads or replaces, and the servers of kubeconfigs that will be repointed.
  for (const p of MASTER_FILES) await hash(master, p);
  const kubeconfigServers: Record<string, string> = {};
  for (const p of ['/etc/kubernetes/admin.conf', '/etc/kubernetes/super-admin.conf']) {
    const text = await readText(master, p);
    if (text !== null) kubeconfigServers[`${masterName}:${p}`] = serverOf(text, `${masterName}:${p}`);
  }
  const kubeconfigTexts: Record<string, string> = {};
  // The audit: ha-wizard's references to the old master outside kubeadm's files, node by node (server lines only).
  const apiPort = api ? apiserverPort(api) : 6443;
  const ms = matchers(advertiseAddress, apiPort);
  const oldURL = apiserverURL(advertiseAddress, apiPort);
  const endpointUrl = endpointUrlOf(config);
  const nodeFindings: Finding[] = [];
  const nodeNotes: string[] = [];
  const auditFiles = async (h: RemoteHost) => {
    const r = await auditNodeFiles(h, ms, oldURL, endpointUrl);
    nodeFindings.push(...r.findings);
    if (r.note) nodeNotes.push(r.note);
  };
  await auditFiles(master);
  const probes: NodeProbe[] = [await probeNode(master, false)];
  const identities: HostIdentity[] = [await identityOf(master, config.controlPlane.existing, 'controlPlane.existing', 'master')];
  const promotedSANs: Record<string, { dnsNames: string[]; ipAddresses: string[] }> = {};
  const fields = new Map<ConfigNode, string>([...config.controlPlane.promote.map((n, i) => [n, `controlPlane.promote[${i}]`] as const), ...(config.workers ?? []).map((n, i) => [n, `workers[${i}]`] as const)]);
  const others: Array<[ConfigNode, boolean]> = [...config.controlPlane.promote.map((n) => [n, true] as [ConfigNode, boolean]), ...(config.workers ?? []).map((n) => [n, false] as [ConfigNode, boolean])];
  const reachable = new Map<string, RemoteHost>([[masterName, master]]);
  // Every other configured node is only read, so they are read in parallel (one SSH connection each, at most
  // DISCOVERY_PARALLEL_HOSTS at a time): a 5,000-worker fleet one node after another took minutes. What was read
  // is then taken in config order, so the facts (and the plan's fingerprint) do not depend on who answered first.
  const inspected = await mapLimit(others, DISCOVERY_PARALLEL_HOSTS, async ([node, promote]) => {
    let h: RemoteHost;
    try {
      h = await hosts.get(node.name);
    } catch (e) {
      return { node, unreachable: (e as Error).message } as const;
    }
    const probe = await probeNode(h, promote);
    const audit = await auditNodeFiles(h, ms, oldURL, endpointUrl);
    const identity = await identityOf(h, node, fields.get(node)!, promote ? 'promote' : 'worker');
    const sums: Array<[string, string | null]> = [];
    for (const p of promote ? NODE_FILES : [KUBELET_CONF]) sums.push([`${node.name}:${p}`, await h.sha256(p)]);
    const hasApiserver = sums.some(([k, v]) => k === `${node.name}:/etc/kubernetes/manifests/kube-apiserver.yaml` && v);
    const sans = promote && hasApiserver ? await apiserverSANsOn(h) : null;
    const kubeletConf = await readText(h, KUBELET_CONF);
    return { node, promote, h, probe, audit, identity, sums, sans, kubeletConf } as const;
  });
  for (const r of inspected) {
    // A failure other than the connection itself ends discovery, as it did node by node: the first in config order.
    if (!r.ok) throw r.error;
    const v = r.value;
    if ('unreachable' in v) {
      probes.push({ host: v.node.name, reachable: false, reachError: v.unreachable, sudo: false, listening: [], clockOffsetMs: null, diskFree: [] });
      continue;
    }
    const { node, promote, h, probe } = v;
    reachable.set(node.name, h);
    nodeFindings.push(...v.audit.findings);
    if (v.audit.note) nodeNotes.push(v.audit.note);
    identities.push(v.identity);
    for (const [k, sum] of v.sums) files[k] = sum;
    if (v.sans) promotedSANs[node.name] = v.sans;
    const label = `${node.name}:${KUBELET_CONF}`;
    if (v.kubeletConf !== null) {
      kubeconfigServers[label] = serverOf(v.kubeletConf, label);
      if (!hasEmbeddedSecret(v.kubeletConf, label)) kubeconfigTexts[label] = v.kubeletConf;
    }
    if (promote) probe.kubeletConfReadable = kubeconfigTexts[label] !== undefined;
    probes.push(probe);
  }

  const sink = new AuditSink();
  const wanted = Array.isArray(config.repoint) ? config.repoint.filter((r) => REPOINT_WORKLOAD.test(r)) : [];
  const cluster = await auditCluster(k, ms, advertiseAddress, sink, wanted);
  for (const f of apiserverFlagFindings(manifests['kube-apiserver'], masterName, ms, endpointUrl)) sink.add(f);
  for (const f of nodeFindings) sink.add(f);
  for (const n of nodeNotes) sink.note(n);
  const found = sink.result();
  const audit = { findings: linkFindings(found.findings, cluster.offers, cluster.rendered), notes: found.notes };

  // The endpoint on the network: a DNS name resolved on every node; the virtual IP's interfaces, holders, keepalived.
  const cpHosts = [
    { host: master, address: advertiseAddress },
    ...config.controlPlane.promote.flatMap((n) => (reachable.has(n.name) ? [{ host: reachable.get(n.name)!, address: n.address }] : [])),
  ];
  const cpNames = new Set(cpHosts.map((c) => c.host.name));
  const endpoint = await discoverEndpoint(config, cpHosts, [...reachable.values()].filter((h) => !cpNames.has(h.name)));
  if (endpoint.vip) {
    // The files the VIP's steps write on every control-plane node (their before-state, for the diff and staleness).
    const vipFiles = [KEEPALIVED_PATHS.config, KEEPALIVED_PATHS.check, KUBE_VIP_MANIFEST, PROXY_PATHS[config.proxy.kind].config, PROXY_PATHS[config.proxy.kind].manifest];
    for (const c of cpHosts) for (const p of vipFiles) await hash(c.host, p);
  }

  const masterNodeName = nodes.find((n) => n.internalIP === advertiseAddress)?.name ?? masterName;
  const dataDir = (pods.etcd?.flag('data-dir') ?? '/var/lib/etcd').replace(/\/+$/, '');
  const promoteStates: Record<string, PromoteState> = {};
  for (const n of config.controlPlane.promote) {
    const probe = probes.find((p) => p.host === n.name);
    if (!probe?.reachable) continue;
    promoteStates[n.name] = classifyPromoteNode({
      host: n.name,
      nodeName: nodes.find((x) => x.internalIP === n.address)?.name ?? n.name,
      address: n.address,
      master: masterName,
      members,
      apiserverManifest: files[`${n.name}:/etc/kubernetes/manifests/kube-apiserver.yaml`] != null,
      etcdManifest: files[`${n.name}:/etc/kubernetes/manifests/etcd.yaml`] != null,
      etcdDataPresent: probe.etcdDataPresent === true,
      listening: probe.listening,
      dataDir,
    });
    // A complete node is kept as it is, so its apiserver certificate must already name the endpoint.
    const sans = promotedSANs[n.name];
    const endpointHost = config.endpoint.host.toLowerCase();
    if (promoteStates[n.name]!.kind === 'complete' && sans && ![...sans.dnsNames, ...sans.ipAddresses].map((x) => x.toLowerCase()).includes(canonicalIP(endpointHost) ?? endpointHost)) {
      promoteStates[n.name] = {
        kind: 'blocked',
        check: 'NodeState',
        message: `${n.name} is already a control-plane node, but its apiserver certificate does not name the endpoint ${config.endpoint.host} (SANs: ${[...sans.dnsNames, ...sans.ipAddresses].join(', ')}): clients of the endpoint would fail with "x509: certificate is valid for …, not ${config.endpoint.host}"`,
        fix: `on ${n.name}: mv /etc/kubernetes/pki/apiserver.crt /etc/kubernetes/pki/apiserver.key /root/ && kubeadm init phase certs apiserver --apiserver-advertise-address=${n.address} --apiserver-cert-extra-sans=${config.endpoint.host} --control-plane-endpoint=${hostPort(config.endpoint.host, config.endpoint.port)} --service-cidr=${clusterConfiguration.serviceSubnet} --service-dns-domain=${clusterConfiguration.dnsDomain}, then restart its kube-apiserver (move its manifest out of /etc/kubernetes/manifests and back) and run ha-wizard again`,
        ignorable: false,
      };
    }
  }
  // What the master's manifests name besides kubeadm's own files, for the nodes that will run copies of them.
  const targets: RemoteHost[] = [];
  for (const n of config.controlPlane.promote) {
    if (promoteStates[n.name] && promoteStates[n.name]!.kind !== 'complete') targets.push(await hosts.get(n.name));
  }
  const carried = await discoverCarriedFiles(master, targets, manifests, config.carryOver?.allowPaths ?? []);
  const apiserverNodes = [...new Set(apiserverPods.map((p) => ((p as { spec?: { nodeName?: unknown } }).spec?.nodeName)).filter((x): x is string => typeof x === 'string'))];
  const facts: ClusterFacts = {
    config,
    kubernetesVersion: kubernetesVersion ?? 'unknown',
    etcdVersion: etcdVersion ?? 'unknown',
    master: { name: masterNodeName, address: advertiseAddress, apiserverPort: api ? apiserverPort(api) : 6443, advertiseAddress },
    clusterConfiguration,
    keyAlgorithms,
    manifests,
    masterApiserverSANs: { dnsNames: apiserverCert.dnsNames, ipAddresses: apiserverCert.ipAddresses },
    etcd: { members },
    nodes,
    kubeconfigServers,
    kubeconfigTexts,
    kubeProxyServer: cmServer(kubeProxy, 'kubeconfig.conf', 'kube-system/kube-proxy kubeconfig.conf'),
    clusterInfoServer: cmServer(clusterInfo, 'kubeconfig', 'kube-public/cluster-info kubeconfig'),
    files,
    audit,
    apiClients: { offers: cluster.offers, seen: cluster.seen },
    promoteStates: Object.fromEntries(Object.entries(promoteStates).map(([h, st]) => [h, st.kind === 'blocked' ? 'fresh' : st.kind])),
    promotedApiserverSANs: promotedSANs,
    carriedFiles: carried.files,
    ...(endpoint.vip
      ? { vipInterfaces: Object.fromEntries(endpoint.vip.nodes.flatMap((n) => (n.interface ? [[n.host, n.interface] as const] : []))) }
      : {}),
  };
  const preflight: PreflightData = {
    now,
    kubernetesVersion,
    master: masterName,
    promote: config.controlPlane.promote.map((n) => {
      const kn = nodes.find((x) => x.internalIP === n.address) ?? nodes.find((x) => x.name === n.name);
      return { host: n.name, nodeName: kn?.name ?? n.name, ready: kn ? kn.ready : null };
    }),
    nodes: probes,
    etcd: { external: externalEtcd || !pods.etcd, healthy, ...(healthError ? { healthError } : {}), members, etcdctlAvailable },
    sharedKeys: Object.fromEntries(SHARED_PKI_FILES.filter((f) => f.path.endsWith('.key') || f.path.endsWith('sa.pub')).map((f) => [f.path, files[`${masterName}:${f.path}`] != null])),
    certificates: [
      { path: `${PKI}/ca.crt`, notAfter: caCert.notAfter },
      { path: `${PKI}/apiserver.crt`, notAfter: apiserverCert.notAfter },
    ],
    apiserverCount: Math.max(apiserverPods.length, 1),
    manifestErrors,
    identities,
    clusterNodes: nodes.map((n) => ({ name: n.name, internalIP: n.internalIP })),
    masterAddress: advertiseAddress,
    promoteStates,
    nodesAddresses: [config.controlPlane.existing, ...config.controlPlane.promote].map((n) => ({ host: n.name, address: n.address })),
    apiserverNodes,
    carryProblems: carried.problems,
    endpoint: {
      ...endpoint,
      host: config.endpoint.host,
      port: config.endpoint.port,
      placement: config.proxy.placement,
      ...(config.proxy.host ? { proxyAddress: config.proxy.host.address } : {}),
      apiserverPort: api ? apiserverPort(api) : 6443,
      apiserverBindAddress: api?.flag('bind-address') ?? null,
    },
  };
  return { facts, preflight };
}
