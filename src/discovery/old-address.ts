/**
 * References to the old master address that ha-wizard does not change, for the operator to repoint: found at
 * discovery (the audit of kube-system below, kept in `facts.audit`) and reported from the facts (oldAddressReport:
 * the plan output, `plan --json`, the wizard and apply's end show it; reporters/old-address-text.ts words it).
 *
 * The audit of kube-system: references to the old master address that ha-wizard does not change, for the
 * operator to repoint (e.g. a CNI's API host: Cilium's k8sServiceHost, a KUBERNETES_SERVICE_HOST env, a
 * `--kube-apiserver=` argument, a kubeconfig in a ConfigMap). Read-only and best effort: objects are read
 * through the same Kubernetes API access discovery uses, every one checked with zod (remote output), and an
 * object that does not parse, or a list the API refuses, becomes a note instead of stopping the conversion.
 *
 * Reported per field, with the exact object and field path:
 *   - ConfigMap `data.<key>` (a multi-line value line by line: `data.<key> line <n>`)
 *   - DaemonSet and Deployment pod templates: `env[name=X].value`, `args[i]`, `command[i]` of every
 *     container and init container
 * What the repoint step changes itself (kube-proxy's kubeconfig.conf, kubeadm-config's ClusterConfiguration)
 * is not reported.
 */
import { z } from 'zod';
import type { KubeObject } from '../engine/model/ports.js';
import { canonicalIP } from '../pki/ip.js';
import { hostPort, urlHost } from '../pki/hosts.js';
import type { AuditResult, ClusterFacts, Finding } from './facts.js';
import { controlPlaneHosts, masterURL, workerHosts } from './nodes.js';

export interface AuditInput {
  configMaps: KubeObject[];
  daemonSets: KubeObject[];
  deployments: KubeObject[];
}

/** Fields the repoint steps own; they are not "other" references. */
const HANDLED = new Set(['ConfigMap kube-system/kube-proxy data.kubeconfig.conf', 'ConfigMap kube-system/kubeadm-config data.ClusterConfiguration']);

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Matchers for the master: `https://<ip>`, `<ip>:<port>`, and the bare address as a whole token. */
function matchers(address: string, port: number): Array<{ label: string; re: RegExp }> {
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

function firstMatch(text: string, ms: ReturnType<typeof matchers>): string | null {
  for (const m of ms) if (m.re.test(text)) return m.label;
  return null;
}

function clip(s: string): string {
  const one = s.trim();
  return one.length > 200 ? `${one.slice(0, 197)}...` : one;
}

// ---- zod: only the fields the audit reads; everything else in the objects passes through unread -------

const metadataSchema = z.looseObject({ name: z.string().min(1), namespace: z.string().min(1).optional() });

const configMapSchema = z.looseObject({
  metadata: metadataSchema,
  data: z.record(z.string(), z.string()).optional(),
});

const containerSchema = z.looseObject({
  name: z.string().optional(),
  // valueFrom entries have no value: they name a Secret or ConfigMap key, which the ConfigMap pass covers.
  env: z.array(z.looseObject({ name: z.string().optional(), value: z.string().optional() })).optional(),
  args: z.array(z.string()).optional(),
  command: z.array(z.string()).optional(),
});

const workloadSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({
      template: z
        .looseObject({
          spec: z.looseObject({ containers: z.array(containerSchema).optional(), initContainers: z.array(containerSchema).optional() }).optional(),
        })
        .optional(),
    })
    .optional(),
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

/** Every reference to the master's address outside what the repoint steps change. */
export function auditOldMasterReferences(input: AuditInput, master: { address: string; port: number }): AuditResult {
  const ms = matchers(master.address, master.port);
  const findings: Finding[] = [];
  const notes: string[] = [];
  const report = (object: string, field: string, value: string) => {
    if (HANDLED.has(`${object} ${field.replace(/ line \d+$/, '')}`)) return;
    const match = firstMatch(value, ms);
    if (match) findings.push({ object, field, value: clip(value), match });
  };
  input.configMaps.forEach((raw, i) => {
    const r = configMapSchema.safeParse(raw);
    if (!r.success) {
      notes.push(`ConfigMap ${nameOf(raw, i)} not read: ${firstIssue(r.error)}`);
      return;
    }
    const object = `ConfigMap ${r.data.metadata.namespace ?? 'kube-system'}/${r.data.metadata.name}`;
    for (const [key, value] of Object.entries(r.data.data ?? {})) {
      const lines = value.split('\n');
      if (lines.length === 1) report(object, `data.${key}`, value);
      else lines.forEach((line, n) => report(object, `data.${key} line ${n + 1}`, line));
    }
  });
  for (const [kind, objects] of [
    ['DaemonSet', input.daemonSets],
    ['Deployment', input.deployments],
  ] as const) {
    objects.forEach((raw, i) => {
      const r = workloadSchema.safeParse(raw);
      if (!r.success) {
        notes.push(`${kind} ${nameOf(raw, i)} not read: ${firstIssue(r.error)}`);
        return;
      }
      const object = `${kind} ${r.data.metadata.namespace ?? 'kube-system'}/${r.data.metadata.name}`;
      const spec = r.data.spec?.template?.spec;
      const lists: Array<[string, Container[]]> = [
        ['initContainers', spec?.initContainers ?? []],
        ['containers', spec?.containers ?? []],
      ];
      for (const [list, containers] of lists) {
        for (const c of containers) {
          const base = `spec.template.spec.${list}[name=${c.name ?? '?'}]`;
          for (const e of c.env ?? []) if (e.value !== undefined) report(object, `${base}.env[name=${e.name ?? '?'}].value`, e.value);
          (c.args ?? []).forEach((a, n) => report(object, `${base}.args[${n}]`, a));
          (c.command ?? []).forEach((a, n) => report(object, `${base}.command[${n}]`, a));
        }
      }
    });
  }
  return { findings, notes };
}

/** The findings alone. */
export function findOldMasterReferences(input: AuditInput, master: { address: string; port: number }): Finding[] {
  return auditOldMasterReferences(input, master).findings;
}

/** Nodes the cluster has that the wizard cannot reach: their kubelet keeps talking to the old master. */
export function unreachableNodes(facts: ClusterFacts): string[] {
  const known = new Set([...controlPlaneHosts(facts).map((h) => h.name), ...workerHosts(facts).map((w) => w.name)]);
  const knownIPs = new Set([...controlPlaneHosts(facts).map((h) => h.address), ...workerHosts(facts).map((w) => w.address)]);
  return facts.nodes.filter((n) => !known.has(n.name) && !(n.internalIP && knownIPs.has(n.internalIP))).map((n) => n.name);
}

/** What the operator must still repoint after the conversion, as data: for `plan --json`, the wizard and apply's end. */
export interface OldAddressReport {
  /** The old master's API address, as clients name it today (`https://10.0.0.11:6443`). */
  oldAddress: string;
  findings: Finding[];
  /** Nodes whose kubelet.conf ha-wizard cannot repoint (not in the config's workers). */
  unreachableNodes: string[];
  /** What could not be read (the list is then incomplete). */
  notes: string[];
  /** Whether discovery looked at all (false for facts made without the audit). */
  audited: boolean;
}

export function oldAddressReport(facts: ClusterFacts): OldAddressReport {
  return {
    oldAddress: masterURL(facts),
    findings: facts.audit?.findings ?? [],
    unreachableNodes: unreachableNodes(facts),
    notes: facts.audit?.notes ?? [],
    audited: facts.audit !== undefined,
  };
}
