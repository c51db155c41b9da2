import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { KubeApiError, resourcePath, TunnelKubeApiFactory } from '../../src/kube/client.js';
import { buildKubeconfig, credentials, parseKubeconfig, setServerInText, getServer } from '../../src/kube/kubeconfig.js';
import { FakeHost, pemBodySlices } from '../pki/helpers.js';
import { tlsFixture, type Fixture } from './tls-fixture.js';

let fx: Fixture;
let server: Server;
let port = 0;
let admin: { certPem: string; keyPem: string };
const seen: Array<{ method: string; url: string; user: string; body: string; type: string | undefined }> = [];
const store = new Map<string, Record<string, any>>();

function status(code: number, reason: string, message: string) {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code });
}

before(async () => {
  fx = await tlsFixture();
  const serving = await fx.issue({ subject: { commonName: 'kube-apiserver' }, dnsNames: ['kubernetes', 'node1'], ipAddresses: ['10.96.0.1', '127.0.0.1'], usages: ['serverAuth'], validityDays: 365 });
  admin = await fx.issue({ subject: { commonName: 'kubernetes-admin', organization: ['kubeadm:cluster-admins'] }, dnsNames: [], ipAddresses: [], usages: ['clientAuth'], validityDays: 365 });
  store.set('/api/v1/namespaces/kube-system/configmaps/kube-proxy', {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-proxy', namespace: 'kube-system', resourceVersion: '7' }, data: { 'kubeconfig.conf': 'x' },
  });
  server = createServer({ cert: serving.certPem, key: serving.keyPem, ca: fx.caPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const user = String((req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '');
      seen.push({ method: req.method!, url: req.url!, user, body, type: req.headers['content-type'] });
      const url = new URL(req.url!, 'https://x');
      const obj = store.get(url.pathname);
      res.setHeader('Content-Type', 'application/json');
      if (url.pathname === '/api/v1/nodes' && req.method === 'GET') {
        res.end(JSON.stringify({ kind: 'NodeList', items: [{ metadata: { name: 'node1' } }] }));
      } else if (!obj && req.method !== 'POST') {
        res.writeHead(404).end(status(404, 'NotFound', `configmaps "${url.pathname.split('/').pop()}" not found`));
      } else if (req.method === 'GET') {
        res.end(JSON.stringify(obj));
      } else if (req.method === 'PUT') {
        const next = JSON.parse(body);
        if (next.metadata.resourceVersion !== obj!.metadata.resourceVersion) {
          res.writeHead(409).end(status(409, 'Conflict', 'Operation cannot be fulfilled on configmaps "kube-proxy": the object has been modified; please apply your changes to the latest version and try again'));
          return;
        }
        next.metadata.resourceVersion = String(Number(obj!.metadata.resourceVersion) + 1);
        store.set(url.pathname, next);
        res.end(JSON.stringify(next));
      } else if (req.method === 'PATCH') {
        const patch = JSON.parse(body);
        const next = { ...obj, data: { ...obj!.data, ...patch.data } };
        store.set(url.pathname, next);
        res.end(JSON.stringify(next));
      } else if (req.method === 'DELETE') {
        store.delete(url.pathname);
        res.end(status(200, '', ''));
      } else {
        res.writeHead(405).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(() => new Promise<void>((r) => server.close(() => r())));

function hostWithAdminConf(serverURL: string): FakeHost {
  return new FakeHost('node1').put(
    '/etc/kubernetes/admin.conf',
    buildKubeconfig({ clusterName: 'kubernetes', server: serverURL, caPem: fx.caPem, userName: 'kubernetes-admin', ...admin }),
  );
}

const cm = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'kube-proxy' };

test('get, replace with conflict, mergePatch, list, delete through the host with its admin.conf', async () => {
  const host = hostWithAdminConf(`https://127.0.0.1:${port}`);
  const api = await new TunnelKubeApiFactory().forHost(host);
  const obj = await api.get(cm);
  assert.equal(obj?.metadata?.resourceVersion, '7');
  assert.equal(seen.at(-1)?.user, 'kubernetes-admin', 'authenticated with the client certificate from admin.conf');
  assert.equal(await api.get({ ...cm, name: 'missing' }), null);

  const updated = await api.replace(cm, { ...obj!, data: { 'kubeconfig.conf': 'y' } });
  assert.equal(updated.metadata?.resourceVersion, '8');
  await assert.rejects(api.replace(cm, { ...obj!, data: { 'kubeconfig.conf': 'z' } }), (e: unknown) => {
    assert.ok(e instanceof KubeApiError);
    assert.equal(e.status, 409);
    assert.equal(e.reason, 'Conflict');
    assert.match(e.message, /^PUT ConfigMap kube-system\/kube-proxy via node1: 409 Conflict: Operation cannot be fulfilled/);
    return true;
  });
  const patched = await api.mergePatch(cm, { data: { extra: '1' } });
  assert.equal((patched as any).data.extra, '1');
  assert.equal(seen.at(-1)?.type, 'application/merge-patch+json');

  const nodes = await api.list('v1', 'Node', undefined, 'node-role.kubernetes.io/control-plane');
  assert.deepEqual(nodes.map((n) => n.metadata?.name), ['node1']);
  assert.equal(seen.at(-1)?.url, '/api/v1/nodes?labelSelector=node-role.kubernetes.io%2Fcontrol-plane');

  assert.equal(await api.delete(cm), true);
  assert.equal(await api.delete(cm), false);
  assert.deepEqual(host.dialled.at(-1), { host: '127.0.0.1', port });
});

test('the server certificate is checked against the name in admin.conf', async () => {
  const host = hostWithAdminConf(`https://10.200.0.99:${port}`);
  // Dial the local listener but verify the name admin.conf uses, as kubectl on the host would.
  const api = await new TunnelKubeApiFactory({ address: '127.0.0.1' }).forHost(host);
  await assert.rejects(api.get(cm), /GET ConfigMap kube-system\/kube-proxy via node1: tls: failed to verify certificate: x509: certificate is valid for 10\.96\.0\.1, 127\.0\.0\.1, not 10\.200\.0\.99/);
  const byName = await new TunnelKubeApiFactory({ address: '127.0.0.1', serverName: 'kubernetes' }).forHost(host);
  assert.equal(await byName.get({ ...cm, name: 'nope' }), null);
});

test('resource paths for core, apps and coordination objects', () => {
  assert.equal(resourcePath('v1', 'ConfigMap', 'kube-system', 'kube-proxy'), '/api/v1/namespaces/kube-system/configmaps/kube-proxy');
  assert.equal(resourcePath('v1', 'Node', undefined, 'node1'), '/api/v1/nodes/node1');
  assert.equal(resourcePath('v1', 'Namespace', undefined, 'kube-system'), '/api/v1/namespaces/kube-system');
  assert.equal(resourcePath('v1', 'Pod', 'kube-system'), '/api/v1/namespaces/kube-system/pods');
  assert.equal(resourcePath('apps/v1', 'DaemonSet', 'kube-system', 'kube-proxy'), '/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy');
  assert.equal(resourcePath('apps/v1', 'Deployment', 'kube-system', 'coredns'), '/apis/apps/v1/namespaces/kube-system/deployments/coredns');
  assert.equal(resourcePath('coordination.k8s.io/v1', 'Lease', 'kube-system', 'kube-scheduler'), '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler');
  assert.throws(() => resourcePath('v1', 'DaemonSet', 'x', 'y'), /API group "apps", not "core"/);
  assert.throws(() => resourcePath('v1', 'Widget', 'x', 'y'), /unsupported kind Widget/);
});

test('kubeconfig: kubeadm shape, server edits that keep the rest, no key material in errors', () => {
  const text = buildKubeconfig({ clusterName: 'kubernetes', server: 'https://10.200.0.11:6443', caPem: fx.caPem, userName: 'kubernetes-admin', ...admin });
  assert.match(text, /^apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: \S+\n    server: https:\/\/10\.200\.0\.11:6443\n  name: kubernetes\ncontexts:\n- context:\n    cluster: kubernetes\n    user: kubernetes-admin\n  name: kubernetes-admin@kubernetes\ncurrent-context: kubernetes-admin@kubernetes\nkind: Config\npreferences: \{\}\nusers:\n- name: kubernetes-admin\n  user:\n    client-certificate-data: \S+\n    client-key-data: \S+\n$/);
  const moved = setServerInText(`# kept\n${text}`, 'https://lb.example:6443');
  assert.equal(getServer(parseKubeconfig(moved)), 'https://lb.example:6443');
  assert.ok(moved.startsWith('# kept\n'));
  assert.equal(moved.replace('https://lb.example:6443', 'https://10.200.0.11:6443'), `# kept\n${text}`);
  const creds = credentials(parseKubeconfig(text));
  assert.equal(creds.keyPem, admin.keyPem);

  const broken = text.replace('current-context: kubernetes-admin@kubernetes', 'current-context: [');
  assert.throws(() => parseKubeconfig(broken, 'node1:/etc/kubernetes/admin.conf'), (e: Error) => {
    assert.match(e.message, /^node1:\/etc\/kubernetes\/admin\.conf: not valid YAML$/);
    for (const s of pemBodySlices(admin.keyPem)) assert.ok(!e.message.includes(s));
    return true;
  });
  const noServer = text.replace(/    server: .*\n/, '');
  assert.throws(() => parseKubeconfig(noServer, 'kc'), /^Error: kc: not a kubeconfig \(clusters\.0\.cluster\.server: /);
  const fileRef = text.replace(/client-certificate-data: \S+/, 'client-certificate: /etc/kubernetes/pki/x.crt');
  assert.throws(() => credentials(parseKubeconfig(fileRef)), /file reference/);
});
