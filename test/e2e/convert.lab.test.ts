/**
 * "Grow the control plane", end to end on the lab: `ha-wizard apply` converts a kubeadm single master into
 * 3 (and 5) control-plane nodes behind a dedicated nginx, and the result is judged by openssl, etcdctl,
 * kubectl and sha256sum (see judges.ts), the new nodes' manifests against kubeadm's own output, and a
 * step-by-step rollback against the files each node had before.
 *
 * Labs one after another (each conversion is reused by every check of its block), on the oldest and
 * the newest release the lab runs, 1 → 3 and 1 → 5 on each:
 *   A  1 → 3, ECDSA, 1.35, 1 worker: judges, manifests, then rollback boundary by boundary
 *   B  1 → 3, RSA, 1.37, service CIDR 10.100.0.0/16, DNS domain lab.example, 1 worker: judges, manifests, kubeadm
 *   C  1 → 5, ECDSA, 1.37, 1 worker: judges, manifests, kubeadm
 *   D  1 → 5, RSA, 1.35, 1 worker, kubeadm-config in v1beta3 (as an older kubeadm wrote it): judges, manifests, kubeadm
 * "kubeadm" is the real kubeadm as a judge (kubeadm-judge.ts): a further node prepared as a control-plane
 * node through the new endpoint, its files set beside ha-wizard's, and `kubeadm certs check-expiration`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { hostPath, labDown, labExec, labUp, type LabState, type RunResult } from '../../lab/lab.js';
import { run } from '../../lab/sys.js';
import { referenceFiles, referenceManifest, type ReferenceVersion } from '../manifests/reference.js';
import {
  NODE_CERTS,
  SHARED_PKI,
  controlPlanes,
  etcKubernetes,
  etcdClusterHealth,
  etcdMembers,
  expectedApiserverSans,
  expectedEtcdSans,
  fileMode,
  kubeconfigClientCert,
  kubeconfigServer,
  kubeconfigSubjects,
  kubectl,
  kubectlEnv,
  kubectlJson,
  node,
  ok,
  openssl,
  pemKind,
  promoted,
  sanSet,
  snapshot,
  treeDiff,
  treeHashes,
  type Snapshot,
} from './judges.js';
import { checkExpiration, kubeadmJudge, retireSpare } from './kubeadm-judge.js';
import { applyTiming, formatTiming, sessionDirs } from './timing.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const tag = `cv${process.pid % 100000}`;
const fileStart = Date.now();
const made: string[] = [];
const kubeCache = mkdtempSync(join(tmpdir(), 'hawe2e-kcache-'));
const env = kubectlEnv(kubeCache);

after(async () => {
  for (const dir of made) {
    await labDown(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  rmSync(kubeCache, { recursive: true, force: true });
  process.stdout.write(`# convert.lab.test: file wall time ${((Date.now() - fileStart) / 1000).toFixed(1)} s\n`);
});

interface Converted {
  s: LabState;
  stateDir: string;
  session: string;
  version: ReferenceVersion;
  endpoint: string;
  before: Snapshot;
  nginxBefore: Map<string, string>;
  after: Snapshot;
  apply: RunResult;
}

/** ha-wizard as an operator runs it, from the lab's client end. */
function wizard(c: Pick<Converted, "s" | "stateDir">, args: string[], timeoutMs = 600_000): Promise<RunResult> {
  return labExec(c.s.dir, ['env', `HA_WIZARD_STATE_DIR=${c.stateDir}`, process.execPath, CLI, ...args], { timeoutMs });
}

