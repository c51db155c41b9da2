/**
 * What kube-controller-manager and kube-scheduler stand-ins share: connecting with the manifest's
 * --kubeconfig (server verified against its CA: a wrong kubeconfig or a missing SAN makes the process
 * exit after 10 s, and the node agent's restarts show it as CrashLoopBackOff), a /healthz on their
 * secure port, and leader election on a Lease in kube-system (client-go's semantics: 15 s lease,
 * renewed every 2 s, taken over only after the holder's record stayed unchanged for the lease duration).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:https';
import { hostname } from 'node:os';
import { ApiError, KubeClient, loadKubeconfig, microTime } from './kubeclient.js';
import { Flags, log } from './flags.js';

export const LEASE_DURATION_S = 15;
const RETRY_PERIOD_MS = 2000;
const RENEW_DEADLINE_MS = 10_000;

export interface ComponentSpec {
  name: 'kube-controller-manager' | 'kube-scheduler';
  port: number;
  /** Runs on the leader every loop period. */
  lead?: (kc: KubeClient) => Promise<void>;
  loopMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runComponent(spec: ComponentSpec): Promise<void> {
  const flags = new Flags(process.argv.slice(2));
  const kubeconfig = flags.require('kubeconfig');
  const creds = loadKubeconfig(kubeconfig);
  const kc = new KubeClient(creds, `${spec.name}/lab`);
  const identity = `${hostname()}_${randomUUID()}`;
  let lastContact = 0;

  const server = createServer({ cert: creds.cert, key: creds.key }, (req, res) => {
    const ok = Date.now() - lastContact < 20_000;
    res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain' });
    res.end(ok ? 'ok' : '[-]leaderElection failed: reason withheld\nhealthz check failed\n');
  });
  server.on('error', (e) => log('healthz server:', e.message));
  server.listen(Number(flags.get('secure-port') ?? spec.port), flags.get('bind-address') ?? '127.0.0.1');

  // Like WaitForAPIServer: give up (and exit, so the kubelet restarts us) when /healthz never answers.
  const startDeadline = Date.now() + 10_000;
  for (;;) {
    try {
      const r = await kc.raw('GET', '/healthz', undefined, undefined, 2000);
      if (r.status === 200) break;
      log(`apiserver ${creds.server} /healthz: ${r.status} ${r.body.slice(0, 200)}`);
    } catch (e) {
      log(`apiserver ${creds.server} unreachable: ${(e as Error).message}`);
    }
    if (Date.now() > startDeadline) {
      log('failed to wait for apiserver being healthy: timed out waiting for the condition');
      process.exit(1);
    }
    await sleep(1000);
  }
  lastContact = Date.now();
  log(`${spec.name} stand-in connected to ${creds.server} as identity ${identity}`);

  const leasePath = `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${spec.name}`;
  let leading = false;
  let lastRenew = 0;
  let observed = { rv: '', at: 0 };

  const tryAcquireOrRenew = async (): Promise<boolean> => {
    const now = microTime();
    const lease = await kc.find<any>(leasePath);
    if (!lease) {
      await kc.call('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases', {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: spec.name, namespace: 'kube-system' },
        spec: { holderIdentity: identity, leaseDurationSeconds: LEASE_DURATION_S, acquireTime: now, renewTime: now, leaseTransitions: 0 },
      });
      return true;
    }
    const rv = lease.metadata.resourceVersion as string;
    if (rv !== observed.rv) observed = { rv, at: Date.now() };
    const holder = lease.spec?.holderIdentity;
    const duration = (lease.spec?.leaseDurationSeconds ?? LEASE_DURATION_S) * 1000;
    if (holder && holder !== identity && Date.now() - observed.at < duration) return false;
    const next = {
      ...lease,
      spec:
        holder === identity
          ? { ...lease.spec, renewTime: now }
          : { holderIdentity: identity, leaseDurationSeconds: LEASE_DURATION_S, acquireTime: now, renewTime: now, leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1 },
    };
    await kc.call('PUT', leasePath, next);
    return true;
  };

  const electionLoop = async () => {
    for (;;) {
      try {
        const held = await tryAcquireOrRenew();
        lastContact = Date.now();
        if (held) {
          lastRenew = Date.now();
          if (!leading) log(`successfully acquired lease kube-system/${spec.name}`);
          leading = true;
        } else if (leading) {
          log(`leaderelection lost: lease kube-system/${spec.name} taken by another holder`);
          process.exit(1);
        }
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 409)) log(`error retrieving resource lock kube-system/${spec.name}: ${(e as Error).message}`);
        if (leading && Date.now() - lastRenew > RENEW_DEADLINE_MS) {
          log('leaderelection lost: failed to renew lease within the renew deadline');
          process.exit(1);
        }
      }
      await sleep(RETRY_PERIOD_MS);
    }
  };

  const workLoop = async () => {
    for (;;) {
      if (leading && spec.lead) {
        try {
          await spec.lead(kc);
        } catch (e) {
          log('controller error:', (e as Error).message);
        }
      }
      await sleep(spec.loopMs ?? 1000);
    }
  };

  process.on('SIGTERM', () => process.exit(0));
  void electionLoop();
  void workLoop();
}
