/**
 * etcd-<node>: grow the stacked etcd cluster by one member, the way `kubeadm join --control-plane` does
 * (phases/etcd/local.go): per-node etcd certificates, `member add --learner` on the master, the joining
 * member's etcd.yaml, wait until the learner runs, promote it (etcd refuses until it has caught up), and
 * wait until every member is healthy. One node at a time: etcd allows one learner, and a learner does not
 * count toward quorum, so a new member that never comes up cannot take the cluster down.
 *
 * etcd-peer-url: clusters born on kubeadm <= 1.12 advertise their peer URL on localhost, which a second
 * member cannot reach. The fix goes first: new server/peer certificates with the node address, etcd
 * listening on it, `member update`.
 */
import { parse } from 'yaml';
import type { Action, WriteFileAction } from '../src/engine/model/actions.js';
import type { ClusterFacts, KeyAlgorithm } from '../src/discovery/facts.js';
import type { Step } from '../src/engine/model/step.js';
import { worstRisk } from '../src/engine/model/plan.js';
import { BadInputError } from '../src/exit-codes.js';
import { nodeCertificates, withCA, type NodeCert } from '../src/pki/kubeadm-certs.js';
import { clusterHealthArgv, etcdctl, memberPromoteByPeer, memberRemoveByNameOrPeer, memberStateProbe, memberUpdatePeer, noOtherLearnerCheck } from '../src/discovery/etcdctl.js';
import { loopbackPeerURL, masterNode, masterPeerURL, etcdPeerPort, promotedNodes, type CpNode } from '../src/discovery/nodes.js';
import { etcdPeerURL, joiningEtcdManifest, masterEtcdManifestWithPeerAddress, type EtcdPeer } from '../src/manifests/etcd.js';
import { StaticPod } from '../src/manifests/static-pod.js';

export const ETCD_MANIFEST = '/etc/kubernetes/manifests/etcd.yaml';
/** How long a learner may take to start and catch up, and a promoted member to report healthy. */
export const ETCD_JOIN_TIMEOUT_MS = 180_000;

/** etcd.local.serverCertSANs / peerCertSANs from the stored ClusterConfiguration. */
export function etcdExtraSANs(facts: ClusterFacts): { server: string[]; peer: string[] } {
  const cfg = (parse(facts.clusterConfiguration.raw) ?? {}) as { etcd?: { local?: { serverCertSANs?: unknown; peerCertSANs?: unknown } } };
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return { server: list(cfg.etcd?.local?.serverCertSANs), peer: list(cfg.etcd?.local?.peerCertSANs) };
}

/** Every per-node certificate kubeadm would issue for `node`, by kubeadm's cert name. */
export function certsFor(facts: ClusterFacts, node: CpNode): Map<string, NodeCert> {
  const sans = etcdExtraSANs(facts);
  const { certs } = nodeCertificates({
    nodeName: node.nodeName,
    nodeIP: node.address,
    k8sVersion: facts.kubernetesVersion,
    serviceSubnet: facts.clusterConfiguration.serviceSubnet,
    dnsDomain: facts.clusterConfiguration.dnsDomain,
    endpointHost: facts.config.endpoint.host,
    certSANs: facts.clusterConfiguration.certSANs,
    etcdServerCertSANs: sans.server,
    etcdPeerCertSANs: sans.peer,
  });
  return new Map(certs.map((c) => [c.name, c]));
}

function algorithmFor(facts: ClusterFacts, cert: NodeCert): KeyAlgorithm {
  return cert.ca === 'etcd-ca' ? facts.keyAlgorithms.etcdCa : cert.ca === 'front-proxy-ca' ? facts.keyAlgorithms.frontProxyCa : facts.keyAlgorithms.ca;
}

/** A fresh key in the CA's algorithm (kubeadm's PEM format) and a certificate for it, signed on the master. */
export function certFileActions(facts: ClusterFacts, step: string, node: CpNode, cert: NodeCert): WriteFileAction[] {
  const master = masterNode(facts);
  const sans = [...cert.spec.dnsNames, ...cert.spec.ipAddresses];
  return [
    {
      id: `${step}/${node.host}/${cert.name}.key`,
      step,
      type: 'write-file',
      host: node.host,
      path: cert.keyPath,
      content: { type: 'private-key', algorithm: algorithmFor(facts, cert) },
      mode: 0o600,
      owner: 'root:root',
      description: `${cert.name} private key (${algorithmFor(facts, cert)}, generated at apply time, sensitive)`,
      risk: 'reversible',
    },
    {
      id: `${step}/${node.host}/${cert.name}.crt`,
      step,
      type: 'write-file',
      host: node.host,
      path: cert.certPath,
      content: { type: 'certificate', keyPath: cert.keyPath, spec: withCA(cert.spec, master.host, cert.ca) },
      mode: 0o644,
      owner: 'root:root',
      description: `${cert.name} certificate, CN=${cert.spec.subject.commonName}${sans.length ? `, SANs ${sans.join(', ')}` : ''}, signed by ${cert.ca} on ${master.host}`,
      risk: 'reversible',
    },
  ];
}

