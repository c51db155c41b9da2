/**
 * Parsers for what discovery reads from hosts: etcdctl JSON, ClusterConfiguration, certificates, ss and df.
 * Pure. Every remote output goes through a zod schema; a surprise is a BadInputError that says which
 * command on which host printed what kind of thing, and what to do (never the raw output: it may hold secrets).
 */
import { X509Certificate } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { BadInputError } from '../exit-codes.js';
import type { ClusterFacts, EtcdMember, KeyAlgorithm, KubeNode } from './facts.js';
import { canonicalJson, sha256 } from '../engine/model/hash.js';

function fail(what: string, issue: string, hint: string): never {
  throw new BadInputError(`${what}: ${issue}`, hint);
}

function firstIssue(e: z.ZodError): string {
  const i = e.issues[0];
  return i ? `${i.path.join('.') || '(root)'}: ${i.message}` : 'invalid';
}

function parseJson(text: string, what: string, hint: string): unknown {
  try {
    // etcd member IDs are uint64, beyond JavaScript's exact integers: keep them as strings.
    return JSON.parse(text.replace(/"(ID|id|member_id|cluster_id)"\s*:\s*(\d+)/g, '"$1":"$2"'));
  } catch {
    return fail(what, 'not JSON', hint);
  }
}

const memberListSchema = z.object({
  members: z
    .array(
      z.object({
        ID: z.string().regex(/^\d+$/),
        name: z.string().optional().default(''),
        peerURLs: z.array(z.string()).optional().default([]),
        clientURLs: z.array(z.string()).optional().default([]),
        isLearner: z.boolean().optional().default(false),
      }),
    )
    .min(1),
});

/** `etcdctl member list -w json`; ids in hex as etcdctl's table prints them. */
export function parseMemberList(text: string, host = 'the master'): EtcdMember[] {
  const what = `etcdctl member list on ${host}`;
  const hint = 'run the same etcdctl command on the master by hand; an old etcdctl (< 3.4) has no learner support and must be replaced';
  const r = memberListSchema.safeParse(parseJson(text, what, hint));
  if (!r.success) fail(what, `unexpected output (${firstIssue(r.error)})`, hint);
  return r.data.members.map((m) => ({ id: BigInt(m.ID).toString(16), name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs, isLearner: m.isLearner }));
}

const healthSchema = z.array(z.object({ endpoint: z.string(), health: z.boolean(), error: z.string().optional() })).min(1);

/** `etcdctl endpoint health -w json` (etcdctl exits non-zero when unhealthy but still prints this). */
export function parseEndpointHealth(text: string, host = 'the master'): Array<{ endpoint: string; health: boolean; error?: string }> {
  const what = `etcdctl endpoint health on ${host}`;
  const hint = 'run the same etcdctl command on the master by hand and check the etcd pod';
  const r = healthSchema.safeParse(parseJson(text, what, hint));
  if (!r.success) fail(what, `unexpected output (${firstIssue(r.error)})`, hint);
  return r.data.map((e) => ({ endpoint: e.endpoint, health: e.health, ...(e.error ? { error: e.error } : {}) }));
}

const clusterConfigSchema = z.looseObject({
  apiVersion: z.enum(['kubeadm.k8s.io/v1beta3', 'kubeadm.k8s.io/v1beta4']),
  kind: z.literal('ClusterConfiguration'),
  clusterName: z.string().optional(),
  controlPlaneEndpoint: z.string().optional(),
  imageRepository: z.string().optional(),
  encryptionAlgorithm: z.string().optional(),
  networking: z.looseObject({ serviceSubnet: z.string().optional(), podSubnet: z.string().optional(), dnsDomain: z.string().optional() }).optional(),
  apiServer: z.looseObject({ certSANs: z.array(z.string()).optional() }).nullish(),
  etcd: z.looseObject({ local: z.looseObject({}).optional(), external: z.looseObject({}).optional() }).optional(),
});

