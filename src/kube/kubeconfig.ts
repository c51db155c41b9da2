/**
 * Kubeconfig files: parse (zod-validated), build the way kubeadm writes them, read and change the
 * current cluster's server, extract credentials in memory.
 *
 * kubeadm writes kubeconfigs with client-go's clientcmd.Write: JSON field order sorted, so
 * apiVersion, clusters, contexts, current-context, kind, preferences, users; one cluster named after
 * ClusterConfiguration.clusterName ("kubernetes"), one user (the client cert's CN), one context
 * "<user>@<cluster>" (kubeconfig.go CreateWithCerts / kubeconfigutil.CreateBasic).
 */
import { z } from 'zod';
import { parseDocument, stringify } from 'yaml';

const ClusterSchema = z.looseObject({
  server: z.string().min(1),
  'certificate-authority-data': z.string().optional(),
  'certificate-authority': z.string().optional(),
  'tls-server-name': z.string().optional(),
  'insecure-skip-tls-verify': z.boolean().optional(),
});

const UserSchema = z.looseObject({
  'client-certificate-data': z.string().optional(),
  'client-key-data': z.string().optional(),
  'client-certificate': z.string().optional(),
  'client-key': z.string().optional(),
  token: z.string().optional(),
});

function nullableList<T extends z.ZodType>(item: T) {
  return z
    .array(item)
    .nullable()
    .default([])
    .transform((v) => v ?? []);
}

export const KubeconfigSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  // kubeadm writes `contexts: null` and `users: null` in kube-public/cluster-info: null is an empty list.
  clusters: nullableList(z.looseObject({ name: z.string(), cluster: ClusterSchema })),
  contexts: nullableList(z.looseObject({ name: z.string(), context: z.looseObject({ cluster: z.string(), user: z.string(), namespace: z.string().optional() }) })),
  'current-context': z
    .string()
    .optional()
    .transform((c) => (c === '' ? undefined : c)),
  users: nullableList(z.looseObject({ name: z.string(), user: UserSchema.nullable().transform((u) => u ?? {}) })),
  preferences: z.record(z.string(), z.unknown()).optional(),
});

export type Kubeconfig = z.infer<typeof KubeconfigSchema>;

