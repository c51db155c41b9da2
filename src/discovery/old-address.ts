/**
 * References to the old master address outside what kubeadm owns: found at discovery (audit.ts pages through the
 * API and asks every node; the scans here are pure) and reported from the facts (oldAddressReport: the plan
 * output, `plan --json`, the wizard and apply's end; reporters/old-address-text.ts words it).
 *
 * What the audit reads, per field, with the exact object and field path:
 *   - ConfigMaps of every namespace: `data.<key>` (a multi-line value line by line: `data.<key> line <n>`)
 *   - Secrets of every namespace whose values are kubeconfigs: compared in memory, never shown, kept or logged
 *   - DaemonSets, Deployments, StatefulSets, CronJobs: `env[name=X].value`, `args[i]`, `command[i]` of every
 *     container and init container
 *   - kubeconfig files on every node outside kubeadm's (`/root/.kube/config`, `/home/x/.kube/config`,
 *     `/etc/kubernetes/*.conf` kubeadm did not write, `/var/lib/x/kubeconfig`): their `server:` lines only
 *   - the master's kube-apiserver flags `--service-account-issuer`, `--service-account-jwks-uri`,
 *     `--oidc-issuer-url`: reported with what changing them costs, never rewritten
 * What the repoint step changes itself (kube-proxy's kubeconfig.conf, kubeadm-config, cluster-info) is not
 * reported; what the repoint-clients step can change (api-clients.ts) is linked to its offer, and reported as
 * repointed when the operator chose it.
 *
 * Read-only and best effort: every remote object is checked with zod; an object that does not parse, or a list
 * the API refuses, becomes a note instead of stopping the conversion. Memory stays bounded: objects are scanned
 * page by page and dropped, and at most MAX_FINDINGS findings are kept (a note counts the rest).
 */
import { z } from 'zod';
import type { KubeObject } from '../engine/model/ports.js';
import { canonicalIP } from '../pki/ip.js';
import { hostPort, urlHost } from '../pki/hosts.js';
import { StaticPod } from '../manifests/static-pod.js';
import type { AuditResult, ClientOffer, ClusterFacts, Finding } from './facts.js';
import type { ClusterConfigLike } from './config-like.js';
import { chooseOffers } from './api-clients.js';
import { apiserverURL, controlPlaneHosts, masterURL, workerHosts } from './nodes.js';

export { chooseOffers };

/** How many findings the audit keeps; the rest are counted in a note. */
export const MAX_FINDINGS = 500;

/** Fields the repoint steps own; they are not "other" references. */
const HANDLED = new Set([
  'ConfigMap kube-system/kube-proxy data.kubeconfig.conf',
  'ConfigMap kube-system/kubeadm-config data.ClusterConfiguration',
  'ConfigMap kube-public/cluster-info data.kubeconfig',
]);

/** kubeconfigs kubeadm writes under /etc/kubernetes: ha-wizard repoints or rewrites them itself, or they name the local apiserver by design. */
export const KUBEADM_KUBECONFIGS = ['admin.conf', 'super-admin.conf', 'kubelet.conf', 'controller-manager.conf', 'scheduler.conf', 'bootstrap-kubelet.conf'].map((f) => `/etc/kubernetes/${f}`);

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export type Matchers = Array<{ label: string; re: RegExp }>;

/** Matchers for the master: `https://<ip>`, `<ip>:<port>`, and the bare address as a whole token. */
export function matchers(address: string, port: number): Matchers {
  const ip = canonicalIP(address) ?? address;
  const spelled = urlHost(ip);
  // Not preceded or followed by characters that would make it part of a longer address or name.
  const edgeL = '(?<![0-9A-Za-z.:\\[-])';
  const edgeR = ip.includes(':') ? '(?![0-9A-Fa-f:\\]])' : '(?![0-9A-Za-z/-]|\\.\\d)';
  return [
    { label: `https://${spelled}`, re: new RegExp(`https://${escape(spelled)}(?![0-9A-Za-z.-])`) },
    { label: hostPort(ip, port), re: new RegExp(`${edgeL}${escape(hostPort(ip, port))}(?!\\d)`) },
    { label: ip, re: new RegExp(`${edgeL}${escape(ip)}${edgeR}`) },
  ];
}