async function convert(
  suffix: string,
  version: ReferenceVersion,
  opts: { promote: number; workers: number; keyAlgorithm: 'rsa' | 'ecdsa' | 'ecdsa-p384'; serviceCidr?: string; dnsDomain?: string; kubeadmConfigApi?: 'v1beta3' | 'v1beta4' },
): Promise<Converted> {
  const dir = mkdtempSync(join(tmpdir(), `hawe2e-${suffix}-`));
  made.push(dir);
  const s = await labUp({ dir, name: `${tag}${suffix}`, proxyHost: true, k8sVersion: version, ...opts });
  const stateDir = join(dir, 'state');
  const nodes = s.nodes.map((n) => n.name);
  const before = await snapshot(s, nodes);
  // The proxy host's nginx configuration (an overlay upper dir: only what was written there shows).
  const nginxBefore = await treeHashes(s, 'lb', 'etc-nginx');
  const t0 = Date.now();
  const apply = await wizard({ s, stateDir }, ['apply', '-c', join(dir, 'cluster.yaml'), '--yes']);
  const wallMs = Date.now() - t0;
  const sessionDir = sessionDirs(stateDir)[0]!;
  if (apply.code === 0) process.stdout.write(`# ${formatTiming(`1 -> ${opts.promote + 1} ${opts.keyAlgorithm} ${version}`, applyTiming(sessionDir, t0, wallMs))}\n`);
  const cfg = parse(readFileSync(join(dir, 'cluster.yaml'), 'utf8')) as { endpoint: { host: string } };
  return { s, stateDir, session: sessionDir.split('/').pop()!, version, endpoint: cfg.endpoint.host, before, nginxBefore, after: await snapshot(s, nodes), apply };
}

const minorOf = (v: string) => Number(v.split('.')[1]);

/** The real kubeadm on the converted cluster (kubeadm-judge.ts), and kubectl of the cluster's own release. */
function judgeWithKubeadm(get: () => Converted, serviceCidr: string, dnsDomain: string): void {
  test('kubeadm join phase control-plane-prepare of a further node through the endpoint writes what ha-wizard wrote', async () => {
    const { s, endpoint } = get();
    const spare = node(s, 'w1');
    const verdict = await kubeadmJudge(s, { spare, promotedByWizard: node(s, 'cp2'), endpoint: `${endpoint}:6443`, serviceCidr, dnsDomain });
    try {
      assert.match(verdict.joinOutput, /\[download-certs\] Saving the certificates to the folder/);
      assert.deepEqual(verdict.differences, [], `kubeadm and ha-wizard differ:\n${verdict.differences.join('\n')}`);
    } finally {
      await retireSpare(s, spare);
    }
  });

  test('kubeadm certs check-expiration succeeds on every control-plane node', async () => {
    const { s } = get();
    for (const [name, out] of await checkExpiration(s)) {
      assert.match(out, /^apiserver\s+\S/m, `${name}:\n${out}`);
      assert.match(out, /^front-proxy-ca\s+\S/m, `${name}:\n${out}`);
      assert.doesNotMatch(out, /invalid|<missing>/i, `${name}:\n${out}`);
    }
  });

  test('kubectl of the same release through the endpoint: apply, and the OpenAPI v3 document', async () => {
    const { s } = get();
    const v = ok(await kubectl(s, env, ['version', '-o', 'json']), 'kubectl version');
    const parsed = JSON.parse(v) as { clientVersion: { gitVersion: string }; serverVersion: { gitVersion: string } };
    assert.equal(parsed.serverVersion.gitVersion, `v${s.options.k8sVersion}`);
    assert.equal(parsed.clientVersion.gitVersion, parsed.serverVersion.gitVersion);
    const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied-through-the-endpoint\n  namespace: default\ndata:\n  k: v\n';
    assert.match(ok(await labExec(s.dir, ['kubectl', '--kubeconfig', etcKubernetes(s, 'cp1', 'admin.conf'), 'apply', '-f', '-'], { input: manifest, env, timeoutMs: 60_000 }), 'kubectl apply'), /configmap\/applied-through-the-endpoint (created|configured)/);
    const openapi = JSON.parse(ok(await kubectl(s, env, ['get', '--raw', '/openapi/v3']), 'openapi v3')) as { paths?: Record<string, unknown> };
    assert.ok(openapi.paths?.['api/v1'], 'the OpenAPI v3 discovery lists api/v1');
  });
}

