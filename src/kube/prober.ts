/**
 * The engine's Prober for `https` probes: GET over an SSH tunnel from the probe's host, TLS verified
 * against the CA file on that host for `serverName`, optionally with a client certificate read from
 * that host (kept in memory). A wrong SAN fails the way kubectl fails, with Go's x509 message.
 *
 * The files are read in parallel, each distinct path once (the kubelet's cert and key are the same
 * kubelet-client-current.pem). A wait retries the same probe every few seconds: while it keeps failing
 * for a reason the credentials cannot cause (nothing listening yet, a 5xx, a timeout), the next attempt
 * reuses what was read. They are dropped, so the next attempt reads the files again, when the probe
 * passes (the wait is over), when the failure could be theirs (TLS, 401, 403, a read error), and at
 * the latest `credentialsTtlMs` after they were read. They never leave memory.
 */
import type { Probe } from '../engine/model/actions.js';
import type { Hosts, ProbeResult, Prober } from '../engine/model/ports.js';
import { handshakeOver, openTunnel, requestOver, TlsVerifyError } from './tls.js';

type HttpsProbe = Extract<Probe, { type: 'https' }>;

export interface HttpsProberOptions {
  /** Per probe attempt: tunnel, handshake and response (default 10 s). */
  timeoutMs?: number;
  /** How long the files read for one probe may serve its retries (default 30 s; 0: read on every attempt). */
  credentialsTtlMs?: number;
}

interface Credentials {
  caPem: string;
  certPem?: string;
  keyPem?: string;
}

interface Held {
  creds: Promise<Credentials>;
  timer: NodeJS.Timeout;
}

/** Failures that say nothing about the files read: the next attempt may use them again. */
const NOT_CREDENTIALS = /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|timed out|no response to|socket hang up|Connection refused|open failed|administratively prohibited|connect failed/i;

export class HttpsProber implements Prober {
  private readonly timeoutMs: number;
  private readonly ttlMs: number;
  private readonly held = new Map<string, Held>();

  constructor(opts: HttpsProberOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.ttlMs = opts.credentialsTtlMs ?? 30_000;
  }

  /** How many probes' credentials are held in memory right now (for tests). */
  get heldCount(): number {
    return this.held.size;
  }

  async https(probe: HttpsProbe, hosts: Hosts): Promise<ProbeResult> {
    const where = `https://${probe.address.includes(':') ? `[${probe.address}]` : probe.address}:${probe.port}${probe.path} (from ${probe.host}, as ${probe.serverName})`;
    const expect = probe.expectStatus ?? 200;
    const key = heldKey(probe);
    let keep = false;
    try {
      const host = await hosts.get(probe.host);
      // The tunnel opens while the files are read: two round trips to the host at once, not one after the other.
      const tunnel = openTunnel(host, probe.address, probe.port, this.timeoutMs);
      // Handled when awaited below; until then a refusal must not count as unhandled.
      tunnel.catch(() => undefined);
      let creds: Credentials;
      try {
        creds = await this.credentials(key, probe, hosts);
      } catch (e) {
        tunnel.then((s) => s.destroy(), () => undefined);
        throw e;
      }
      let socket;
      try {
        socket = await handshakeOver(host, await tunnel, {
          address: probe.address,
          port: probe.port,
          serverName: probe.serverName,
          caPem: creds.caPem,
          timeoutMs: this.timeoutMs,
          ...(creds.certPem !== undefined && creds.keyPem !== undefined ? { certPem: creds.certPem, keyPem: creds.keyPem } : {}),
          // The next attempt of this probe (a wait polls) resumes the session: no certificate exchange, no signature.
          ...(this.sessions.get(key) ? { session: this.sessions.get(key)! } : {}),
          onSession: (s) => this.keepSession(key, s),
        });
      } catch (e) {
        keep = !(e instanceof TlsVerifyError) && NOT_CREDENTIALS.test((e as Error).message);
        throw e;
      }
      const res = await requestOver(socket, { method: 'GET', path: probe.path, host: probe.serverName, timeoutMs: this.timeoutMs }).catch((e: unknown) => {
        keep = NOT_CREDENTIALS.test((e as Error).message);
        throw e;
      });
      const body = res.body.toString('utf8').trim().slice(0, 200);
      if (res.status === expect) return { ok: true, detail: `GET ${where}: ${res.status}${body ? ` ${body.split('\n')[0]}` : ''}` };
      keep = res.status !== 401 && res.status !== 403;
      return { ok: false, detail: `GET ${where}: HTTP ${res.status} ${res.statusMessage}, want ${expect}${body ? `: ${body}` : ''}` };
    } catch (e) {
      const msg = e instanceof TlsVerifyError ? e.message : (e as Error).message;
      return { ok: false, detail: `GET ${where}: ${msg}` };
    } finally {
      if (!keep) this.drop(key);
    }
  }

  /** The probe's files, held from an earlier failed attempt or read now: in parallel, each distinct path once. */
  private credentials(key: string, probe: HttpsProbe, hosts: Hosts): Promise<Credentials> {
    const held = this.held.get(key);
    if (held) return held.creds;
    const creds = (async (): Promise<Credentials> => {
      const host = await hosts.get(probe.host);
      const paths = [probe.caPath];
      const client = probe.clientCertPath !== undefined && probe.clientKeyPath !== undefined;
      if (client) paths.push(probe.clientCertPath!, probe.clientKeyPath!);
      const reads = new Map<string, Promise<string>>();
      for (const p of paths) if (!reads.has(p)) reads.set(p, host.readFile(p).then((b) => b.toString('utf8')));
      // Every read settles before this returns, so a failed one leaves no other in flight.
      const settled = await Promise.allSettled(reads.values());
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
      const text = (p: string) => (settled[[...reads.keys()].indexOf(p)] as PromiseFulfilledResult<string>).value;
      return client ? { caPem: text(probe.caPath), certPem: text(probe.clientCertPath!), keyPem: text(probe.clientKeyPath!) } : { caPem: text(probe.caPath) };
    })();
    if (this.ttlMs > 0) {
      const timer = setTimeout(() => this.drop(key), this.ttlMs);
      timer.unref();
      this.held.set(key, { creds, timer });
    }
    return creds;
  }

  /**
   * TLS sessions by probe (host, address, port, path, server name, CA and client credential paths): a session
   * resumes only the identity that made it, so a session is never shared between two probes' credentials. A
   * failed verification or a refused request drops it with the held files (`drop`). Bounded: the oldest go first.
   */
  private readonly sessions = new Map<string, Buffer>();

  private keepSession(key: string, session: Buffer): void {
    this.sessions.delete(key);
    this.sessions.set(key, session);
    if (this.sessions.size > 10_000) this.sessions.delete(this.sessions.keys().next().value!);
  }

  private drop(key: string): void {
    this.sessions.delete(key);
    const held = this.held.get(key);
    if (!held) return;
    clearTimeout(held.timer);
    this.held.delete(key);
  }
}

function heldKey(p: HttpsProbe): string {
  return JSON.stringify([p.host, p.address, p.port, p.path, p.serverName, p.caPath, p.clientCertPath ?? null, p.clientKeyPath ?? null]);
}
