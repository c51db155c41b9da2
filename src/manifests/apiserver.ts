/**
 * kube-apiserver.yaml for a new control-plane node, as `kubeadm join --control-plane` writes it
 * (cmd/kubeadm/app/phases/controlplane/manifests.go): the master's manifest with the node's advertise
 * address, probe hosts (kubeadm probes the advertise address), the endpoint annotation kubeadm reads back,
 * and `--etcd-servers` on the local etcd member (stacked etcd: each apiserver talks to its own member).
 * Certificate paths stay the same: each node has its own apiserver.crt at the same path.
 */
import { StaticPod, loopbackFor } from './static-pod.js';
import { urlHost } from '../pki/hosts.js';

export const APISERVER_ENDPOINT_ANNOTATION = 'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint';

export interface ApiserverOptions {
  address: string;
  masterAddress: string;
}

/** --secure-port of a kube-apiserver manifest (kubeadm: 6443). */
export function apiserverPort(pod: StaticPod): number {
  const port = Number(pod.flag('secure-port') ?? '6443');
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : 6443;
}

export function apiserverManifestFor(masterManifest: string, o: ApiserverOptions): string {
  const pod = StaticPod.parse(masterManifest, 'kube-apiserver');
  const port = apiserverPort(pod);
  pod
    .setFlag('advertise-address', o.address)
    .setFlag('etcd-servers', `https://${urlHost(loopbackFor(o.address))}:2379`)
    .setAnnotation(APISERVER_ENDPOINT_ANNOTATION, `${urlHost(o.address)}:${port}`)
    .replaceProbeHost(o.masterAddress, o.address);
  // An operator who bound the master's apiserver to its own address meant "this node's address".
  if (pod.flag('bind-address') === o.masterAddress) pod.setFlag('bind-address', o.address);
  return pod.toString();
}