/** Every check of "Done when" for a converted lab, as tests of the enclosing describe. */
function judgeConversion(get: () => Converted, serviceCidr: string, dnsDomain: string): void {
  test('apply exits 0', () => {
    const { apply } = get();
    assert.equal(apply.code, 0, `apply failed (${apply.code}):\n${apply.stdout.slice(-4000)}\n${apply.stderr.slice(-4000)}`);
  });

  test('openssl verifies every certificate the wizard issued against the cluster CAs; SANs are exactly kubeadm\'s', async () => {
    const { s, endpoint } = get();
    for (const n of controlPlanes(s)) {
      const pki = (f: string) => etcKubernetes(s, n.name, `pki/${f}`);
      for (const [cert, ca] of NODE_CERTS) ok(await openssl(s, ['verify', '-CAfile', pki(ca), pki(cert)]), `${n.name}: openssl verify ${cert}`);
      const apiserver = expectedApiserverSans({ nodeName: n.name, address: n.address, serviceCidr, dnsDomain, endpoint });
      assert.deepEqual(await sanSet(s, pki('apiserver.crt')), apiserver, `${n.name} apiserver.crt SANs`);
      for (const f of ['etcd/server.crt', 'etcd/peer.crt']) assert.deepEqual(await sanSet(s, pki(f)), expectedEtcdSans({ nodeName: n.name, address: n.address }), `${n.name} ${f} SANs`);
    }
    // The kubeconfigs kubeadm join --control-plane writes: their client certificates chain to the cluster CA.
    for (const n of promoted(s)) {
      for (const [conf, subject] of Object.entries(kubeconfigSubjects(minorOf(get().version)))) {
        const cert = kubeconfigClientCert(etcKubernetes(s, n.name, conf), join(s.dir, 'client', `${n.name}-${conf}.crt`));
        ok(await openssl(s, ['verify', '-CAfile', etcKubernetes(s, 'cp1', 'pki/ca.crt'), cert]), `${n.name}: openssl verify ${conf}`);
        assert.match(ok(await openssl(s, ['x509', '-in', cert, '-noout', '-subject']), 'subject'), subject, `${n.name} ${conf}`);
      }
      for (const conf of ['controller-manager.conf', 'scheduler.conf']) assert.equal(kubeconfigServer(etcKubernetes(s, n.name, conf)), `https://${n.address}:6443`, `${n.name} ${conf} uses its local apiserver`);
      // kubeadm makes super-admin.conf (system:masters) on the init node only.
      assert.equal(existsSync(etcKubernetes(s, n.name, 'super-admin.conf')), false, `${n.name} has no super-admin.conf`);
    }
  });

  test("private keys are in the CA's format (PKCS#1 / SEC1) and 0600", () => {
    const { s } = get();
    const caKind = pemKind(etcKubernetes(s, 'cp1', 'pki/ca.key'));
    assert.match(caKind, s.options.keyAlgorithm === 'rsa' ? /^RSA PRIVATE KEY$/ : /^EC PRIVATE KEY$/);
    for (const n of promoted(s)) {
      for (const [cert] of NODE_CERTS) {
        const key = etcKubernetes(s, n.name, `pki/${cert.replace(/\.crt$/, '.key')}`);
        assert.equal(pemKind(key), caKind, `${n.name} ${cert} key format`);
        assert.equal(fileMode(key).toString(8), '600', `${n.name} ${key} mode`);
      }
      for (const f of ['ca.key', 'front-proxy-ca.key', 'etcd/ca.key', 'sa.key']) assert.equal(fileMode(etcKubernetes(s, n.name, `pki/${f}`)).toString(8), '600', `${n.name} ${f} mode`);
    }
  });

  test('sha256sum of the shared keys is the same on every control-plane node', async () => {
    const { s, after: snap } = get();
    for (const f of SHARED_PKI) {
      const sums = new Set(controlPlanes(s).map((n) => snap.get(n.name)!.get(`pki/${f}`)));
      assert.equal(sums.size, 1, `${f}: ${[...sums].join(' ')}`);
      assert.ok([...sums][0], `${f} present`);
    }
  });

  test('etcdctl: every control-plane node a started voting member, endpoint health --cluster healthy', async () => {
    const { s } = get();
    const members = await etcdMembers(s);
    assert.deepEqual(members.map((m) => m.name).sort(), controlPlanes(s).map((n) => n.name).sort());
    for (const m of members) {
      assert.equal(m.isLearner, false, `${m.name} is a learner`);
      assert.ok(m.clientURLs.length > 0, `${m.name} not started`);
      assert.deepEqual(m.peerURLs, [`https://${node(s, m.name).address}:2380`]);
    }
    const health = ok(await etcdClusterHealth(s), 'etcdctl endpoint health --cluster');
    for (const n of controlPlanes(s)) assert.match(health, new RegExp(`https://${n.address.replace(/\./g, '\\.')}:2379 is healthy`), health);
  });

  test('kubectl against each new apiserver directly: nodes with control-plane role and NoSchedule taint', async () => {
    const { s } = get();
    for (const n of controlPlanes(s)) {
      const list = await kubectlJson<{ items: any[] }>(s, env, ['--server', `https://${n.address}:6443`, 'get', 'nodes'], `kubectl --server ${n.address} get nodes`);
      for (const cp of promoted(s)) {
        const obj = list.items.find((x) => x.metadata.name === cp.name);
        assert.ok(obj, `${cp.name} listed by ${n.name}`);
        assert.equal(obj.metadata.labels['node-role.kubernetes.io/control-plane'], '', `${cp.name} role`);
        assert.equal(obj.metadata.labels['node.kubernetes.io/exclude-from-external-load-balancers'], '', `${cp.name} exclude label`);
        assert.deepEqual(obj.spec.taints, [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }], `${cp.name} taints`);
      }
    }
    const table = ok(await kubectl(s, env, ['get', 'nodes']), 'kubectl get nodes through the endpoint');
    for (const n of controlPlanes(s)) assert.match(table, new RegExp(`^${n.name}\\s+Ready\\s+control-plane\\s`, 'm'), table);
  });

  test('controller-manager and scheduler leases each held by exactly one control-plane node', async () => {
    const { s } = get();
    const leases = await kubectlJson<{ items: any[] }>(s, env, ['get', 'leases', '-n', 'kube-system'], 'get leases');
    const names = controlPlanes(s).map((n) => n.name);
    for (const name of ['kube-controller-manager', 'kube-scheduler']) {
      const l = leases.items.filter((x) => x.metadata.name === name);
      assert.equal(l.length, 1, name);
      const holder = String(l[0].spec?.holderIdentity ?? '');
      assert.ok(names.includes(holder.split('_')[0]!), `${name} held by ${holder}`);
    }
  });

  test("the new nodes' static pod manifests are kubeadm join's, field by field", () => {
    const { s, version } = get();
    const members = controlPlanes(s);
    for (const [i, n] of promoted(s).entries()) {
      // kubeadm join lists every member up to and including the joining one (etcd's order; compared as a set).
      const initialCluster = members
        .slice(0, i + 2)
        .map((m) => `${m.name}=https://${m.address}:2380`)
        .join(',');
      for (const file of referenceFiles(version, 'join')) {
        const expected = parse(referenceManifest(version, 'join', file, { nodeName: n.name, address: n.address, serviceCidr, dnsDomain, initialCluster }));
        const actual = parse(readFileSync(etcKubernetes(s, n.name, `manifests/${file}`), 'utf8'));
        assert.deepEqual(sortInitialCluster(actual), sortInitialCluster(expected), `${n.name}/${file}`);
      }
    }
  });
}

