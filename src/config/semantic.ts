/**
 * Checks that need the whole file: the same node twice, an endpoint that dies with one node, a proxy on a
 * control-plane node, a control plane too small or even, files that are not there. The schema has already
 * passed, so the config is well-formed here. Pure: the file system is reached through `env.statPath`.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { FieldPath, RawIssue } from './issues.js';
import { pathText } from './issues.js';
import { expandPath } from './paths.js';
import type { ClusterConfig, NodeConfig } from './schema.js';

export type PathKind = 'file' | 'dir' | 'missing';

export interface CheckEnv {
  /** The operator's home directory, for `~`. */
  home: string;
  /** The config file's directory, for relative paths. */
  baseDir: string;
  statPath(path: string): PathKind;
}

type Role = 'existing' | 'promote' | 'worker' | 'proxy';
interface NodeRef {
  path: FieldPath;
  node: NodeConfig;
  role: Role;
}

/** Same machine, however written: case and a trailing dot do not matter for names, IPv6 is compared canonically. */
export function normalizeAddress(address: string): string {
  const a = address.toLowerCase().replace(/\.$/, '');
  if (isIPv6(a)) return new URL(`http://[${a}]/`).hostname;
  return a;
}

function isLoopback(host: string): boolean {
  const h = normalizeAddress(host);
  return h === 'localhost' || h === '[::1]' || (isIPv4(h) && h.startsWith('127.'));
}

function nodesOf(config: ClusterConfig): NodeRef[] {
  const refs: NodeRef[] = [{ path: ['controlPlane', 'existing'], node: config.controlPlane.existing, role: 'existing' }];
  config.controlPlane.promote.forEach((node, i) => refs.push({ path: ['controlPlane', 'promote', i], node, role: 'promote' }));
  config.workers?.forEach((node, i) => refs.push({ path: ['workers', i], node, role: 'worker' }));
  if (config.proxy.host) refs.push({ path: ['proxy', 'host'], node: config.proxy.host, role: 'proxy' });
  return refs;
}

const isControlPlane = (r: NodeRef) => r.role === 'existing' || r.role === 'promote';

function duplicateHint(first: NodeRef, second: NodeRef, what: 'name' | 'address'): string {
  const roles = new Set([first.role, second.role]);
  if (roles.has('existing') && roles.has('promote')) return `${pathText(first.path)} is already a control-plane node: remove it from controlPlane.promote`;
  if (roles.has('worker') && (roles.has('promote') || roles.has('existing')))
    return 'a node is either a control-plane node or a worker: remove it from workers (workers lists the nodes that stay workers)';
  if (roles.has('worker') && roles.has('proxy')) return 'the dedicated proxy must be a machine of its own, not a cluster node';
  return what === 'name' ? 'every node needs its own name: use the names `kubectl get nodes` shows' : 'two entries with the same address are the same machine: list each machine once';
}

function checkDuplicates(refs: readonly NodeRef[]): RawIssue[] {
  const issues: RawIssue[] = [];
  const byName = new Map<string, NodeRef>();
  const byAddress = new Map<string, NodeRef>();
  for (const ref of refs) {
    // A proxy host that is a control-plane node gets its own, more specific error (checkProxy).
    const skip = (other: NodeRef) => (ref.role === 'proxy' && isControlPlane(other)) || (other.role === 'proxy' && isControlPlane(ref));
    const firstByName = byName.get(ref.node.name);
    if (firstByName && !skip(firstByName)) {
      issues.push({
        severity: 'error',
        path: [...ref.path, 'name'],
        message: `node name \`${ref.node.name}\` appears twice`,
        hint: duplicateHint(firstByName, ref, 'name'),
        seeAlso: [...firstByName.path, 'name'],
      });
    } else if (!firstByName) byName.set(ref.node.name, ref);
    const address = normalizeAddress(ref.node.address);
    const firstByAddress = byAddress.get(address);
    // The same entry repeated is already reported once, by name.
    if (firstByAddress && !skip(firstByAddress) && firstByAddress.node.name !== ref.node.name) {
      issues.push({
        severity: 'error',
        path: [...ref.path, 'address'],
        message: `address ${ref.node.address} is also the address of \`${firstByAddress.node.name}\``,
        hint: duplicateHint(firstByAddress, ref, 'address'),
        seeAlso: [...firstByAddress.path, 'address'],
      });
    } else if (!firstByAddress) byAddress.set(address, ref);
  }
  return issues;
}

