/**
 * TLS over an SSH tunnel: the TCP stream is `RemoteHost.forwardOut` (ssh direct-tcpip), so the
 * workstation needs no route to the cluster. The server certificate is verified against the cluster
 * CA (never the system roots) and the name the operator expects, and a failure is explained in Go's
 * words, as kubectl would print it ("tls: failed to verify certificate: x509: …").
 */
import type { X509Certificate } from 'node:crypto';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RemoteHost } from '../engine/model/remote-host.js';
import { hostnameError, parseCertificate, validityError, type CertInfo } from '../pki/inspect.js';
import { canonicalIP } from '../pki/ip.js';

export interface TlsTarget {
  /** Dialled from the host, e.g. "127.0.0.1" or "10.200.0.12". */
  address: string;
  port: number;
  /** The name (DNS or IP) the certificate must be valid for; also the SNI when it is a DNS name. */
  serverName: string;
  caPem: string;
  certPem?: string;
  keyPem?: string;
  timeoutMs?: number;
  /** A TLS session from an earlier handshake with the same server, CA and client credentials, to resume (abbreviated handshake). */
  session?: Buffer;
  /** Called with each session (ticket) the server issues on this connection, for the next connection to resume. */
  onSession?: (session: Buffer) => void;
}

/** A TLS failure explained; `peer` is the server certificate when one was presented. */
export class TlsVerifyError extends Error {
  override readonly name = 'TlsVerifyError';
  constructor(
    message: string,
    readonly peer?: CertInfo,
  ) {
    super(message);
  }
}

/** OpenSSL verify codes → Go's x509 messages (what kubectl shows for the same failure). */
function explainChainError(code: string, peer: CertInfo | undefined, now: Date): string {
  switch (code) {
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return (peer && validityError(peer, now)) ?? 'x509: certificate has expired or is not yet valid';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_SIGNATURE_FAILURE':
      return 'x509: certificate signed by unknown authority';
    default:
      return `x509: ${code}`;
  }
}

function peerInfo(cert: X509Certificate | undefined): CertInfo | undefined {
  if (!cert) return undefined;
  try {
    return parseCertificate(cert.raw);
  } catch {
    return undefined;
  }
}

/**
 * The common case, cheaply: the verified certificate names `serverName` by OpenSSL's strict check (SANs
 * only, no Common Name, a wildcard only as a whole left-most label; an IP only by an equal IP SAN), which
 * Go's check accepts too. Anything else (a wrong name, brackets, an unusual wildcard) gets the full
 * certificate parse and Go's check, with Go's words when it fails.
 */
function namedBy(cert: X509Certificate | undefined, serverName: string): boolean {
  if (!cert) return false;
  if (canonicalIP(serverName) !== null) return !serverName.startsWith('[') && cert.checkIP(serverName) !== undefined;
  return cert.checkHost(serverName, { subject: 'never', wildcards: true, partialWildcards: false, multiLabelWildcards: false, singleLabelSubdomains: false }) !== undefined;
}

/** Opens the tunnel and completes a verified TLS handshake. Rejects with TlsVerifyError on a certificate problem. */
export async function dialTls(host: RemoteHost, t: TlsTarget): Promise<TLSSocket> {
  return handshakeOver(host, await openTunnel(host, t.address, t.port, t.timeoutMs), t);
}

/** The tunnel alone (ssh direct-tcpip from the host to address:port), e.g. opened while the credentials are still being read. */
export function openTunnel(host: RemoteHost, address: string, port: number, timeoutMs = 15_000): Promise<Duplex> {
  return withTimeout(host.forwardOut(address, port), timeoutMs, `connect to ${address}:${port} from ${host.name}`, (late) => late.destroy());
}

function connectOver(stream: Duplex, t: TlsTarget, isIP: boolean): TLSSocket {
  return tlsConnect({
    socket: stream,
    ca: t.caPem,
    ...(t.certPem ? { cert: t.certPem } : {}),
    ...(t.keyPem ? { key: t.keyPem } : {}),
    ...(t.session ? { session: t.session } : {}),
    // RFC 6066 forbids IP literals in SNI; Go's client omits it too.
    ...(isIP ? {} : { servername: t.serverName }),
    // Verified below, so the failure can be worded like Go's, with the certificate at hand.
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
    ALPNProtocols: ['http/1.1'],
  });
}

