/**
 * etcd.yaml for a member joining the stacked etcd cluster, as `kubeadm join --control-plane` writes it
 * (cmd/kubeadm/app/phases/etcd/local.go, getEtcdCommand with a non-empty initial cluster): derived from the
 * master's manifest, with the node's name and URLs, the full `--initial-cluster` (every member including
 * itself), `--initial-cluster-state=existing`, the client-URL annotation kubeadm uses to find etcd, and the
 * flag spellings of the etcd version in the image tag.
 */
import { atLeast } from './versions.js';
import { StaticPod } from './static-pod.js';
import { urlHost } from '../pki/hosts.js';

export const ETCD_CLIENT_URLS_ANNOTATION = 'kubeadm.kubernetes.io/etcd.advertise-client-urls';

export interface EtcdPeer {
  name: string;
  peerURL: string;
}

export interface JoiningEtcdOptions {
  /** Kubernetes node name: the member name and the server/peer certificate CN. */
  nodeName: string;
  address: string;
  /** The master's advertise address, as it appears in its manifest's URLs. */
  masterAddress: string;
  /** Every member after this one joins, including itself, in member-list order. */
  initialCluster: EtcdPeer[];
  /** From the image tag, e.g. "3.5.15" or "3.6.4". */
  etcdVersion: string;
}

/**
 * etcd 3.6 graduated the flags kubeadm sets: the corrupt check became a feature gate and the watch
 * progress interval lost its prefix (kubeadm switches on `etcdVersion.AtLeast("3.6.0")`). Older etcd
 * rejects the new spellings and 3.6 warns on (and 3.7 drops) the old ones, so they follow the image.
 */
export function normalizeEtcdFlagsForVersion(pod: StaticPod, etcdVersion: string): StaticPod {
  const modern = atLeast(etcdVersion, '3.6.0');
  const gates = parseGates(pod.flag('feature-gates'));
  const oldCorrupt = pod.flag('experimental-initial-corrupt-check');
  const oldWatch = pod.flag('experimental-watch-progress-notify-interval');
  const newWatch = pod.flag('watch-progress-notify-interval');
  if (modern) {
    if (oldCorrupt !== undefined) {
      pod.removeFlag('experimental-initial-corrupt-check');
      if (!gates.has('InitialCorruptCheck')) gates.set('InitialCorruptCheck', oldCorrupt === '' ? 'true' : oldCorrupt);
    }
    if (oldWatch !== undefined) {
      pod.removeFlag('experimental-watch-progress-notify-interval');
      if (newWatch === undefined) pod.setFlag('watch-progress-notify-interval', oldWatch);
    }
  } else {
    const gate = gates.get('InitialCorruptCheck');
    if (gate !== undefined) {
      gates.delete('InitialCorruptCheck');
      if (oldCorrupt === undefined) pod.setFlag('experimental-initial-corrupt-check', gate);
    }
    if (newWatch !== undefined) {
      pod.removeFlag('watch-progress-notify-interval');
      if (oldWatch === undefined) pod.setFlag('experimental-watch-progress-notify-interval', newWatch);
    }
  }
  if (gates.size > 0) pod.setFlag('feature-gates', [...gates].map(([k, v]) => `${k}=${v}`).join(','));
  else pod.removeFlag('feature-gates');
  return pod;
}

function parseGates(value: string | undefined): Map<string, string> {
  const gates = new Map<string, string>();
  for (const part of (value ?? '').split(',')) {
    const [k, v] = part.split('=');
    if (k) gates.set(k.trim(), (v ?? 'true').trim());
  }
  return gates;
}

/** Replaces the master's host in every URL of a comma-separated URL list, keeping scheme and port. */
export function replaceUrlHost(value: string, fromAddress: string, toAddress: string): string {
  const from = `//${urlHost(fromAddress)}:`;
  const to = `//${urlHost(toAddress)}:`;
  return value
    .split(',')
    .map((url) => (url.includes(from) ? url.replace(from, to) : url))
    .join(',');
}

/** Port of the first URL in a flag value ("https://10.0.0.1:2380" → 2380). */
export function urlPort(value: string | undefined, fallback: number): number {
  const m = /:(\d+)\/?$/.exec((value ?? '').split(',')[0] ?? '');
  return m ? Number(m[1]) : fallback;
}

export function etcdPeerURL(address: string, port = 2380): string {
  return `https://${urlHost(address)}:${port}`;
}

export function etcdClientURL(address: string, port = 2379): string {
  return `https://${urlHost(address)}:${port}`;
}

/** The master's etcd ports, read from its manifest (2379/2380 unless the operator changed them). */
export function etcdPorts(master: StaticPod): { client: number; peer: number } {
  return { client: urlPort(master.flag('advertise-client-urls'), 2379), peer: urlPort(master.flag('initial-advertise-peer-urls'), 2380) };
}

export function joiningEtcdManifest(masterManifest: string, o: JoiningEtcdOptions): string {
  const master = StaticPod.parse(masterManifest, 'etcd');
  const { client, peer } = etcdPorts(master);
  const pod = master.clone();
  // Every URL that named the master now names this node (listen, advertise, metrics if customised).
  for (const [name, value] of master.flags()) {
    if (name === 'initial-cluster') continue;
    const replaced = replaceUrlHost(value, o.masterAddress, o.address);
    if (replaced !== value) pod.setFlag(name, replaced);
  }
  pod
    .setFlag('name', o.nodeName)
    .setFlag('advertise-client-urls', etcdClientURL(o.address, client))
    .setFlag('initial-advertise-peer-urls', etcdPeerURL(o.address, peer))
    .setFlag('listen-peer-urls', etcdPeerURL(o.address, peer))
    .setFlag('initial-cluster', o.initialCluster.map((m) => `${m.name}=${m.peerURL}`).join(','))
    .setFlag('initial-cluster-state', 'existing')
    .setAnnotation(ETCD_CLIENT_URLS_ANNOTATION, etcdClientURL(o.address, client));
  if (!pod.flag('listen-client-urls')?.includes(etcdClientURL(o.address, client))) {
    const local = (pod.flag('listen-client-urls') ?? '').split(',').filter((u) => u && !u.includes(`//${urlHost(o.masterAddress)}:`));
    pod.setFlag('listen-client-urls', [...local, etcdClientURL(o.address, client)].join(','));
  }
  normalizeEtcdFlagsForVersion(pod, o.etcdVersion);
  return pod.toString();
}

/**
 * The master's own etcd.yaml after its peer URL moves off localhost (clusters born on kubeadm <= 1.12):
 * etcd must listen for peers on the node address, and advertise it, before `member update` tells the others.
 */
export function masterEtcdManifestWithPeerAddress(masterManifest: string, masterAddress: string): string {
  const pod = StaticPod.parse(masterManifest, 'etcd');
  const { client, peer } = etcdPorts(pod);
  const peerURL = etcdPeerURL(masterAddress, peer);
  const listenClients = (pod.flag('listen-client-urls') ?? '').split(',').filter(Boolean);
  if (!listenClients.includes(etcdClientURL(masterAddress, client))) listenClients.push(etcdClientURL(masterAddress, client));
  return pod
    .setFlag('listen-peer-urls', peerURL)
    .setFlag('initial-advertise-peer-urls', peerURL)
    .setFlag('advertise-client-urls', etcdClientURL(masterAddress, client))
    .setFlag('listen-client-urls', listenClients.join(','))
    .setAnnotation(ETCD_CLIENT_URLS_ANNOTATION, etcdClientURL(masterAddress, client))
    .toString();
}
