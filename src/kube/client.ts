/**
 * A minimal Kubernetes REST client whose connections are SSH tunnels from a control-plane host,
 * authenticated with that host's admin.conf read over SSH into memory (never written on the
 * workstation). Dials what kubectl on that host would dial: the kubeconfig's server, verified
 * against the kubeconfig's CA for the server's name.
 */
import { z } from 'zod';
import type { ObjectRef } from '../engine/model/actions.js';
import type { KubeApi, KubeApiFactory, KubeObject, ListPageOptions } from '../engine/model/ports.js';
import type { RemoteHost } from '../engine/model/remote-host.js';
import { credentials, parseKubeconfig, parseServerURL } from './kubeconfig.js';
import { dialTls, requestOver } from './tls.js';

/** kind → REST resource; the closed set the wizard touches. */
const RESOURCES: Record<string, { group: string; plural: string; namespaced: boolean }> = {
  ConfigMap: { group: '', plural: 'configmaps', namespaced: true },
  Secret: { group: '', plural: 'secrets', namespaced: true },
  Node: { group: '', plural: 'nodes', namespaced: false },
  Pod: { group: '', plural: 'pods', namespaced: true },
  Namespace: { group: '', plural: 'namespaces', namespaced: false },
  Service: { group: '', plural: 'services', namespaced: true },
  Endpoints: { group: '', plural: 'endpoints', namespaced: true },
  DaemonSet: { group: 'apps', plural: 'daemonsets', namespaced: true },
  Deployment: { group: 'apps', plural: 'deployments', namespaced: true },
  StatefulSet: { group: 'apps', plural: 'statefulsets', namespaced: true },
  CronJob: { group: 'batch', plural: 'cronjobs', namespaced: true },
  Lease: { group: 'coordination.k8s.io', plural: 'leases', namespaced: true },
};

/** The URL path of a collection or object, e.g. /api/v1/namespaces/kube-system/configmaps/kube-proxy. */
export function resourcePath(apiVersion: string, kind: string, namespace?: string, name?: string): string {
  const r = RESOURCES[kind];
  if (!r) throw new Error(`unsupported kind ${kind} (supported: ${Object.keys(RESOURCES).join(', ')})`);
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  if (group !== r.group) throw new Error(`${kind} is in API group "${r.group || 'core'}", not "${group || 'core'}" (apiVersion ${apiVersion})`);
  const base = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  if (r.namespaced && !namespace && name !== undefined) throw new Error(`${kind} ${name} needs a namespace`);
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${r.plural}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;
}

export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** An API error naming the object, the HTTP status and the API's reason. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string,
  ) {
    super(message);
  }
}

const StatusSchema = z.looseObject({ kind: z.literal('Status'), reason: z.string().optional(), message: z.string().optional(), code: z.number().optional() });
const ObjectSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: z.looseObject({ name: z.string().optional(), namespace: z.string().optional(), resourceVersion: z.string().optional() }).optional(),
});
const ListSchema = z.looseObject({ items: z.array(ObjectSchema), metadata: z.looseObject({ continue: z.string().optional() }).optional() });

export interface TunnelKubeApiOptions {
  /** Dial this instead of the kubeconfig's server (as seen from the host), e.g. the local apiserver. */
  address?: string;
  port?: number;
  /** Verify the certificate for this name instead of the server URL's host (e.g. "kubernetes"). */
  serverName?: string;
  timeoutMs?: number;
}

export class TunnelKubeApi implements KubeApi {
  private readonly target: { address: string; port: number; serverName: string };

  constructor(
    private readonly host: RemoteHost,
    private readonly creds: { server: string; caPem: string; certPem?: string; keyPem?: string; token?: string; tlsServerName?: string },
    private readonly opts: TunnelKubeApiOptions = {},
  ) {
    const url = parseServerURL(creds.server);
    this.target = {
      address: opts.address ?? url.host,
      port: opts.port ?? url.port,
      serverName: opts.serverName ?? creds.tlsServerName ?? url.host,
    };
  }

  async get(ref: ObjectRef): Promise<KubeObject | null> {
    const res = await this.call('GET', resourcePath(ref.apiVersion, ref.kind, ref.namespace, ref.name), describeRef(ref), undefined, [404]);
    return res === null ? null : parseObject(res, describeRef(ref));
  }

  async list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<KubeObject[]> {
    const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
    const what = `${kind} list${namespace ? ` in ${namespace}` : ''}${labelSelector ? ` (${labelSelector})` : ''}`;
    const body = await this.call('GET', resourcePath(apiVersion, kind, namespace) + query, what);
    const parsed = ListSchema.safeParse(body);
    if (!parsed.success) throw new Error(`${what}: the API answered with something that is not a list`);
    return parsed.data.items as KubeObject[];
  }

  async listPage(apiVersion: string, kind: string, opts: ListPageOptions): Promise<{ items: KubeObject[]; continue: string | null }> {
    const q = new URLSearchParams({ limit: String(opts.limit) });
    if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
    if (opts.fieldSelector) q.set('fieldSelector', opts.fieldSelector);
    if (opts.continue) q.set('continue', opts.continue);
    const what = `${kind} list${opts.namespace ? ` in ${opts.namespace}` : ' in every namespace'}`;
    const body = await this.call('GET', `${resourcePath(apiVersion, kind, opts.namespace)}?${q.toString()}`, what);
    const parsed = ListSchema.safeParse(body);
    if (!parsed.success) throw new Error(`${what}: the API answered with something that is not a list`);
    return { items: parsed.data.items as KubeObject[], continue: parsed.data.metadata?.continue || null };
  }

