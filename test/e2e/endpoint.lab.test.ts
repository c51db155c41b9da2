/**
 * The stable endpoint end to end: four full 1 → 3 conversions (one worker each), nginx and HAProxy, on a
 * dedicated proxy host and as per-node local proxies (the lab agent runs the static pods with the real
 * nginx/haproxy). Each is judged by kubectl (30 consecutive calls through the endpoint), openssl s_client
 * through the proxy (endpoint in the SANs, verify code 0, every backend met), the objects and files that
 * must name the endpoint, a failover drill, and a rollback that must give back every file (sha256),
 * ConfigMap (byte for byte) and node mark. The nginx/dedicated lab also plants an apiserver certificate
 * without the endpoint and expects the verify step to fail with Go's x509 explanation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { labDown, labExec, labUp, nodeExec, type LabState } from '../lab/lab.js';
import { buildVerifySteps } from '../../steps/verify.js';
import { runSteps } from './endpoint-run.js';
import {
  apiState,
  diffSnapshots,
  fileOf,
  kubectlDirect,
  node,
  ok,
  runFrom,
  sClient,
  serverOf,
  snapshotFiles,
  until,
  type ApiState,
  type FileSnapshot,
} from './endpoint-judge.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const tag = `e${process.pid % 100000}`;
const made: string[] = [];
const kubeCache = mkdtempSync(join(tmpdir(), 'haw-e2e-kcache-'));
const env = { ...process.env, KUBECACHEDIR: kubeCache };

after(async () => {
  for (const dir of made) {
    await labDown(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  rmSync(kubeCache, { recursive: true, force: true });
});

type Kind = 'nginx' | 'haproxy';
type Placement = 'dedicated' | 'per-node';

interface Lab {
  s: LabState;
  config: string;
  state: string;
  /** Where clients of the endpoint run: a worker for per-node placement, else the lab's client end. */
  from: string | null;
  /** The endpoint as those clients dial it. */
  host: string;
  port: number;
  url: string;
  files: FileSnapshot;
  api: ApiState;
}

async function newLab(kind: Kind, placement: Placement): Promise<Lab> {
  const dir = mkdtempSync(join(tmpdir(), `haw-e2e-${kind}-${placement}-`));
  made.push(dir);
  const s = await labUp({ dir, name: `${tag}${kind[0]}${placement[0]}`, promote: 2, workers: 1, proxyHost: placement === 'dedicated' });
  const config = join(dir, 'cluster.yaml');
  const doc = parse(readFileSync(config, 'utf8')) as { proxy: { kind: string }; endpoint: { host: string; port: number } };
  doc.proxy.kind = kind;
  writeFileSync(config, stringify(doc));
  const { host, port } = doc.endpoint;
  return {
    s,
    config,
    state: join(dir, 'state'),
    from: placement === 'per-node' ? 'w1' : null,
    host,
    port,
    url: `https://${host}:${port}`,
    files: snapshotFiles(s),
    api: await apiState(s, env),
  };
}

function wizard(l: Lab, args: string[]) {
  return labExec(l.s.dir, [process.execPath, CLI, ...args], { env: { ...process.env, HA_WIZARD_STATE_DIR: l.state }, timeoutMs: 600_000 });
}

/** kubectl through the endpoint with cp1's admin credentials, from where the endpoint's clients run. */
function kubectlVia(l: Lab, args: string[]) {
  return runFrom(l.s, l.from, ['kubectl', '--kubeconfig', fileOf(l.s, 'cp1', '/etc/kubernetes/admin.conf'), '--server', l.url, '--request-timeout=20s', ...args], env);
}

async function apiserverPortOpen(l: Lab, cp: string, open: boolean): Promise<boolean> {
  const r = await nodeExec(l.s, cp, ['sh', '-c', 'ss -Htln "sport = :6443" | grep -q .']);
  return (r.code === 0) === open;
}

async function restartApiserver(l: Lab, cp: string): Promise<void> {
  ok(await nodeExec(l.s, cp, ['mv', '/etc/kubernetes/manifests/kube-apiserver.yaml', '/etc/kubernetes/e2e-parked.yaml']), 'park manifest');
  await until(`${cp}'s apiserver to stop`, 30_000, () => apiserverPortOpen(l, cp, false));
  ok(await nodeExec(l.s, cp, ['mv', '/etc/kubernetes/e2e-parked.yaml', '/etc/kubernetes/manifests/kube-apiserver.yaml']), 'restore manifest');
  await until(`${cp}'s apiserver to listen`, 30_000, () => apiserverPortOpen(l, cp, true));
}