function checkEndpoint(config: ClusterConfig, refs: readonly NodeRef[]): RawIssue[] {
  const host = normalizeAddress(config.endpoint.host);
  const path = ['endpoint', 'host'];
  const dedicated = config.proxy.placement === 'dedicated';
  const vip = config.proxy.placement === 'vip';
  const instead = dedicated && config.proxy.host
    ? `use the proxy host's address (${config.proxy.host.address}) or a DNS name that points at it`
    : vip
      ? 'use a free address of the control-plane nodes\' network as the virtual IP, or a DNS name that resolves to it'
      : 'use a DNS name (or a virtual IP) that does not belong to a single node';
  for (const ref of refs) {
    if (ref.role === 'proxy') continue;
    const byAddress = normalizeAddress(ref.node.address) === host;
    if (byAddress || normalizeAddress(ref.node.name) === host) {
      return [
        {
          severity: 'error',
          path,
          message: `the endpoint ${config.endpoint.host} is the ${byAddress ? 'address' : 'name'} of node \`${ref.node.name}\`: the API would go down with that node, which is what HA must survive`,
          hint: instead,
          seeAlso: [...ref.path, byAddress ? 'address' : 'name'],
        },
      ];
    }
  }
  if (isLoopback(config.endpoint.host)) {
    return dedicated || vip
      ? [{ severity: 'error', path, message: `the endpoint ${config.endpoint.host} is a loopback address: nodes and clients cannot reach a ${vip ? 'virtual IP' : 'dedicated proxy'} there`, hint: instead }]
      : [
          {
            severity: 'warning',
            path,
            message: `the endpoint ${config.endpoint.host} is a loopback address: admin.conf and cluster-info will then work only on the nodes themselves`,
            hint: 'a DNS name that resolves to the nodes is reachable from your workstation too',
          },
        ];
  }
  const proxyHost = config.proxy.host;
  if (dedicated && proxyHost && (isIPv4(host) || isIPv6(config.endpoint.host)) && host !== normalizeAddress(proxyHost.address)) {
    return [
      {
        severity: 'warning',
        path,
        message: `the endpoint ${config.endpoint.host} is not the proxy host's address (${proxyHost.address})`,
        hint: 'fine if it is a virtual IP or NAT address that reaches the proxy; otherwise write the proxy address here',
      },
    ];
  }
  return [];
}

/** The virtual IP of placement vip: its address, where it comes from, and that no node has it. */
function checkVip(config: ClusterConfig, refs: readonly NodeRef[]): RawIssue[] {
  const { proxy, endpoint } = config;
  if (proxy.placement !== 'vip') {
    if (!proxy.vip) return [];
    return [
      {
        severity: 'error',
        path: ['proxy', 'vip'],
        atKey: true,
        message: `proxy.vip describes a virtual IP, but placement is \`${proxy.placement}\``,
        hint: 'set placement: vip to hold the endpoint on a virtual IP, or remove proxy.vip',
      },
    ];
  }
  const endpointIsIP = isIPv4(endpoint.host) || isIPv6(endpoint.host);
  const written = proxy.vip?.address;
  if (!endpointIsIP && written === undefined) {
    return [
      {
        severity: 'error',
        path: ['proxy', 'vip'],
        atKey: proxy.vip !== undefined,
        message: `the endpoint ${endpoint.host} is a DNS name, so the virtual IP it resolves to must be written`,
        hint: `add address: under proxy.vip, such as vip: { address: 10.0.0.10 } (${endpoint.host} must resolve to it from every node)`,
      },
    ];
  }
  if (endpointIsIP && written !== undefined && normalizeAddress(written) !== normalizeAddress(endpoint.host)) {
    return [
      {
        severity: 'error',
        path: ['proxy', 'vip', 'address'],
        message: `the virtual IP ${written} is not the endpoint ${endpoint.host}: clients would be sent to an address no node holds`,
        hint: `remove proxy.vip.address (the endpoint is the virtual IP), or write endpoint.host: ${written}`,
        seeAlso: ['endpoint', 'host'],
      },
    ];
  }
  if (written === undefined) return [];
  const address = normalizeAddress(written);
  for (const ref of refs) {
    if (normalizeAddress(ref.node.address) === address) {
      return [
        {
          severity: 'error',
          path: ['proxy', 'vip', 'address'],
          message: `the virtual IP ${written} is the address of node \`${ref.node.name}\`: it must be an address no machine has, which one control-plane node at a time takes on`,
          hint: "choose a free address in the control-plane nodes' network",
          seeAlso: [...ref.path, 'address'],
        },
      ];
    }
  }
  if (isLoopback(written)) {
    return [{ severity: 'error', path: ['proxy', 'vip', 'address'], message: `the virtual IP ${written} is a loopback address: no other machine can reach it`, hint: "choose a free address in the control-plane nodes' network" }];
  }
  return [];
}

