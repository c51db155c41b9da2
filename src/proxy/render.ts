/**
 * The L4 proxy in front of the apiservers: its files, where they live, and how they are rendered from
 * assets/. Pure: a ProxySpec in, text out. Both kinds pass TLS through untouched (nginx `stream`,
 * HAProxy `mode tcp` without `ssl` on server lines); the apiservers authenticate clients by certificate.
 */
import { createHash } from 'node:crypto';
import { assetTemplate, renderTemplate } from './template.js';
import { checkHost, hostPort } from '../pki/hosts.js';

export type ProxyKind = 'nginx' | 'haproxy';
export type ProxyPlacement = 'dedicated' | 'per-node';

/** Its own file names, so a distro nginx or haproxy on the same host keeps running untouched. */
export const PROXY_PATHS = {
  nginx: {
    config: '/etc/nginx/ha-wizard-apiserver.conf',
    pid: '/run/ha-wizard-apiserver-nginx.pid',
    log: '/var/log/nginx/ha-wizard-apiserver.log',
    manifest: '/etc/kubernetes/manifests/ha-wizard-apiserver-proxy.yaml',
  },
  haproxy: {
    config: '/etc/haproxy/ha-wizard-apiserver.cfg',
    pid: '/run/ha-wizard-apiserver-haproxy.pid',
    log: '/var/log/ha-wizard-apiserver-haproxy.log',
    manifest: '/etc/kubernetes/manifests/ha-wizard-apiserver-proxy.yaml',
    /** The cluster CA the health check verifies apiservers against, on a dedicated proxy host. */
    ca: '/etc/haproxy/ha-wizard-apiserver-ca.crt',
  },
} as const;

/** Debian's dynamic stream module (libnginx-mod-stream); an nginx built `--with-stream` needs none. */
export const DEBIAN_NGINX_STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

/** Idle timeout of a proxied stream: kubectl exec / logs -f and watches stay open for minutes. */
export const STREAM_TIMEOUT = '10m';

export interface Backend {
  /** Node name (a comment in nginx, the server name in HAProxy). */
  name: string;
  address: string;
  port: number;
}

export interface ProxySpec {
  kind: ProxyKind;
  /** The endpoint this proxy serves, for the header comment. */
  endpoint: string;
  /** Addresses to listen on (`address:port`, or `port` alone for every address). */
  listen: string[];
  backends: Backend[];
  /** nginx: the dynamic stream module to load, or null when stream is built in. */
  nginxStreamModule?: string | null;
  /** HAProxy: the cluster CA file the /readyz check verifies servers with. */
  caFile?: string;
  /** Where the process writes its pid and errors (tests point these into a temp dir). */
  pidFile?: string;
  /** nginx: a file, or 'stderr' in a container. */
  errorLog?: string;
}

const SAFE_PATH = /^\/[A-Za-z0-9._/-]+$/;

function checkPath(path: string, what: string): string {
  if (!SAFE_PATH.test(path)) throw new Error(`${what} "${path}" must be an absolute path of letters, digits, '.', '_', '-' and '/'`);
  return path;
}

function checkListen(listen: string): string {
  const m = /^(?:(.+):)?(\d{1,5})$/.exec(listen);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new Error(`listen address "${listen}" is not [address:]port`);
  if (m[1] !== undefined) checkHost(m[1].replace(/^\[(.*)\]$/, '$1'), 'listen address');
  return listen;
}

function checkBackends(backends: Backend[]): Backend[] {
  if (backends.length === 0) throw new Error('the proxy needs at least one apiserver backend');
  const names = new Set<string>();
  for (const b of backends) {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(b.name)) throw new Error(`backend name "${b.name}" is not a DNS-1123 name`);
    if (names.has(b.name)) throw new Error(`backend "${b.name}" listed twice`);
    names.add(b.name);
    checkHost(b.address, `backend ${b.name} address`);
    if (!Number.isInteger(b.port) || b.port < 1 || b.port > 65535) throw new Error(`backend ${b.name} port ${b.port} is not a TCP port`);
  }
  return backends;
}

export function renderNginxConfig(spec: ProxySpec): string {
  const module = spec.nginxStreamModule ?? null;
  return renderTemplate(assetTemplate('nginx-stream.conf.tmpl'), {
    endpoint: spec.endpoint,
    loadModule: module === null ? null : checkPath(module, 'nginx stream module'),
    pidFile: checkPath(spec.pidFile ?? PROXY_PATHS.nginx.pid, 'pid file'),
    errorLog: spec.errorLog === 'stderr' ? 'stderr' : checkPath(spec.errorLog ?? PROXY_PATHS.nginx.log, 'error log'),
    streamTimeout: STREAM_TIMEOUT,
    listen: spec.listen.map((l) => ({ address: checkListen(l) })),
    backends: checkBackends(spec.backends).map((b) => ({ name: b.name, address: hostPort(b.address, b.port) })),
  });
}

export function renderHaproxyConfig(spec: ProxySpec): string {
  return renderTemplate(assetTemplate('haproxy.cfg.tmpl'), {
    endpoint: spec.endpoint,
    streamTimeout: STREAM_TIMEOUT,
    caFile: checkPath(spec.caFile ?? PROXY_PATHS.haproxy.ca, 'CA file'),
    // HAProxy's `bind` wants `:port` for every address.
    listen: spec.listen.map((l) => ({ address: /^\d+$/.test(checkListen(l)) ? `:${l}` : l })),
    backends: checkBackends(spec.backends).map((b) => ({ name: b.name, address: hostPort(b.address, b.port) })),
  });
}

export function renderProxyConfig(spec: ProxySpec): string {
  return spec.kind === 'nginx' ? renderNginxConfig(spec) : renderHaproxyConfig(spec);
}

export interface StaticPodSpec {
  kind: ProxyKind;
  image: string;
  /** The rendered config: its hash goes into an annotation so a config change restarts the pod. */
  config: string;
  /** HAProxy: the cluster CA on the node, mounted at the same path. */
  caFile?: string;
}

/** The per-node static pod (kubespray's nginx-proxy / haproxy pods), listening with the host's network. */
export function renderProxyStaticPod(spec: StaticPodSpec): string {
  if (!/^[A-Za-z0-9._/:@-]+$/.test(spec.image)) throw new Error(`image "${spec.image}" is not an image reference`);
  const configSha256 = createHash('sha256').update(spec.config).digest('hex');
  if (spec.kind === 'nginx') {
    return renderTemplate(assetTemplate('nginx-proxy.yaml.tmpl'), { image: spec.image, configPath: PROXY_PATHS.nginx.config, configSha256 });
  }
  return renderTemplate(assetTemplate('haproxy-proxy.yaml.tmpl'), {
    image: spec.image,
    configPath: PROXY_PATHS.haproxy.config,
    caFile: checkPath(spec.caFile ?? PROXY_PATHS.haproxy.ca, 'CA file'),
    configSha256,
  });
}
