/**
 * The text files a lab consists of, rendered from its state: sshd_config and init script per node,
 * the client's ssh_config and known_hosts, /etc/hosts, and cluster.yaml. Pure functions.
 */
import { stringify } from 'yaml';
import { join } from 'node:path';
import { NODE_COMPONENTS_DIR } from './components.js';
import { DNS_ENDPOINT, LINKS, NODE_MOUNTS, OVERLAYS, USR_LOCAL_BIN_SUBDIR, VIP_HOST, ipv6Of, type LabNode, type LabState } from './layout.js';

export function clientKeyPath(dir: string): string {
  return join(dir, 'client', 'id_ed25519');
}

export function sshdConfig(node: LabNode, sshUser: string): string {
  const v6 = node.address.includes(':') || node.address6 !== undefined;
  return `${[
    ...(node.address.includes(':') ? [] : ['ListenAddress 0.0.0.0:22']),
    ...(v6 ? ['ListenAddress [::]:22'] : []),
    `HostKey ${join(node.hostDir, 'ssh', 'ssh_host_ed25519_key')}`,
    'PidFile /run/sshd.pid',
    'AuthorizedKeysFile .ssh/authorized_keys',
    // A sudo-user lab is only useful if root cannot log in directly.
    `PermitRootLogin ${sshUser === 'root' ? 'prohibit-password' : 'no'}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes yes',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    // OpenSSH's default, stated because the wizard's channel budget relies on it.
    'MaxSessions 10',
    'MaxStartups 100:30:200',
    'AllowTcpForwarding yes',
    'AcceptEnv LANG LC_*',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    'LogLevel INFO',
  ].join('\n')}\n`;
}

/** The lab's virtual IP (host .10 of its subnet, of the nodes' first family), whether or not cluster.yaml uses it. */
export function vipAddress(state: Pick<LabState, 'slot'> & { options?: Pick<LabState['options'], 'ipFamily'> }): string {
  return state.options?.ipFamily === 'ipv6' ? ipv6Of(state.slot, VIP_HOST) : `10.200.${state.slot}.${VIP_HOST}`;
}

/** The address the endpoint's name stands for: the virtual IP, or the proxy host; null without a DNS endpoint. */
export function dnsEndpointAddress(state: Pick<LabState, 'nodes' | 'options' | 'slot'>): string | null {
  if (!state.options.dnsEndpoint) return null;
  if (state.options.vip) return vipAddress(state);
  return state.nodes.find((n) => n.role === 'proxy')?.address ?? null;
}

/** Node's /etc/hosts: every lab node by name, so sudo and kubeadm-style names resolve; the endpoint's name when it has one. */
export function hostsFile(state: Pick<LabState, 'nodes'> & Partial<Pick<LabState, 'options' | 'slot'>>): string {
  const endpoint = state.options && state.slot !== undefined ? dnsEndpointAddress({ nodes: state.nodes, options: state.options, slot: state.slot }) : null;
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    ...state.nodes.flatMap((n) => [`${n.address}\t${n.name}`, ...(n.address6 ? [`${n.address6}\t${n.name}`] : [])]),
    ...(endpoint ? [`${endpoint}\t${DNS_ENDPOINT}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

