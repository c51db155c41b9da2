/**
 * The real kubeadm as a judge of a converted cluster. On a further node (a worker of the lab), through
 * the new endpoint, with a fresh bootstrap token and certificate key: `kubeadm join phase
 * control-plane-prepare all`, which checks cluster-info's signature and server, reads kubeadm-config,
 * downloads the shared certificates and writes that node's certificates, kubeconfigs and static pod
 * manifests. What it writes is set beside what ha-wizard wrote on a node it promoted, value for value
 * (node-specific values replaced by placeholders on both sides). Then `kubeadm certs check-expiration`
 * on every control-plane node.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { controlPlaneJoinConfiguration, joinCredentials, kubeadmJoinPhases } from '../../lab/cluster/kubeadm-join.js';
import { hostPath, nodeExec, type LabNode, type LabState } from '../../lab/lab.js';
import { toTemplate } from '../manifests/reference.js';
import { controlPlanes, kubeconfigClientCert, kubeconfigServer, ok, openssl, sanSet } from './judges.js';

export const MANIFESTS = ['kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml'];
/** Certificates `control-plane-prepare` issues for the node itself (the shared CAs and keys are downloaded). */
export const ISSUED = ['apiserver.crt', 'apiserver-kubelet-client.crt', 'front-proxy-client.crt', 'apiserver-etcd-client.crt', 'etcd/server.crt', 'etcd/peer.crt', 'etcd/healthcheck-client.crt'];
export const KUBECONFIGS = ['admin.conf', 'controller-manager.conf', 'scheduler.conf'];

/**
 * Differences between kubeadm's output and ha-wizard's that are right, each with its reason. Empty: on
 * every release the lab runs, ha-wizard writes what kubeadm writes.
 */
export const KNOWN_DIFFERENCES: Record<string, string> = {};

export interface KubeadmVerdict {
  /** `file: what differs` lines not in KNOWN_DIFFERENCES. */
  differences: string[];
  joinOutput: string;
}

const run = (s: LabState) => (node: LabNode, argv: readonly string[], o?: Parameters<typeof nodeExec>[3]) => nodeExec(s, node, argv, o);

/** A manifest, kubeconfig server or SAN list with the node's own name and address as placeholders. */
function neutral(text: string, n: { name: string; address: string }, serviceCidr: string, dnsDomain: string): string {
  return toTemplate(text, { nodeName: n.name, address: n.address, serviceCidr, dnsDomain }).replace(new RegExp(`\\b${n.name}\\b`, 'g'), '${NODE_NAME}');
}

/**
 * Promotes `spare` with the real kubeadm (control-plane-prepare only: no etcd member, no kubelet
 * change) through `endpoint` ("host:port") and compares it with `promotedByWizard`.
 */
export async function kubeadmJudge(
  s: LabState,
  o: { spare: LabNode; promotedByWizard: LabNode; endpoint: string; serviceCidr: string; dnsDomain: string },
): Promise<KubeadmVerdict> {
  const creds = await joinCredentials(s, run(s));
  const joinOutput = await kubeadmJoinPhases(run(s), o.spare, controlPlaneJoinConfiguration(o.spare, o.endpoint, creds), ['control-plane-prepare all']);
  const differences: string[] = [];
  const differ = (what: string, kubeadm: unknown, wizard: unknown) => {
    const k = JSON.stringify(kubeadm);
    const w = JSON.stringify(wizard);
    if (k !== w && !(what in KNOWN_DIFFERENCES)) differences.push(`${what}: kubeadm ${k}, ha-wizard ${w}`);
  };
  const read = (n: LabNode, path: string) => neutral(readFileSync(hostPath(n, path), 'utf8'), n, o.serviceCidr, o.dnsDomain);
  for (const f of MANIFESTS) {
    const k = parse(read(o.spare, `/etc/kubernetes/manifests/${f}`));
    const w = parse(read(o.promotedByWizard, `/etc/kubernetes/manifests/${f}`));
    for (const key of new Set([...Object.keys(flat(k)), ...Object.keys(flat(w))])) differ(`${f} ${key}`, flat(k)[key], flat(w)[key]);
  }
  for (const c of ISSUED) {
    const sans = async (n: LabNode) => (await sanSet(s, hostPath(n, `/etc/kubernetes/pki/${c}`))).map((x) => neutral(x, n, o.serviceCidr, o.dnsDomain)).sort();
    const subject = async (n: LabNode) =>
      neutral(ok(await openssl(s, ['x509', '-in', hostPath(n, `/etc/kubernetes/pki/${c}`), '-noout', '-subject', '-ext', 'keyUsage,extendedKeyUsage']), `${n.name} ${c}`), n, o.serviceCidr, o.dnsDomain);
    differ(`pki/${c} SANs`, await sans(o.spare), await sans(o.promotedByWizard));
    differ(`pki/${c} subject and usages`, await subject(o.spare), await subject(o.promotedByWizard));
  }
  for (const c of KUBECONFIGS) {
    const server = (n: LabNode) => neutral(kubeconfigServer(hostPath(n, `/etc/kubernetes/${c}`)), n, o.serviceCidr, o.dnsDomain);
    differ(`${c} server`, server(o.spare), server(o.promotedByWizard));
    const subject = async (n: LabNode) => {
      const cert = kubeconfigClientCert(hostPath(n, `/etc/kubernetes/${c}`), join(s.dir, 'client', `judge-${n.name}-${c}.crt`));
      return ok(await openssl(s, ['x509', '-in', cert, '-noout', '-subject', '-ext', 'keyUsage,extendedKeyUsage']), `${n.name} ${c} client`);
    };
    differ(`${c} client subject and usages`, await subject(o.spare), await subject(o.promotedByWizard));
  }
  return { differences, joinOutput };
}

/** `kubeadm certs check-expiration` on every control-plane node: its stdout by node; fails the test on an error. */
export async function checkExpiration(s: LabState): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const n of controlPlanes(s)) {
    const r = await nodeExec(s, n, ['kubeadm', 'certs', 'check-expiration'], { timeoutMs: 60_000, env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/root' } });
    out.set(n.name, ok(r, `${n.name}: kubeadm certs check-expiration`));
  }
  return out;
}

/** The kubeadm-written manifests on the spare node stop its would-be control plane again (it has no etcd member). */
export async function retireSpare(s: LabState, spare: LabNode): Promise<void> {
  ok(await nodeExec(s, spare, ['sh', '-c', 'rm -f /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/manifests/kube-controller-manager.yaml /etc/kubernetes/manifests/kube-scheduler.yaml']), 'retire the spare');
}

/** A parsed manifest flattened to `path → value`, the command as `--flag` keys, so differences read one per value. */
function flat(pod: any): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v) && path.endsWith('.command')) {
      for (const a of v as string[]) {
        const m = /^(--[^=]+)(?:=(.*))?$/.exec(a);
        out[`${path} ${m ? m[1] : a}`] = m ? (m[2] ?? true) : true;
      }
    } else if (Array.isArray(v)) {
      const named = v.every((x) => x && typeof x === 'object' && 'name' in x);
      v.forEach((x, i) => walk(x, `${path}[${named ? (x as { name: string }).name : i}]`));
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
    } else out[path] = v;
  };
  walk(pod, '');
  return out;
}

