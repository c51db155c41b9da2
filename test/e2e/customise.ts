/**
 * A master customised by hand, as operators have them (issue #13 part 2): an audit policy, an OIDC CA file and an
 * encryption provider config, each named by a flag of the apiserver's manifest and mounted by hostPath volumes of
 * the kinds kubeadm's users add (a DirectoryOrCreate directory, a FileOrCreate log file; the OIDC CA sits in the
 * pki directory kubeadm already mounts). The real kube-apiserver reads all three at start.
 */
import { randomBytes } from 'node:crypto';
import { parseDocument } from 'yaml';
import { hostPath, nodeExec, type LabState } from '../../lab/lab.js';
import { mkdirSync, readFileSync, writeFileSync, chmodSync, copyFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const AUDIT_POLICY = '/etc/kubernetes/audit/policy.yaml';
export const AUDIT_LOG = '/var/log/kube-apiserver-audit.log';
export const OIDC_CA = '/etc/kubernetes/pki/oidc-ca.crt';
export const ENCRYPTION_CONFIG = '/etc/kubernetes/enc/encryption.yaml';
const APISERVER = '/etc/kubernetes/manifests/kube-apiserver.yaml';

export interface Customised {
  /** The aescbc key (base64) in the encryption config: must never appear in a plan, journal, log or output. */
  encryptionKey: string;
}

function put(s: LabState, node: string, path: string, text: string, mode: number): void {
  const p = hostPath(s.nodes.find((n) => n.name === node)!, path);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  chmodSync(p, mode);
}

/** Writes the files and the manifest on `master`, then waits until its apiserver is ready again with them. */
export async function customiseMaster(s: LabState, master = 'cp1'): Promise<Customised> {
  const m = s.nodes.find((n) => n.name === master)!;
  const encryptionKey = randomBytes(32).toString('base64');
  put(s, master, AUDIT_POLICY, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n', 0o644);
  // Any CA certificate will do for the OIDC issuer's CA: the apiserver parses it at start.
  copyFileSync(hostPath(m, '/etc/kubernetes/pki/front-proxy-ca.crt'), hostPath(m, OIDC_CA));
  chmodSync(hostPath(m, OIDC_CA), 0o644);
  put(
    s,
    master,
    ENCRYPTION_CONFIG,
    `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - aescbc:\n          keys:\n            - name: key1\n              secret: ${encryptionKey}\n      - identity: {}\n`,
    0o600,
  );
  chmodSync(dirname(hostPath(m, ENCRYPTION_CONFIG)), 0o700);

  const path = hostPath(m, APISERVER);
  const doc = parseDocument(readFileSync(path, 'utf8'));
  const command = doc.getIn(['spec', 'containers', 0, 'command']) as { items: Array<{ value: string }> };
  const flags = [
    `--audit-log-path=${AUDIT_LOG}`,
    `--audit-policy-file=${AUDIT_POLICY}`,
    `--encryption-provider-config=${ENCRYPTION_CONFIG}`,
    '--oidc-ca-file=' + OIDC_CA,
    '--oidc-client-id=ha-wizard-lab',
    '--oidc-issuer-url=https://issuer.ha-wizard.example',
  ];
  for (const f of flags) command.items.push(doc.createNode(f) as unknown as { value: string });
  const volumes = doc.getIn(['spec', 'volumes']) as { items: unknown[] };
  volumes.items.push(doc.createNode({ hostPath: { path: '/etc/kubernetes/audit', type: 'DirectoryOrCreate' }, name: 'audit' }));
  volumes.items.push(doc.createNode({ hostPath: { path: AUDIT_LOG, type: 'FileOrCreate' }, name: 'audit-log' }));
  volumes.items.push(doc.createNode({ hostPath: { path: '/etc/kubernetes/enc', type: 'DirectoryOrCreate' }, name: 'enc' }));
  const mounts = doc.getIn(['spec', 'containers', 0, 'volumeMounts']) as { items: unknown[] };
  mounts.items.push(doc.createNode({ mountPath: '/etc/kubernetes/audit', name: 'audit', readOnly: true }));
  mounts.items.push(doc.createNode({ mountPath: AUDIT_LOG, name: 'audit-log' }));
  mounts.items.push(doc.createNode({ mountPath: '/etc/kubernetes/enc', name: 'enc', readOnly: true }));
  writeFileSync(path, doc.toString({ lineWidth: 0 }));

  // The node agent restarts the static pod; wait until the real apiserver is ready with the new flags.
  const deadline = Date.now() + 180_000;
  for (;;) {
    // The apiserver process with the new flag (spelled in pieces, so this script's own command line does not match).
    const ps = await nodeExec(s, master, ['sh', '-c', 'F=encryption-provider; n=0; for p in /proc/[0-9]*; do c=$(tr "\\0" " " < $p/cmdline 2>/dev/null); case "$c" in *kube-apiserver*--$F-config=*) n=$((n+1));; esac; done; echo $n']);
    const ready = await nodeExec(s, master, ['kubectl', '--kubeconfig=/etc/kubernetes/admin.conf', 'get', '--raw=/readyz'], { env: { PATH: '/usr/local/bin:/usr/bin:/bin' } });
    if (Number(ps.stdout.trim()) > 0 && ready.code === 0) break;
    if (Date.now() > deadline) throw new Error(`${master}'s customised kube-apiserver did not become ready: ${ready.stderr}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
  return { encryptionKey };
}