function endpointSuite(kind: Kind, placement: Placement, extra?: (get: () => Lab) => void): void {
  describe(`${kind}, ${placement}: 1 → 3 with one worker`, () => {
    let l: Lab;
    before(async () => {
      l = await newLab(kind, placement);
    });

    test('the conversion completes (exit 0)', async () => {
      const r = await wizard(l, ['apply', '-c', l.config, '--yes']);
      assert.equal(r.code, 0, `apply failed:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
    });

    test('kubectl through the endpoint: 30 consecutive calls, no TLS error', async () => {
      for (let i = 0; i < 30; i++) {
        const r = await kubectlVia(l, ['get', 'nodes', '-o', 'name']);
        assert.equal(r.code, 0, `call ${i + 1} through ${l.url} failed:\n${r.stderr}`);
        assert.doesNotMatch(r.stderr, /x509|tls:/);
        assert.deepEqual(r.stdout.trim().split('\n').sort(), ['node/cp1', 'node/cp2', 'node/cp3', 'node/w1']);
      }
    });

    test('openssl s_client: through the proxy the endpoint is in the SANs with verify code 0; so is every apiserver', async () => {
      const ca = fileOf(l.s, 'cp1', '/etc/kubernetes/pki/ca.crt');
      const san = new RegExp(`IP Address:${l.host.replace(/\./g, '\\.')}(,|$)`);
      // Each apiserver directly, verified for the endpoint name: whichever one the balancer picks, the handshake holds.
      const direct = new Map<string, string>();
      for (const cp of ['cp1', 'cp2', 'cp3']) {
        const h = await sClient(l.s, l.from, node(l.s, cp).address, 6443, l.host, ca);
        assert.equal(h.verifyCode, '0 (ok)', `${cp} directly, verified for ${l.host}: ${JSON.stringify(h)}`);
        assert.match(h.sans, san, `${cp} SANs ${h.sans}`);
        direct.set(h.serial, cp);
      }
      assert.equal(direct.size, 3, 'three distinct apiserver certificates');
      // Through the proxy: TLS passes through untouched, so the certificate met is one of the apiservers' own.
      const met = new Set<string>();
      for (let i = 0; i < 10; i++) {
        const h = await sClient(l.s, l.from, l.host, l.port, l.host, ca);
        assert.equal(h.verifyCode, '0 (ok)', `handshake ${i + 1} through ${l.host}:${l.port}: ${JSON.stringify(h)}`);
        assert.match(h.sans, san, `SANs ${h.sans}`);
        assert.ok(direct.has(h.serial), `certificate ${h.serial} through the proxy is no apiserver's`);
        met.add(direct.get(h.serial)!);
      }
      process.stdout.write(`# ${kind}/${placement}: 10 handshakes through the proxy met ${[...met].sort().join(', ')}\n`);
    });

    test('kube-proxy, worker kubelets, kubeadm-config and cluster-info name the endpoint', async () => {
      const api = await apiState(l.s, env);
      assert.equal(serverOf(api.configMaps['kube-system/kube-proxy']!['kubeconfig.conf']!), l.url);
      for (const w of l.s.nodes.filter((n) => n.role === 'worker')) {
        assert.equal(serverOf(readFileSync(fileOf(l.s, w.name, '/etc/kubernetes/kubelet.conf'), 'utf8')), l.url, `${w.name} kubelet.conf`);
      }
      const cc = parse(api.configMaps['kube-system/kubeadm-config']!['ClusterConfiguration']!) as { controlPlaneEndpoint?: string; apiServer?: { certSANs?: string[] } };
      assert.equal(cc.controlPlaneEndpoint, `${l.host}:${l.port}`);
      assert.ok(cc.apiServer?.certSANs?.includes(l.host), `certSANs ${JSON.stringify(cc.apiServer?.certSANs)}`);
      assert.equal(serverOf(api.configMaps['kube-public/cluster-info']!['kubeconfig']!), l.url);
      // The workers' kubelets really post their status through it (Ready), and kube-proxy is available.
      const nodes = JSON.parse(ok(await kubectlVia(l, ['get', 'nodes', '-o', 'json']), 'get nodes')) as { items: Array<{ metadata: { name: string }; status: { conditions: Array<{ type: string; status: string }> } }> };
      for (const n of nodes.items) assert.equal(n.status.conditions.find((c) => c.type === 'Ready')?.status, 'True', `${n.metadata.name} Ready`);
    });

    test('failover drill: cp3 apiserver down, the endpoint keeps answering, then it is back', async () => {
      ok(await nodeExec(l.s, 'cp3', ['mv', '/etc/kubernetes/manifests/kube-apiserver.yaml', '/etc/kubernetes/e2e-drill.yaml']), 'stop cp3 apiserver');
      try {
        await until("cp3's apiserver to stop", 30_000, () => apiserverPortOpen(l, 'cp3', false));
        for (let i = 0; i < 10; i++) {
          const r = await kubectlVia(l, ['get', '--raw', '/readyz']);
          assert.equal(r.code, 0, `call ${i + 1} with cp3 down:\n${r.stderr}`);
          assert.equal(r.stdout.trim(), 'ok');
        }
      } finally {
        ok(await nodeExec(l.s, 'cp3', ['mv', '/etc/kubernetes/e2e-drill.yaml', '/etc/kubernetes/manifests/kube-apiserver.yaml']), 'start cp3 apiserver');
      }
      await until("cp3's apiserver to answer", 60_000, async () => {
        const r = await labExec(l.s.dir, ['curl', '-sf', '--cacert', fileOf(l.s, 'cp1', '/etc/kubernetes/pki/ca.crt'), `https://${node(l.s, 'cp3').address}:6443/readyz`]);
        return r.code === 0;
      });
      ok(await kubectlVia(l, ['get', 'nodes']), 'kubectl after the drill');
    });

    extra?.(() => l);

    test('rollback from after the repointing returns every file, ConfigMap and node mark', async () => {
      const r = await wizard(l, ['rollback', '--past-point-of-no-return']);
      assert.equal(r.code, 0, `rollback failed:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
      assert.deepEqual(diffSnapshots(l.files, snapshotFiles(l.s)), []);
      const api = await apiState(l.s, env);
      assert.deepEqual(api.configMaps, l.api.configMaps);
      assert.deepEqual(api.nodes, l.api.nodes);
      const members = ok(
        await nodeExec(l.s, 'cp1', [
          'etcdctl',
          '--endpoints=https://127.0.0.1:2379',
          '--cacert=/etc/kubernetes/pki/etcd/ca.crt',
          '--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt',
          '--key=/etc/kubernetes/pki/etcd/healthcheck-client.key',
          'member',
          'list',
        ]),
        'etcdctl member list',
      );
      assert.equal(members.trim().split('\n').length, 1, members);
      ok(await kubectlDirect(l.s, ['get', 'nodes'], env), 'kubectl to cp1 after rollback');
    });
  });
}

/** A certificate without the endpoint, planted on cp3: the verify step must fail with Go's x509 explanation. */
function plantedCertificate(get: () => Lab): void {
  test('an apiserver certificate without the endpoint is caught (preflight or verify) with the x509 explanation', async () => {
    const l = get();
    const cp3 = node(l.s, 'cp3');
    const pki = (f: string) => fileOf(l.s, 'cp3', `/etc/kubernetes/pki/${f}`);
    const saved = join(l.s.dir, 'cp3-apiserver.crt.wizard');
    copyFileSync(pki('apiserver.crt'), saved);
    const ext = join(l.s.dir, 'planted.ext');
    writeFileSync(ext, `subjectAltName=DNS:cp3,DNS:kubernetes,DNS:kubernetes.default,IP:10.96.0.1,IP:${cp3.address}\nextendedKeyUsage=serverAuth\n`);
    const csr = join(l.s.dir, 'planted.csr');
    ok(await labExec(l.s.dir, ['openssl', 'req', '-new', '-key', pki('apiserver.key'), '-subj', '/CN=kube-apiserver', '-out', csr]), 'csr');
    ok(
      await labExec(l.s.dir, ['openssl', 'x509', '-req', '-in', csr, '-CA', pki('ca.crt'), '-CAkey', pki('ca.key'), '-set_serial', `0x${Date.now().toString(16)}`, '-days', '1', '-extfile', ext, '-out', pki('apiserver.crt')]),
      'sign',
    );
    try {
      await restartApiserver(l, 'cp3');
      const x509 = new RegExp(`x509: certificate is valid for .*, not ${l.host.replace(/\./g, '\\.')}`);
      // Discovery reads the API through admin.conf, now the endpoint: when the balancer picks cp3 it already
      // stops there with the explanation (caught before anything runs). Retried so that, when discovery gets
      // through, the verify step itself is judged too; either way the x509 explanation must be given.
      let run: Awaited<ReturnType<typeof runSteps>> | null = null;
      let caughtByDiscovery = 0;
      for (let i = 0; i < 10 && !run; i++) {
        try {
          // Short waits: the check is expected to fail, not to be waited out for minutes.
          run = await runSteps(l.config, (facts) =>
            buildVerifySteps(facts).map((s) => ({ ...s, actions: s.actions.map((a) => (a.type === 'wait' ? { ...a, timeoutMs: 6_000, intervalMs: 1_000 } : a)) })),
          );
        } catch (e) {
          assert.match((e as Error).message, x509, 'discovery failed for another reason');
          caughtByDiscovery++;
        }
      }
      if (!run) {
        // The balancer sent every discovery to cp3: each attempt was refused before any action with the explanation.
        assert.equal(caughtByDiscovery, 10);
        return;
      }
      assert.equal(run.outcome.status, 'failed');
      const error = run.outcome.status === 'failed' ? run.outcome.error : '';
      assert.match(error, x509);
      assert.equal(run.outcome.status === 'failed' ? run.outcome.action : null, 'verify/cp3/readyz-direct');
    } finally {
      copyFileSync(saved, pki('apiserver.crt'));
      rmSync(join(l.s.dir, 'planted.csr'), { force: true });
      await restartApiserver(l, 'cp3');
    }
  });
}

endpointSuite('nginx', 'dedicated', plantedCertificate);
endpointSuite('haproxy', 'dedicated');
endpointSuite('nginx', 'per-node');
endpointSuite('haproxy', 'per-node');
