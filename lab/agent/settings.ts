/**
 * The kubelet's own configuration as kubeadm leaves it on a node: /var/lib/kubelet/config.yaml (the
 * KubeletConfiguration) and the flags of /var/lib/kubelet/kubeadm-flags.env and /etc/default/kubelet.
 * Read again at every (re)start of the kubelet, as the real one does.
 */
import { readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { Flags } from './flags.js';

export const KUBELET_CONFIG = '/var/lib/kubelet/config.yaml';
export const KUBEADM_FLAGS_ENV = '/var/lib/kubelet/kubeadm-flags.env';
export const KUBELET_DEFAULTS = '/etc/default/kubelet';

export interface KubeletSettings {
  /** --hostname-override, else the host name, lowercased (the kubelet's node name rules). */
  nodeName: string;
  /** --node-ip (its first address), else the node's first non-loopback IPv4 address. */
  nodeIP: string;
  /** Every --node-ip address (dual stack: one per family); [nodeIP] without the flag. */
  nodeIPs: string[];
  staticPodPath: string;
  healthzBindAddress: string;
  healthzPort: number;
  /** --node-labels */
  labels: Record<string, string>;
  /** --register-with-taints */
  taints: Array<{ key: string; value?: string; effect: string }>;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

/** KEY="--a=b --c" lines of an environment file, as systemd reads them for the kubelet unit. */
export function envFileArgs(text: string, key: string): string[] {
  const m = new RegExp(`^\\s*${key}=(.*)$`, 'm').exec(text);
  if (!m) return [];
  const value = m[1]!.trim().replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  return value.split(/\s+/).filter(Boolean);
}

function firstIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export function readKubeletSettings(): KubeletSettings {
  let config: any = {};
  try {
    config = parseYaml(readOr(KUBELET_CONFIG, '')) ?? {};
  } catch {
    config = {};
  }
  const flags = new Flags([
    ...envFileArgs(readOr(KUBEADM_FLAGS_ENV, ''), 'KUBELET_KUBEADM_ARGS'),
    ...envFileArgs(readOr(KUBELET_DEFAULTS, ''), 'KUBELET_EXTRA_ARGS'),
  ]);
  const labels: Record<string, string> = {};
  for (const pair of (flags.get('node-labels') ?? '').split(',').filter(Boolean)) {
    const [k, v = ''] = pair.split('=');
    if (k) labels[k] = v;
  }
  const taints = (flags.get('register-with-taints') ?? '')
    .split(',')
    .filter(Boolean)
    .map((t) => {
      const [kv, effect = 'NoSchedule'] = t.split(':');
      const [key, value] = (kv ?? '').split('=');
      return value === undefined ? { key: key!, effect } : { key: key!, value, effect };
    });
  return {
    nodeName: (flags.get('hostname-override') ?? hostname()).trim().toLowerCase(),
    nodeIP: flags.get('node-ip')?.split(',')[0] ?? firstIPv4(),
    nodeIPs: flags.get('node-ip')?.split(',').filter(Boolean) ?? [firstIPv4()],
    staticPodPath: typeof config.staticPodPath === 'string' ? config.staticPodPath : '/etc/kubernetes/manifests',
    healthzBindAddress: typeof config.healthzBindAddress === 'string' ? config.healthzBindAddress : '127.0.0.1',
    healthzPort: typeof config.healthzPort === 'number' ? config.healthzPort : 10248,
    labels,
    taints,
  };
}