export function firstMatch(text: string, ms: Matchers): string | null {
  for (const m of ms) if (m.re.test(text)) return m.label;
  return null;
}

function clip(s: string): string {
  const one = s.trim();
  return one.length > 200 ? `${one.slice(0, 197)}...` : one;
}

/** What a finding of a Secret shows instead of the value. */
export const SECRET_VALUE = '(a Secret value: compared in memory only, never shown or kept)';

/**
 * Where findings and notes go while the audit pages through a cluster: at most `max` findings are kept, the
 * others only counted, so a cluster with thousands of references still fits in memory and on a screen.
 */
export class AuditSink {
  readonly findings: Finding[] = [];
  readonly notes: string[] = [];
  private dropped = 0;

  constructor(private readonly max = MAX_FINDINGS) {}

  add(f: Finding): void {
    if (this.findings.length < this.max) this.findings.push(f);
    else this.dropped++;
  }

  note(text: string): void {
    if (this.notes.length < 50) this.notes.push(text);
  }

  result(): AuditResult {
    const notes = [...this.notes];
    if (this.dropped) notes.push(`${this.dropped} more ${this.dropped === 1 ? 'reference' : 'references'} to the old address not listed (the audit keeps the first ${this.max})`);
    return { findings: [...this.findings], notes };
  }
}

// ---- zod: only the fields the audit reads; everything else in the objects passes through unread -------

const metadataSchema = z.looseObject({ name: z.string().min(1), namespace: z.string().min(1).optional() });

const configMapSchema = z.looseObject({
  metadata: metadataSchema,
  data: z.record(z.string(), z.string()).optional(),
});

const secretSchema = z.looseObject({
  metadata: metadataSchema,
  type: z.string().optional(),
  data: z.record(z.string(), z.string()).optional(),
});

const containerSchema = z.looseObject({
  name: z.string().optional(),
  // valueFrom entries have no value: they name a Secret or ConfigMap key, which the ConfigMap pass covers.
  env: z.array(z.looseObject({ name: z.string().optional(), value: z.string().optional() })).optional(),
  args: z.array(z.string()).optional(),
  command: z.array(z.string()).optional(),
});

const podSpecSchema = z.looseObject({ containers: z.array(containerSchema).optional(), initContainers: z.array(containerSchema).optional() });
const templateSchema = z.looseObject({ spec: podSpecSchema.optional() }).optional();

const workloadSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z.looseObject({ template: templateSchema }).optional(),
});

const cronJobSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z.looseObject({ jobTemplate: z.looseObject({ spec: z.looseObject({ template: templateSchema }).optional() }).optional() }).optional(),
});

type Container = z.infer<typeof containerSchema>;

function firstIssue(e: z.ZodError): string {
  const i = e.issues[0];
  return i ? `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}` : 'invalid';
}

function nameOf(o: unknown, i: number): string {
  const m = (o as { metadata?: { namespace?: unknown; name?: unknown } } | null)?.metadata;
  return typeof m?.name === 'string' ? `${typeof m.namespace === 'string' ? m.namespace : 'kube-system'}/${m.name}` : `item ${i}`;
}

export type AuditKind = 'ConfigMap' | 'Secret' | 'DaemonSet' | 'Deployment' | 'StatefulSet' | 'CronJob';

/** Whether a decoded Secret value is a kubeconfig (the only Secret values the audit compares). */
function kubeconfigLike(text: string): boolean {
  return /^\s*clusters\s*:/m.test(text) && /^\s*-?\s*server\s*:/m.test(text);
}