function sortInitialCluster(pod: any): any {
  const c = pod?.spec?.containers?.[0];
  if (!c?.command) return pod;
  c.command = c.command.map((a: string) => (a.startsWith('--initial-cluster=') ? `--initial-cluster=${a.slice(18).split(',').sort().join(',')}` : a));
  return pod;
}

describe('A: 1 -> 3, ECDSA, Kubernetes 1.35, dedicated nginx, one worker; then rollback step by step', () => {
  let c: Converted;
  before(async () => {
    c = await convert('a', '1.35.4', { promote: 2, workers: 1, keyAlgorithm: 'ecdsa' });
  });
  judgeConversion(() => c, '10.96.0.0/12', 'cluster.local');

  test('rollback --to each step boundary restores exactly the files of the undone steps; a full rollback restores every node', async () => {
    assert.equal(c.apply.code, 0, 'apply failed: nothing to roll back');
    const plan = JSON.parse(readFileSync(join(c.stateDir, 'sessions', c.session, 'plan.json'), 'utf8')) as {
      steps: Array<{ id: string }>;
      actions: Array<{ step: string; type: string; host: string; path?: string }>;
    };
    const order = plan.steps.map((x) => x.id);
    // Which step wrote (or removed) each file under /etc/kubernetes, per node.
    const writer = new Map<string, string>();
    for (const a of plan.actions) {
      if ((a.type !== 'write-file' && a.type !== 'remove-file') || !a.path?.startsWith('/etc/kubernetes/')) continue;
      const key = `${a.host}:${a.path.slice('/etc/kubernetes/'.length)}`;
      assert.ok(!writer.has(key) || writer.get(key) === a.step, `${key} written by two steps`);
      writer.set(key, a.step);
    }
    const nodes = c.s.nodes.map((n) => n.name);
    for (const n of nodes) {
      for (const [p, h] of c.after.get(n)!) {
        if (!writer.has(`${n}:${p}`)) assert.equal(c.before.get(n)!.get(p), h, `${n}: ${p} changed by no action of the plan`);
      }
    }
    /** The tree each node must have once every step after `keep` is undone. */
    const expectedAt = (keep: number): Snapshot => {
      const out: Snapshot = new Map();
      for (const n of nodes) {
        const tree = new Map<string, string>();
        const paths = new Set([...c.before.get(n)!.keys(), ...c.after.get(n)!.keys()]);
        for (const p of paths) {
          const step = writer.get(`${n}:${p}`);
          const kept = step !== undefined && order.indexOf(step) <= keep;
          const h = (kept ? c.after : c.before).get(n)!.get(p);
          if (h !== undefined) tree.set(p, h);
        }
        out.set(n, tree);
      }
      return out;
    };
    const etcdSteps = order.filter((x) => x.startsWith('etcd-'));
    const boundaries = ['mark-control-plane', 'kubelet-cp3', 'control-plane-cp3', 'etcd-cp3', 'shared-pki-cp3', 'kubelet-cp2', 'control-plane-cp2', 'etcd-cp2', 'shared-pki-cp2', 'endpoint-cert', null];
    for (const to of boundaries) {
      const keep = to === null ? -1 : order.indexOf(to);
      assert.ok(to === null || keep >= 0, `no step ${to}`);
      const r = await wizard(c, ['rollback', c.session, ...(to ? ['--to', to] : []), '--past-point-of-no-return', '--yes']);
      const label = to ? `rollback --to ${to}` : 'full rollback';
      assert.equal(r.code, 0, `${label} failed (${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
      const now = await snapshot(c.s, nodes);
      const want = expectedAt(keep);
      const diff = nodes.flatMap((n) => treeDiff(want.get(n)!, now.get(n)!, n));
      assert.deepEqual(diff, [], `${label}: files`);
      const members = await etcdMembers(c.s);
      const voting = 1 + etcdSteps.filter((x) => order.indexOf(x) <= keep).length;
      assert.equal(members.filter((m) => !m.isLearner).length, voting, `${label}: etcd members ${JSON.stringify(members.map((m) => m.name))}`);
      assert.equal(members.length, voting, `${label}: no learner left`);
      if (to === 'kubelet-cp3') {
        const cp = await kubectlJson<any>(c.s, env, ['get', 'node', 'cp3'], 'get node cp3');
        assert.equal(cp.metadata.labels['node-role.kubernetes.io/control-plane'], undefined, 'cp3 role label removed');
        assert.equal(cp.spec.taints, undefined, 'cp3 taint removed');
      }
    }
    // Byte for byte what each node had before the conversion.
    for (const n of nodes) assert.deepEqual(treeDiff(c.before.get(n)!, (await snapshot(c.s, [n])).get(n)!, n), []);
    ok(await etcdClusterHealth(c.s), 'etcd healthy after full rollback');
    assert.deepEqual(treeDiff(c.nginxBefore, await treeHashes(c.s, 'lb', 'etc-nginx'), 'lb /etc/nginx'), []);
    for (const n of promoted(c.s)) assert.equal(existsSync(hostPath(n, '/var/lib/etcd/member')), false, `${n.name}: etcd data of the removed member left behind`);
    assert.ok(existsSync(hostPath(node(c.s, 'cp1'), `/var/lib/etcd/ha-wizard-${c.session}.snapshot.db`)), 'the etcd snapshot is kept');
    // What the wizard leaves on purpose, as kubeadm leaves its upgrade backups in /etc/kubernetes/tmp: the originals it
    // restored from (0700, they hold keys) and each node's tarball of its own /etc/kubernetes from before the first change.
    for (const n of c.s.nodes.filter((x) => c.before.get(x.name)!.size > 0)) {
      const originals = join(n.hostDir, 'etc-kubernetes', 'tmp', `ha-wizard-backup-${c.session}`);
      if (existsSync(originals)) assert.equal(fileMode(originals).toString(8), '700', `${n.name} ${originals}`);
      const tarball = hostPath(n, `/var/lib/ha-wizard/backups/${c.session}/etc-kubernetes.tar.gz`);
      assert.equal(fileMode(dirname(tarball)).toString(8), '700', `${n.name} backup dir mode`);
      const sums = ok(await run('sh', ['-c', 'd=$(mktemp -d) && tar -xzf "$1" -C "$d" && cd "$d/etc/kubernetes" && find . -type f | sort | xargs sha256sum; rm -rf "$d"', 'tar', tarball]), `${n.name} tarball`);
      const inTar = new Map(sums.split('\n').filter(Boolean).map((l) => [l.slice(68), l.slice(0, 64)] as const));
      assert.deepEqual(treeDiff(c.before.get(n.name)!, inTar, `${n.name} tarball`), []);
    }
    ok(await kubectl(c.s, env, ['get', 'nodes']), 'kubectl after full rollback');
  });
});

describe('B: 1 -> 3, RSA, Kubernetes 1.37, service CIDR 10.100.0.0/16, DNS domain lab.example', () => {
  let c: Converted;
  before(async () => {
    c = await convert('b', '1.37.2', { promote: 2, workers: 1, keyAlgorithm: 'rsa', serviceCidr: '10.100.0.0/16', dnsDomain: 'lab.example' });
  });
  judgeConversion(() => c, '10.100.0.0/16', 'lab.example');
  judgeWithKubeadm(() => c, '10.100.0.0/16', 'lab.example');
});

describe('C: 1 -> 5, ECDSA, Kubernetes 1.37', () => {
  let c: Converted;
  before(async () => {
    c = await convert('c', '1.37.2', { promote: 4, workers: 1, keyAlgorithm: 'ecdsa' });
  });
  judgeConversion(() => c, '10.96.0.0/12', 'cluster.local');
  judgeWithKubeadm(() => c, '10.96.0.0/12', 'cluster.local');
});

describe('D: 1 -> 5, RSA, Kubernetes 1.35, kubeadm-config written in v1beta3', () => {
  let c: Converted;
  before(async () => {
    c = await convert('d', '1.35.4', { promote: 4, workers: 1, keyAlgorithm: 'rsa', kubeadmConfigApi: 'v1beta3' });
  });
  judgeConversion(() => c, '10.96.0.0/12', 'cluster.local');
  judgeWithKubeadm(() => c, '10.96.0.0/12', 'cluster.local');

  test('kubeadm-config keeps the API version it had, with the endpoint and its SAN', async () => {
    const cm = await kubectlJson<{ data: { ClusterConfiguration: string } }>(c.s, env, ['get', 'cm', '-n', 'kube-system', 'kubeadm-config'], 'kubeadm-config');
    const cc = parse(cm.data.ClusterConfiguration) as { apiVersion: string; controlPlaneEndpoint: string; apiServer: { certSANs?: string[] } };
    assert.equal(cc.apiVersion, 'kubeadm.k8s.io/v1beta3');
    assert.equal(cc.controlPlaneEndpoint, `${c.endpoint}:6443`);
    assert.ok(cc.apiServer.certSANs?.includes(c.endpoint), JSON.stringify(cc.apiServer));
  });
});
