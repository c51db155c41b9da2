/**
 * A minimal Kubernetes API client for the lab's node agent (the kubelet stand-in). It reads a kubeconfig the way client-go does for the fields kubeadm writes (server,
 * certificate-authority[-data], client-certificate[-data], client-key[-data]) and verifies the server
 * against that CA with Node's normal hostname/IP check, so a missing SAN fails as it does in production.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface KubeConfigCreds {
  server: string;
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
}

interface KubeConfigFile {
  clusters?: Array<{ name: string; cluster: Record<string, string | undefined> }>;
  users?: Array<{ name: string; user: Record<string, string | undefined> }>;
  contexts?: Array<{ name: string; context: { cluster: string; user: string } }>;
  'current-context'?: string;
}

/** Reads a kubeconfig file; relative file references resolve against the kubeconfig's directory. */
export function loadKubeconfig(path: string): KubeConfigCreds {
  const cfg = parseYaml(readFileSync(path, 'utf8')) as KubeConfigFile;
  const ctx = cfg.contexts?.find((c) => c.name === cfg['current-context']) ?? cfg.contexts?.[0];
  const cluster = (ctx ? cfg.clusters?.find((c) => c.name === ctx.context.cluster) : cfg.clusters?.[0])?.cluster;
  const user = (ctx ? cfg.users?.find((u) => u.name === ctx.context.user) : cfg.users?.[0])?.user ?? {};
  if (!cluster?.server) throw new Error(`kubeconfig ${path}: no cluster server`);
  const base = dirname(path);
  const data = (inline: string | undefined, file: string | undefined): Buffer | undefined =>
    inline ? Buffer.from(inline, 'base64') : file ? readFileSync(resolve(base, file)) : undefined;
  const ca = data(cluster['certificate-authority-data'], cluster['certificate-authority']);
  if (!ca) throw new Error(`kubeconfig ${path}: no certificate authority`);
  const creds: KubeConfigCreds = { server: cluster.server, ca };
  const cert = data(user['client-certificate-data'], user['client-certificate']);
  const key = data(user['client-key-data'], user['client-key']);
  if (cert) creds.cert = cert;
  if (key) creds.key = key;
  if (user.token) creds.token = user.token;
  return creds;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    message: string,
  ) {
    super(message);
  }
}

export interface KubeResponse {
  status: number;
  body: string;
}

/** One client per kubeconfig; a keep-alive agent keeps the per-call cost to one request on a warm TLS session. */
export class KubeClient {
  private readonly agent: Agent;
  constructor(
    readonly creds: KubeConfigCreds,
    private readonly userAgent = 'kubelet/lab',
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 4, ca: creds.ca, cert: creds.cert, key: creds.key });
  }

  close(): void {
    this.agent.destroy();
  }

  raw(method: string, path: string, body?: unknown, contentType = 'application/json', timeoutMs = 5000): Promise<KubeResponse> {
    const url = new URL(path, this.creds.server);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': this.userAgent };
    if (payload !== undefined) {
      headers['Content-Type'] = contentType;
      // Node sends a DELETE body neither chunked nor with a length unless told: the server then reads it
      // as the start of the next request on the connection.
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    if (this.creds.token) headers.Authorization = `Bearer ${this.creds.token}`;
    return new Promise((resolvePromise, reject) => {
      const req = request(url, { method, agent: this.agent, headers, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${method} ${url.href}`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /**
   * A watch (`?watch=1`): calls `onEvent` for each event line until the server ends it, the request fails or
   * the returned `stop` is called; `onEnd` runs once, whatever ended it. Its own connection, outside the
   * keep-alive pool, as client-go's watches are.
   */
  watch(path: string, onEvent: (e: { type: string; object: any }) => void, onEnd: (err?: Error) => void): () => void {
    const url = new URL(path, this.creds.server);
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': this.userAgent };
    if (this.creds.token) headers.Authorization = `Bearer ${this.creds.token}`;
    let ended = false;
    const end = (err?: Error) => {
      if (ended) return;
      ended = true;
      onEnd(err);
    };
    const req = request(url, { method: 'GET', headers, ca: this.creds.ca, cert: this.creds.cert, key: this.creds.key, agent: false }, (res) => {
      if ((res.statusCode ?? 0) !== 200) {
        res.resume();
        end(new Error(`watch ${path}: HTTP ${res.statusCode}`));
        return;
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          try {
            onEvent(JSON.parse(line));
          } catch {
            /* a line that is not an event: the next list corrects any state it carried */
          }
        }
      });
      res.on('end', () => end());
      res.on('error', (e) => end(e));
    });
    req.on('error', (e) => end(e));
    req.end();
    return () => {
      req.destroy();
      end();
    };
  }

  /** JSON request that throws ApiError on a non-2xx answer. */
  async call<T = any>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const res = await this.raw(method, path, body, contentType);
    if (res.status < 200 || res.status > 299) {
      let message = res.body.slice(0, 300);
      try {
        message = (JSON.parse(res.body) as { message?: string }).message ?? message;
      } catch {
        /* not JSON */
      }
      throw new ApiError(res.status, res.body, `${method} ${path}: ${res.status} ${message}`);
    }
    return (res.body ? JSON.parse(res.body) : {}) as T;
  }

  get<T = any>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  /** GET that answers null for 404. */
  async find<T = any>(path: string): Promise<T | null> {
    try {
      return await this.call<T>('GET', path);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  }

  /** POST that treats AlreadyExists as success (kubeadm's CreateOrRetain). */
  async ensure(path: string, obj: unknown): Promise<void> {
    try {
      await this.call('POST', path, obj);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 409)) throw e;
    }
  }
}

/** Kubernetes' MicroTime format (RFC 3339 with microseconds), used by Lease fields. */
export function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Kubernetes' Time format (RFC 3339, seconds). */
export function kubeTime(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