/** --initial-cluster for the i-th promoted node: the existing members, the nodes before it, itself. */
export function initialClusterFor(facts: ClusterFacts, index: number): EtcdPeer[] {
  const port = etcdPeerPort(facts);
  const existing = facts.etcd.members.map((m, i) => ({ name: m.name, peerURL: i === 0 ? masterPeerURL(facts) : m.peerURLs[0] ?? '' }));
  const joined = promotedNodes(facts)
    .slice(0, index + 1)
    .map((n) => ({ name: n.nodeName, peerURL: etcdPeerURL(n.address, port) }));
  return [...existing, ...joined];
}

export function buildEtcdMemberStep(facts: ClusterFacts, index: number): Step {
  const node = promotedNodes(facts)[index];
  if (!node) throw new Error(`no node to promote at index ${index}`);
  const master = masterNode(facts);
  const step = `etcd-${node.host}`;
  const masterManifest = facts.manifests['etcd'];
  if (!masterManifest) throw new BadInputError(`no etcd manifest was found on ${master.host}`, 'ha-wizard converts stacked etcd only (external etcd is refused by preflight)');
  const peerURL = etcdPeerURL(node.address, etcdPeerPort(facts));
  const dataDir = StaticPod.parse(masterManifest, 'etcd').flag('data-dir') ?? '/var/lib/etcd';
  const certs = certsFor(facts, node);
  const manifest = joiningEtcdManifest(masterManifest, {
    nodeName: node.nodeName,
    address: node.address,
    masterAddress: master.address,
    initialCluster: initialClusterFor(facts, index),
    etcdVersion: facts.etcdVersion,
  });
  const commandProbe = (argv: string[], stdoutIncludes: string) => ({ type: 'command' as const, host: master.host, argv, stdoutIncludes });

  const actions: Action[] = [
    ...['etcd-server', 'etcd-peer', 'etcd-healthcheck-client', 'apiserver-etcd-client'].flatMap((name) => certFileActions(facts, step, node, certs.get(name)!)),
    {
      id: `${step}/${node.host}/data-dir-empty`,
      step,
      type: 'run',
      host: node.host,
      // Checks now that the new member starts from nothing; on rollback, clears what it wrote so a retry can join again.
      argv: ['sh', '-c', '! [ -e "$1/member" ]', 'ha-wizard-etcd', dataDir],
      undo: ['rm', '-rf', '--one-file-system', `${dataDir}/member`],
      description: `${dataDir} on ${node.host} holds no etcd data yet (rollback removes the data the new member wrote)`,
      risk: 'reversible',
    },
    {
      id: `${step}/${master.host}/no-other-learner`,
      step,
      type: 'run',
      host: master.host,
      argv: noOtherLearnerCheck(peerURL),
      description: 'check that etcd has no other learner (etcd allows one; a leftover must be removed first)',
      risk: 'read-only',
    },
    {
      id: `${step}/${master.host}/member-add`,
      step,
      type: 'run',
      host: master.host,
      argv: etcdctl(['member', 'add', node.nodeName, `--peer-urls=${peerURL}`, '--learner']),
      undo: memberRemoveByNameOrPeer(node.nodeName, peerURL),
      probe: commandProbe(memberStateProbe(peerURL, 'present'), 'member-present'),
      // Right after the previous member's promotion etcd refuses reconfiguration for ~5 s (strict reconfig
      // check: every voter must have been connected for its health interval); the learner of a previous
      // attempt may also still be leaving.
      retry: { timeoutMs: ETCD_JOIN_TIMEOUT_MS, intervalMs: 1_000, onlyIfStderrIncludes: ['unhealthy cluster', 'too many learner members', 'context deadline exceeded'] },
      description: `announce ${node.nodeName} (${peerURL}) to etcd as a learner (not counted in quorum until promoted)`,
      risk: 'disruptive',
    },
    {
      id: `${step}/${node.host}/etcd.yaml`,
      step,
      type: 'write-file',
      host: node.host,
      path: ETCD_MANIFEST,
      content: { type: 'literal', text: manifest },
      mode: 0o600,
      owner: 'root:root',
      description: `etcd static pod for ${node.nodeName}: --initial-cluster-state=existing, ${initialClusterFor(facts, index).length} members`,
      risk: 'reversible',
    },
    {
      id: `${step}/${master.host}/learner-started`,
      step,
      type: 'wait',
      probe: commandProbe(memberStateProbe(peerURL, 'started'), 'member-started'),
      timeoutMs: ETCD_JOIN_TIMEOUT_MS,
      // A learner starts within a second or two; one etcdctl call per second over the open SSH connection is cheap.
      intervalMs: 1_000,
      description: `wait until the learner ${node.nodeName} has started`,
      risk: 'read-only',
    },
    {
      id: `${step}/${master.host}/member-promote`,
      step,
      type: 'run',
      host: master.host,
      argv: memberPromoteByPeer(peerURL),
      // Undone before the manifest goes (undo runs newest first): the member leaves while it still runs, so a
      // 2-member cluster keeps quorum for the removal; stopping it first would leave 1 of 2 and the remove would hang.
      undo: memberRemoveByNameOrPeer(node.nodeName, peerURL),
      probe: commandProbe(memberStateProbe(peerURL, 'voting'), 'member-voting'),
      retry: {
        timeoutMs: ETCD_JOIN_TIMEOUT_MS,
        intervalMs: 3_000,
        onlyIfStderrIncludes: ['in sync with leader', 'not in sync', 'unhealthy cluster', 'context deadline exceeded'],
      },
      description: `promote ${node.nodeName} to a voting member (quorum grows; from here rollback is member remove while quorum holds, or the snapshot)`,
      risk: 'point-of-no-easy-return',
    },
    {
      id: `${step}/${master.host}/cluster-healthy`,
      step,
      type: 'wait',
      probe: { type: 'command', host: master.host, argv: clusterHealthArgv() },
      timeoutMs: ETCD_JOIN_TIMEOUT_MS,
      intervalMs: 2_000,
      description: 'wait until every etcd member reports healthy (endpoint health --cluster)',
      risk: 'read-only',
    },
  ];
  return {
    id: step,
    title: `etcd member on ${node.host}`,
    description: `Add ${node.nodeName} to etcd as a learner, start it, promote it once it has caught up. One member at a time: never two learners, never a member that could cost quorum before it runs.`,
    risk: worstRisk(actions.map((a) => a.risk)),
    actions,
  };
}

