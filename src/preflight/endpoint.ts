/**
 * Preflight of the endpoint on the network (discovery/endpoint.ts gathers the data). Pure; every failure names the
 * node and what to do, and none can be ignored: each would leave clients without the API after the repoint.
 *
 *   EndpointDNS    a DNS-name endpoint resolves on every node (to the virtual IP for placement vip; a dedicated
 *                  proxy's address other than the proxy host's is a warning, as for an IP endpoint)
 *   VirtualIP      the virtual IP is on the control-plane nodes' own network and nothing answers on it (ARP/NDP,
 *                  TCP), unless a control-plane node of this cluster holds it (an earlier run)
 *   VipInterface   each control-plane node has the interface the address goes on
 *   Keepalived     keepalived and curl installed on every control-plane node, no keepalived.conf of someone else's
 *   ApiserverBind  with the apiserver itself behind the virtual IP, it listens on every address (no --bind-address)
 *   EndpointPort   with a proxy on every control-plane node, its port is free there
 */
import type { EndpointDiscovery } from '../discovery/endpoint.js';
import type { CheckResult } from './result.js';

export interface EndpointData extends EndpointDiscovery {
  host: string;
  port: number;
  placement: 'dedicated' | 'per-node' | 'vip';
  /** The dedicated proxy host's address. */
  proxyAddress?: string;
  apiserverPort: number;
  /** The master apiserver's --bind-address, null when unset (every address). */
  apiserverBindAddress: string | null;
}

export const ENDPOINT_CHECK_NAMES = ['EndpointDNS', 'VirtualIP', 'VipInterface', 'Keepalived', 'ApiserverBind', 'EndpointPort'] as const;

const fail = (name: string, message: string, fix: string, host?: string): CheckResult => ({ name, status: 'fail', message, fix, ignorable: false, ...(host ? { host } : {}) });
const warn = (name: string, message: string, fix: string, host?: string): CheckResult => ({ name, status: 'warn', message, fix, ignorable: false, ...(host ? { host } : {}) });
const pass = (name: string, message: string, host?: string): CheckResult => ({ name, status: 'pass', message, fix: '', ignorable: false, ...(host ? { host } : {}) });

function dnsChecks(d: EndpointData): CheckResult[] {
  if (d.name === null) return [];
  const vip = d.vip?.address ?? null;
  const out: CheckResult[] = [];
  for (const r of d.resolved) {
    if (r.addresses.length === 0) {
      out.push(
        fail(
          'EndpointDNS',
          `${r.host}: the endpoint ${d.name} does not resolve there (getent ahosts ${d.name} finds nothing): its kubelet and kube-proxy would lose the API once they are moved to the endpoint`,
          `make ${d.name} resolve on ${r.host} (its DNS server, or a line "${vip ?? d.proxyAddress ?? 'ADDRESS'} ${d.name}" in its /etc/hosts), then run ha-wizard again`,
          r.host,
        ),
      );
    } else if (vip !== null && !r.addresses.includes(vip)) {
      out.push(
        fail(
          'EndpointDNS',
          `${r.host}: the endpoint ${d.name} resolves to ${r.addresses.join(', ')}, not to the virtual IP ${vip}`,
          `point ${d.name} at ${vip} in the DNS ${r.host} uses (or its /etc/hosts), or set proxy.vip.address to what ${d.name} resolves to`,
          r.host,
        ),
      );
    } else if (d.placement === 'dedicated' && d.proxyAddress && !r.addresses.includes(d.proxyAddress)) {
      out.push(
        warn(
          'EndpointDNS',
          `${r.host}: the endpoint ${d.name} resolves to ${r.addresses.join(', ')}, not to the proxy host's address ${d.proxyAddress}`,
          `fine if that address reaches the proxy (a virtual IP, NAT); otherwise point ${d.name} at ${d.proxyAddress}`,
          r.host,
        ),
      );
    } else out.push(pass('EndpointDNS', `${r.host}: ${d.name} resolves to ${r.addresses.join(', ')}`, r.host));
  }
  return out;
}

