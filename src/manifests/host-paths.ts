/**
 * Every host path a static pod depends on: its hostPath volumes (File, Directory, unset, the *OrCreate types) and
 * every flag that names an absolute path, whether or not a volume mounts it. Pure, from the manifest text.
 *
 * kubeadm's own paths are left out: the certificates and kubeconfigs ha-wizard issues or copies itself, the
 * system CA directories every node has, the FlexVolume plugin directory, etcd's data directory. What remains is the
 * operator's customisation (an audit policy, an OIDC CA, an encryption config, an admission config, ...), which a new
 * control-plane node needs too.
 */
import { parse } from 'yaml';

export interface HostPathRef {
  component: string;
  path: string;
  /** `--audit-policy-file` or `volume audit (hostPath, type File)`. */
  via: string;
  /** The flag's name, for flags. */
  flag?: string;
  /** For volumes: the hostPath type ('' when unset). */
  volumeType?: string;
  /** The component writes there (logs, data): nothing to copy, only a directory to have. */
  output: boolean;
}

/** Flags whose path the component writes, not reads. */
const OUTPUT_FLAGS = new Set(['audit-log-path', 'log-file', 'log-dir', 'data-dir', 'wal-dir', 'cert-dir', 'audit-webhook-batch-buffer-size']);

/** Flags whose file is public (a CA or certificate, a policy): shown in the plan as a diff. Any other file is handled as secret. */
export const PUBLIC_FLAGS = new Set([
  'audit-policy-file',
  'oidc-ca-file',
  'client-ca-file',
  'requestheader-client-ca-file',
  'tls-cert-file',
  'cert-file',
  'peer-cert-file',
  'trusted-ca-file',
  'peer-trusted-ca-file',
  'admission-control-config-file',
  'authentication-config',
  'authorization-config',
  'tracing-config-file',
  'egress-selector-config-file',
  'cluster-signing-cert-file',
  'root-ca-file',
  'kubelet-certificate-authority',
  'kubelet-client-certificate',
  'proxy-client-cert-file',
  'etcd-cafile',
  'etcd-certfile',
]);

/** Paths kubeadm writes or every node has; never carried over. Directories cover what is below them. */
export const KUBEADM_DIRS = [
  '/etc/ssl/certs',
  '/etc/ca-certificates',
  '/etc/pki',
  '/usr/share/ca-certificates',
  '/usr/local/share/ca-certificates',
  '/usr/libexec/kubernetes/kubelet-plugins/volume/exec',
  '/var/lib/etcd',
];

/** kubeadm's own files under /etc/kubernetes that ha-wizard writes itself (certificates, keys, kubeconfigs, manifests). */
export function isKubeadmFile(path: string): boolean {
  if (KUBEADM_DIRS.some((d) => path === d || path.startsWith(`${d}/`))) return true;
  if (/^\/etc\/kubernetes\/(admin|super-admin|controller-manager|scheduler|kubelet)\.conf$/.test(path)) return true;
  if (/^\/etc\/kubernetes\/manifests(\/|$)/.test(path)) return true;
  if (path === '/etc/kubernetes/pki' || path === '/etc/kubernetes/pki/etcd') return true;
  const pki = /^\/etc\/kubernetes\/pki\/(.+)$/.exec(path)?.[1];
  return (
    pki !== undefined &&
    /^(ca|front-proxy-ca|front-proxy-client|apiserver|apiserver-kubelet-client|apiserver-etcd-client|etcd\/(ca|server|peer|healthcheck-client))\.(crt|key)$|^sa\.(key|pub)$/.test(pki)
  );
}

interface Shape {
  spec?: {
    volumes?: Array<{ name?: string; hostPath?: { path?: string; type?: string } }>;
    containers?: Array<{ command?: string[]; args?: string[]; volumeMounts?: Array<{ name?: string; mountPath?: string }> }>;
  };
}

/** Every host path the manifest depends on, kubeadm's own left out. */
export function hostPathRefs(text: string, component: string): HostPathRef[] {
  const doc = (parse(text) ?? {}) as Shape;
  const out: HostPathRef[] = [];
  const c = doc.spec?.containers?.[0];
  for (const arg of [...(c?.command ?? []).slice(1), ...(c?.args ?? [])]) {
    const m = /^--([A-Za-z0-9-]+)=(.*)$/.exec(arg);
    if (!m) continue;
    const [, flag, value] = m as unknown as [string, string, string];
    // A flag may name several paths (comma-separated); only absolute paths count.
    for (const v of value.split(',')) {
      if (!v.startsWith('/') || v.includes('\0')) continue;
      const path = v.replace(/\/+$/, '') || '/';
      if (isKubeadmFile(path)) continue;
      out.push({ component, path, via: `--${flag}`, flag, output: OUTPUT_FLAGS.has(flag) });
    }
  }
  for (const v of doc.spec?.volumes ?? []) {
    const path = v.hostPath?.path?.replace(/\/+$/, '');
    if (!path || !path.startsWith('/') || isKubeadmFile(path)) continue;
    const type = v.hostPath?.type ?? '';
    const covered = out.filter((r) => r.flag && (r.path === path || r.path.startsWith(`${path}/`)));
    // A volume that only holds what the component writes (an audit log directory) is an output too.
    const output = covered.length > 0 && covered.every((r) => r.output);
    out.push({ component, path, via: `volume ${v.name ?? '?'} (hostPath${type ? `, type ${type}` : ''})`, volumeType: type, output });
  }
  return out;
}

/** Whether `path` is `allowed` or below one of them. */
export function underAllowed(path: string, allowed: readonly string[]): boolean {
  return allowed.some((a) => {
    const d = a.replace(/\/+$/, '');
    return path === d || path.startsWith(`${d}/`);
  });
}