/** kube-system/kubeadm-config `data.ClusterConfiguration`, with kubeadm's defaults for omitted fields. */
export function parseClusterConfiguration(raw: string): ClusterFacts['clusterConfiguration'] & { externalEtcd: boolean } {
  const what = 'kube-system/kubeadm-config ClusterConfiguration';
  const hint = 'kubectl -n kube-system get cm kubeadm-config -o yaml; kubeadm 1.28–1.34 writes kubeadm.k8s.io/v1beta3 or v1beta4';
  let doc: unknown;
  try {
    doc = parseYaml(raw);
  } catch {
    fail(what, 'not valid YAML', hint);
  }
  const r = clusterConfigSchema.safeParse(doc);
  if (!r.success) fail(what, `unexpected content (${firstIssue(r.error)})`, hint);
  const c = r.data;
  return {
    apiVersion: c.apiVersion,
    raw,
    clusterName: c.clusterName ?? 'kubernetes',
    serviceSubnet: c.networking?.serviceSubnet ?? '10.96.0.0/12',
    ...(c.networking?.podSubnet ? { podSubnet: c.networking.podSubnet } : {}),
    dnsDomain: c.networking?.dnsDomain ?? 'cluster.local',
    ...(c.controlPlaneEndpoint ? { controlPlaneEndpoint: c.controlPlaneEndpoint } : {}),
    certSANs: c.apiServer?.certSANs ?? [],
    ...(c.encryptionAlgorithm ? { encryptionAlgorithm: c.encryptionAlgorithm } : {}),
    imageRepository: c.imageRepository ?? 'registry.k8s.io',
    externalEtcd: c.etcd?.external !== undefined,
  };
}

/** The key algorithm of a certificate's public key (the CA's: new keys match it). Reads only the public certificate. */
export function keyAlgorithmOfCert(pem: string, path: string): KeyAlgorithm {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return fail(path, 'not a PEM certificate', `restore ${path} from the backup kubeadm made, or from /etc/kubernetes on another node`);
  }
  const key = cert.publicKey;
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' && (d.modulusLength === 2048 || d.modulusLength === 3072 || d.modulusLength === 4096)) return `rsa-${d.modulusLength}`;
  if (key.asymmetricKeyType === 'ec' && d.namedCurve === 'prime256v1') return 'ecdsa-p256';
  if (key.asymmetricKeyType === 'ec' && d.namedCurve === 'secp384r1') return 'ecdsa-p384';
  return fail(path, `key type ${key.asymmetricKeyType ?? '?'} ${d.modulusLength ?? d.namedCurve ?? ''} is not one kubeadm issues`, 'ha-wizard issues RSA 2048/3072/4096 or ECDSA P-256/P-384 keys like kubeadm; other CAs need manual certificates');
}

export function certificateInfo(pem: string, path: string): { notAfter: Date; dnsNames: string[]; ipAddresses: string[] } {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return fail(path, 'not a PEM certificate', `restore ${path} (kubeadm certs renew recreates leaf certificates)`);
  }
  const sans = (cert.subjectAltName ?? '').split(', ').filter(Boolean);
  return {
    notAfter: new Date(cert.validTo),
    dnsNames: sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)),
    ipAddresses: sans.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice(11).toLowerCase()),
  };
}

/** Listening TCP ports from `ss -Hltn` (local address is the 4th column: 0.0.0.0:22, [::]:6443, *:10250). */
export function parseListeningPorts(text: string): number[] {
  const ports = new Set<number>();
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    const local = cols[3];
    const m = local ? /:(\d+)$/.exec(local) : null;
    if (m) ports.add(Number(m[1]));
  }
  return [...ports].sort((a, b) => a - b);
}

/** Free bytes from `df -PB1 PATH` (POSIX format: the 4th column of the second line). */
export function parseDfFree(text: string, path: string, host: string): number {
  const line = text.trim().split('\n')[1];
  const free = line ? Number(line.trim().split(/\s+/)[3]) : NaN;
  if (!Number.isFinite(free)) fail(`df on ${host}`, `could not read the free space of ${path}`, 'ha-wizard needs coreutils df (-P, -B1)');
  return free;
}