/** One API object's references to the master, into the sink (a Secret's values are decoded, compared and dropped). */
export function scanObject(kind: AuditKind, raw: unknown, index: number, ms: Matchers, sink: AuditSink): void {
  const report = (object: string, field: string, value: string) => {
    if (HANDLED.has(`${object} ${field.replace(/ line \d+$/, '')}`)) return;
    const match = firstMatch(value, ms);
    if (match) sink.add({ object, field, value: clip(value), match });
  };
  if (kind === 'ConfigMap') {
    const r = configMapSchema.safeParse(raw);
    if (!r.success) return sink.note(`ConfigMap ${nameOf(raw, index)} not read: ${firstIssue(r.error)}`);
    const object = `ConfigMap ${r.data.metadata.namespace ?? 'kube-system'}/${r.data.metadata.name}`;
    for (const [key, value] of Object.entries(r.data.data ?? {})) {
      const lines = value.split('\n');
      if (lines.length === 1) report(object, `data.${key}`, value);
      else lines.forEach((line, n) => report(object, `data.${key} line ${n + 1}`, line));
    }
    return;
  }
  if (kind === 'Secret') {
    const r = secretSchema.safeParse(raw);
    if (!r.success) return sink.note(`Secret ${nameOf(raw, index)} not read: ${firstIssue(r.error)}`);
    const object = `Secret ${r.data.metadata.namespace ?? 'default'}/${r.data.metadata.name}`;
    for (const [key, b64] of Object.entries(r.data.data ?? {})) {
      // Decoded in memory, compared, dropped: the value never leaves this function.
      const text = Buffer.from(b64, 'base64').toString('utf8');
      if (!kubeconfigLike(text)) continue;
      const match = firstMatch(text, ms);
      if (match) sink.add({ object, field: `data.${key}`, value: SECRET_VALUE, match, secret: true });
    }
    return;
  }
  const r = kind === 'CronJob' ? cronJobSchema.safeParse(raw) : workloadSchema.safeParse(raw);
  if (!r.success) return sink.note(`${kind} ${nameOf(raw, index)} not read: ${firstIssue(r.error)}`);
  const object = `${kind} ${r.data.metadata.namespace ?? 'kube-system'}/${r.data.metadata.name}`;
  const prefix = kind === 'CronJob' ? 'spec.jobTemplate.spec.template.spec' : 'spec.template.spec';
  const spec =
    kind === 'CronJob'
      ? (r.data as z.infer<typeof cronJobSchema>).spec?.jobTemplate?.spec?.template?.spec
      : (r.data as z.infer<typeof workloadSchema>).spec?.template?.spec;
  const lists: Array<[string, Container[]]> = [
    ['initContainers', spec?.initContainers ?? []],
    ['containers', spec?.containers ?? []],
  ];
  for (const [list, containers] of lists) {
    for (const c of containers) {
      const base = `${prefix}.${list}[name=${c.name ?? '?'}]`;
      for (const e of c.env ?? []) if (e.value !== undefined) report(object, `${base}.env[name=${e.name ?? '?'}].value`, e.value);
      (c.args ?? []).forEach((a, n) => report(object, `${base}.args[${n}]`, a));
      (c.command ?? []).forEach((a, n) => report(object, `${base}.command[${n}]`, a));
    }
  }
}

export interface AuditInput {
  configMaps: KubeObject[];
  daemonSets: KubeObject[];
  deployments: KubeObject[];
  statefulSets?: KubeObject[];
  cronJobs?: KubeObject[];
  secrets?: KubeObject[];
}

/** Every reference to the master's address in these objects, outside what the repoint steps change. */
export function auditOldMasterReferences(input: AuditInput, master: { address: string; port: number }): AuditResult {
  const ms = matchers(master.address, master.port);
  const sink = new AuditSink();
  const kinds: Array<[AuditKind, KubeObject[] | undefined]> = [
    ['ConfigMap', input.configMaps],
    ['Secret', input.secrets],
    ['DaemonSet', input.daemonSets],
    ['Deployment', input.deployments],
    ['StatefulSet', input.statefulSets],
    ['CronJob', input.cronJobs],
  ];
  for (const [kind, objects] of kinds) (objects ?? []).forEach((raw, i) => scanObject(kind, raw, i, ms, sink));
  return sink.result();
}

