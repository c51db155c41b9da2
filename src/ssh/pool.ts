/**
 * The fleet: one RemoteHost per node, connected on first use and reused; bastions shared by every host
 * behind them; one sudo password prompt for the whole run; bounded parallelism across hosts.
 */
import type { Hosts } from '../engine/model/ports.js';
import { type SshConnection } from './connection.js';
import { IdentityCache } from './auth.js';
import { connectSsh, type HostKeyPolicy } from './handshake.js';
import { SshRemoteHost, type ExecAuditRecord } from './remote-host.js';
import { SshConfigResolver, type ResolveOptions, type SshOverrides, type SshTarget } from './ssh-config.js';
import type { RemoteHost } from '../engine/model/remote-host.js';

export interface PoolNode {
  /** The node name used in every message and in the plan. */
  name: string;
  /** Looked up in ~/.ssh/config like `ssh <address>`; HostName there may redirect it. */
  address: string;
  /** This node's own settings (port, user, ...); they override the pool's `ssh`. */
  ssh?: SshOverrides;
}

export interface HostPoolOptions extends HostKeyPolicy {
  /** The cluster config's ssh settings; they override ~/.ssh/config. */
  ssh?: SshOverrides;
  sshConfig?: ResolveOptions;
  /** Asked at most once per run, only if some host's sudo needs a password. */
  askPassword?: (context: { host: string; user: string }) => Promise<string>;
  onExec?: (record: ExecAuditRecord) => void;
  connectTimeoutMs?: number;
  /** Backstop for one SFTP request or channel open that gets no answer (see ConnectOptions). */
  operationTimeoutMs?: number;
  agentSocket?: string | null;
}

function targetKey(t: SshTarget): string {
  return `${t.user}@${t.hostName}:${t.port}${t.jump ? `>${targetKey(t.jump)}` : ''}`;
}

export class HostPool implements Hosts {
  private readonly nodes = new Map<string, PoolNode>();
  private readonly hosts = new Map<string, Promise<SshRemoteHost>>();
  private readonly bastions = new Map<string, Promise<SshConnection>>();
  private password: Promise<string> | null = null;
  /** ~/.ssh/config read once per pool, like one `ssh` run reads it once. */
  private readonly config: SshConfigResolver;
  /** Identity files parsed once and shared by every connection of the pool. */
  private readonly identities = new IdentityCache();

  constructor(nodes: readonly PoolNode[], private readonly opts: HostPoolOptions = {}) {
    for (const n of nodes) {
      if (this.nodes.has(n.name)) throw new Error(`duplicate node name ${n.name}`);
      this.nodes.set(n.name, n);
    }
    this.config = new SshConfigResolver(opts.sshConfig ?? {});
  }

  /** The host for a node name, connected (and its sudo probed) on first use. */
  get(name: string): Promise<RemoteHost> {
    let h = this.hosts.get(name);
    if (!h) {
      h = this.open(name);
      this.hosts.set(name, h);
      // A failed connection is not cached: the next get() tries again.
      h.catch(() => this.hosts.get(name) === h && this.hosts.delete(name));
    }
    return h;
  }

  private async open(name: string): Promise<SshRemoteHost> {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`unknown node ${name} (known: ${[...this.nodes.keys()].join(', ')})`);
    const target = await this.config.resolve(node.address, { ...this.opts.ssh, ...node.ssh });
    const host = new SshRemoteHost(node.name, target, {
      ...this.hostKeyPolicy(),
      identities: this.identities,
      ...(this.opts.connectTimeoutMs ? { connectTimeoutMs: this.opts.connectTimeoutMs } : {}),
      ...(this.opts.operationTimeoutMs ? { operationTimeoutMs: this.opts.operationTimeoutMs } : {}),
      ...(this.opts.agentSocket !== undefined ? { agentSocket: this.opts.agentSocket } : {}),
      ...(this.opts.onExec ? { onExec: this.opts.onExec } : {}),
      ...(this.opts.askPassword ? { sudoPassword: () => this.sudoPassword(node.name, target.user) } : {}),
      jumpVia: (jump) => this.bastion(jump),
    });
    try {
      await host.connect();
    } catch (err) {
      // The SSH connection may be up while the privilege check failed: close it, or it keeps the process alive.
      await host.close().catch(() => undefined);
      throw err;
    }
    return host;
  }

  private prompts: Promise<unknown> = Promise.resolve();

  private hostKeyPolicy(): HostKeyPolicy {
    const ask = this.opts.onUnknownHost;
    return {
      ...(this.opts.acceptNewHostKeys ? { acceptNewHostKeys: true } : {}),
      // Hosts connect in parallel (discovery reads many at once): their host-key questions are asked one at a time.
      ...(ask ? { onUnknownHost: (host, fingerprint, detail) => this.oneAtATime(() => ask(host, fingerprint, detail)) } : {}),
    };
  }

  private oneAtATime<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.prompts.then(fn, fn);
    this.prompts = next.catch(() => undefined);
    return next;
  }

  private sudoPassword(host: string, user: string): Promise<string> {
    const ask = this.opts.askPassword;
    if (!ask) return Promise.reject(new Error('no password prompt'));
    if (!this.password) {
      const p = ask({ host, user });
      this.password = p;
      p.catch(() => this.password === p && (this.password = null));
    }
    return this.password;
  }

  /** One connection per bastion, shared by every host behind it; reopened if it dropped. */
  private bastion(jump: SshTarget): Promise<SshConnection> {
    const key = targetKey(jump);
    const cached = this.bastions.get(key);
    if (cached) return cached.then((c) => (c.isOpen ? c : (this.bastions.delete(key), this.bastion(jump))));
    const p = connectSsh({ ...this.hostKeyPolicy(), identities: this.identities, name: jump.alias, target: jump, jumpVia: (j) => this.bastion(j), ...(this.opts.agentSocket !== undefined ? { agentSocket: this.opts.agentSocket } : {}) });
    this.bastions.set(key, p);
    p.catch(() => this.bastions.get(key) === p && this.bastions.delete(key));
    return p;
  }

  async closeAll(): Promise<void> {
    const hosts = [...this.hosts.values()];
    const bastions = [...this.bastions.values()];
    this.hosts.clear();
    this.bastions.clear();
    await Promise.all(hosts.map((h) => h.then((x) => x.close(), () => undefined)));
    await Promise.all(bastions.map((b) => b.then((x) => x.close(), () => undefined)));
    this.identities.clear();
  }
}

export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Runs fn over items with at most `limit` in flight; results in input order. Never rejects: each item
 * settles on its own, so one unreachable host does not hide the others' outcomes.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<Settled<R>[]> {
  if (!(limit >= 1)) throw new Error(`mapLimit: limit must be at least 1, got ${limit}`);
  const results: Settled<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { ok: true, value: await fn(items[i]!, i) };
      } catch (error) {
        results[i] = { ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
