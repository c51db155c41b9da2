/**
 * kube-apiserver stand-in for the lab. Started by the node agent with the manifest's own command line:
 *   node apiserver.js --advertise-address=… --secure-port=6443 --tls-cert-file=… --client-ca-file=…
 *        --etcd-servers=… --etcd-cafile=… --etcd-certfile=… --etcd-keyfile=… --service-account-key-file=…
 * What is real: TLS with the manifest's serving certificate (so a missing SAN fails clients with the
 * x509 error), client certificates verified against --client-ca-file (anonymous may read only
 * /healthz /livez /readyz /version), ServiceAccount JWTs verified with --service-account-key-file, and
 * every object kept in the etcd named by --etcd-servers (shared by all apiservers; /readyz fails when
 * that etcd has no quorum). What is not: authorization (every authenticated user may do everything),
 * admission, server-side apply, field managers, protobuf.
 */
import { createPrivateKey, createPublicKey, randomBytes, randomUUID, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { EtcdClient, EtcdUnavailable, type KV } from './etcd.js';
import { Flags, log, versionInfo } from './flags.js';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch.js';
import { apiVersionOf, findResource, groupList, qualifiedName, resourceList, table, type ResourceDef } from './resources.js';
import { fieldSelector, labelSelector } from './selectors.js';
import { kubeTime } from './kubeclient.js';

const flags = new Flags(process.argv.slice(2));
const version = versionInfo(process.env.LAB_IMAGE);
const etcd = new EtcdClient(flags.get('etcd-servers') ?? 'https://127.0.0.1:2379', {
  ca: flags.require('etcd-cafile'),
  cert: flags.require('etcd-certfile'),
  key: flags.require('etcd-keyfile'),
});
const saPublicKeys: KeyObject[] = flags.all('service-account-key-file').map((f) => createPublicKey(readFileSync(f)));
const saSigningKey = flags.get('service-account-signing-key-file') ? createPrivateKey(readFileSync(flags.require('service-account-signing-key-file'))) : null;
const issuers = flags.all('service-account-issuer');

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

const notFound = (r: ResourceDef, name: string) => new HttpError(404, 'NotFound', `${qualifiedName(r)} "${name}" not found`, { name, group: r.group, kind: r.plural });
const conflict = (r: ResourceDef, name: string) =>
  new HttpError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedName(r)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, {
    name,
    group: r.group,
    kind: r.plural,
  });

function status(code: number, reason: string, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: code < 400 ? 'Success' : 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

// ---- authentication -------------------------------------------------------------------------------

interface User {
  name: string;
  groups: string[];
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function verifyToken(token: string): User | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [h, p, s] = parts as [string, string, string];
  let header: { alg?: string };
  let claims: { iss?: string; sub?: string; exp?: number; nbf?: number; aud?: string[] | string };
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString());
    claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  } catch {
    return null;
  }
  const data = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  const ok = saPublicKeys.some((key) => {
    try {
      if (header.alg === 'RS256' && key.asymmetricKeyType === 'rsa') return cryptoVerify('sha256', data, key, sig);
      if (header.alg === 'ES256' && key.asymmetricKeyType === 'ec') return cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
    } catch {
      /* wrong key shape */
    }
    return false;
  });
  const now = Date.now() / 1000;
  const aud = Array.isArray(claims.aud) ? claims.aud : claims.aud ? [claims.aud] : [];
  if (!ok || !claims.sub || !claims.iss || !issuers.includes(claims.iss) || (claims.exp ?? 0) < now || (claims.nbf ?? 0) > now + 60) return null;
  if (!aud.some((a) => issuers.includes(a))) return null;
  const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(claims.sub);
  return { name: claims.sub, groups: m ? ['system:serviceaccounts', `system:serviceaccounts:${m[1]}`, 'system:authenticated'] : ['system:authenticated'] };
}

function authenticate(req: IncomingMessage): User | null {
  const sock = req.socket as TLSSocket;
  if (sock.authorized) {
    const cert = sock.getPeerCertificate();
    const cn = cert.subject?.CN;
    const o = cert.subject?.O;
    if (cn) return { name: Array.isArray(cn) ? cn[0]! : cn, groups: [...(Array.isArray(o) ? o : o ? [o] : []), 'system:authenticated'] };
  }
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return verifyToken(auth.slice(7).trim());
  return null;
}

