/**
 * backup: before anything changes, an etcd snapshot on the master and a tarball of /etc/kubernetes on
 * every node the plan touches (kept on that node, 0700: it holds private keys and never leaves the host).
 * The ConfigMaps' before-state is recorded by the engine's patch actions. Rollback keeps these files: they
 * are the last resort if rollback itself cannot restore the cluster.
 */
import type { Action, RunAction } from '../src/engine/model/actions.js';
import type { Step } from '../src/engine/model/step.js';
import type { ClusterFacts } from '../src/discovery/facts.js';
import { masterNode } from '../src/discovery/nodes.js';
import { etcdctl } from '../src/etcd/etcdctl.js';
import { etcdEndpoint } from './kit/etcd.js';
import { makeStep, type StepContext, type StepDefinition } from './kit/step.js';

// Under /var/lib, which holds a node's own state (in the lab every node has its own /var/lib, while /var/backups is the
// machine's, so one node's tarball would pass for every node's).
export const BACKUP_ROOT = '/var/lib/ha-wizard/backups';

export function snapshotPath(session: string): string {
  return `/var/lib/etcd/ha-wizard-${session}.snapshot.db`;
}

export function backupDir(session: string): string {
  return `${BACKUP_ROOT}/${session}`;
}

/** Every host the conversion writes to: master, promoted nodes, workers (their kubelet.conf is repointed), a dedicated proxy host. */
export function touchedHosts(facts: ClusterFacts): string[] {
  const c = facts.config;
  const hosts = [c.controlPlane.existing.name, ...c.controlPlane.promote.map((n) => n.name), ...(c.workers ?? []).map((n) => n.name)];
  return [...new Set(hosts)];
}

function build(facts: ClusterFacts, ctx: StepContext): Step[] {
  const step = 'backup';
  const master = masterNode(facts);
  const snapshot = snapshotPath(ctx.session);
  const actions: Action[] = [
    {
      id: `${step}/${master.host}/etcd-snapshot`,
      step,
      type: 'run',
      host: master.host,
      description: `etcd snapshot to ${snapshot} on ${master.host} (kept after rollback: the last-resort restore point)`,
      risk: 'read-only',
      argv: etcdctl(['snapshot', 'save', snapshot], etcdEndpoint(facts)),
      probe: { type: 'file', host: master.host, path: snapshot },
      timeoutMs: 300_000,
    },
  ];
  for (const host of touchedHosts(facts)) {
    const dir = backupDir(ctx.session);
    const tarball: RunAction = {
      id: `${step}/${host}/etc-kubernetes`,
      step,
      type: 'run',
      host,
      description: `tarball of /etc/kubernetes into ${dir}/ on ${host} (0700, stays on the host, kept after rollback)`,
      risk: 'read-only',
      // umask before mkdir and tar: the archive holds private keys from the first byte written.
      argv: ['sh', '-c', 'umask 077 && mkdir -p "$1" && chmod 0700 "$1" && tar -czf "$1/etc-kubernetes.tar.gz" -C / etc/kubernetes', 'ha-wizard-backup', dir],
      probe: { type: 'file', host, path: `${dir}/etc-kubernetes.tar.gz` },
      timeoutMs: 120_000,
    };
    actions.push(tarball);
  }
  return [
    makeStep(
      step,
      'Back up etcd and /etc/kubernetes',
      `An etcd snapshot on ${master.host} and a tarball of /etc/kubernetes on each of ${touchedHosts(facts).length} nodes, before anything changes. Rollback never deletes them.`,
      actions,
    ),
  ];
}

export const backupStep: StepDefinition = {
  name: 'backup',
  summary: 'an etcd snapshot on the master and a tarball of /etc/kubernetes on every node it touches',
  build,
};
