/**
 * Issue #16, placement `vip` with kube-vip and a DNS-name endpoint, end to end on the lab (the keepalived case:
 * vip.lab.test.ts): kube-vip (static pod, ARP, leader election) on the apiservers' own 6443, the endpoint
 * k8s-api.ha-wizard.lab in every node's /etc/hosts. First a name missing on one node is a preflight failure naming
 * it; then `apply --failover-drill` converts 1 -> 3, certificates carry the name, kubeconfigs, kubeadm-config and
 * cluster-info name it, the drill measures through the address, and a full rollback restores every file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostPath, labDown } from '../../lab/lab.js';
import { DNS_ENDPOINT } from '../../lab/layout.js';
import { kubectlEnv, node } from './judges.js';
import { convert, judgeVip, wizard, type Converted, type VipTestContext } from './vip-lab.js';

const fileStart = Date.now();
const made: string[] = [];
const kubeCache = mkdtempSync(join(tmpdir(), 'hawe2e-kcache-'));
const ctx: VipTestContext = { tag: `vd${process.pid % 100000}`, made, env: kubectlEnv(kubeCache) };

after(async () => {
  for (const dir of made) {
    await labDown(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  rmSync(kubeCache, { recursive: true, force: true });
  process.stdout.write(`# vip-dns.lab.test: file wall time ${((Date.now() - fileStart) / 1000).toFixed(1)} s\n`);
});

describe('V: kube-vip on 6443 with a DNS-name endpoint, 1 -> 3, failover drill, rollback', () => {
  let c: Converted;
  before(async () => {
    c = await convert(ctx, 'v', 'kube-vip', {
      dnsEndpoint: true,
      // The name taken out of w1's /etc/hosts: preflight must refuse, naming w1; then put back.
      beforeApply: async (x) => {
        const hosts = hostPath(node(x.s, 'w1'), '/etc/hosts');
        const text = readFileSync(hosts, 'utf8');
        writeFileSync(hosts, text.split('\n').filter((l) => !l.includes(DNS_ENDPOINT)).join('\n'));
        try {
          return await wizard(x, ['plan', '-c', join(x.s.dir, 'cluster.yaml')], 300_000);
        } finally {
          writeFileSync(hosts, text);
        }
      },
    });
  });

  test('a DNS-name endpoint that does not resolve on one node is a preflight failure naming that node', () => {
    const p = c.preflight!;
    assert.notEqual(p.code, 0, `plan passed:\n${p.stdout.slice(-3000)}`);
    const out = `${p.stdout}\n${p.stderr}`;
    assert.match(out, new RegExp(`w1: the endpoint ${DNS_ENDPOINT.replace(/\./g, '\\.')} does not resolve there`), out.slice(-4000));
    assert.doesNotMatch(out, /cp[123]: the endpoint \S+ does not resolve there/, out.slice(-4000));
  });

  judgeVip(ctx, () => c, 'kube-vip');
});
