/**
 * promote/etcd (etcd-<node>): grow the stacked etcd cluster by one member, the way `kubeadm join --control-plane`
 * does (phases/etcd/local.go): per-node etcd certificates, `member add --learner` on the master, the joining
 * member's etcd.yaml, wait until the learner runs, promote it (etcd refuses until it has caught up), and
 * wait until every member is healthy. One node at a time: etcd allows one learner, and a learner does not
 * count toward quorum, so a new member that never comes up cannot take the cluster down.
 */
import type { Action } from '../src/engine/model/actions.js';
import type { Step } from '../src/engine/model/step.js';
import type { ClusterFacts } from '../src/discovery/facts.js';
import { masterNode, nodesToPromote, type CpNode } from '../src/discovery/nodes.js';
import { clusterHealthArgv, etcdctl, memberPromoteByPeer, memberRemoveByNameOrPeer, memberStateProbe, noOtherLearnerCheck } from '../src/etcd/etcdctl.js';
import { BadInputError } from '../src/exit-codes.js';
import { etcdPeerURL, joiningEtcdManifest, type EtcdPeer } from '../src/manifests/etcd.js';
import { StaticPod } from '../src/manifests/static-pod.js';
import { certActions } from './kit/certs.js';
import { ETCD_JOIN_TIMEOUT_MS, etcdEndpoint, etcdPeerPort, masterMember, masterPeerURL } from './kit/etcd.js';
import { ETCD_MANIFEST } from './kit/paths.js';
import { makeStep, type StepDefinition } from './kit/step.js';

/** --initial-cluster for the i-th promoted node: the existing members, the nodes before it, itself. */
export function initialClusterFor(facts: ClusterFacts, index: number): EtcdPeer[] {
  const port = etcdPeerPort(facts);
  const toPromote = nodesToPromote(facts);
  const ours = new Set(toPromote.map((n) => etcdPeerURL(n.address, port)));
  const master = masterMember(facts);
  // The master's member (its peer URL as etcd-peer-url leaves it), then the members already in place (complete
  // control-plane nodes); a learner left for a node promoted now is that node's entry below, not an existing one.
  const existing = facts.etcd.members
    .filter((m) => !m.peerURLs.some((u) => ours.has(u)))
    .map((m) => ({ name: m.name, peerURL: m === master ? masterPeerURL(facts) : m.peerURLs[0] ?? '' }));
  const joined = toPromote
    .slice(0, index + 1)
    .map((n) => ({ name: n.nodeName, peerURL: etcdPeerURL(n.address, port) }));
  return [...existing, ...joined];
}

