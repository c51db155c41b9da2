/**
 * Per-node certificates as `kubeadm join --control-plane` issues them: kubeadm's SAN sets for the node (with
 * the endpoint, certSANs and etcd's extra SANs from the stored ClusterConfiguration), each as a fresh key in
 * its CA's algorithm and a certificate signed on the master at apply time. Keys never enter the plan.
 */
import { parse } from 'yaml';
import type { WriteFileAction } from '../../src/engine/model/actions.js';
import type { ClusterFacts, KeyAlgorithm } from '../../src/discovery/facts.js';
import { masterNode, type CpNode } from '../../src/discovery/nodes.js';
import { nodeCertificates, withCA, type NodeCert } from '../../src/pki/kubeadm-certs.js';
import { endpointSANs } from './endpoint.js';

/** etcd.local.serverCertSANs / peerCertSANs from the stored ClusterConfiguration. */
export function etcdExtraSANs(facts: ClusterFacts): { server: string[]; peer: string[] } {
  const cfg = (parse(facts.clusterConfiguration.raw) ?? {}) as { etcd?: { local?: { serverCertSANs?: unknown; peerCertSANs?: unknown } } };
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return { server: list(cfg.etcd?.local?.serverCertSANs), peer: list(cfg.etcd?.local?.peerCertSANs) };
}

/** Every per-node certificate kubeadm would issue for `node`, by kubeadm's cert name. */
export function certsFor(facts: ClusterFacts, node: CpNode): Map<string, NodeCert> {
  const sans = etcdExtraSANs(facts);
  const { certs } = nodeCertificates({
    nodeName: node.nodeName,
    nodeIP: node.address,
    k8sVersion: facts.kubernetesVersion,
    serviceSubnet: facts.clusterConfiguration.serviceSubnet,
    dnsDomain: facts.clusterConfiguration.dnsDomain,
    endpointHost: facts.config.endpoint.host,
    // The certSANs the repoint step stores in kubeadm-config (the endpoint's: a virtual IP behind a DNS name,
    // per-node's 127.0.0.1 and localhost), so every apiserver names what the master's names, as kubeadm would
    // issue it for a node joining after the conversion.
    certSANs: [...facts.clusterConfiguration.certSANs, ...endpointSANs(facts).dnsNames, ...endpointSANs(facts).ipAddresses],
    etcdServerCertSANs: sans.server,
    etcdPeerCertSANs: sans.peer,
  });
  return new Map(certs.map((c) => [c.name, c]));
}

function algorithmFor(facts: ClusterFacts, cert: NodeCert): KeyAlgorithm {
  return cert.ca === 'etcd-ca' ? facts.keyAlgorithms.etcdCa : cert.ca === 'front-proxy-ca' ? facts.keyAlgorithms.frontProxyCa : facts.keyAlgorithms.ca;
}

/** A fresh key in the CA's algorithm (kubeadm's PEM format) and a certificate for it, signed on the master. */
export function certFileActions(facts: ClusterFacts, step: string, node: CpNode, cert: NodeCert): WriteFileAction[] {
  const master = masterNode(facts);
  const sans = [...cert.spec.dnsNames, ...cert.spec.ipAddresses];
  return [
    {
      id: `${step}/${node.host}/${cert.name}.key`,
      step,
      type: 'write-file',
      host: node.host,
      path: cert.keyPath,
      content: { type: 'private-key', algorithm: algorithmFor(facts, cert) },
      mode: 0o600,
      owner: 'root:root',
      description: `${cert.name} private key (${algorithmFor(facts, cert)}, generated at apply time, sensitive)`,
      risk: 'reversible',
    },
    {
      id: `${step}/${node.host}/${cert.name}.crt`,
      step,
      type: 'write-file',
      host: node.host,
      path: cert.certPath,
      content: { type: 'certificate', keyPath: cert.keyPath, spec: withCA(cert.spec, master.host, cert.ca) },
      mode: 0o644,
      owner: 'root:root',
      description: `${cert.name} certificate, CN=${cert.spec.subject.commonName}${sans.length ? `, SANs ${sans.join(', ')}` : ''}, signed by ${cert.ca} on ${master.host}`,
      risk: 'reversible',
    },
  ];
}

/** The certificates of `names` for `node`, as key and certificate writes, in that order. */
export function certActions(facts: ClusterFacts, step: string, node: CpNode, names: readonly string[]): WriteFileAction[] {
  const certs = certsFor(facts, node);
  return names.flatMap((name) => certFileActions(facts, step, node, certs.get(name)!));
}
