/**
 * audit: other references to the old master address, for the operator to repoint (no action). Pure analysis of
 * objects discovery read: kube-system ConfigMaps (every data value, line by line), DaemonSet and Deployment
 * containers (env values, args, command), e.g. Cilium's k8sServiceHost / KUBERNETES_SERVICE_HOST or a CNI
 * kubeconfig. What the repoint steps change themselves is not reported. Also lists nodes the config does
 * not name as workers: their kubelet.conf cannot be repointed over SSH.
 */
import type { ClusterFacts } from '../src/discovery/facts.js';
import type { KubeObject } from '../src/engine/ports.js';
import { canonicalIP } from '../src/pki/ip.js';
import { controlPlaneHosts, hostPort, workerHosts } from '../src/proxy/endpoint.js';

export interface AuditInput {
  configMaps: KubeObject[];
  daemonSets: KubeObject[];
  deployments: KubeObject[];
}

export interface Finding {
  /** e.g. "ConfigMap kube-system/cilium-config". */
  object: string;
  /** e.g. "data.k8s-service-host" or "spec.template.spec.containers[name=cilium-agent].env[name=KUBERNETES_SERVICE_HOST].value". */
  field: string;
  /** The offending text (one line, trimmed to 200 characters). */
  value: string;
  /** What matched: "https://10.0.0.1", "10.0.0.1:6443" or the bare address. */
  match: string;
}

/** Fields the repoint steps own; they are not "other" references. */
const HANDLED = new Set(['ConfigMap kube-system/kube-proxy data.kubeconfig.conf', 'ConfigMap kube-system/kubeadm-config data.ClusterConfiguration']);

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Matchers for the master: `https://<ip>`, `<ip>:<port>`, and the bare address as a whole token. */
function matchers(address: string, port: number): Array<{ label: string; re: RegExp }> {
  const ip = canonicalIP(address) ?? address;
  const spelled = ip.includes(':') ? `[${ip}]` : ip;
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

function ref(kind: string, o: KubeObject): string {
  return `${kind} ${o.metadata?.namespace ?? 'kube-system'}/${o.metadata?.name ?? '?'}`;
}

type Container = { name?: string; env?: Array<{ name?: string; value?: string }>; args?: string[]; command?: string[] };

function podContainers(o: KubeObject): Array<{ list: string; c: Container }> {
  const spec = (o as { spec?: { template?: { spec?: { containers?: Container[]; initContainers?: Container[] } } } }).spec?.template?.spec;
  return [...(spec?.initContainers ?? []).map((c) => ({ list: 'initContainers', c })), ...(spec?.containers ?? []).map((c) => ({ list: 'containers', c }))];
}

/** Every reference to the master's address outside what the repoint steps change. */
export function findOldMasterReferences(input: AuditInput, master: { address: string; port: number }): Finding[] {
  const ms = matchers(master.address, master.port);
  const out: Finding[] = [];
  const report = (object: string, field: string, value: string) => {
    if (HANDLED.has(`${object} ${field.replace(/ line \d+$/, '')}`)) return;
    const match = firstMatch(value, ms);
    if (match) out.push({ object, field, value: clip(value), match });
  };
  for (const cm of input.configMaps) {
    const object = ref('ConfigMap', cm);
    const data = (cm as { data?: Record<string, string> }).data ?? {};
    for (const [key, value] of Object.entries(data)) {
      const lines = value.split('\n');
      if (lines.length === 1) report(object, `data.${key}`, value);
      else lines.forEach((line, i) => report(object, `data.${key} line ${i + 1}`, line));
    }
  }
  for (const [kind, objects] of [
    ['DaemonSet', input.daemonSets],
    ['Deployment', input.deployments],
  ] as const) {
    for (const o of objects) {
      const object = ref(kind, o);
      for (const { list, c } of podContainers(o)) {
        const base = `spec.template.spec.${list}[name=${c.name ?? '?'}]`;
        for (const e of c.env ?? []) if (typeof e.value === 'string') report(object, `${base}.env[name=${e.name ?? '?'}].value`, e.value);
        (c.args ?? []).forEach((a, i) => report(object, `${base}.args[${i}]`, a));
        (c.command ?? []).forEach((a, i) => report(object, `${base}.command[${i}]`, a));
      }
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

/** Lines for the preview. */
export function describeFindings(findings: readonly Finding[], unreachable: readonly string[], masterAddress: string): string[] {
  const lines = findings.map((f) => `${f.object} ${f.field}: ${f.value} (refers to ${f.match}; repoint it to the endpoint yourself)`);
  for (const n of unreachable) lines.push(`Node ${n}: not in the config's workers, so its kubelet.conf keeps ${masterAddress}; add it to workers to repoint it`);
  return lines;
}