function issueToken(namespace: string, name: string, expirationSeconds: number): { token: string; exp: Date } {
  if (!saSigningKey) throw new HttpError(500, 'InternalError', 'no --service-account-signing-key-file');
  const now = Math.floor(Date.now() / 1000);
  const exp = now + expirationSeconds;
  const alg = saSigningKey.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
  const header = b64url(JSON.stringify({ alg, typ: 'JWT' }));
  const claims = b64url(
    JSON.stringify({
      aud: issuers.slice(0, 1),
      exp,
      iat: now,
      iss: issuers[0],
      nbf: now,
      sub: `system:serviceaccount:${namespace}:${name}`,
      'kubernetes.io': { namespace, serviceaccount: { name, uid: randomUUID() } },
    }),
  );
  const data = Buffer.from(`${header}.${claims}`);
  const sig = alg === 'ES256' ? cryptoSign('sha256', data, { key: saSigningKey, dsaEncoding: 'ieee-p1363' }) : cryptoSign('sha256', data, saSigningKey);
  return { token: `${header}.${claims}.${b64url(sig)}`, exp: new Date(exp * 1000) };
}

// ---- storage ----------------------------------------------------------------------------------------

function keyOf(r: ResourceDef, ns: string | undefined, name: string): string {
  return r.namespaced ? `${r.prefix}/${ns}/${name}` : `${r.prefix}/${name}`;
}

function decode(kv: KV): any {
  const o = JSON.parse(kv.value);
  o.metadata = { ...o.metadata, resourceVersion: String(kv.modRevision) };
  return o;
}

function encode(o: any): string {
  const { resourceVersion: _rv, ...meta } = o.metadata ?? {};
  return JSON.stringify({ ...o, metadata: meta });
}

function defaults(r: ResourceDef, o: any): void {
  if (r.kind === 'Namespace') {
    o.spec ??= { finalizers: ['kubernetes'] };
    o.status ??= { phase: 'Active' };
    o.metadata.labels = { ...o.metadata.labels, 'kubernetes.io/metadata.name': o.metadata.name };
  }
  if (r.kind === 'DaemonSet') {
    o.spec ??= {};
    o.spec.updateStrategy ??= { type: 'RollingUpdate' };
    if (o.spec.updateStrategy.type === 'RollingUpdate') o.spec.updateStrategy.rollingUpdate ??= { maxSurge: 0, maxUnavailable: 1 };
    o.spec.revisionHistoryLimit ??= 10;
    o.status ??= { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
  }
  if (r.kind === 'Deployment') {
    // apps/v1 defaulting (SetDefaults_Deployment); status stays empty: the lab has no deployment controller.
    o.spec ??= {};
    o.spec.replicas ??= 1;
    o.spec.strategy ??= { type: 'RollingUpdate' };
    if (o.spec.strategy.type === 'RollingUpdate') o.spec.strategy.rollingUpdate ??= { maxUnavailable: '25%', maxSurge: '25%' };
    o.spec.revisionHistoryLimit ??= 10;
    o.spec.progressDeadlineSeconds ??= 600;
    o.status ??= {};
  }
  if (r.kind === 'Pod') {
    o.spec ??= {};
    o.spec.restartPolicy ??= 'Always';
    o.status ??= { phase: 'Pending' };
  }
}

/** The stored object after an update: identity fields are immutable, and status vs. the rest is split by subresource. */
function applyUpdate(r: ResourceDef, old: any, incoming: any, sub: string | undefined): any {
  let next: any;
  if (sub === 'status') next = { ...old, status: incoming.status };
  else {
    next = { ...incoming };
    if (r.status) next.status = old.status;
  }
  next.apiVersion = apiVersionOf(r);
  next.kind = r.kind;
  const meta = sub === 'status' ? { ...old.metadata } : { ...incoming.metadata };
  for (const k of ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'generation']) {
    if (old.metadata?.[k] !== undefined) meta[k] = old.metadata[k];
  }
  if (r.generation && JSON.stringify(old.spec) !== JSON.stringify(next.spec)) meta.generation = (old.metadata?.generation ?? 1) + 1;
  next.metadata = meta;
  if (r.kind === 'Namespace') next.metadata.labels = { ...next.metadata.labels, 'kubernetes.io/metadata.name': next.metadata.name };
  return next;
}

async function readBody(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 3 << 20) throw new HttpError(413, 'RequestEntityTooLarge', 'request entity too large');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'BadRequest', 'the body of the request was in an unknown format - accepted media types include: application/json');
  }
}

