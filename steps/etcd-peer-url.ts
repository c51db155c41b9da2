/**
 * etcd-peer-url: clusters born on kubeadm <= 1.12 advertise their etcd peer URL on localhost, which a second
 * member cannot reach. The fix goes before any member joins: new server/peer certificates with the node
 * address, etcd listening on it, `member update`. Nothing to do (no step) on any other cluster.
 */
import type { Action } from '../src/engine/model/actions.js';
import type { Step } from '../src/engine/model/step.js';
import type { ClusterFacts } from '../src/discovery/facts.js';
import { masterNode } from '../src/discovery/nodes.js';
import { etcdctl, memberStateProbe, memberUpdatePeer } from '../src/etcd/etcdctl.js';
import { masterEtcdManifestWithPeerAddress } from '../src/manifests/etcd.js';
import { certActions } from './kit/certs.js';
import { ETCD_JOIN_TIMEOUT_MS, etcdEndpoint, loopbackPeerURL, masterPeerURL } from './kit/etcd.js';
import { ETCD_MANIFEST } from './kit/paths.js';
import { makeStep, type StepDefinition } from './kit/step.js';

/** The localhost peer-URL fix, or no step when the master's member already advertises a reachable URL. */
function build(facts: ClusterFacts): Step[] {
  const loopback = loopbackPeerURL(facts);
  if (!loopback) return [];
  const master = masterNode(facts);
  const manifest = facts.manifests['etcd'];
  if (!manifest) return [];
  const step = 'etcd-peer-url';
  const newPeerURL = masterPeerURL(facts);
  const actions: Action[] = [
    ...certActions(facts, step, master, ['etcd-server', 'etcd-peer']),
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
      probe: { type: 'command', host: master.host, argv: etcdctl(['endpoint', 'health'], etcdEndpoint(facts)) },
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
      argv: memberUpdatePeer(loopback, newPeerURL, etcdEndpoint(facts)),
      undo: memberUpdatePeer(newPeerURL, loopback, etcdEndpoint(facts)),
      probe: { type: 'command', host: master.host, argv: memberStateProbe(newPeerURL, 'present', etcdEndpoint(facts)), stdoutIncludes: 'member-present' },
      description: `etcd member update: peer URL ${loopback} → ${newPeerURL} (a second member could not reach localhost)`,
      risk: 'disruptive',
    },
  ];
  return [
    makeStep(
      step,
      `Move etcd's peer URL off localhost on ${master.host}`,
      `The member advertises ${loopback}, which no other node can reach (clusters created by kubeadm 1.12 or older). New server and peer certificates with ${master.address}, then member update.`,
      actions,
    ),
  ];
}

export const etcdPeerUrlStep: StepDefinition = {
  name: 'etcd-peer-url',
  summary: "only on clusters born on kubeadm <= 1.12: the master's etcd peer URL moves off localhost",
  build,
};