  async replace(ref: ObjectRef, object: KubeObject): Promise<KubeObject> {
    const res = await this.call('PUT', resourcePath(ref.apiVersion, ref.kind, ref.namespace, ref.name), describeRef(ref), JSON.stringify(object));
    return parseObject(res, describeRef(ref));
  }

  async create(ref: ObjectRef, object: KubeObject): Promise<KubeObject> {
    const res = await this.call('POST', resourcePath(ref.apiVersion, ref.kind, ref.namespace), describeRef(ref), JSON.stringify(object));
    return parseObject(res, describeRef(ref));
  }

  /** Deletes; true when deleted, false when it did not exist. */
  async delete(ref: ObjectRef): Promise<boolean> {
    const res = await this.call('DELETE', resourcePath(ref.apiVersion, ref.kind, ref.namespace, ref.name), describeRef(ref), undefined, [404]);
    return res !== null;
  }

  /** JSON merge patch (RFC 7386): null deletes a key. */
  async mergePatch(ref: ObjectRef, patch: Record<string, unknown>): Promise<KubeObject> {
    const res = await this.call(
      'PATCH',
      resourcePath(ref.apiVersion, ref.kind, ref.namespace, ref.name),
      describeRef(ref),
      JSON.stringify(patch),
      [],
      'application/merge-patch+json',
    );
    return parseObject(res, describeRef(ref));
  }

  /** GET a raw path (/version, /readyz): status and body text. */
  async raw(path: string): Promise<{ status: number; body: string }> {
    const res = await this.send('GET', path);
    return { status: res.status, body: res.body.toString('utf8') };
  }

  private async send(method: string, path: string, body?: string, contentType = 'application/json') {
    const socket = await dialTls(this.host, {
      ...this.target,
      caPem: this.creds.caPem,
      ...(this.creds.certPem && this.creds.keyPem ? { certPem: this.creds.certPem, keyPem: this.creds.keyPem } : {}),
      ...(this.opts.timeoutMs !== undefined ? { timeoutMs: this.opts.timeoutMs } : {}),
    });
    const headers: Record<string, string> = { 'User-Agent': 'ha-wizard' };
    if (body !== undefined) headers['Content-Type'] = contentType;
    if (this.creds.token) headers.Authorization = `Bearer ${this.creds.token}`;
    return requestOver(socket, {
      method,
      path,
      host: this.target.serverName,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(this.opts.timeoutMs !== undefined ? { timeoutMs: this.opts.timeoutMs } : {}),
    });
  }

  /** JSON body on 2xx; null on an allowed status (404 for get/delete); KubeApiError otherwise. */
  private async call(method: string, path: string, what: string, body?: string, allow: number[] = [], contentType?: string): Promise<unknown> {
    let res;
    try {
      res = await this.send(method, path, body, contentType);
    } catch (e) {
      throw new Error(`${method} ${what} via ${this.host.name}: ${(e as Error).message}`);
    }
    if (allow.includes(res.status)) return null;
    let json: unknown;
    try {
      json = JSON.parse(res.body.toString('utf8'));
    } catch {
      json = undefined;
    }
    if (res.status >= 200 && res.status < 300) {
      if (json === undefined) throw new Error(`${method} ${what} via ${this.host.name}: HTTP ${res.status} with a body that is not JSON`);
      return json;
    }
    const status = StatusSchema.safeParse(json);
    const reason = status.success ? (status.data.reason ?? res.statusMessage) : res.statusMessage;
    const message = status.success ? (status.data.message ?? '') : res.body.toString('utf8').slice(0, 200).trim();
    throw new KubeApiError(`${method} ${what} via ${this.host.name}: ${res.status} ${reason}${message ? `: ${message}` : ''}`, res.status, reason);
  }
}

function parseObject(body: unknown, what: string): KubeObject {
  const parsed = ObjectSchema.safeParse(body);
  if (!parsed.success) throw new Error(`${what}: the API answered with something that is not an object`);
  return parsed.data as KubeObject;
}

export interface TunnelKubeApiFactoryOptions extends TunnelKubeApiOptions {
  /** The kubeconfig on the host (default /etc/kubernetes/admin.conf). */
  kubeconfigPath?: string;
}

/** KubeApiFactory: reads the host's admin.conf over SSH (into memory) and tunnels through that host. */
export class TunnelKubeApiFactory implements KubeApiFactory {
  constructor(private readonly opts: TunnelKubeApiFactoryOptions = {}) {}

  async forHost(host: RemoteHost): Promise<TunnelKubeApi> {
    const path = this.opts.kubeconfigPath ?? '/etc/kubernetes/admin.conf';
    const label = `${host.name}:${path}`;
    const creds = credentials(parseKubeconfig(await host.readFile(path), label), label);
    if (!creds.caPem) throw new Error(`${label}: no certificate-authority-data; refusing to talk to the API without verifying it`);
    const { kubeconfigPath: _unused, ...apiOpts } = this.opts;
    return new TunnelKubeApi(host, { ...creds, caPem: creds.caPem }, apiOpts);
  }
}
