/**
 * Regenerates kubeadm's reference manifests (test/fixtures/manifests/kubeadm/<version>/) with kubeadm
 * itself, for every release the lab builds (lab/components.txt), or the ones named:
 *
 *   sudo node dist/test/manifests/regenerate.js [1.37.2 ...]
 *
 * For each release: a lab (cp1 + cp2) made by that release's `kubeadm init`; the cluster is given
 * cp1's own address as controlPlaneEndpoint (kubeadm's reconfigure path), so cp2 can become a
 * control-plane node with the real `kubeadm join phase control-plane-prepare all` and
 * `kubeadm join phase etcd-join`. cp1's manifests are `init/`, cp2's are `join/`. The lab's node
 * values become placeholders: ${NODE_NAME} ${NODE_IP} ${SERVICE_CIDR} ${DNS_DOMAIN} ${INITIAL_CLUSTER}.
 * controlPlaneEndpoint appears in no static pod manifest, so the files are those of a cluster without it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { joinCredentials, controlPlaneJoinConfiguration, kubeadmJoinPhases, setControlPlaneEndpoint } from '../../lab/cluster/kubeadm-join.js';
import { labReleases } from '../../lab/components.js';
import { hostPath, labDown, labUp, nodeExec, type LabState } from '../../lab/lab.js';
import { REFERENCE_DIR, toTemplate } from './reference.js';

const SERVICE_CIDR = '10.123.0.0/16';
const DNS_DOMAIN = 'refgen.example';
const FILES = ['etcd.yaml', 'kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml'];

async function regenerate(version: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hawlab-refgen-'));
  const started = Date.now();
  try {
    const s: LabState = await labUp({ dir, name: `ref${process.pid % 10000}`, promote: 1, workers: 0, k8sVersion: version, serviceCidr: SERVICE_CIDR, dnsDomain: DNS_DOMAIN });
    const run = (node: LabState['nodes'][number], argv: readonly string[], o?: Parameters<typeof nodeExec>[3]) => nodeExec(s, node, argv, o);
    const [cp1, cp2] = [s.nodes.find((n) => n.name === 'cp1')!, s.nodes.find((n) => n.name === 'cp2')!];
    const endpoint = `${cp1.address}:6443`;
    await setControlPlaneEndpoint(s, run, endpoint);
    const creds = await joinCredentials(s, run);
    await kubeadmJoinPhases(run, cp2, controlPlaneJoinConfiguration(cp2, endpoint, creds), ['control-plane-prepare all', 'etcd-join']);
    for (const [role, node] of [['init', cp1], ['join', cp2]] as const) {
      const out = join(REFERENCE_DIR, version, role);
      mkdirSync(out, { recursive: true });
      for (const f of FILES) writeFileSync(join(out, f), toTemplate(readFileSync(hostPath(node, `/etc/kubernetes/manifests/${f}`), 'utf8'), { nodeName: node.name, address: node.address, serviceCidr: SERVICE_CIDR, dnsDomain: DNS_DOMAIN }));
    }
    process.stdout.write(`kubeadm v${version}: ${REFERENCE_DIR}${version}/{init,join} written in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  } finally {
    await labDown(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

const wanted = process.argv.slice(2);
for (const v of wanted.length ? wanted : labReleases()) await regenerate(v);