async function namespaceExists(ns: string): Promise<boolean> {
  return (await etcd.get(`/registry/namespaces/${ns}`)).kv !== null;
}

// ---- handlers -------------------------------------------------------------------------------------

interface Target {
  r: ResourceDef;
  ns?: string;
  name?: string;
  sub?: string;
}

function route(path: string): Target | 'token' | null {
  const segs = path.split('/').filter(Boolean);
  let group = '';
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) {
    version = segs[1]!;
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 4) {
    group = segs[1]!;
    version = segs[2]!;
    rest = segs.slice(3);
  } else return null;
  let ns: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !['status', 'finalize'].includes(rest[2]!)) {
    ns = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, sub] = rest as [string, string | undefined, string | undefined];
  if (!group && plural === 'serviceaccounts' && sub === 'token' && ns && name) return 'token';
  const r = findResource(group, version, plural);
  if (!r || rest.length > 3) return null;
  if (r.namespaced !== (ns !== undefined) && name !== undefined) return null;
  return { r, ...(ns !== undefined ? { ns } : {}), ...(name !== undefined ? { name } : {}), ...(sub !== undefined ? { sub } : {}) };
}

function wantsTable(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('as=Table');
}

async function list(t: Target, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const prefix = t.r.namespaced && t.ns ? `${t.r.prefix}/${t.ns}/` : `${t.r.prefix}/`;
  const ls = labelSelector(url.searchParams.get('labelSelector'));
  const fs = fieldSelector(url.searchParams.get('fieldSelector'));
  const match = (o: any) => ls(o) && fs(o);
  if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') return watch(t, prefix, match, url, req, res);
  const result = await etcd.list(prefix);
  const items = result.kvs.map(decode).filter(match);
  const rv = String(result.revision);
  if (wantsTable(req)) return send(res, 200, table(t.r, items, rv, url.searchParams.get('includeObject')));
  send(res, 200, { kind: `${t.r.kind}List`, apiVersion: apiVersionOf(t.r), metadata: { resourceVersion: rv }, items: items.map((o) => ({ ...o, apiVersion: apiVersionOf(t.r), kind: t.r.kind })) });
}

/**
 * Watch by polling etcd (every 250 ms) rather than etcd's streaming watch: simple, and lab collections
 * are small. Events after the client's resourceVersion are sent as ADDED/MODIFIED/DELETED lines.
 */