function vipChecks(d: EndpointData): CheckResult[] {
  const v = d.vip;
  if (!v) return [];
  const out: CheckResult[] = [];
  const r = v.reach;
  const master = v.nodes[0]?.host ?? 'the master';
  if (v.holders.length > 1) {
    out.push(fail('VirtualIP', `the virtual IP ${v.address} is on ${v.holders.join(' and ')} at once`, `remove it from all but one (ip addr del ${v.address}/${v.address.includes(':') ? 128 : 32} dev IFACE), or stop what put it there, then run ha-wizard again`));
  } else if (v.holders.length === 1) {
    out.push(pass('VirtualIP', `the virtual IP ${v.address} is held by ${v.holders[0]} (a control-plane node of this cluster: an earlier run)`));
  } else if (r && !r.onLink) {
    out.push(
      fail(
        'VirtualIP',
        `the virtual IP ${v.address} is not on a network ${master} is directly connected to (ip route get: ${r.route || 'no answer'}): ${v.provider === 'keepalived' ? 'VRRP' : 'kube-vip'} moves an address within one network only (ARP/NDP)`,
        `choose a free address in the subnet of the control-plane nodes' own addresses`,
      ),
    );
  } else if (r && (r.answeredBy || r.tcpOpen)) {
    out.push(
      fail(
        'VirtualIP',
        `the virtual IP ${v.address} is in use: ${r.answeredBy ? `a machine with link-layer address ${r.answeredBy} answered for it (ARP/NDP)` : `something accepted a TCP connection on port ${d.port}`}, and no control-plane node of this cluster holds it`,
        `choose another free address, or free ${v.address} first (ip neigh show ${v.address} names the machine's link-layer address)`,
      ),
    );
  } else if (r) {
    out.push(pass('VirtualIP', `the virtual IP ${v.address} is free: nothing answered for it on ${master}'s network`));
  }
  for (const n of v.nodes) {
    if (n.interface === null) out.push(fail('VipInterface', `${n.host}: no interface holds its address ${n.address}, so there is nowhere to put the virtual IP`, `check controlPlane's address for ${n.host}, or set proxy.vip.interface`, n.host));
    else if (n.configuredInterfacePresent === false) out.push(fail('VipInterface', `${n.host}: there is no interface ${n.interface} (proxy.vip.interface)`, `set proxy.vip.interface to the interface of ${n.host}'s address (ip -o addr show), or remove it to use that one on each node`, n.host));
    else out.push(pass('VipInterface', `${n.host}: the virtual IP goes on ${n.interface}`, n.host));
    if (v.provider === 'keepalived') {
      if (!n.keepalived) out.push(fail('Keepalived', `${n.host}: keepalived is not installed`, `install Debian's keepalived package on ${n.host} (apt-get install keepalived); ha-wizard writes its configuration and starts it`, n.host));
      else if (n.keepalivedConf === 'foreign')
        out.push(
          fail(
            'Keepalived',
            `${n.host}: /etc/keepalived/keepalived.conf exists and ha-wizard did not write it: keepalived may hold other addresses with it, which ha-wizard's configuration would drop`,
            `if it is unused, move it aside on ${n.host} (mv /etc/keepalived/keepalived.conf /root/keepalived.conf.orig); otherwise use provider: kube-vip`,
            n.host,
          ),
        );
      else if (!n.curl) out.push(fail('Keepalived', `${n.host}: curl is not installed; keepalived's health check asks the apiserver's /readyz with it`, `install curl on ${n.host} (apt-get install curl)`, n.host));
      else out.push(pass('Keepalived', `${n.host}: keepalived and curl installed${n.keepalivedConf === 'ours' ? ' (keepalived.conf from an earlier run)' : ''}`, n.host));
    }
  }
  return out;
}

/** The endpoint's checks; empty when discovery gathered nothing for it. */
export function endpointChecks(d: EndpointData, listening: ReadonlyMap<string, readonly number[]>): CheckResult[] {
  const out = [...dnsChecks(d), ...vipChecks(d)];
  if (d.placement === 'vip' && d.vip) {
    const direct = d.port === d.apiserverPort;
    if (direct) {
      const bind = d.apiserverBindAddress;
      out.push(
        bind && bind !== '0.0.0.0' && bind !== '::'
          ? fail(
              'ApiserverBind',
              `the master's apiserver listens only on ${bind} (--bind-address), so the virtual IP's port ${d.port} would reach nothing on the node that holds it`,
              `use another endpoint port, such as 8443 (a proxy on every control-plane node listens there), or remove --bind-address from kube-apiserver`,
            )
          : pass('ApiserverBind', `the apiservers listen on every address: the virtual IP's port ${d.port} reaches the apiserver of the node that holds it`),
      );
    } else {
      for (const n of d.vip.nodes) {
        const busy = (listening.get(n.host) ?? []).includes(d.port);
        out.push(
          busy && !n.proxyManifest
            ? fail('EndpointPort', `${n.host}: port ${d.port} is in use; the proxy in front of the apiservers listens there on every control-plane node`, `stop what listens on ${d.port} (ss -ltnp 'sport = :${d.port}'), or choose another endpoint port`, n.host)
            : pass('EndpointPort', `${n.host}: port ${d.port} is free for the proxy${busy ? ' (its own, from an earlier run)' : ''}`, n.host),
        );
      }
    }
  }
  return out;
}
