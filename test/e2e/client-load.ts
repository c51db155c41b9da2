/**
 * A steady stream of authenticated reads and writes against one API address, as a cluster's clients make
 * them during a conversion: every `intervalMs`, a GET then an update of one ConfigMap (a counter), each on
 * a fresh TLS connection verified against the cluster CA for the name the address is known by, with the
 * admin's client certificate. Counts failed requests, the longest time without a successful request, and
 * the latency of writes (they go through etcd: a member add or promotion shows here).
 */
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface LoadSample {
  at: number;
  ok: boolean;
  write: boolean;
  ms: number;
  error?: string;
}

export interface LoadReport {
  requests: number;
  failed: number;
  /** Longest time between two successful requests (or from the start to the first), ms. */
  longestGapMs: number;
  /** The first failures, for the message. */
  failures: Array<{ at: string; error: string }>;
  writeMs: { median: number; p99: number; max: number };
  samples: LoadSample[];
}

export interface AdminCredentials {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** The CA and client pair embedded in a kubeadm admin.conf. */
export function adminCredentials(adminConf: string): AdminCredentials {
  const c = parse(readFileSync(adminConf, 'utf8')) as { clusters: Array<{ cluster: Record<string, string> }>; users: Array<{ user: Record<string, string> }> };
  const b64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64');
  return { ca: b64(c.clusters[0]!.cluster['certificate-authority-data']), cert: b64(c.users[0]!.user['client-certificate-data']), key: b64(c.users[0]!.user['client-key-data']) };
}

function call(url: URL, creds: AdminCredentials, method: string, body?: unknown): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: false,
        ca: creds.ca,
        cert: creds.cert,
        key: creds.key,
        timeout: 5_000,
        headers: { Accept: 'application/json', ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out after 5 s')));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Whether `server` answers /readyz over a certificate valid for its name (one try). */
export async function answers(server: string, creds: AdminCredentials): Promise<boolean> {
  try {
    return (await call(new URL('/readyz', server), creds, 'GET')).status === 200;
  } catch {
    return false;
  }
}

export class ClientLoad {
  private readonly samples: LoadSample[] = [];
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly startedAt = Date.now();

  constructor(
    private readonly server: string,
    private readonly creds: AdminCredentials,
    private readonly configMap: string,
    private readonly intervalMs = 200,
  ) {}

  /** Starts the stream (the ConfigMap is created by the first write if it is not there). */
  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<LoadReport> {
    this.running = false;
    await this.loop;
    return this.report();
  }

  private async run(): Promise<void> {
    const path = `/api/v1/namespaces/default/configmaps/${this.configMap}`;
    let n = 0;
    while (this.running) {
      const t0 = Date.now();
      await this.one(false, async () => {
        const r = await call(new URL(path, this.server), this.creds, 'GET');
        if (r.status !== 200 && r.status !== 404) throw new Error(`GET: HTTP ${r.status} ${r.text.slice(0, 200)}`);
      });
      await this.one(true, async () => {
        n++;
        const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: this.configMap, namespace: 'default' }, data: { n: String(n) } };
        let r = await call(new URL(path, this.server), this.creds, 'PUT', body);
        if (r.status === 404) r = await call(new URL('/api/v1/namespaces/default/configmaps', this.server), this.creds, 'POST', body);
        if (r.status !== 200 && r.status !== 201) throw new Error(`write: HTTP ${r.status} ${r.text.slice(0, 200)}`);
      });
      const rest = this.intervalMs - (Date.now() - t0);
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    }
  }

  private async one(write: boolean, f: () => Promise<void>): Promise<void> {
    const at = Date.now();
    try {
      await f();
      this.samples.push({ at, ok: true, write, ms: Date.now() - at });
    } catch (e) {
      this.samples.push({ at, ok: false, write, ms: Date.now() - at, error: (e as Error).message });
    }
  }

  report(): LoadReport {
    const s = this.samples;
    let last = this.startedAt;
    let longestGapMs = 0;
    for (const x of s) {
      if (!x.ok) continue;
      const end = x.at + x.ms;
      longestGapMs = Math.max(longestGapMs, end - last);
      last = end;
    }
    const writes = s.filter((x) => x.ok && x.write).map((x) => x.ms).sort((a, b) => a - b);
    const q = (p: number) => writes[Math.min(writes.length - 1, Math.floor(p * writes.length))] ?? 0;
    const failed = s.filter((x) => !x.ok);
    return {
      requests: s.length,
      failed: failed.length,
      longestGapMs,
      failures: failed.slice(0, 5).map((x) => ({ at: new Date(x.at).toISOString(), error: x.error ?? '' })),
      writeMs: { median: q(0.5), p99: q(0.99), max: writes.at(-1) ?? 0 },
      samples: s,
    };
  }
}

export interface ApplyUnderLoad {
  /** `ha-wizard apply --yes`'s result. */
  apply: { code: number | null; stdout: string; stderr: string };
  wallMs: number;
  /** The stream against the master's own address, for the whole conversion. */
  master: LoadReport;
  /** The stream against the endpoint from its first answer with a certificate valid for its name; null: it never answered. */
  endpoint: LoadReport | null;
}

/**
 * `ha-wizard apply --yes` of `configPath` (run by `exec`, where the lab's client end is) while two client loads
 * run: one against the master's address for the whole conversion, one against the endpoint from the moment it
 * answers with a certificate valid for its name. Shared by the availability test (the verdict) and its benchmark.
 */
export async function applyUnderLoad(
  exec: (argv: string[]) => Promise<{ code: number | null; stdout: string; stderr: string }>,
  cli: string,
  configPath: string,
  stateDir: string,
  masterUrl: string,
  endpointUrl: string,
  creds: AdminCredentials,
): Promise<ApplyUnderLoad> {
  const master = new ClientLoad(masterUrl, creds, 'load-master');
  master.start();
  const t0 = performance.now();
  const apply = exec(['env', `HA_WIZARD_STATE_DIR=${stateDir}`, process.execPath, cli, 'apply', '-c', configPath, '--yes']);
  let done = false;
  void apply.then(() => (done = true));
  let viaEndpoint: ClientLoad | null = null;
  while (!done && !viaEndpoint) {
    if (await answers(endpointUrl, creds)) {
      viaEndpoint = new ClientLoad(endpointUrl, creds, 'load-endpoint');
      viaEndpoint.start();
    } else await new Promise((r) => setTimeout(r, 200));
  }
  const result = await apply;
  const wallMs = performance.now() - t0;
  return { apply: result, wallMs, master: await master.stop(), endpoint: viaEndpoint ? await viaEndpoint.stop() : null };
}