async function watch(t: Target, prefix: string, match: (o: any) => boolean, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const since = Number(url.searchParams.get('resourceVersion') || 0);
  const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') || 1800);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
  // client-go treats the watch as established only once the headers arrive, even with no event to send.
  res.flushHeaders();
  const known = new Map<string, { rev: number; obj: any }>();
  let closed = false;
  req.on('close', () => (closed = true));
  const emit = (type: string, obj: any) => res.write(JSON.stringify({ type, object: { ...obj, apiVersion: apiVersionOf(t.r), kind: t.r.kind } }) + '\n');
  const deadline = Date.now() + timeoutSeconds * 1000;
  let first = true;
  while (!closed && Date.now() < deadline) {
    try {
      const result = await etcd.list(prefix);
      const seen = new Set<string>();
      for (const kv of result.kvs) {
        const obj = decode(kv);
        if (!match(obj)) continue;
        seen.add(kv.key);
        const prev = known.get(kv.key);
        if (first) {
          if (since === 0) emit('ADDED', obj);
          else if (kv.modRevision > since) emit(kv.createRevision > since ? 'ADDED' : 'MODIFIED', obj);
        } else if (!prev) emit('ADDED', obj);
        else if (prev.rev !== kv.modRevision) emit('MODIFIED', obj);
        known.set(kv.key, { rev: kv.modRevision, obj });
      }
      for (const [key, prev] of known) {
        if (!seen.has(key)) {
          known.delete(key);
          emit('DELETED', prev.obj);
        }
      }
      first = false;
    } catch (e) {
      if (e instanceof EtcdUnavailable) break; // the client re-lists, as with a real apiserver losing etcd
      throw e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  res.end();
}

async function get(t: Target, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { kv, revision } = await etcd.get(keyOf(t.r, t.ns, t.name!));
  if (!kv) throw notFound(t.r, t.name!);
  const obj = { ...decode(kv), apiVersion: apiVersionOf(t.r), kind: t.r.kind };
  if (wantsTable(req)) return send(res, 200, table(t.r, [obj], String(revision), url.searchParams.get('includeObject')));
  send(res, 200, obj);
}

async function create(t: Target, body: any, res: ServerResponse): Promise<void> {
  const obj = { ...body, apiVersion: apiVersionOf(t.r), kind: t.r.kind, metadata: { ...(body.metadata ?? {}) } };
  if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = obj.metadata.generateName + randomBytes(3).toString('hex').slice(0, 5);
  const name = obj.metadata.name as string | undefined;
  if (!name) throw new HttpError(422, 'Invalid', `${t.r.kind} "" is invalid: metadata.name: Required value: name or generateName is required`);
  if (t.r.namespaced) {
    if (obj.metadata.namespace && obj.metadata.namespace !== t.ns) throw new HttpError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    obj.metadata.namespace = t.ns;
    if (!(await namespaceExists(t.ns!))) throw new HttpError(404, 'NotFound', `namespaces "${t.ns}" not found`, { name: t.ns, kind: 'namespaces' });
  }
  defaults(t.r, obj);
  obj.metadata.uid = randomUUID();
  obj.metadata.creationTimestamp = kubeTime();
  delete obj.metadata.deletionTimestamp;
  if (t.r.generation) obj.metadata.generation = 1;
  const rev = await etcd.create(keyOf(t.r, t.ns, name), encode(obj));
  if (rev === null) throw new HttpError(409, 'AlreadyExists', `${qualifiedName(t.r)} "${name}" already exists`, { name, group: t.r.group, kind: t.r.plural });
  obj.metadata.resourceVersion = String(rev);
  send(res, 201, obj);
}

async function update(t: Target, body: any, res: ServerResponse): Promise<void> {
  const key = keyOf(t.r, t.ns, t.name!);
  const { kv } = await etcd.get(key);
  if (!kv) throw notFound(t.r, t.name!);
  if (body.metadata?.name && body.metadata.name !== t.name) throw new HttpError(400, 'BadRequest', 'the name of the object does not match the name on the URL');
  const rv = body.metadata?.resourceVersion;
  if (rv && Number(rv) !== kv.modRevision) throw conflict(t.r, t.name!);
  const next = applyUpdate(t.r, decode(kv), body, t.sub);
  const rev = await etcd.update(key, encode(next), kv.modRevision);
  if (rev === null) throw conflict(t.r, t.name!);
  next.metadata.resourceVersion = String(rev);
  send(res, 200, next);
}

async function patch(t: Target, body: any, contentType: string, res: ServerResponse): Promise<void> {
  const key = keyOf(t.r, t.ns, t.name!);
  for (let attempt = 0; attempt < 5; attempt++) {
    const { kv } = await etcd.get(key);
    if (!kv) throw notFound(t.r, t.name!);
    const current = decode(kv);
    let patched: any;
    try {
      if (contentType.startsWith('application/merge-patch+json')) patched = mergePatch(current, body);
      else if (contentType.startsWith('application/strategic-merge-patch+json')) patched = strategicMergePatch(current, body);
      else if (contentType.startsWith('application/json-patch+json')) patched = jsonPatch(current, body);
      else throw new HttpError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
    } catch (e) {
      if (e instanceof PatchError) throw new HttpError(422, 'Invalid', e.message);
      throw e;
    }
    const want = !Array.isArray(body) ? body?.metadata?.resourceVersion : undefined;
    if (want && Number(want) !== kv.modRevision) throw conflict(t.r, t.name!);
    const next = applyUpdate(t.r, current, patched, t.sub);
    const rev = await etcd.update(key, encode(next), kv.modRevision);
    if (rev !== null) {
      next.metadata.resourceVersion = String(rev);
      return send(res, 200, next);
    }
  }
  throw conflict(t.r, t.name!);
}

async function remove(t: Target, res: ServerResponse): Promise<void> {
  const key = keyOf(t.r, t.ns, t.name!);
  const { kv } = await etcd.get(key);
  if (!kv) throw notFound(t.r, t.name!);
  if (!(await etcd.delete(key, kv.modRevision))) throw conflict(t.r, t.name!);
  send(res, 200, status(200, '', '', { name: t.name, group: t.r.group, kind: t.r.plural, uid: decode(kv).metadata?.uid }));
}

async function health(res: ServerResponse, check: string, verbose: boolean): Promise<void> {
  const ok = await etcd.healthy();
  const lines = ['[+]ping ok', '[+]log ok', ok ? '[+]etcd ok' : '[-]etcd failed: reason withheld'];
  res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(ok ? (verbose ? `${lines.join('\n')}\n${check} check passed\n` : 'ok') : `${lines.join('\n')}\n${check} check failed\n`);
}

async function handle(req: IncomingMessage, res: ServerResponse, user: User | null): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://apiserver');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';
  for (const check of ['healthz', 'livez', 'readyz']) {
    if (path === `/${check}` || path.startsWith(`/${check}/`)) return health(res, check, url.searchParams.has('verbose'));
  }
  if (path === '/version') return send(res, 200, version);
  if (!user) return send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
  if (method === 'GET') {
    if (path === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `${flags.get('advertise-address') ?? '0.0.0.0'}:${port}` }] });
    if (path === '/apis') return send(res, 200, groupList());
    if (path === '/api/v1') return send(res, 200, resourceList('', 'v1'));
    const gv = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    if (gv) {
      const rl = resourceList(gv[1]!, gv[2]!);
      if ((rl.resources as unknown[]).length) return send(res, 200, rl);
    }
    const g = /^\/apis\/([^/]+)$/.exec(path);
    if (g) {
      const found = (groupList().groups as Array<{ name: string }>).find((x) => x.name === g[1]);
      if (found) return send(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...found });
    }
  }
  const t = route(path);
  if (t === 'token') {
    if (method !== 'POST') return send(res, 405, status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
    const segs = path.split('/');
    const body = await readBody(req);
    const secs = Number(body?.spec?.expirationSeconds ?? 3600);
    const { token, exp } = issueToken(segs[4]!, segs[6]!, secs);
    return send(res, 201, {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name: segs[6], namespace: segs[4], creationTimestamp: null },
      spec: { audiences: issuers.slice(0, 1), expirationSeconds: secs, boundObjectRef: null },
      status: { token, expirationTimestamp: kubeTime(exp) },
    });
  }
  if (!t) return send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
  if (t.sub && !(t.sub === 'status' && t.r.status)) return send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
  if (!t.name) {
    if (method === 'GET') return list(t, url, req, res);
    if (method === 'POST') return create(t, await readBody(req), res);
    return send(res, 405, status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
  }
  switch (method) {
    case 'GET':
      return get(t, url, req, res);
    case 'PUT':
      return update(t, await readBody(req), res);
    case 'PATCH':
      return patch(t, await readBody(req), req.headers['content-type'] ?? '', res);
    case 'DELETE':
      if (t.sub) break;
      return remove(t, res);
  }
  send(res, 405, status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
}

// ---- server -------------------------------------------------------------------------------------------

const port = Number(flags.get('secure-port') ?? 6443);
const bind = flags.get('bind-address') ?? '0.0.0.0';

const listener = (req: IncomingMessage, res: ServerResponse) => {
  const user = authenticate(req);
  handle(req, res, user)
    .catch((e: unknown) => {
      if (e instanceof HttpError) return send(res, e.code, status(e.code, e.reason, e.message, e.details));
      if (e instanceof EtcdUnavailable) return send(res, 500, status(500, 'InternalError', `Internal error occurred: etcdserver: request timed out`));
      log('error', (e as Error).stack ?? String(e));
      if (!res.headersSent) send(res, 500, status(500, 'InternalError', 'Internal error occurred'));
      else res.end();
    })
    .finally(() => {
      // Probes from the node agent are not worth a line each.
      if (req.headers['user-agent']?.startsWith('kube-probe/')) return;
      log(req.method, req.url, res.statusCode, `user=${user?.name ?? 'system:anonymous'}`, `groups=${(user?.groups ?? ['system:unauthenticated']).join(',')}`, `ua=${req.headers['user-agent'] ?? ''}`);
    });
};

const server = createHttpsServer(
  {
    cert: readFileSync(flags.require('tls-cert-file')),
    key: readFileSync(flags.require('tls-private-key-file')),
    ca: readFileSync(flags.require('client-ca-file')),
    requestCert: true,
    // Like kube-apiserver: a client certificate is optional and an unverifiable one makes the request anonymous.
    rejectUnauthorized: false,
  },
  listener,
);
server.keepAliveTimeout = 60_000;
server.on('tlsClientError', (e, sock) => log('tls-error', sock.remoteAddress ?? '', (e as NodeJS.ErrnoException).code ?? '', e.message));
server.listen(port, bind, () => log(`kube-apiserver stand-in ${version.gitVersion} serving on https://${bind}:${port}, etcd ${flags.get('etcd-servers')}`));

process.on('SIGTERM', () => {
  server.close();
  process.exit(0);
});