const nodeSchema = z.looseObject({
  metadata: z.looseObject({ name: z.string(), labels: z.record(z.string(), z.string()).optional() }),
  spec: z.looseObject({ taints: z.array(z.object({ key: z.string(), value: z.string().optional(), effect: z.string() })).optional() }).optional(),
  status: z
    .looseObject({
      addresses: z.array(z.object({ type: z.string(), address: z.string() })).optional(),
      conditions: z.array(z.looseObject({ type: z.string(), status: z.string() })).optional(),
    })
    .optional(),
});

/** `offset`: the index of items[0] in the whole list (a page of it), so an error names the item as kubectl lists it. */
export function parseNodes(items: unknown[], offset = 0): KubeNode[] {
  return items.map((item, i) => {
    const r = nodeSchema.safeParse(item);
    if (!r.success) fail('the Node list from the Kubernetes API', `item ${offset + i}: ${firstIssue(r.error)}`, 'kubectl get nodes -o yaml shows the same objects');
    const n = r.data;
    return {
      name: n.metadata.name,
      internalIP: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? null,
      ready: n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
      labels: n.metadata.labels ?? {},
      taints: (n.spec?.taints ?? []).map((t) => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: t.effect })),
    };
  });
}

/** `date +%s.%N` → seconds; the offset is (remote - (sent + received) / 2), so half the round trip cancels. */
export function clockOffsetMs(remoteText: string, sentMs: number, receivedMs: number, host: string): number {
  const remote = Number(remoteText.trim());
  if (!Number.isFinite(remote)) fail(`date on ${host}`, 'did not print seconds since the epoch', 'ha-wizard needs GNU date (+%s.%N)');
  return remote * 1000 - (sentMs + receivedMs) / 2;
}

/** sha256 of the facts' canonical JSON: a plan records it, apply refuses when rediscovery differs. */
export function factsFingerprint(facts: ClusterFacts): string {
  return sha256(canonicalJson(facts));
}

/** The script discovery's identity probe runs on each host (read-only); parseIdentity reads what it prints. */
export const IDENTITY_SCRIPT = [
  'printf "hostname=%s\\n" "$(cat /proc/sys/kernel/hostname 2>/dev/null || hostname)"',
  'for f in /var/lib/kubelet/kubeadm-flags.env /etc/default/kubelet /etc/sysconfig/kubelet; do [ -r "$f" ] && sed -n "s/.*--hostname-override[= ]\\([^\\" ]*\\).*/override=\\1/p" "$f"; done',
  '{ ip -o addr show 2>/dev/null || true; } | awk \'{ print "addr=" $4 }\'',
  // Only the certificate crosses the wire: the PEM file also holds the kubelet's private key.
  'sed -n "/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p" /var/lib/kubelet/pki/kubelet-client-current.pem 2>/dev/null | sed -n "1,/-----END CERTIFICATE-----/p"',
  'exit 0',
].join('\n');

/** What IDENTITY_SCRIPT printed: host name, --hostname-override, own addresses (no loopback or link-local), kubelet certificate's node name. */
export function parseIdentity(text: string): { hostname: string | null; hostnameOverride: string | null; addresses: string[]; kubeletNode: string | null } {
  const lines = text.split('\n');
  const value = (key: string) => lines.filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1).trim()).filter(Boolean);
  const addresses = value('addr')
    .map((a) => a.split('/')[0]!.toLowerCase())
    .filter((a) => !/^127\./.test(a) && a !== '::1' && !/^fe80:/.test(a));
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(text)?.[0];
  let kubeletNode: string | null = null;
  if (pem) {
    try {
      const cn = /(?:^|\n)CN=([^\n]+)/.exec(new X509Certificate(pem).subject)?.[1];
      kubeletNode = cn?.startsWith('system:node:') ? cn.slice('system:node:'.length) : null;
    } catch {
      kubeletNode = null;
    }
  }
  const overrides = value('override');
  return { hostname: value('hostname')[0] ?? null, hostnameOverride: overrides[overrides.length - 1]?.toLowerCase() ?? null, addresses: [...new Set(addresses)], kubeletNode };
}
