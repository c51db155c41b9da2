/**
 * ClusterFacts for step tests: a kubeadm cluster with master cp1 (10.200.0.11) and `promote` workers
 * cp2, cp3, … (10.200.0.12, …), built from the kubeadm reference manifests in test/fixtures.
 */
import type { ClusterFacts, KeyAlgorithm } from '../../src/discovery/facts.js';
import { referenceManifest, referenceVersion, type ReferenceMinor } from '../manifests/reference.js';

export interface FixtureOptions {
  promote?: number;
  workers?: number;
  version?: ReferenceMinor;
  keyAlgorithm?: KeyAlgorithm;
  serviceSubnet?: string;
  dnsDomain?: string;
  certSANs?: string[];
  endpointHost?: string;
}

export const sha = (s: string) => s.repeat(64).slice(0, 64);

export function makeFacts(o: FixtureOptions = {}): ClusterFacts {
  const version = o.version ?? '1.37';
  const promote = o.promote ?? 2;
  const alg = o.keyAlgorithm ?? 'rsa-2048';
  const serviceSubnet = o.serviceSubnet ?? '10.96.0.0/12';
  const dnsDomain = o.dnsDomain ?? 'cluster.local';
  const manifest = (c: string) =>
    referenceManifest(referenceVersion(version), 'init', `${c}.yaml`, { nodeName: 'cp1', address: '10.200.0.11', serviceCidr: serviceSubnet, dnsDomain });
  const nodes = Array.from({ length: promote }, (_, i) => ({ name: `cp${i + 2}`, address: `10.200.0.${12 + i}` }));
  const workers = Array.from({ length: o.workers ?? 1 }, (_, i) => ({ name: `w${i + 1}`, address: `10.200.0.${50 + i}` }));
  const kubeletConf = (server: string) =>
    [
      'apiVersion: v1',
      'clusters:',
      '- cluster:',
      '    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==',
      `    server: ${server}`,
      '  name: default-cluster',
      'contexts:',
      '- context:',
      '    cluster: default-cluster',
      '    namespace: default',
      '    user: default-auth',
      '  name: default-context',
      'current-context: default-context',
      'kind: Config',
      'preferences: {}',
      'users:',
      '- name: default-auth',
      '  user:',
      '    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem',
      '    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem',
      '',
    ].join('\n');
  const pkiFiles = ['ca.crt', 'ca.key', 'sa.key', 'sa.pub', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key'];
  const k8s = referenceVersion(version);
  const etcd = { '1.35': '3.6.6', '1.36': '3.6.8', '1.37': '3.7.0' }[version];
  const cfgApi = 'kubeadm.k8s.io/v1beta4';
  return {
    config: {
      name: 'lab',
      controlPlane: { existing: { name: 'cp1', address: '10.200.0.11' }, promote: nodes },
      endpoint: { host: o.endpointHost ?? 'k8s-api.lab.example', port: 6443 },
      proxy: { kind: 'nginx', placement: 'dedicated', host: { name: 'lb', address: '10.200.0.5' } },
      workers,
    },
    kubernetesVersion: k8s,
    etcdVersion: etcd,
    master: { name: 'cp1', address: '10.200.0.11', apiserverPort: 6443, advertiseAddress: '10.200.0.11' },
    clusterConfiguration: {
      apiVersion: cfgApi,
      raw: `apiVersion: ${cfgApi}\nkind: ClusterConfiguration\nclusterName: kubernetes\nnetworking:\n  serviceSubnet: ${serviceSubnet}\n  dnsDomain: ${dnsDomain}\netcd:\n  local:\n    dataDir: /var/lib/etcd\n`,
      clusterName: 'kubernetes',
      serviceSubnet,
      dnsDomain,
      certSANs: o.certSANs ?? [],
      imageRepository: 'registry.k8s.io',
    },
    keyAlgorithms: { ca: alg, etcdCa: alg, frontProxyCa: alg },
    manifests: Object.fromEntries(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((c) => [c, manifest(c)])),
    masterApiserverSANs: { dnsNames: ['cp1', 'kubernetes'], ipAddresses: ['10.96.0.1', '10.200.0.11'] },
    etcd: {
      members: [{ id: '8e9e05c52164694d', name: 'cp1', peerURLs: ['https://10.200.0.11:2380'], clientURLs: ['https://10.200.0.11:2379'], isLearner: false }],
    },
    nodes: [
      { name: 'cp1', internalIP: '10.200.0.11', ready: true, labels: { 'node-role.kubernetes.io/control-plane': '' }, taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] },
      ...[...nodes, ...workers].map((n) => ({ name: n.name, internalIP: n.address, ready: true, labels: {}, taints: [] })),
    ],
    kubeconfigServers: {},
    kubeconfigTexts: Object.fromEntries([...nodes, ...workers].map((n) => [`${n.name}:/etc/kubernetes/kubelet.conf`, kubeletConf('https://10.200.0.11:6443')])),
    kubeProxyServer: 'https://10.200.0.11:6443',
    clusterInfoServer: 'https://10.200.0.11:6443',
    files: Object.fromEntries(pkiFiles.map((f, i) => [`cp1:/etc/kubernetes/pki/${f}`, sha(String.fromCharCode(97 + i))])),
  };
}