function checkProxy(config: ClusterConfig, refs: readonly NodeRef[]): RawIssue[] {
  const { proxy } = config;
  if (proxy.placement === 'dedicated' && !proxy.host) {
    return [
      {
        severity: 'error',
        path: ['proxy', 'host'],
        message: 'placement `dedicated` needs the proxy machine: `host` is missing',
        hint: 'add host: { name: lb, address: 10.0.0.5 } under proxy, or use placement: per-node (a local proxy on every node)',
      },
    ];
  }
  if (proxy.placement === 'per-node' && proxy.host) {
    return [
      {
        severity: 'error',
        path: ['proxy', 'host'],
        atKey: true,
        message: 'placement `per-node` runs a proxy on every node, so there is no proxy host',
        hint: 'remove proxy.host, or set placement: dedicated to use that machine',
      },
    ];
  }
  if (proxy.placement === 'vip' && proxy.host) {
    return [
      {
        severity: 'error',
        path: ['proxy', 'host'],
        atKey: true,
        message: 'placement `vip` puts the endpoint on a virtual IP held by the control-plane nodes, so there is no proxy host',
        hint: 'remove proxy.host, or set placement: dedicated to use that machine',
      },
    ];
  }
  const host = proxy.host;
  if (!host) return [];
  for (const ref of refs.filter(isControlPlane)) {
    const sameAddress = normalizeAddress(ref.node.address) === normalizeAddress(host.address);
    if (sameAddress || ref.node.name === host.name) {
      return [
        {
          severity: 'error',
          path: ['proxy', 'host', sameAddress ? 'address' : 'name'],
          message: `the proxy host is control-plane node \`${ref.node.name}\`: its apiserver already uses port 6443, and the endpoint would go down with that node`,
          hint: 'put the dedicated proxy on a machine of its own, or use placement: per-node',
          seeAlso: [...ref.path, sameAddress ? 'address' : 'name'],
        },
      ];
    }
  }
  return [];
}

function checkControlPlaneCount(config: ClusterConfig): RawIssue[] {
  const total = 1 + config.controlPlane.promote.length;
  const names = new Set([config.controlPlane.existing.name, ...config.controlPlane.promote.map((n) => n.name)]);
  // With a node listed twice the count is wrong anyway; the duplicate is reported and fixing it changes the count.
  if (names.size !== total) return [];
  const path = ['controlPlane', 'promote'];
  const shape = `${total} control-plane node${total === 1 ? '' : 's'} in total (1 existing + ${total - 1} to promote)`;
  if (total < 3) {
    return [
      {
        severity: 'error',
        path,
        atKey: true,
        message: `${shape}: high availability needs at least 3, so that etcd keeps quorum when one fails`,
        hint: `list ${3 - total} more node${3 - total === 1 ? '' : 's'} under controlPlane.promote (2 to promote gives 3 in total, 4 gives 5)`,
      },
    ];
  }
  if (total % 2 === 0) {
    return [
      {
        severity: 'warning',
        path,
        atKey: true,
        message: `${shape}: an even count gains nothing, since etcd with ${total} members survives as many failures as with ${total - 1}`,
        hint: `promote ${total - 2} or ${total} nodes instead (1+${total - 2} or 1+${total})`,
      },
    ];
  }
  if (total > 7) {
    return [{ severity: 'warning', path, atKey: true, message: `${shape}: etcd recommends at most 7 members; writes get slower with each one`, hint: 'promote 2 or 4 nodes (3 or 5 in total)' }];
  }
  return [];
}

function checkSudo(config: ClusterConfig): RawIssue[] {
  const { ssh } = config;
  const issues: RawIssue[] = [];
  if (ssh.sudo === 'none' && ssh.user !== 'root') {
    issues.push({
      severity: 'error',
      path: ['ssh', 'sudo'],
      message: `sudo: none means the login user is root, but ssh.user is \`${ssh.user}\``,
      hint: 'use sudo: auto (or nopasswd / password), or log in as root',
    });
  }
  const nodeUsers = nodesOf(config).filter((r) => r.node.ssh?.user !== undefined);
  if (ssh.sudo === 'none') {
    for (const ref of nodeUsers) {
      if (ref.node.ssh?.user !== 'root') {
        issues.push({
          severity: 'error',
          path: [...ref.path, 'ssh', 'user'],
          message: `ssh.sudo is none (log in as root), but this node logs in as \`${ref.node.ssh?.user}\``,
          hint: 'use ssh.sudo: auto, or user: root for this node',
        });
      }
    }
  }
  if (ssh.user === 'root' && nodeUsers.length === 0 && (ssh.sudo === 'nopasswd' || ssh.sudo === 'password')) {
    issues.push({ severity: 'warning', path: ['ssh', 'sudo'], message: `the login user is root, so sudo: ${ssh.sudo} is never used`, hint: 'write sudo: none (or auto)' });
  }
  return issues;
}

function hasKey(input: unknown, path: readonly string[]): boolean {
  let v = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object' || !(k in v)) return false;
    v = (v as Record<string, unknown>)[k];
  }
  return true;
}