/** Parses kubeconfig YAML; `label` (host:path) names it in errors. Never quotes the content (it holds keys). */
export function parseKubeconfig(text: string | Buffer, label = 'kubeconfig'): Kubeconfig {
  let raw: unknown;
  try {
    const doc = parseDocument(text.toString(), { prettyErrors: false });
    if (doc.errors.length > 0) throw new Error('yaml');
    raw = doc.toJS();
  } catch {
    throw new Error(`${label}: not valid YAML`);
  }
  const parsed = KubeconfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${label}: not a kubeconfig (${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'})`);
  }
  return parsed.data;
}

/** The current context's cluster and user (the only ones kubeadm files have). */
export function currentContext(kc: Kubeconfig, label = 'kubeconfig') {
  const ctxName = kc['current-context'] ?? (kc.contexts.length === 1 ? kc.contexts[0]!.name : undefined);
  const ctx = kc.contexts.find((c) => c.name === ctxName);
  if (!ctx) {
    // A context-less kubeconfig with one cluster (kube-public/cluster-info) still has a server.
    const only = kc.clusters.length === 1 ? kc.clusters[0]! : undefined;
    if (only) return { contextName: '', clusterName: only.name, cluster: only.cluster, userName: '', user: undefined };
    throw new Error(`${label}: no current context`);
  }
  const cluster = kc.clusters.find((c) => c.name === ctx.context.cluster);
  if (!cluster) throw new Error(`${label}: context "${ctx.name}" names cluster "${ctx.context.cluster}", which is not defined`);
  const user = kc.users.find((u) => u.name === ctx.context.user);
  return { contextName: ctx.name, clusterName: cluster.name, cluster: cluster.cluster, userName: ctx.context.user, user: user?.user };
}

export function getServer(kc: Kubeconfig, label?: string): string {
  return currentContext(kc, label).cluster.server;
}

/** A copy with the current cluster's server replaced. */
export function setServer(kc: Kubeconfig, server: string, label?: string): Kubeconfig {
  const { clusterName } = currentContext(kc, label);
  return { ...kc, clusters: kc.clusters.map((c) => (c.name === clusterName ? { ...c, cluster: { ...c.cluster, server } } : c)) };
}

/**
 * Replaces the current cluster's server in kubeconfig text, keeping everything else byte for byte
 * where the YAML allows (comments, order, the embedded credentials). For kubelet.conf, admin.conf,
 * the kube-proxy ConfigMap's kubeconfig.conf.
 */
export function setServerInText(text: string, server: string, label = 'kubeconfig'): string {
  // Every worker's kubelet.conf is usually the same text (its credentials are file references): parse it once.
  const key = `${server}\n${text}`;
  const hit = serverEdits.get(key);
  if (hit !== undefined) return hit;
  const out = setServerInTextUncached(text, server, label);
  if (serverEdits.size >= 256) serverEdits.clear();
  serverEdits.set(key, out);
  return out;
}

/** Successful edits only (a failure is recomputed, so its message names the file it came from). */
const serverEdits = new Map<string, string>();

function setServerInTextUncached(text: string, server: string, label: string): string {
  const kc = parseKubeconfig(text, label);
  const { clusterName } = currentContext(kc, label);
  const doc = parseDocument(text);
  const clusters = doc.get('clusters') as { items: Array<{ get(k: string): unknown; getIn(p: string[], keepNode: true): unknown }> } | undefined;
  const item = clusters?.items.find((c) => c.get('name') === clusterName);
  const node = item?.getIn(['cluster', 'server'], true) as { range?: [number, number, number] } | undefined;
  if (!node?.range) throw new Error(`${label}: cluster "${clusterName}" has no server`);
  // Splice the scalar's own bytes so nothing else moves (indentation style, comments, key order).
  const [start, end] = node.range;
  const quote = text[start] === '"' || text[start] === "'" ? text[start] : '';
  if (!/^[A-Za-z0-9:/.\[\]_-]+$/.test(server)) throw new Error(`${label}: refusing unusual server URL "${server}"`);
  return text.slice(0, start) + quote + server + quote + text.slice(end);
}

export interface KubeCredentials {
  server: string;
  /** PEM; absent when the kubeconfig trusts the system roots. */
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  tlsServerName?: string;
}

const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** The embedded credentials of the current context, decoded in memory. File references are refused: the file lives on the host, not here. */
export function credentials(kc: Kubeconfig, label = 'kubeconfig'): KubeCredentials {
  const { cluster, user } = currentContext(kc, label);
  if (cluster['certificate-authority'] && !cluster['certificate-authority-data']) {
    throw new Error(`${label}: certificate-authority is a file reference (${cluster['certificate-authority']}); only embedded data is supported`);
  }
  if (user?.['client-certificate'] && !user['client-certificate-data']) {
    throw new Error(`${label}: client-certificate is a file reference (${user['client-certificate']}); only embedded data is supported`);
  }
  const out: KubeCredentials = { server: cluster.server };
  if (cluster['certificate-authority-data']) out.caPem = b64(cluster['certificate-authority-data']);
  if (cluster['tls-server-name']) out.tlsServerName = cluster['tls-server-name'];
  if (user?.['client-certificate-data']) out.certPem = b64(user['client-certificate-data']);
  if (user?.['client-key-data']) out.keyPem = b64(user['client-key-data']);
  if (user?.token) out.token = user.token;
  return out;
}

export interface KubeconfigParts {
  clusterName: string;
  server: string;
  caPem: string;
  userName: string;
  certPem: string;
  keyPem: string;
}

/** A kubeconfig exactly shaped like kubeadm's (clientcmd.Write of CreateWithCerts). */
export function buildKubeconfig(p: KubeconfigParts): string {
  const enc = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  const context = `${p.userName}@${p.clusterName}`;
  return stringify(
    {
      apiVersion: 'v1',
      clusters: [{ cluster: { 'certificate-authority-data': enc(p.caPem), server: p.server }, name: p.clusterName }],
      contexts: [{ context: { cluster: p.clusterName, user: p.userName }, name: context }],
      'current-context': context,
      kind: 'Config',
      preferences: {},
      users: [{ name: p.userName, user: { 'client-certificate-data': enc(p.certPem), 'client-key-data': enc(p.keyPem) } }],
    },
    { lineWidth: 0, indentSeq: false },
  );
}

/** "https://host:port" → address and port (default 443), with IPv6 brackets removed. */
export function parseServerURL(server: string): { host: string; port: number } {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new Error(`invalid server URL "${server}"`);
  }
  if (url.protocol !== 'https:') throw new Error(`server URL "${server}" is not https`);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port: url.port ? Number(url.port) : 443 };
}
