/**
 * What a static pod's container becomes on a lab node, where there is no container runtime: the real
 * program its image holds, run as a process on the host network with the container's command line.
 *
 *  - Kubernetes control-plane images (registry.k8s.io/kube-apiserver:v1.37.2, ...) run the binary of
 *    that exact release from the lab's component cache; etcd images (etcd:3.6.8-0) the etcd of that
 *    version. A version the lab has not built is an image pull error, as on a node that cannot pull it.
 *  - nginx and HAProxy images (node-local apiserver proxies) run Debian's nginx and haproxy.
 *  - kube-vip images (ghcr.io/kube-vip/kube-vip:v1.0.0) run the kube-vip of that version from the component
 *    cache (lab/build-components.sh builds the `kube-vip` releases of components.txt).
 *  - A pod's hostAliases are honoured as the kubelet does for a hostNetwork pod: the container sees the node's
 *    /etc/hosts with the aliases appended (a private mount namespace binds that file over /etc/hosts).
 *  - A container path is reached through the pod's hostPath volumes, as in a container: an argument
 *    naming a path under a volume's mountPath names the host path behind it.
 *  - hostPath volumes are checked the way the kubelet checks them before it starts a container: a
 *    `File` or `Directory` that is not there keeps the pod from starting ("MountVolume.SetUp failed");
 *    the `*OrCreate` types are created.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Debian's nginx (nginx-light) has stream as a dynamic module; the nginx image has it built in. */
export const LAB_NGINX_STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