function checkFiles(config: ClusterConfig, input: unknown, env: CheckEnv): RawIssue[] {
  const issues: RawIssue[] = [];
  const tilde = (path: FieldPath, written: string): RawIssue => ({
    severity: 'error',
    path,
    message: `\`${written}\`: only \`~\` (your own home) is expanded, not \`~user\``,
    hint: 'write the full path',
  });
  config.ssh.identityFiles.forEach((written, i) => {
    const path = ['ssh', 'identityFiles', i];
    const full = expandPath(written, env.home, env.baseDir);
    if (full === null) return void issues.push(tilde(path, written));
    const kind = env.statPath(full);
    const shown = full === written ? written : `${written} (${full})`;
    if (kind === 'missing')
      issues.push({ severity: 'error', path, message: `identity file not found: ${shown}`, hint: 'fix the path, or remove it and load the key into ssh-agent with `ssh-add`' });
    else if (kind === 'dir') issues.push({ severity: 'error', path, message: `identity file is a directory: ${shown}`, hint: 'name the private key file itself, such as ~/.ssh/id_ed25519' });
  });
  const knownHosts = expandPath(config.ssh.knownHosts, env.home, env.baseDir);
  if (knownHosts === null) issues.push(tilde(['ssh', 'knownHosts'], config.ssh.knownHosts));
  else {
    const kind = env.statPath(knownHosts);
    if (kind === 'dir') issues.push({ severity: 'error', path: ['ssh', 'knownHosts'], message: `known_hosts is a directory: ${knownHosts}`, hint: 'name the file itself, such as ~/.ssh/known_hosts' });
    else if (kind === 'missing' && !config.ssh.acceptNewHostKeys)
      issues.push({
        severity: 'warning',
        path: ['ssh', 'knownHosts'],
        message: `known_hosts file not found: ${knownHosts}; every host key will have to be confirmed on first contact`,
        hint: 'connect once with `ssh` to record the keys, or set acceptNewHostKeys: true',
      });
  }
  const configFile = config.ssh.configFile;
  if (configFile !== false) {
    const full = expandPath(configFile, env.home, env.baseDir);
    if (full === null) issues.push(tilde(['ssh', 'configFile'], configFile));
    else {
      const kind = env.statPath(full);
      if (kind === 'dir') issues.push({ severity: 'error', path: ['ssh', 'configFile'], message: `ssh configFile is a directory: ${full}`, hint: 'name the file itself, such as ~/.ssh/config' });
      // The default is optional, as in OpenSSH; a path the operator wrote is expected to exist.
      else if (kind === 'missing' && hasKey(input, ['ssh', 'configFile']))
        issues.push({ severity: 'warning', path: ['ssh', 'configFile'], message: `ssh config file not found: ${full}; it is ignored`, hint: 'fix the path, or write configFile: false' });
    }
  }
  return issues;
}

function checkWorkers(config: ClusterConfig): RawIssue[] {
  if (config.workers && config.workers.length === 0) {
    return [
      {
        severity: 'warning',
        path: ['workers'],
        message: 'workers is an empty list: no worker kubelet will be repointed at the endpoint',
        hint: 'remove the `workers` key to discover the workers from the API, or list them',
      },
    ];
  }
  return [];
}

function checkVerify(config: ClusterConfig): RawIssue[] {
  const drill = config.verify?.failoverDrill;
  if (typeof drill !== 'string') return [];
  if (config.proxy.placement === 'vip') {
    return [
      {
        severity: 'error',
        path: ['verify', 'failoverDrill'],
        message: `with placement vip the failover drill stops the node that holds the virtual IP, whichever it is, not \`${drill}\``,
        hint: 'write failoverDrill: true',
      },
    ];
  }
  const cps = [config.controlPlane.existing, ...config.controlPlane.promote].map((n) => n.name);
  if (cps.includes(drill)) return [];
  return [
    {
      severity: 'error',
      path: ['verify', 'failoverDrill'],
      message: `failover drill node \`${drill}\` is not a control-plane node`,
      hint: `name one of ${cps.join(', ')}, or write true to drill the last node to promote`,
    },
  ];
}

/** Every semantic problem, errors and warnings mixed; the caller separates them. */
export function semanticIssues(config: ClusterConfig, input: unknown, env: CheckEnv): RawIssue[] {
  const refs = nodesOf(config);
  return [
    ...checkDuplicates(refs),
    ...checkEndpoint(config, refs),
    ...checkProxy(config, refs),
    ...checkVip(config, refs),
    ...checkControlPlaneCount(config),
    ...checkWorkers(config),
    ...checkSudo(config),
    ...checkVerify(config),
    ...checkFiles(config, input, env),
  ];
}
