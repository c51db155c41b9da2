/**
 * kube-controller-manager.yaml and kube-scheduler.yaml for a new control-plane node: the master's,
 * unchanged (leader election keeps one active; their kubeconfigs, written per node, point at the local
 * apiserver). The only node-specific values an operator may have added are a bind address or probe host
 * naming the master, and those follow the node. Unchanged manifests stay byte-identical to the master's.
 */
import { StaticPod } from './static-pod.js';

export interface LocalComponentOptions {
  address: string;
  masterAddress: string;
}

export function localComponentManifestFor(component: 'kube-controller-manager' | 'kube-scheduler', masterManifest: string, o: LocalComponentOptions): string {
  const pod = StaticPod.parse(masterManifest, component);
  const bindsMaster = pod.flag('bind-address') === o.masterAddress;
  const probesMaster = pod.probeHosts().includes(o.masterAddress);
  if (!bindsMaster && !probesMaster) return masterManifest;
  if (bindsMaster) pod.setFlag('bind-address', o.address);
  pod.replaceProbeHost(o.masterAddress, o.address);
  return pod.toString();
}

export function controllerManagerManifestFor(masterManifest: string, o: LocalComponentOptions): string {
  return localComponentManifestFor('kube-controller-manager', masterManifest, o);
}
