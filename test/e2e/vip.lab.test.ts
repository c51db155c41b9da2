/**
 * Issue #16, placement `vip`, end to end on the lab: `ha-wizard apply --failover-drill` converts a single master
 * into 3 control-plane nodes whose endpoint is a virtual IP, the drill cuts the network of the node that holds it
 * and measures from a worker through the address, and a full rollback leaves every node's files byte for byte as
 * they were and the address on no node.
 *
 *   K  keepalived (VRRP, health check on the local apiserver) + HAProxy on 8443 on every control-plane node,
 *      endpoint 10.200.k.10:8443
 *   (kube-vip with a DNS-name endpoint: vip-dns.lab.test.ts, a file of its own so each stays well under the
 *   runner's 15 min per file on a loaded machine)
 *
 * Failover figures over several drills: test/bench/vip-failover.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostPath, labDown, nodeExec } from '../../lab/lab.js';
import { controlPlanes, kubectlEnv, ok } from './judges.js';
import { convert, judgeVip, type Converted, type VipTestContext } from './vip-lab.js';

const fileStart = Date.now();
const made: string[] = [];
const kubeCache = mkdtempSync(join(tmpdir(), 'hawe2e-kcache-'));
const ctx: VipTestContext = { tag: `vp${process.pid % 100000}`, made, env: kubectlEnv(kubeCache) };

after(async () => {
  for (const dir of made) {
    await labDown(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  rmSync(kubeCache, { recursive: true, force: true });
  process.stdout.write(`# vip.lab.test: file wall time ${((Date.now() - fileStart) / 1000).toFixed(1)} s\n`);
});

describe('K: keepalived + HAProxy on 8443, 1 -> 3, failover drill, rollback', () => {
  let c: Converted;
  before(async () => {
    c = await convert(ctx, 'k', 'keepalived', {});
  });
  judgeVip(ctx, () => c, 'keepalived', () => {
    test('HAProxy on every control-plane node passes 8443 through to the apiservers; keepalived tracks the local apiserver', async () => {
      const { s, vip } = c;
      for (const n of controlPlanes(s)) {
        const conf = readFileSync(hostPath(n, '/etc/keepalived/keepalived.conf'), 'utf8');
        assert.match(conf, new RegExp(`^\\s*${vip.replace(/\./g, '\\.')}/32 dev eth0$`, 'm'), conf);
        assert.match(conf, /track_script/);
        // Through the node's own HAProxy (127.0.0.1:8443), TLS verified for the virtual IP: passthrough to an apiserver.
        ok(await nodeExec(s, n, ['curl', '-sf', '-o', '/dev/null', '--max-time', '5', '--cacert', '/etc/kubernetes/pki/ca.crt', '--connect-to', `${vip}:8443:127.0.0.1:8443`, `https://${vip}:8443/readyz`], { timeoutMs: 15_000 }), `HAProxy on ${n.name}`);
        assert.match(readFileSync(hostPath(n, '/etc/haproxy/ha-wizard-apiserver.cfg'), 'utf8'), /mode tcp/);
      }
    });
  });
});
