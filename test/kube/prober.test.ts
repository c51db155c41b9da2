import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { HttpsProber } from '../../src/kube/prober.js';
import { FakeHost, fakeHosts } from '../pki/helpers.js';
import { tlsFixture, type Fixture } from './tls-fixture.js';

let fx: Fixture;
let server: Server;
let port = 0;
const node1 = new FakeHost('node1');
const hosts = fakeHosts(node1);

before(async () => {
  fx = await tlsFixture();
  const serving = await fx.issue({ subject: { commonName: 'kube-apiserver' }, dnsNames: ['kubernetes', 'node1'], ipAddresses: ['10.96.0.1', '127.0.0.1'], usages: ['serverAuth'], validityDays: 365 });
  const client = await fx.issue({ subject: { commonName: 'kube-apiserver-kubelet-client' }, dnsNames: [], ipAddresses: [], usages: ['clientAuth'], validityDays: 365 });
  node1.put('/pki/ca.crt', fx.caPem).put('/pki/other-ca.crt', fx.otherCaPem).put('/pki/client.crt', client.certPem).put('/pki/client.key', client.keyPem);
  server = createServer({ cert: serving.certPem, key: serving.keyPem, ca: fx.caPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
    if (req.url === '/whoami') {
      res.writeHead(peer?.subject ? 200 : 401).end(peer?.subject ? String(peer.subject.CN) : 'no client certificate');
      return;
    }
    res.writeHead(req.url === '/readyz' ? 200 : 404).end(req.url === '/readyz' ? 'ok' : 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(() => new Promise<void>((r) => server.close(() => r())));

const probe = (over: Record<string, unknown> = {}) => ({
  type: 'https' as const, host: 'node1', address: '127.0.0.1', port, path: '/readyz', caPath: '/pki/ca.crt', serverName: 'node1', ...over,
});

test('a name or IP in the SANs passes', async () => {
  const r = await new HttpsProber().https(probe(), hosts);
  assert.equal(r.ok, true, r.detail);
  assert.match(r.detail, /: 200 ok$/);
  assert.equal((await new HttpsProber().https(probe({ serverName: '127.0.0.1' }), hosts)).ok, true);
  assert.equal((await new HttpsProber().https(probe({ serverName: '10.96.0.1' }), hosts)).ok, true);
  assert.deepEqual(node1.dialled.at(-1), { host: '127.0.0.1', port });
});

test('a missing SAN fails with Go\'s x509 message', async () => {
  const ip = await new HttpsProber().https(probe({ serverName: '10.200.0.12' }), hosts);
  assert.equal(ip.ok, false);
  assert.match(ip.detail, /tls: failed to verify certificate: x509: certificate is valid for 10\.96\.0\.1, 127\.0\.0\.1, not 10\.200\.0\.12$/);
  const dns = await new HttpsProber().https(probe({ serverName: 'lb.example' }), hosts);
  assert.match(dns.detail, /x509: certificate is valid for kubernetes, node1, not lb\.example$/);
});

test('another CA fails as unknown authority', async () => {
  const r = await new HttpsProber().https(probe({ caPath: '/pki/other-ca.crt' }), hosts);
  assert.equal(r.ok, false);
  assert.match(r.detail, /x509: certificate signed by unknown authority$/);
});

test('client certificate from the host, expected status, missing CA file', async () => {
  const withCert = await new HttpsProber().https(probe({ path: '/whoami', clientCertPath: '/pki/client.crt', clientKeyPath: '/pki/client.key' }), hosts);
  assert.equal(withCert.ok, true, withCert.detail);
  assert.match(withCert.detail, /kube-apiserver-kubelet-client/);
  const without = await new HttpsProber().https(probe({ path: '/whoami' }), hosts);
  assert.equal(without.ok, false);
  assert.match(without.detail, /HTTP 401 Unauthorized, want 200/);
  assert.equal((await new HttpsProber().https(probe({ path: '/nope', expectStatus: 404 }), hosts)).ok, true);
  const noCa = await new HttpsProber().https(probe({ caPath: '/pki/missing.crt' }), hosts);
  assert.equal(noCa.ok, false);
  assert.match(noCa.detail, /missing\.crt/);
});

test('nothing listening: a plain failure, not a hang', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const r = await new HttpsProber({ timeoutMs: 3000 }).https(probe({ port: deadPort }), hosts);
  assert.equal(r.ok, false);
  assert.match(r.detail, /ECONNREFUSED/);
});

/** A FakeHost that counts reads per path and how many were in flight at once. */
class CountingHost extends FakeHost {
  readonly reads = new Map<string, number>();
  inFlight = 0;
  maxInFlight = 0;
  override async readFile(path: string): Promise<Buffer> {
    this.reads.set(path, (this.reads.get(path) ?? 0) + 1);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, 5));
      return await super.readFile(path);
    } finally {
      this.inFlight--;
      this.done++;
    }
  }
  done = 0;
  readsDoneAtDial: number[] = [];
  override forwardOut(host: string, port: number) {
    this.readsDoneAtDial.push(this.done);
    return super.forwardOut(host, port);
  }
  total(): number {
    return [...this.reads.values()].reduce((a, b) => a + b, 0);
  }
}

async function countingNode(): Promise<CountingHost> {
  const client = await fx.issue({ subject: { commonName: 'system:node:node2' }, dnsNames: [], ipAddresses: [], usages: ['clientAuth'], validityDays: 365 });
  const h = new CountingHost('node2');
  // Like kubelet-client-current.pem: certificate and key in one file.
  return h.put('/pki/ca.crt', fx.caPem).put('/pki/kubelet-client-current.pem', client.certPem + client.keyPem);
}

const kubeletProbe = (over: Record<string, unknown> = {}) =>
  probe({ host: 'node2', path: '/whoami', clientCertPath: '/pki/kubelet-client-current.pem', clientKeyPath: '/pki/kubelet-client-current.pem', ...over });

test('one read per distinct file, the reads in parallel; nothing held after a pass', async () => {
  const h = await countingNode();
  const prober = new HttpsProber();
  const r = await prober.https(kubeletProbe(), fakeHosts(h));
  assert.equal(r.ok, true, r.detail);
  assert.match(r.detail, /system:node:node2/);
  assert.deepEqual(Object.fromEntries(h.reads), { '/pki/ca.crt': 1, '/pki/kubelet-client-current.pem': 1 });
  assert.equal(h.maxInFlight, 2);
  assert.deepEqual(h.readsDoneAtDial, [0], 'the tunnel opens while the files are being read');
  assert.equal(prober.heldCount, 0);
  // The next probe (a later wait) reads the files again.
  assert.equal((await prober.https(kubeletProbe(), fakeHosts(h))).ok, true);
  assert.equal(h.total(), 4);
});

test('retries of a probe that fails for want of a listener reuse the files; a pass then drops them', async () => {
  const h = await countingNode();
  const hs = fakeHosts(h);
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const prober = new HttpsProber({ timeoutMs: 3000 });
  for (let i = 0; i < 3; i++) {
    const r = await prober.https(kubeletProbe({ port: deadPort }), hs);
    assert.equal(r.ok, false);
    assert.match(r.detail, /ECONNREFUSED/);
  }
  assert.equal(h.total(), 2, 'three attempts, one read of each file');
  assert.equal(prober.heldCount, 1);
  // Another probe (another port) does not share them.
  assert.equal((await prober.https(kubeletProbe(), hs)).ok, true);
  assert.equal(h.total(), 4);
  assert.equal(prober.heldCount, 1);
  // Without reuse, every attempt reads.
  const fresh = new HttpsProber({ timeoutMs: 3000, credentialsTtlMs: 0 });
  await fresh.https(kubeletProbe({ port: deadPort }), hs);
  await fresh.https(kubeletProbe({ port: deadPort }), hs);
  assert.equal(h.total(), 8);
  assert.equal(fresh.heldCount, 0);
});

test('a failure the files could cause (TLS, 401) reads them again on the next attempt', async () => {
  const h = await countingNode();
  const hs = fakeHosts(h);
  const prober = new HttpsProber();
  // The wrong CA on the node: unknown authority; then fixed on the node, the next attempt passes.
  h.put('/pki/ca.crt', fx.otherCaPem);
  const bad = await prober.https(kubeletProbe(), hs);
  assert.match(bad.detail, /x509: certificate signed by unknown authority$/);
  assert.equal(prober.heldCount, 0);
  h.put('/pki/ca.crt', fx.caPem);
  assert.equal((await prober.https(kubeletProbe(), hs)).ok, true);
  // No client certificate (yet): 401, then the files are read again.
  const noClient = await prober.https(kubeletProbe({ clientCertPath: '/pki/missing.pem', clientKeyPath: '/pki/missing.pem' }), hs);
  assert.match(noClient.detail, /missing\.pem/);
  assert.equal(prober.heldCount, 0);
  const anon = await prober.https(probe({ host: 'node2', path: '/whoami' }), hs);
  assert.match(anon.detail, /HTTP 401/);
  assert.equal(prober.heldCount, 0);
});

test('held files expire after their time to live', async () => {
  const h = await countingNode();
  const hs = fakeHosts(h);
  const prober = new HttpsProber({ timeoutMs: 3000, credentialsTtlMs: 50 });
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  await prober.https(kubeletProbe({ port: deadPort }), hs);
  assert.equal(prober.heldCount, 1);
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(prober.heldCount, 0);
  await prober.https(kubeletProbe({ port: deadPort }), hs);
  assert.equal(h.total(), 4);
});

test('a client key that is not PEM: a plain failure, the files read again next time', async () => {
  const h = await countingNode();
  h.put('/pki/garbage.pem', 'not a key');
  const prober = new HttpsProber();
  const r = await prober.https(kubeletProbe({ clientCertPath: '/pki/garbage.pem', clientKeyPath: '/pki/garbage.pem' }), fakeHosts(h));
  assert.equal(r.ok, false);
  assert.match(r.detail, /^GET https:\/\/127\.0\.0\.1:\d+\/whoami \(from node2, as node1\): TLS with 127\.0\.0\.1:\d+ \(from node2\): /);
  assert.doesNotMatch(r.detail, /not a key/);
  assert.equal(prober.heldCount, 0);
});

test('names are checked as Go checks them: a wildcard covers one whole label, a Common Name alone covers nothing', async () => {
  const wild = await fx.issue({ subject: { commonName: 'wild' }, dnsNames: ['*.lab.test'], ipAddresses: [], usages: ['serverAuth'], validityDays: 365 });
  const cnOnly = await fx.issue({ subject: { commonName: 'api.lab.test' }, dnsNames: [], ipAddresses: [], usages: ['serverAuth'], validityDays: 365 });
  for (const [serving, cases] of [
    [wild, [['api.lab.test', null], ['a.b.lab.test', /x509: certificate is valid for \*\.lab\.test, not a\.b\.lab\.test$/], ['lab.test', /valid for \*\.lab\.test, not lab\.test$/]]],
    [cnOnly, [['api.lab.test', /x509: certificate relies on legacy Common Name field, use SANs instead$/]]],
  ] as const) {
    const srv = createServer({ cert: serving.certPem, key: serving.keyPem }, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      for (const [name, want] of cases) {
        const r = await new HttpsProber().https(probe({ port: (srv.address() as AddressInfo).port, serverName: name }), hosts);
        if (want === null) assert.equal(r.ok, true, r.detail);
        else {
          assert.equal(r.ok, false, name);
          assert.match(r.detail, want);
        }
      }
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
    }
  }
});

test('a probe that polls resumes its TLS session: the second attempt is an abbreviated handshake with the same client identity', async () => {
  const resumed: boolean[] = [];
  const onConn = (s: import('node:tls').TLSSocket) => resumed.push(s.isSessionReused());
  server.on('secureConnection', onConn);
  try {
    const prober = new HttpsProber();
    const p = probe({ path: '/not-yet', clientCertPath: '/pki/client.crt', clientKeyPath: '/pki/client.key' });
    const first = await prober.https(p, hosts);
    assert.equal(first.ok, false, 'a 404 keeps the probe polling');
    const second = await prober.https(p, hosts);
    assert.equal(second.ok, false);
    assert.match(second.detail, /HTTP 404/);
    const who = await prober.https({ ...p, path: '/whoami' }, hosts);
    assert.equal(who.ok, true, who.detail);
    assert.match(who.detail, /kube-apiserver-kubelet-client/, 'a fresh handshake for another path still presents the client certificate');
    assert.deepEqual(resumed.slice(0, 2), [false, true]);
    // Another probe's credentials never resume this one's session.
    const other = new HttpsProber();
    await other.https(probe({ path: '/not-yet' }), hosts);
    assert.equal(resumed.at(-1), false);
  } finally {
    server.off('secureConnection', onConn);
  }
});