/** The localhost peer-URL fix, or no step when the master's member already advertises a reachable URL. */
export function buildEtcdPeerUrlSteps(facts: ClusterFacts): Step[] {
  const loopback = loopbackPeerURL(facts);
  if (!loopback) return [];
  const master = masterNode(facts);
  const manifest = facts.manifests['etcd'];
  if (!manifest) return [];
  const step = 'etcd-peer-url';
  const newPeerURL = masterPeerURL(facts);
  const certs = certsFor(facts, master);
  const actions: Action[] = [
    ...['etcd-server', 'etcd-peer'].flatMap((name) => certFileActions(facts, step, master, certs.get(name)!)),
    {
      id: `${step}/${master.host}/etcd.yaml`,
      step,
      type: 'write-file',
      host: master.host,
      path: ETCD_MANIFEST,
      content: { type: 'literal', text: masterEtcdManifestWithPeerAddress(manifest, master.address) },
      mode: 0o600,
      owner: 'root:root',
      description: `etcd on ${master.host} listens for peers on ${newPeerURL} (restarts etcd: the apiserver pauses for seconds)`,
      risk: 'disruptive',
    },
    {
      id: `${step}/${master.host}/etcd-healthy`,
      step,
      type: 'wait',
      probe: { type: 'command', host: master.host, argv: etcdctl(['endpoint', 'health']) },
      timeoutMs: ETCD_JOIN_TIMEOUT_MS,
      intervalMs: 2_000,
      description: 'wait until the restarted etcd answers',
      risk: 'read-only',
    },
    {
      id: `${step}/${master.host}/member-update`,
      step,
      type: 'run',
      host: master.host,
      argv: memberUpdatePeer(loopback, newPeerURL),
      undo: memberUpdatePeer(newPeerURL, loopback),
      probe: { type: 'command', host: master.host, argv: memberStateProbe(newPeerURL, 'present'), stdoutIncludes: 'member-present' },
      description: `etcd member update: peer URL ${loopback} → ${newPeerURL} (a second member could not reach localhost)`,
      risk: 'disruptive',
    },
  ];
  return [
    {
      id: step,
      title: `Move etcd's peer URL off localhost on ${master.host}`,
      description: `The member advertises ${loopback}, which no other node can reach (clusters created by kubeadm 1.12 or older). New server and peer certificates with ${master.address}, then member update.`,
      risk: worstRisk(actions.map((a) => a.risk)),
      actions,
    },
  ];
}