function memberOn(facts: ClusterFacts, node: CpNode, index: number): Step {
  const master = masterNode(facts);
  const step = `etcd-${node.host}`;
  const masterManifest = facts.manifests['etcd'];
  if (!masterManifest) throw new BadInputError(`no etcd manifest was found on ${master.host}`, 'ha-wizard converts stacked etcd only (external etcd is refused by preflight)');
  const peerURL = etcdPeerURL(node.address, etcdPeerPort(facts));
  const ep = etcdEndpoint(facts);
  const dataDir = StaticPod.parse(masterManifest, 'etcd').flag('data-dir') ?? '/var/lib/etcd';
  const manifest = joiningEtcdManifest(masterManifest, {
    nodeName: node.nodeName,
    address: node.address,
    masterAddress: master.address,
    initialCluster: initialClusterFor(facts, index),
    etcdVersion: facts.etcdVersion,
  });
  const commandProbe = (argv: string[], stdoutIncludes: string) => ({ type: 'command' as const, host: master.host, argv, stdoutIncludes });

  const actions: Action[] = [
    ...certActions(facts, step, node, ['etcd-server', 'etcd-peer', 'etcd-healthcheck-client', 'apiserver-etcd-client']),
    {
      id: `${step}/${node.host}/data-dir-empty`,
      step,
      type: 'run',
      host: node.host,
      // Checks now that the new member starts from nothing; on rollback, clears what it wrote so a retry can join again.
      argv: ['sh', '-c', '! [ -e "$1/member" ]', 'ha-wizard-etcd', dataDir],
      undo: ['rm', '-rf', '--one-file-system', `${dataDir}/member`],
      // The kubelet makes the data directory for the manifest written below; rollback takes it away again when it made it.
      createsDirs: [dataDir],
      description: `${dataDir} on ${node.host} holds no etcd data yet (rollback removes the data the new member wrote)`,
      risk: 'reversible',
    },
    {
      id: `${step}/${master.host}/no-other-learner`,
      step,
      type: 'run',
      host: master.host,
      argv: noOtherLearnerCheck(peerURL, ep),
      description: 'check that etcd has no other learner (etcd allows one; a leftover must be removed first)',
      risk: 'read-only',
    },
    {
      id: `${step}/${master.host}/member-add`,
      step,
      type: 'run',
      host: master.host,
      argv: etcdctl(['member', 'add', node.nodeName, `--peer-urls=${peerURL}`, '--learner'], ep),
      undo: memberRemoveByNameOrPeer(node.nodeName, peerURL, ep),
      probe: commandProbe(memberStateProbe(peerURL, 'present', ep), 'member-present'),
      // Right after the previous member's promotion etcd refuses reconfiguration for ~5 s (strict reconfig
      // check: every voter must have been connected for its health interval); the learner of a previous
      // attempt may also still be leaving.
      retry: {
        timeoutMs: ETCD_JOIN_TIMEOUT_MS,
        intervalMs: 1_000,
        onlyIfStderrIncludes: ['unhealthy cluster', 'too many learner members', 'context deadline exceeded'],
        why: 'etcd takes no new member right after a membership change, until every voter has been connected a few seconds',
      },
      description:
        facts.promoteStates?.[node.host] === 'learner'
          ? `announce ${node.nodeName} (${peerURL}) to etcd as a learner: etcd already has this learner from an earlier attempt (never started), so it is reused`
          : `announce ${node.nodeName} (${peerURL}) to etcd as a learner (not counted in quorum until promoted)`,
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
      probe: commandProbe(memberStateProbe(peerURL, 'started', ep), 'member-started'),
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
      argv: memberPromoteByPeer(peerURL, ep),
      // Undone before the manifest goes (undo runs newest first): the member leaves while it still runs, so a
      // 2-member cluster keeps quorum for the removal; stopping it first would leave 1 of 2 and the remove would hang.
      undo: memberRemoveByNameOrPeer(node.nodeName, peerURL, ep),
      probe: commandProbe(memberStateProbe(peerURL, 'voting', ep), 'member-voting'),
      retry: {
        timeoutMs: ETCD_JOIN_TIMEOUT_MS,
        intervalMs: 3_000,
        onlyIfStderrIncludes: ['in sync with leader', 'not in sync', 'unhealthy cluster', 'context deadline exceeded'],
        why: `the learner ${node.nodeName} has not caught up with the leader yet`,
      },
      description: `promote ${node.nodeName} to a voting member (quorum grows; from here rollback is member remove while quorum holds, or the snapshot)`,
      risk: 'point-of-no-easy-return',
    },
    {
      id: `${step}/${master.host}/cluster-healthy`,
      step,
      type: 'wait',
      probe: { type: 'command', host: master.host, argv: clusterHealthArgv(ep) },
      timeoutMs: ETCD_JOIN_TIMEOUT_MS,
      intervalMs: 2_000,
      description: 'wait until every etcd member reports healthy (endpoint health --cluster)',
      risk: 'read-only',
    },
  ];
  return makeStep(
    step,
    `etcd member on ${node.host}`,
    `Add ${node.nodeName} to etcd as a learner, start it, promote it once it has caught up. One member at a time: never two learners, never a member that could cost quorum before it runs.`,
    actions,
  );
}

export const etcdMemberStep: StepDefinition = {
  name: 'promote/etcd',
  summary: 'the node joins etcd as a learner and is promoted to a voting member once in sync',
  needs: [
    { step: 'promote/shared-pki', why: 'its certificates are issued by the etcd CA that phase copies to the node' },
    { step: 'etcd-peer-url', why: 'a new member cannot reach a master that advertises its peer URL on localhost' },
    { step: 'backup', why: 'the etcd snapshot is the last resort past the point of no easy return (promoting a voting member)' },
  ],
  build: (facts) => nodesToPromote(facts).map((node, i) => memberOn(facts, node, i)),
};
