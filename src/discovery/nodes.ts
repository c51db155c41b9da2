/**
 * Who is who in the facts: the config names hosts (what SSH dials, what actions name), Kubernetes and
 * etcd name nodes. They are usually equal; when they are not, the node is matched by its InternalIP.
 * Pure functions of the facts, read by discovery's report, the steps (through their input) and the wizard.
 */
import type { ClusterFacts } from './facts.js';
import type { ConfigNode } from './config-like.js';
import { hostPort } from '../pki/hosts.js';

export interface CpNode {
  /** The config's name: the `host` of every action on this node. */
  host: string;
  /** The Kubernetes node name: etcd member name, certificate CN and SAN, Node object. */
  nodeName: string;
  address: string;
}

interface NodeIndex {
  list: ClusterFacts['nodes'];
  length: number;
  byIP: Map<string, string>;
}
const nodeIndexes = new WeakMap<ClusterFacts, NodeIndex>();

/** Node names by InternalIP, built once per facts: a lookup per worker stays O(1) at 5,000 workers. */
function nodesByIP(facts: ClusterFacts): Map<string, string> {
  const cached = nodeIndexes.get(facts);
  if (cached && cached.list === facts.nodes && cached.length === facts.nodes.length) return cached.byIP;
  const byIP = new Map<string, string>();
  // The first Node with the address wins, as a search in list order would.
  for (const n of facts.nodes) if (n.internalIP !== null && !byIP.has(n.internalIP)) byIP.set(n.internalIP, n.name);
  nodeIndexes.set(facts, { list: facts.nodes, length: facts.nodes.length, byIP });
  return byIP;
}

/** The Kubernetes name of a configured node: the Node with its address, else its config name (also when a Node has that name). */
export function kubeNodeName(facts: ClusterFacts, node: ConfigNode): string {
  return nodesByIP(facts).get(node.address) ?? node.name;
}

export function masterNode(facts: ClusterFacts): CpNode {
  return { host: facts.config.controlPlane.existing.name, nodeName: facts.master.name, address: facts.master.advertiseAddress };
}

export function promotedNodes(facts: ClusterFacts): CpNode[] {
  return facts.config.controlPlane.promote.map((n) => ({ host: n.name, nodeName: kubeNodeName(facts, n), address: n.address }));
}

/**
 * The nodes the promote phases work on: every node to promote except those already complete control-plane nodes
 * (discovery's promote states), which are kept as they are. A node holding a leftover learner is promoted (reusing it).
 */
export function nodesToPromote(facts: ClusterFacts): CpNode[] {
  return promotedNodes(facts).filter((n) => facts.promoteStates?.[n.host] !== 'complete');
}

export interface ControlPlaneHost {
  name: string;
  address: string;
  /** The existing master (true) or a node being promoted. */
  existing: boolean;
}

/** Every control-plane node after the conversion, the existing master first, then the promoted ones in config order. */
export function controlPlaneHosts(facts: ClusterFacts): ControlPlaneHost[] {
  const { existing, promote } = facts.config.controlPlane;
  return [{ name: existing.name, address: facts.master.advertiseAddress, existing: true }, ...promote.map((n) => ({ name: n.name, address: n.address, existing: false }))];
}

/** Workers the wizard reaches over SSH: configured workers that are not control-plane nodes. */
export function workerHosts(facts: ClusterFacts): ConfigNode[] {
  const cp = new Set(controlPlaneHosts(facts).map((h) => h.name));
  return (facts.config.workers ?? []).filter((w) => !cp.has(w.name));
}

/** `https://<address>:<port>` of an apiserver (IPv6 in brackets). */
export function apiserverURL(address: string, port: number): string {
  return `https://${hostPort(address, port)}`;
}

/** The master's apiserver URL as clients reach it today (what the conversion moves them away from). */
export function masterURL(facts: ClusterFacts): string {
  return apiserverURL(facts.master.advertiseAddress, facts.master.apiserverPort);
}