/** The findings alone. */
export function findOldMasterReferences(input: AuditInput, master: { address: string; port: number }): Finding[] {
  return auditOldMasterReferences(input, master).findings;
}

// ---- the master's apiserver flags -------------------------------------------------------------------------

/** What changing each flag costs, and what to do instead: reported, never rewritten. */
const FLAG_ADVICE: Record<string, string> = {
  'service-account-issuer':
    'left unchanged (every new apiserver gets the same flag). The first --service-account-issuer is the `iss` of every service-account token and tokens are checked against the list, so changing it invalidates the tokens in use (pods, and anything outside that trusts this issuer) until they are reissued. It is a name, not where clients connect, so the cluster keeps working; to move it off the first master, add the endpoint URL as a new first --service-account-issuer and keep this one after it (both are accepted), wait until projected tokens are refreshed (at most their lifetime, an hour by default), then drop the old one',
  'service-account-jwks-uri':
    'left unchanged. It is the address that OIDC discovery tells outside verifiers (workload identity federation) to fetch the signing keys from; while it names the first master, they fail when that node is down. Point it at the endpoint (https://ENDPOINT/openid/v1/jwks) on every apiserver when those verifiers can reach it',
  'oidc-issuer-url':
    'left unchanged. Every apiserver fetches OIDC discovery from this URL and compares it with the `iss` of every OIDC token, so it must match your identity provider exactly; while it names the first master, OIDC logins depend on that node. Change it only together with the identity provider\'s issuer',
};

/** The master's kube-apiserver flags that name the old address, each with what changing it costs. */
export function apiserverFlagFindings(manifest: string | undefined, masterHost: string, ms: Matchers, endpoint: string): Finding[] {
  if (!manifest) return [];
  let flags: Array<[string, string]>;
  try {
    flags = StaticPod.parse(manifest, 'kube-apiserver').flags();
  } catch {
    return []; // preflight reports a manifest it cannot read
  }
  const out: Finding[] = [];
  for (const [name, value] of flags) {
    const advice = FLAG_ADVICE[name];
    if (!advice) continue;
    const match = firstMatch(value, ms);
    if (match) out.push({ object: `Flag kube-apiserver on ${masterHost}`, field: `--${name}`, value: clip(value), match, advice: advice.replace('ENDPOINT', endpoint) });
  }
  return out;
}

// ---- kubeconfig files on the nodes --------------------------------------------------------------------------

/**
 * Run on each node (read-only): the `server:` lines of the kubeconfigs kubeadm did not write, as `path:line:text`.
 * Only those lines leave the node: the files' credentials are never read over SSH.
 */
export const NODE_KUBECONFIGS_SCRIPT = [
  'for f in /root/.kube/config /home/*/.kube/config /etc/kubernetes/*.conf /var/lib/*/kubeconfig; do',
  '  [ -f "$f" ] || continue',
  `  case "$f" in ${KUBEADM_KUBECONFIGS.join('|')}) continue;; esac`,
  `  grep -nE '^[[:space:]]*(-[[:space:]]*)?server:' "$f" 2>/dev/null | head -n 20 | awk -v f="$f" '{ print f ":" $0 }'`,
  'done | head -n 200',
].join('\n');

