/**
 * The real programs the lab runs, built from their Go modules by lab/build-components.sh into a cache
 * outside the repository: which releases the lab knows (lab/components.txt), where their binaries are
 * on this machine, and where a node sees them (the cache is bind-mounted read-only into every node).
 */
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const K8S_BINARIES = ['kubeadm', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'] as const;
export const ETCD_BINARIES = ['etcd', 'etcdctl', 'etcdutl'] as const;
export type K8sBinary = (typeof K8S_BINARIES)[number];
export type EtcdBinary = (typeof ETCD_BINARIES)[number];

/** Where every node sees the component cache (read-only), whatever its path on the host. */
export const NODE_COMPONENTS_DIR = '/var/lib/ha-wizard-lab';

/** The shell command that builds what is missing, as a new user runs it from the repository. */
export const BUILD_COMMAND = 'sudo bash lab/install-deps.sh';

/** components.txt sits in the source tree, beside this file's source (this file runs from dist/lab/). */
const LIST = fileURLToPath(new URL('../../lab/components.txt', import.meta.url));

let cached: string[] | null = null;

/** The Kubernetes releases the lab knows, "1.37.2", the default first. */
export function labReleases(): string[] {
  if (cached) return cached;
  cached = readFileSync(LIST, 'utf8')
    .split('\n')
    .map((raw) => /^\s*kubernetes\s+v?(\d+\.\d+\.\d+)\s*$/.exec(raw)?.[1])
    .filter((v): v is string => v !== undefined);
  return cached;
}

let vipCached: string | null | undefined;

/** The kube-vip release the lab builds (components.txt's `kube-vip VERSION` line), "1.0.0"; null when it lists none. */
export function labKubeVipVersion(): string | null {
  if (vipCached !== undefined) return vipCached;
  vipCached =
    readFileSync(LIST, 'utf8')
      .split('\n')
      .map((raw) => /^\s*kube-vip\s+v?(\d+\.\d+\.\d+)\s*$/.exec(raw)?.[1])
      .find((v): v is string => v !== undefined) ?? null;
  return vipCached;
}

/** Host path of kube-vip `version` ("1.0.0") under `root`: what the lab runs for the image ghcr.io/kube-vip/kube-vip:vVERSION. */
export function kubeVipBinary(version: string, root = componentCache()): string {
  return join(root, 'kube-vip', `v${version}`, 'kube-vip');
}

/**
 * The component cache on this machine: $HA_WIZARD_LAB_CACHE, else $XDG_CACHE_HOME/ha-wizard/lab, else
 * ~/.cache/ha-wizard/lab in the user's home from the password database (not $HOME, which a test or a
 * sandboxed run may point elsewhere; build-components.sh resolves it the same way).
 */
export function componentCache(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HA_WIZARD_LAB_CACHE) return env.HA_WIZARD_LAB_CACHE;
  return join(env.XDG_CACHE_HOME || join(userInfo().homedir, '.cache'), 'ha-wizard', 'lab');
}

export function defaultK8sVersion(): string {
  const v = labReleases()[0];
  if (!v) throw new Error(`${LIST} lists no kubernetes release`);
  return v;
}

/**
 * "1.37" or "1.37.2" (a leading v allowed) → the listed release it names; null when the lab has none.
 * A minor alone picks the listed patch release of it.
 */
export function resolveK8sVersion(input: string): string | null {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(input.trim());
  if (!m) return null;
  const list = labReleases();
  if (m[3] !== undefined) return list.find((v) => v === `${m[1]}.${m[2]}.${m[3]}`) ?? null;
  return list.find((v) => v.startsWith(`${m[1]}.${m[2]}.`)) ?? null;
}

/** Host path of a Kubernetes binary of `version` ("1.37.2"), under `root` (the cache, or NODE_COMPONENTS_DIR). */
export function k8sBinary(version: string, name: K8sBinary, root = componentCache()): string {
  return join(root, 'kubernetes', `v${version}`, name);
}

export function etcdBinary(version: string, name: EtcdBinary, root = componentCache()): string {
  return join(root, 'etcd', `v${version}`, name);
}

/** The etcd version kubeadm `version` pins (recorded by the build from `kubeadm config images list`); null before the build. */
export function pinnedEtcd(version: string, root = componentCache()): string | null {
  try {
    return readFileSync(join(root, 'kubernetes', `v${version}`, 'etcd-version'), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** The binaries of a release and of the etcd it pins that are not built yet, as paths; [] when all are there. */
export function missingBinaries(version: string, root = componentCache()): string[] {
  const etcd = pinnedEtcd(version, root);
  const paths = [
    ...K8S_BINARIES.map((b) => k8sBinary(version, b, root)),
    ...(etcd ? ETCD_BINARIES.map((b) => etcdBinary(etcd, b, root)) : [join(root, 'kubernetes', `v${version}`, 'etcd-version')]),
  ];
  return paths.filter((p) => !existsSync(p));
}
