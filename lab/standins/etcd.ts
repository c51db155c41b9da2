/**
 * A small etcd v3 client over etcd's gRPC JSON gateway (HTTPS, client certificate), so the apiserver
 * stand-in keeps its objects in the real etcd without an npm etcd client. Keys and values are base64
 * in the gateway's JSON; int64 fields come back as strings and zero values are omitted.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

export interface KV {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
}

export interface RangeResult {
  revision: number;
  kvs: KV[];
}

interface RawKV {
  key?: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
}

const enc = (s: string) => Buffer.from(s).toString('base64');
const dec = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');

/** The smallest key greater than every key with this prefix. */
function prefixEnd(prefix: string): string {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const out = b.subarray(0, i + 1);
      out[i] = b[i]! + 1;
      return out.toString('base64');
    }
  }
  return enc('\0');
}

function toKV(r: RawKV): KV {
  return { key: dec(r.key), value: dec(r.value), createRevision: Number(r.create_revision ?? 0), modRevision: Number(r.mod_revision ?? 0) };
}

export class EtcdUnavailable extends Error {}

export class EtcdClient {
  private readonly agent: Agent;
  private readonly endpoints: URL[];
  private current = 0;

  constructor(servers: string, files: { ca: string; cert: string; key: string }) {
    this.endpoints = servers.split(',').map((s) => new URL(s.trim()));
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 16,
      ca: readFileSync(files.ca),
      cert: readFileSync(files.cert),
      key: readFileSync(files.key),
    });
  }

  private post(path: string, body: unknown, timeoutMs = 4000): Promise<any> {
    const payload = JSON.stringify(body);
    const attempt = (i: number): Promise<any> =>
      new Promise((resolve, reject) => {
        const url = new URL(path, this.endpoints[i]!);
        const req = request(url, { method: 'POST', agent: this.agent, timeout: timeoutMs, headers: { 'Content-Type': 'application/json' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) return reject(new EtcdUnavailable(`etcd ${path}: ${res.statusCode} ${text.slice(0, 200)}`));
            try {
              resolve(JSON.parse(text));
            } catch {
              reject(new EtcdUnavailable(`etcd ${path}: bad JSON`));
            }
          });
        });
        req.on('timeout', () => req.destroy(new EtcdUnavailable(`etcd ${url.host}: timeout`)));
        req.on('error', (e) => reject(e instanceof EtcdUnavailable ? e : new EtcdUnavailable(`etcd ${url.host}: ${e.message}`)));
        req.end(payload);
      });
    // Like the apiserver's client: try the configured endpoints in turn.
    const run = async (): Promise<any> => {
      let last: unknown;
      for (let n = 0; n < this.endpoints.length; n++) {
        const i = (this.current + n) % this.endpoints.length;
        try {
          const r = await attempt(i);
          this.current = i;
          return r;
        } catch (e) {
          last = e;
        }
      }
      throw last;
    };
    return run();
  }

  async get(key: string): Promise<{ revision: number; kv: KV | null }> {
    const r = await this.post('/v3/kv/range', { key: enc(key) });
    const kvs = (r.kvs ?? []) as RawKV[];
    return { revision: Number(r.header?.revision ?? 0), kv: kvs.length ? toKV(kvs[0]!) : null };
  }

  async list(prefix: string, opts: { minModRevision?: number; keysOnly?: boolean; limit?: number } = {}): Promise<RangeResult> {
    const body: Record<string, unknown> = { key: enc(prefix), range_end: prefixEnd(prefix) };
    if (opts.minModRevision) body.min_mod_revision = String(opts.minModRevision);
    if (opts.keysOnly) body.keys_only = true;
    if (opts.limit) body.limit = String(opts.limit);
    const r = await this.post('/v3/kv/range', body);
    return { revision: Number(r.header?.revision ?? 0), kvs: ((r.kvs ?? []) as RawKV[]).map(toKV) };
  }

  /** Creates the key only if it does not exist. Returns the new mod revision, or null if it existed. */
  async create(key: string, value: string): Promise<number | null> {
    const r = await this.post('/v3/kv/txn', {
      compare: [{ key: enc(key), target: 'CREATE', create_revision: '0', result: 'EQUAL' }],
      success: [{ request_put: { key: enc(key), value: enc(value) } }],
    });
    return r.succeeded ? Number(r.header?.revision ?? 0) : null;
  }

  /** Compare-and-swap on mod_revision (the apiserver's resourceVersion). Returns the new revision or null. */
  async update(key: string, value: string, modRevision: number): Promise<number | null> {
    const r = await this.post('/v3/kv/txn', {
      compare: [{ key: enc(key), target: 'MOD', mod_revision: String(modRevision), result: 'EQUAL' }],
      success: [{ request_put: { key: enc(key), value: enc(value) } }],
    });
    return r.succeeded ? Number(r.header?.revision ?? 0) : null;
  }

  /** Deletes the key; with modRevision only if unchanged. Returns whether a key was deleted. */
  async delete(key: string, modRevision?: number): Promise<boolean> {
    if (modRevision === undefined) {
      const r = await this.post('/v3/kv/deleterange', { key: enc(key) });
      return Number(r.deleted ?? 0) > 0;
    }
    const r = await this.post('/v3/kv/txn', {
      compare: [{ key: enc(key), target: 'MOD', mod_revision: String(modRevision), result: 'EQUAL' }],
      success: [{ request_delete_range: { key: enc(key) } }],
    });
    return Boolean(r.succeeded);
  }

  /** A linearizable read: fails when the member has no quorum, like the apiserver's etcd health check. */
  async healthy(timeoutMs = 2000): Promise<boolean> {
    try {
      await this.post('/v3/kv/range', { key: enc('health'), count_only: true }, timeoutMs);
      return true;
    } catch {
      return false;
    }
  }
}