const K8S_COMPONENTS = new Set(['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);

/** What could not start, in the kubelet's words: the pod's waiting reason and message. */
export interface Waiting {
  reason: string;
  message: string;
}

/**
 * A container path seen through the pod's hostPath volumes: the file the container would read at `arg`
 * is the host's file at the volume's path (a node-local proxy reads its config this way, as in kubespray).
 */
export function hostPathOf(pod: any, container: any, arg: string): string {
  const volumes = new Map<string, string>();
  for (const v of pod?.spec?.volumes ?? []) if (v?.name && typeof v.hostPath?.path === 'string') volumes.set(v.name, v.hostPath.path);
  let best: { at: string; host: string } | null = null;
  for (const m of container?.volumeMounts ?? []) {
    const host = volumes.get(m?.name);
    const at = typeof m?.mountPath === 'string' ? m.mountPath.replace(/\/+$/, '') : '';
    if (!host || !at) continue;
    if ((arg === at || arg.startsWith(`${at}/`)) && (!best || at.length > best.at.length)) best = { at, host };
  }
  if (!best) return arg;
  return arg === best.at ? best.host : `${best.host.replace(/\/+$/, '')}${arg.slice(best.at.length)}`;
}

/** `--flag=/container/path` and bare `/container/path` arguments, mapped through the volumes. */
function mapArg(pod: any, container: any, arg: string): string {
  const eq = arg.startsWith('-') ? arg.indexOf('=') : -1;
  if (eq >= 0) return `${arg.slice(0, eq + 1)}${hostPathOf(pod, container, arg.slice(eq + 1))}`;
  return hostPathOf(pod, container, arg);
}

/**
 * nginx from an image runs as Debian's nginx: the stream module loaded with -g when the config does not
 * load it (-g directives are parsed before the file), errors to stderr (the pod's log) instead of the
 * compiled-in /var/log/nginx/error.log, and in the foreground whatever the manifest says.
 */
function nginxArgs(args: string[], configText: (path: string) => string | null): string[] {
  const out: string[] = [];
  const globals: string[] = [];
  let config: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-g') {
      globals.push(args[++i] ?? '');
      continue;
    }
    if (a === '-c') config = args[i + 1] ?? null;
    out.push(a);
  }
  const text = config ? configText(config) : null;
  const g = globals.join(' ').replace(/\bdaemon\s+\w+\s*;/g, '').trim();
  const loads = text !== null && /^\s*load_module\s+\S*ngx_stream_module\.so\s*;/m.test(text);
  const builtin = text === null || !/^\s*stream\s*\{/m.test(text);
  const pre = loads || builtin ? '' : `load_module ${LAB_NGINX_STREAM_MODULE}; `;
  return ['-e', 'stderr', ...out, '-g', `${pre}daemon off; ${g}`.trim()];
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** "registry.k8s.io/etcd:3.6.8-0" → "3.6.8"; "…/kube-apiserver:v1.37.2" → "1.37.2"; null without a version tag. */
export function imageVersion(image: string | undefined): string | null {
  const last = (image ?? '').split('@')[0]!.split('/').pop() ?? '';
  const m = /:v?(\d+\.\d+\.\d+)(?:-[0-9A-Za-z.]+)?$/.exec(last);
  return m ? m[1]! : null;
}

export interface CommandContext {
  /** Where the node sees the lab's component cache (NODE_COMPONENTS_DIR). */
  components: string;
  /** Reads a config file named on the command line (nginx: does it load the stream module itself?). */
  configText?: (path: string) => string | null;
  exists?: (path: string) => boolean;
}

/** argv for a container, or why the kubelet could not start it. */
export function commandFor(container: any, pod: any, ctx: CommandContext): { argv: string[] } | { error: Waiting } {
  const exists = ctx.exists ?? existsSync;
  const argv: string[] = [...(container.command ?? []), ...(container.args ?? [])].map(String);
  const exe = basename(argv[0] ?? '');
  const args = argv.slice(1).map((a) => mapArg(pod, container, a));
  const image = String(container.image ?? '');
  const version = imageVersion(image);
  const pull = (what: string): { error: Waiting } => ({
    error: { reason: 'ErrImagePull', message: `the lab has no ${what} built for image "${image}": build it with \`bash lab/build-components.sh\` (lab/components.txt lists the releases)` },
  });
  if (K8S_COMPONENTS.has(exe)) {
    if (!version) return pull(exe);
    const bin = join(ctx.components, 'kubernetes', `v${version}`, exe);
    return exists(bin) ? { argv: [bin, ...args] } : pull(`${exe} v${version}`);
  }
  if (exe === 'etcd') {
    if (!version) return pull('etcd');
    const bin = join(ctx.components, 'etcd', `v${version}`, 'etcd');
    return exists(bin) ? { argv: [bin, ...args] } : pull(`etcd v${version}`);
  }
  if (exe === 'kube-vip' || /(^|\/)kube-vip:/.test(image)) {
    // kube-vip's image runs /kube-vip with `args: [manager]` (its entrypoint), no command.
    if (!version) return pull('kube-vip');
    const bin = join(ctx.components, 'kube-vip', `v${version}`, 'kube-vip');
    const rest = exe === 'kube-vip' ? args : argv.map((a) => mapArg(pod, container, a));
    return exists(bin) ? { argv: [bin, ...rest] } : pull(`kube-vip v${version}`);
  }
  if (exe === 'nginx') return { argv: ['/usr/sbin/nginx', ...nginxArgs(args, ctx.configText ?? readOrNull)] };
  if (exe === 'haproxy') return { argv: ['/usr/sbin/haproxy', ...args] };
  return { error: { reason: 'CreateContainerError', message: `the lab cannot run command ${JSON.stringify(argv[0] ?? '')} (image ${image || '?'})` } };
}

/**
 * The kubelet's hostPath volume setup (pkg/volume/hostpath): checks each volume's type and creates the
 * `*OrCreate` ones. Returns why the pod cannot start, or null when every volume is in place.
 */
export function setUpHostPaths(pod: any): Waiting | null {
  for (const v of pod?.spec?.volumes ?? []) {
    const path = v?.hostPath?.path;
    if (typeof path !== 'string') continue;
    const type = String(v.hostPath.type ?? '');
    const st = statOrNull(path);
    const fail = (what: string) => ({ reason: 'ContainerCreating', message: `MountVolume.SetUp failed for volume "${v.name}" : hostPath type check failed: ${path} ${what}` });
    switch (type) {
      case '':
        break;
      case 'DirectoryOrCreate':
        if (!st) mkdirSync(path, { recursive: true, mode: 0o755 });
        else if (!st.isDirectory()) return fail('is not a directory');
        break;
      case 'Directory':
        if (!st?.isDirectory()) return fail('is not a directory');
        break;
      case 'FileOrCreate':
        if (!st) {
          mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
          writeFileSync(path, '', { mode: 0o644, flag: 'a' });
        } else if (!st.isFile()) return fail('is not a file');
        break;
      case 'File':
        if (!st?.isFile()) return fail('is not a file');
        break;
      case 'Socket':
        if (!st?.isSocket()) return fail('is not a socket file');
        break;
      case 'CharDevice':
        if (!st?.isCharacterDevice()) return fail('is not a character device');
        break;
      case 'BlockDevice':
        if (!st?.isBlockDevice()) return fail('is not a block device');
        break;
      default:
        return { reason: 'CreateContainerConfigError', message: `volume "${v.name}": unknown hostPath type ${JSON.stringify(type)}` };
    }
  }
  return null;
}

function statOrNull(path: string): ReturnType<typeof statSync> | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** The hosts file a hostNetwork pod sees: the node's own, then one line per hostAliases entry (the kubelet's format). */
export function podHostsFile(nodeHosts: string, pod: any): string | null {
  const aliases: Array<{ ip?: unknown; hostnames?: unknown }> = Array.isArray(pod?.spec?.hostAliases) ? pod.spec.hostAliases : [];
  const lines = aliases
    .filter((a) => typeof a.ip === 'string' && Array.isArray(a.hostnames) && a.hostnames.length > 0)
    .map((a) => `${a.ip}\t${(a.hostnames as unknown[]).map(String).join('\t')}`);
  if (lines.length === 0) return null;
  const base = nodeHosts.endsWith('\n') || nodeHosts === '' ? nodeHosts : `${nodeHosts}\n`;
  return `${base}\n# Entries added by HostAliases.\n${lines.join('\n')}\n`;
}

/** argv that runs `argv` with `hostsFile` bound over /etc/hosts in a mount namespace of its own (one process: unshare and sh exec). */
export function withHostsFile(argv: string[], hostsFile: string): string[] {
  return ['unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hostsFile, ...argv];
}

/** A container's environment: its `value`s, and the `fieldRef`s the kubelet resolves for a static pod on the host network. */
export function containerEnv(container: any, pod: any, node: { name: string; address: string }, base: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { ...base };
  const fields: Record<string, string> = {
    'spec.nodeName': node.name,
    'metadata.name': `${pod?.metadata?.name ?? ''}-${node.name}`,
    'metadata.namespace': pod?.metadata?.namespace ?? 'default',
    'status.hostIP': node.address,
    'status.podIP': node.address,
  };
  for (const e of container?.env ?? []) {
    if (!e?.name) continue;
    if (typeof e.value === 'string') env[e.name] = e.value;
    else if (typeof e.valueFrom?.fieldRef?.fieldPath === 'string' && fields[e.valueFrom.fieldRef.fieldPath] !== undefined) env[e.name] = fields[e.valueFrom.fieldRef.fieldPath]!;
  }
  return env;
}
