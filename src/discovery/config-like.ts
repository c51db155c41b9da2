/**
 * The parts of the validated cluster config that discovery and steps read. The schema itself lives in
 * src/config/schema.ts (zod); this structural type keeps steps independent of zod.
 */
export interface ConfigNode {
  name: string;
  address: string;
}

/** The virtual IP of placement vip, as validated (defaults filled in). */
export interface VipConfigLike {
  provider: 'keepalived' | 'kube-vip';
  /** Absent: endpoint.host, which is then an IP address. */
  address?: string;
  interface?: string;
  routerId: number;
  advertIntervalSeconds: number;
  image?: string;
}

export interface ClusterConfigLike {
  name: string;
  controlPlane: { existing: ConfigNode; promote: ConfigNode[] };
  endpoint: { host: string; port: number };
  proxy: { kind: 'nginx' | 'haproxy'; placement: 'dedicated' | 'per-node' | 'vip'; host?: ConfigNode; vip?: VipConfigLike };
  workers?: ConfigNode[];
  /** Workers repointed at once after the canary (repoint-workers steps); absent: the step's default. */
  workerBatchSize?: number;
  /** The opt-in failover drill: true (the last node to promote) or a control-plane node's name. */
  verify?: { failoverDrill: boolean | string };
  /** Directories besides /etc/kubernetes whose files the master's manifests name and that may be copied to new nodes. */
  carryOver?: { allowPaths: string[] };
  /**
   * API clients outside kubeadm's that ha-wizard repoints to the endpoint: `cilium`, `calico`, `Kind/namespace/name`
   * of a DaemonSet or Deployment, or `all` that the audit offers. Absent: none (they are only reported).
   */
  repoint?: 'all' | string[];
}
