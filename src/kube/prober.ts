/**
 * The engine's Prober for `https` probes: GET over an SSH tunnel from the probe's host, TLS verified
 * against the CA file on that host for `serverName`, optionally with a client certificate read from
 * that host (kept in memory). A wrong SAN fails the way kubectl fails, with Go's x509 message.
 */
import type { Probe } from '../engine/actions.js';
import type { Hosts, ProbeResult, Prober } from '../engine/ports.js';
import { dialTls, requestOver, TlsVerifyError } from './tls.js';

type HttpsProbe = Extract<Probe, { type: 'https' }>;

export interface HttpsProberOptions {
  /** Per probe attempt: tunnel, handshake and response (default 10 s). */
  timeoutMs?: number;
}

export class HttpsProber implements Prober {
  private readonly timeoutMs: number;

  constructor(opts: HttpsProberOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async https(probe: HttpsProbe, hosts: Hosts): Promise<ProbeResult> {
    const where = `https://${probe.address.includes(':') ? `[${probe.address}]` : probe.address}:${probe.port}${probe.path} (from ${probe.host}, as ${probe.serverName})`;
    const expect = probe.expectStatus ?? 200;
    try {
      const host = await hosts.get(probe.host);
      const caPem = (await host.readFile(probe.caPath)).toString('utf8');
      let certPem: string | undefined;
      let keyPem: string | undefined;
      if (probe.clientCertPath && probe.clientKeyPath) {
        certPem = (await host.readFile(probe.clientCertPath)).toString('utf8');
        keyPem = (await host.readFile(probe.clientKeyPath)).toString('utf8');
      }
      const socket = await dialTls(host, {
        address: probe.address,
        port: probe.port,
        serverName: probe.serverName,
        caPem,
        timeoutMs: this.timeoutMs,
        ...(certPem && keyPem ? { certPem, keyPem } : {}),
      });
      const res = await requestOver(socket, { method: 'GET', path: probe.path, host: probe.serverName, timeoutMs: this.timeoutMs });
      const body = res.body.toString('utf8').trim().slice(0, 200);
      if (res.status === expect) return { ok: true, detail: `GET ${where}: ${res.status}${body ? ` ${body.split('\n')[0]}` : ''}` };
      return { ok: false, detail: `GET ${where}: HTTP ${res.status} ${res.statusMessage}, want ${expect}${body ? `: ${body}` : ''}` };
    } catch (e) {
      const msg = e instanceof TlsVerifyError ? e.message : (e as Error).message;
      return { ok: false, detail: `GET ${where}: ${msg}` };
    }
  }
}
