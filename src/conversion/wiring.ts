/**
 * The dependency wiring, in one place: the SSH host pool from a cluster config and the engine's deps
 * (transport, PKI materializer, Kubernetes API, HTTPS prober) built on it. `plan`/`apply`, `resume`/`rollback`
 * (from the config a session saved) and the interactive wizard all get their deps here; only the connection
 * policy (who answers host-key and sudo-password questions) differs between them.
 */
import { readFileSync } from 'node:fs';
import { parseConfigText } from '../config/load.js';
import type { ClusterConfig, NodeConfig } from '../config/schema.js';
import type { EngineDeps } from '../engine/model/ports.js';
import type { Session } from '../engine/records/session.js';
import { TunnelKubeApiFactory } from '../kube/client.js';
import { HttpsProber } from '../kube/prober.js';
import { PkiMaterializer } from '../pki/materializer.js';
import type { HostKeyPolicy } from '../ssh/handshake.js';
import { HostPool, type PoolNode } from '../ssh/pool.js';
import type { ExecAuditRecord } from '../ssh/remote-host.js';

/** How to treat what only the operator can decide while connecting. */
export interface ConnectPolicy extends HostKeyPolicy {
  /** Asked at most once per run when sudo needs a password (never stored). */
  askPassword?: (context: { host: string; user: string }) => Promise<string>;
  /** Every remote command, redacted, for the session's audit log. */
  onExec?: (record: ExecAuditRecord) => void;
}

/** Every node the config names, each once: the master, the nodes to promote, the proxy host, the workers. */
export function configNodes(config: ClusterConfig): NodeConfig[] {
  return [config.controlPlane.existing, ...config.controlPlane.promote, ...(config.proxy.host ? [config.proxy.host] : []), ...(config.workers ?? [])];
}

/** One SSH connection per node, opened on first use, with the config's settings over ~/.ssh/config. */
export function createHostPool(config: ClusterConfig, policy: ConnectPolicy = {}): HostPool {
  const nodes: PoolNode[] = configNodes(config).map((n) => ({
    name: n.name,
    address: n.ssh?.host ?? n.address,
    ...(n.ssh?.port !== undefined || n.ssh?.user !== undefined ? { ssh: { ...(n.ssh.port !== undefined ? { port: n.ssh.port } : {}), ...(n.ssh.user !== undefined ? { user: n.ssh.user } : {}) } } : {}),
  }));
  const { ssh } = config;
  const askPassword = ssh.sudo === 'auto' || ssh.sudo === 'password' ? policy.askPassword : undefined;
  return new HostPool(nodes, {
    ssh: {
      user: ssh.user,
      port: ssh.port,
      identityFiles: ssh.identityFiles,
      knownHostsFiles: [ssh.knownHosts],
      ...(ssh.proxyJump ? { proxyJump: ssh.proxyJump } : {}),
    },
    sshConfig: { configPath: ssh.configFile === false ? null : ssh.configFile },
    acceptNewHostKeys: ssh.acceptNewHostKeys || policy.acceptNewHostKeys === true,
    connectTimeoutMs: ssh.connectTimeoutSeconds * 1000,
    ...(policy.onUnknownHost ? { onUnknownHost: policy.onUnknownHost } : {}),
    ...(askPassword ? { askPassword } : {}),
    ...(policy.onExec ? { onExec: policy.onExec } : {}),
  });
}

/** Everything the engine needs to execute a plan against this cluster. */
export function createEngineDeps(config: ClusterConfig, policy: ConnectPolicy = {}): EngineDeps & { hosts: HostPool } {
  return { hosts: createHostPool(config, policy), materializer: new PkiMaterializer(), kube: new TunnelKubeApiFactory(), prober: new HttpsProber() };
}

/** A session that cannot reach its hosts (it saved no config: made by a test or an older version). */
export class RuntimeUnavailableError extends Error {
  override readonly name = 'RuntimeUnavailableError';
}

/** The cluster config a session saved when it was created (`config.yaml`): how `resume` and `rollback` reach its hosts. */
export function sessionConfig(session: Session): { path: string; text: string; config: ClusterConfig } {
  if (!session.configPath) {
    throw new RuntimeUnavailableError(`session ${session.id} has no saved config.yaml, so its hosts cannot be reached; it was made by a test or an older version`);
  }
  const text = readFileSync(session.configPath, 'utf8');
  return { path: session.configPath, text, config: parseConfigText(text, session.configPath).config };
}