/** A verified TLS handshake over an open tunnel (closed on failure). Rejects with TlsVerifyError on a certificate problem. */
export function handshakeOver(host: RemoteHost, stream: Duplex, t: TlsTarget): Promise<TLSSocket> {
  const timeoutMs = t.timeoutMs ?? 15_000;
  const isIP = canonicalIP(t.serverName) !== null;
  return new Promise<TLSSocket>((resolve, reject) => {
    let socket: TLSSocket;
    try {
      socket = connectOver(stream, t, isIP);
    } catch (e) {
      // A CA, certificate or key that is not PEM throws here, before any handshake.
      stream.destroy();
      reject(new Error(`TLS with ${t.address}:${t.port} (from ${host.name}): ${(e as Error).message}`));
      return;
    }
    if (t.onSession) socket.on('session', t.onSession);
    const timer = setTimeout(() => fail(new Error(`TLS handshake with ${t.address}:${t.port} (from ${host.name}) timed out after ${timeoutMs} ms`)), timeoutMs);
    const fail = (e: Error) => {
      clearTimeout(timer);
      socket.destroy();
      stream.destroy();
      reject(e);
    };
    socket.once('error', (e) => fail(new Error(`TLS with ${t.address}:${t.port} (from ${host.name}): ${e.message}`)));
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      // A resumed session carries no certificate: the server proved it holds the ticket key of the server this
      // caller verified (same CA and name: the caller keys sessions by them), on the handshake that made the session.
      if (t.session && socket.isSessionReused() && socket.authorized) {
        socket.removeAllListeners('error');
        resolve(socket);
        return;
      }
      const x509 = socket.getPeerX509Certificate();
      if (socket.authorized && namedBy(x509, t.serverName)) {
        socket.removeAllListeners('error');
        resolve(socket);
        return;
      }
      const peer = peerInfo(x509);
      let problem: string | null = null;
      if (!socket.authorized) {
        const code = String((socket.authorizationError as unknown as { code?: string } | null)?.code ?? socket.authorizationError ?? 'unknown');
        problem = explainChainError(code, peer, new Date());
      } else if (!peer) {
        problem = 'x509: no server certificate';
      } else {
        problem = hostnameError(peer, t.serverName);
      }
      if (problem) {
        socket.removeAllListeners('error');
        socket.on('error', () => {});
        fail(new TlsVerifyError(`tls: failed to verify certificate: ${problem}`, peer));
        return;
      }
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

export interface HttpResponse {
  status: number;
  statusMessage: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** One HTTP/1.1 request over an established TLS socket; the socket is closed afterwards. */
export function requestOver(
  socket: TLSSocket,
  opts: { method: string; path: string; host: string; headers?: Record<string, string>; body?: string; timeoutMs?: number },
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        method: opts.method,
        path: opts.path,
        host: opts.host,
        headers: { Host: opts.host, Accept: 'application/json', ...(opts.headers ?? {}), ...(opts.body !== undefined ? { 'Content-Length': String(Buffer.byteLength(opts.body)) } : {}) },
        createConnection: () => socket,
        timeout: opts.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          socket.destroy();
          resolve({ status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers: res.headers, body: Buffer.concat(chunks) });
        });
        res.on('error', (e) => {
          socket.destroy();
          reject(e);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no response to ${opts.method} ${opts.path} within ${opts.timeoutMs ?? 30_000} ms`)));
    req.on('error', (e) => {
      socket.destroy();
      reject(e);
    });
    req.end(opts.body);
  });
}

/** Rejects after `ms`; a value that arrives later is handed to `onLate` (to close a tunnel nobody will use). */
function withTimeout<T>(p: Promise<T>, ms: number, what: string, onLate: (v: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      reject(new Error(`${what}: timed out after ${ms} ms`));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        if (expired) onLate(v);
        else resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