/** The references to the master in one node's kubeconfig files (NODE_KUBECONFIGS_SCRIPT's output). */
export function nodeFileFindings(host: string, output: string, ms: Matchers, master: string, endpointUrl: string): Finding[] {
  const out: Finding[] = [];
  for (const line of output.split('\n')) {
    const m = /^(\/[^:]+):(\d+):(.*)$/.exec(line);
    if (!m) continue;
    const [, path, lineNo, text] = m;
    const match = firstMatch(text!, ms);
    if (!match) continue;
    const url = /server:\s*["']?([^\s"']+)/.exec(text!)?.[1] ?? master;
    const sedOld = url.replace(/[.[\]*^$\\#&]/g, '\\$&');
    out.push({
      object: `File ${host}:${path}`,
      field: `server (line ${lineNo})`,
      value: clip(text!),
      match,
      advice: `ha-wizard does not rewrite kubeconfigs it did not write (a user's or a tool's; they may be regenerated or meant for that node). To repoint it, on ${host}: sed -i 's#${sedOld}#${endpointUrl}#' ${path}`,
    });
  }
  return out;
}

// ---- offers and the report ------------------------------------------------------------------------------------

/** Links each finding to the offer that changes its field, and says what to do about findings of a rendered workload. */
export function linkFindings(findings: readonly Finding[], offers: readonly ClientOffer[], rendered: ReadonlyArray<{ object: string; owner: string }> = []): Finding[] {
  const owners = new Map(rendered.map((r) => [r.object, r.owner]));
  const fields = new Map<string, string>();
  for (const o of offers) {
    for (const cm of o.configMaps) fields.set(`ConfigMap ${cm.namespace}/${cm.name} data.${cm.hostKey}`, o.id);
    for (const w of o.workloads) for (const e of w.env) fields.set(`${w.kind} ${w.namespace}/${w.name} spec.template.spec.${e.list}[name=${e.container}].env[name=${e.name}].value`, o.id);
  }
  return findings.map((f) => {
    const offer = fields.get(`${f.object} ${f.field}`);
    if (offer) return { ...f, offer };
    const owner = owners.get(f.object);
    return owner ? { ...f, advice: `rendered by ${owner}: change the setting there (a patch of the ${f.object.split(' ')[0]} would be reverted by its controller)` } : f;
  });
}

/** Where an offer's clients should point: the endpoint, or for host-network agents with per-node proxies the local proxy (as kube-proxy). */
export function clientTarget(config: Pick<ClusterConfigLike, 'endpoint' | 'proxy'>, hostNetwork: boolean): { host: string; port: number } {
  if (config.proxy.placement === 'per-node' && hostNetwork) return { host: '127.0.0.1', port: config.endpoint.port };
  return { host: config.endpoint.host, port: config.endpoint.port };
}

/** A ConfigMap's value is read by every workload of its offer: the local proxy only when all of them are on the host network. */
export function configMapTarget(config: Pick<ClusterConfigLike, 'endpoint' | 'proxy'>, offer: ClientOffer): { host: string; port: number } {
  return clientTarget(config, offer.workloads.length > 0 && offer.workloads.every((w) => w.hostNetwork));
}

/** `1.16.5` of a `helm.sh/chart` label `cilium-1.16.5`. */
function chartVersion(chart: string | undefined): string | null {
  return chart ? (/-(v?\d+\.\d+\.\d+[^\s]*)$/.exec(chart)?.[1] ?? null) : null;
}

/**
 * What the operator must do after ha-wizard for an offer managed by Helm: the chart's values must follow the patched
 * objects, or the next `helm upgrade` puts the old address back. Exact commands; ha-wizard never runs Helm.
 */
export function helmFollowUps(config: Pick<ClusterConfigLike, 'endpoint' | 'proxy'>, offer: ClientOffer): string[] {
  const releases = new Map<string, { release: string; namespace: string; chart?: string }>();
  for (const o of [...offer.configMaps, ...offer.workloads]) if (o.helm) releases.set(`${o.helm.namespace}/${o.helm.release}`, o.helm);
  const { host, port } = configMapTarget(config, offer);
  const out: string[] = [];
  for (const h of releases.values()) {
    const version = chartVersion(h.chart);
    const v = version ? ` --version ${version}` : '';
    if (offer.kind === 'cilium') {
      out.push(
        `Cilium is installed by Helm (release ${h.release} in ${h.namespace}): its values must follow, or the next helm upgrade puts the old address back. Run: helm upgrade ${h.release} cilium/cilium${v} --namespace ${h.namespace} --reuse-values --set k8sServiceHost=${host} --set k8sServicePort=${port}`,
      );
    } else if (offer.kind === 'calico') {
      out.push(
        `Calico is installed by Helm (release ${h.release} in ${h.namespace}): its values must follow, or the next helm upgrade puts the old address back. Run: helm upgrade ${h.release} projectcalico/tigera-operator${v} --namespace ${h.namespace} --reuse-values --set kubernetesServiceEndpoint.host=${host} --set kubernetesServiceEndpoint.port=${port}`,
      );
    } else {
      out.push(
        `${offer.title} is managed by the Helm release ${h.release} in ${h.namespace}${h.chart ? ` (chart ${h.chart})` : ''}: set KUBERNETES_SERVICE_HOST=${host} and KUBERNETES_SERVICE_PORT=${port} in its values too, or the next helm upgrade puts the old address back`,
      );
    }
  }
  return out;
}

/** Nodes the cluster has that the wizard cannot reach: their kubelet keeps talking to the old master. */
export function unreachableNodes(facts: ClusterFacts): string[] {
  const known = new Set([...controlPlaneHosts(facts).map((h) => h.name), ...workerHosts(facts).map((w) => w.name)]);
  const knownIPs = new Set([...controlPlaneHosts(facts).map((h) => h.address), ...workerHosts(facts).map((w) => w.address)]);
  return facts.nodes.filter((n) => !known.has(n.name) && !(n.internalIP && knownIPs.has(n.internalIP))).map((n) => n.name);
}

/** The offers the plan repoints: `repoint` as chosen (the wizard's choice, else the config's). */
export function chosenOffers(facts: ClusterFacts, repoint: 'all' | readonly string[] | undefined = facts.config.repoint): ClientOffer[] {
  const offers = facts.apiClients?.offers ?? [];
  return chooseOffers(offers, repoint, facts.apiClients?.seen ?? { cilium: false, calico: false, workloads: [] }).chosen;
}

/** What the operator must still repoint after the conversion, and what ha-wizard repoints, as data: for `plan --json`, the wizard and apply's end. */
export interface OldAddressReport {
  /** The old master's API address, as clients name it today (`https://10.0.0.11:6443`). */
  oldAddress: string;
  /** References ha-wizard does not change, each with what to do (`advice`, else: repoint it to the endpoint yourself). */
  findings: Finding[];
  /** References the plan repoints (the offers chosen with `repoint`). */
  repointed: Finding[];
  /** What ha-wizard can repoint, chosen or not: `repoint:` in the config names them, the wizard toggles them. */
  offers: Array<{ id: string; title: string; chosen: boolean }>;
  /** What the operator must do after ha-wizard for what it repointed (Helm values), as exact commands. */
  followUps: string[];
  /** Nodes whose kubelet.conf ha-wizard cannot repoint (not in the config's workers). */
  unreachableNodes: string[];
  /** What could not be read (the list is then incomplete). */
  notes: string[];
  /** Whether discovery looked at all (false for facts made without the audit). */
  audited: boolean;
}

export function oldAddressReport(facts: ClusterFacts, repoint: 'all' | readonly string[] | undefined = facts.config.repoint): OldAddressReport {
  const offers = facts.apiClients?.offers ?? [];
  const chosen = new Set(chosenOffers(facts, repoint).map((o) => o.id));
  const all = facts.audit?.findings ?? [];
  const findings: Finding[] = [];
  const repointed: Finding[] = [];
  for (const f of all) {
    if (f.offer && chosen.has(f.offer)) repointed.push(f);
    else if (f.offer) findings.push({ ...f, advice: f.advice ?? `ha-wizard can repoint this: add ${f.offer} to repoint in the config (or choose it in the wizard)` });
    else findings.push(f);
  }
  return {
    oldAddress: masterURL(facts),
    findings,
    repointed,
    offers: offers.map((o) => ({ id: o.id, title: o.title, chosen: chosen.has(o.id) })),
    followUps: offers.filter((o) => chosen.has(o.id)).flatMap((o) => helmFollowUps(facts.config, o)),
    unreachableNodes: unreachableNodes(facts),
    notes: facts.audit?.notes ?? [],
    audited: facts.audit !== undefined,
  };
}

/** The endpoint's URL as the audit's advice spells it. */
export function endpointUrlOf(config: Pick<ClusterConfigLike, 'endpoint'>): string {
  return apiserverURL(config.endpoint.host, config.endpoint.port);
}