function shq(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** fstab escapes blanks and backslashes in paths as octal. */
function fstabPath(p: string): string {
  return p.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/**
 * The node's mounts in order, for `mount -a -T`: overlays on /etc and /var/lib, binds of the node's
 * own trees over them (their mount points are made in the overlays' upper layers beforehand, see
 * `mountPointsInUppers`), a tmpfs /run and a tmpfs /usr/local/bin. With `components` (the host's
 * component cache), the cache read-only at NODE_COMPONENTS_DIR: the programs every node runs.
 */
export function fstab(node: Pick<LabNode, 'hostDir'>, components: string | null = null): string {
  const d = node.hostDir;
  const lines = [
    ...OVERLAYS.map((o) => `overlay ${o.path} overlay lowerdir=${o.path},upperdir=${fstabPath(join(d, o.upper))},workdir=${fstabPath(join(d, o.work))} 0 0`),
    // Before the node's own /root and /home hide the host's, where the cache may live.
    ...(components ? [`${fstabPath(components)} ${NODE_COMPONENTS_DIR} none bind,ro 0 0`] : []),
    ...NODE_MOUNTS.map((m) => `${fstabPath(join(d, m.hostSubdir))} ${m.path} none bind 0 0`),
    'tmpfs /run tmpfs mode=755,size=64m 0 0',
    'tmpfs /usr/local/bin tmpfs mode=755,size=64m 0 0',
  ];
  return `${lines.join('\n')}\n`;
}

export interface InitScriptInput {
  node: LabNode;
  slot: number;
  labDir: string;
  sshUser: string;
  sudo: 'none' | 'nopasswd' | 'password';
  /** `node <agent> …` when the cluster part runs, else null. */
  agent: { nodeBin: string; script: string; components: string } | null;
}

/**
 * The script that runs as the node's PID 1 inside its fresh mount, UTS and PID namespaces (already in
 * its network namespace), makes the node's private view of the filesystem, then becomes sshd.
 * With a sudo password, it reads the password as the first line of stdin (never from argv or env).
 */
export function initScript(i: InitScriptInput): string {
  const d = i.node.hostDir;
  const lines: string[] = [
    '#!/bin/sh',
    'set -eu',
    // Without this the node's private mount table keeps every other lab's /run/netns/* mounts alive,
    // and `ip netns del` elsewhere would not free those namespaces until this node dies.
    'umount -l /run/netns 2>/dev/null || true',
    `ip -batch - <<'EOF'`,
    'link set lo up',
    // IPv6 without duplicate address detection: the address is usable at once (the lab hands out each one once).
    i.node.address.includes(':') ? `addr add ${i.node.address}/64 dev ${LINKS.node} nodad` : `addr add ${i.node.address}/24 dev ${LINKS.node}`,
    ...(i.node.address6 ? [`addr add ${i.node.address6}/64 dev ${LINKS.node} nodad`] : []),
    `link set ${LINKS.node} up`,
    ...(i.node.role === 'bastion' ? [`addr add 10.201.${i.slot}.4/24 dev ${LINKS.bastionOuter}`, `link set ${LINKS.bastionOuter} up`] : []),
    'EOF',
    // The kernel's UTS hostname, set without a `hostname` process.
    `echo ${i.node.name} > /proc/sys/kernel/hostname`,
    // One `mount` process for all of the node's mounts (a dozen `mount` processes per node cost ~1 s on 50 nodes).
    `mount -a -T ${shq(join(d, 'fstab'))}`,
    'mkdir -p /run/sshd /run/lock',
    `set -- ${shq(join(d, USR_LOCAL_BIN_SUBDIR))}/*`,
    'if [ -e "$1" ]; then cp -a "$@" /usr/local/bin/; fi',
  ];
  if (i.sshUser !== 'root') {
    const u = i.sshUser;
    lines.push(
      // useradd leaves the account locked ('!'), which sshd refuses without PAM; '*' means "no password".
      `id -u ${u} >/dev/null 2>&1 || { useradd -m -s /bin/bash ${u} && usermod -p '*' ${u}; }`,
      `install -d -m 700 -o ${u} -g ${u} /home/${u}/.ssh`,
      `install -m 600 -o ${u} -g ${u} ${shq(join(d, 'ssh', 'authorized_keys'))} /home/${u}/.ssh/authorized_keys`,
      `printf '%s\\n' ${shq(`${u} ALL=(ALL:ALL) ${i.sudo === 'nopasswd' ? 'NOPASSWD: ' : ''}ALL`)} > /etc/sudoers.d/ha-wizard-lab`,
      'chmod 440 /etc/sudoers.d/ha-wizard-lab',
    );
    if (i.sudo === 'password') {
      lines.push('IFS= read -r pw', `printf '%s:%s\\n' ${u} "$pw" | chpasswd`, 'pw=');
    }
  }
  lines.push('exec </dev/null');
  if (i.agent && i.node.role !== 'bastion') {
    lines.push(
      `${shq(i.agent.nodeBin)} ${shq(i.agent.script)} --role ${i.node.role} --components ${shq(i.agent.components)} >/var/log/agent.log 2>&1 &`,
    );
  }
  lines.push(`exec /usr/sbin/sshd -D -f ${shq(join(d, 'ssh', 'sshd_config'))} -E /var/log/sshd.log`);
  return `${lines.join('\n')}\n`;
}

export function knownHosts(entries: { address: string; hostKeyPub: string }[]): string {
  return entries.map((e) => `${e.address} ${e.hostKeyPub.trim().split(/\s+/).slice(0, 2).join(' ')}\n`).join('');
}

export function proxyJumpOf(state: Pick<LabState, 'bastionAddress' | 'options'>): string | null {
  return state.bastionAddress ? `${state.options.sshUser}@${state.bastionAddress}` : null;
}

/** OpenSSH client config: one Host per node name (the bastion by its outer address), defaults for all. */
export function sshConfig(state: LabState): string {
  const key = clientKeyPath(state.dir);
  const kh = join(state.dir, 'known_hosts');
  const jump = proxyJumpOf(state);
  const blocks = state.nodes.map((n) => {
    const direct = n.role === 'bastion' || !jump;
    return [
      `Host ${n.name}`,
      `  HostName ${n.role === 'bastion' && state.bastionAddress ? state.bastionAddress : n.address}`,
      `  User ${state.options.sshUser}`,
      '  Port 22',
      `  IdentityFile ${key}`,
      `  UserKnownHostsFile ${kh}`,
      '  IdentitiesOnly yes',
      ...(direct ? [] : [`  ProxyJump ${jump}`]),
    ].join('\n');
  });
  blocks.push(
    [
      'Host *',
      `  User ${state.options.sshUser}`,
      `  IdentityFile ${key}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${kh}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  BatchMode yes',
      '  ConnectTimeout 5',
      '  LogLevel ERROR',
      // The default sntrup761 KEX costs ~90 ms of client CPU per connection (research/lab.md).
      '  KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org,sntrup761x25519-sha512@openssh.com',
    ].join('\n'),
  );
  return `# Written by \`ha-wizard lab up\` for lab ${state.name}. Use: ssh -F ${join(state.dir, 'ssh_config')} cp1\n${blocks.join('\n\n')}\n`;
}

/** The wizard's config for this lab (the agreed shape of cluster.yaml). */
export function clusterYaml(state: LabState): string {
  const byRole = (r: LabNode['role']) => state.nodes.filter((n) => n.role === r).map((n) => ({ name: n.name, address: n.address }));
  const master = byRole('master')[0];
  if (!master) throw new Error('lab has no master');
  const lb = byRole('proxy')[0];
  const jump = proxyJumpOf(state);
  const { vip, dnsEndpoint, apiserverPort } = state.options;
  const vipHost = vipAddress(state);
  // keepalived with HAProxy on every control-plane node on 8443 (kubeadm's HA guide); kube-vip on the apiservers' own port.
  const endpointPort = vip === 'keepalived' ? 8443 : apiserverPort;
  const endpointHost = dnsEndpoint ? DNS_ENDPOINT : vip ? vipHost : lb ? lb.address : '127.0.0.1';
  const proxy = vip
    ? { kind: 'haproxy', placement: 'vip', vip: { provider: vip, ...(dnsEndpoint ? { address: vipHost } : {}) } }
    : lb
      ? { kind: 'nginx', placement: 'dedicated', host: lb }
      : { kind: 'nginx', placement: 'per-node' };
  const doc = {
    name: state.name,
    controlPlane: { existing: master, promote: byRole('promote') },
    endpoint: { host: endpointHost, port: endpointPort },
    proxy,
    workers: byRole('worker'),
    ssh: {
      user: state.options.sshUser,
      identityFiles: [clientKeyPath(state.dir)],
      knownHosts: join(state.dir, 'known_hosts'),
      ...(jump ? { proxyJump: jump } : {}),
      sudo: state.options.sudo,
      acceptNewHostKeys: false,
    },
  };
  return stringify(doc);
}
