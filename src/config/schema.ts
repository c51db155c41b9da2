/**
 * The cluster config file (`cluster.yaml`): its shape, defaults and help text, as one zod schema.
 *
 * Everything the operator can write is here and nowhere else. `.describe()` texts become the JSON Schema
 * descriptions (editor hover) and the wizard's help, so they are written for the operator.
 * Rules that relate several fields (duplicates, counts, placement vs host) live in semantic.ts, because
 * they need the whole file and produce better messages than a schema refinement.
 */
import * as z from 'zod';

/** RFC 1123 DNS label: the cluster name (also the confirmation word, so short and plain). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/**
 * RFC 1123 subdomain, as Kubernetes requires of node names. The name goes into remote file paths and
 * command lines, so this pattern also guarantees no shell metacharacter, no `/` and no `..`.
 */
const NODE_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
/**
 * A DNS host name. zod's own z.hostname() accepts `10.0.0.300` and `010.0.0.1` (all-numeric labels), which
 * are always a mistyped IPv4 address here, so names made only of digits and dots are refused.
 */
const HOST_NAME = /^(?![0-9.]+$)(?=.{1,253}\.?$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[-0-9a-zA-Z]{0,61}[0-9a-zA-Z])?)*\.?$/;
/** A POSIX-portable login name (useradd's default rule); no shell metacharacters. */
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
/** One OpenSSH -J hop: [user@]host[:port]; an IPv6 host goes in brackets. */
const JUMP_HOP = /^(?:[a-z_][a-z0-9_-]{0,31}@)?(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9][a-zA-Z0-9.-]*)(?::([0-9]{1,5}))?$/;
/** OpenSSH -J syntax: hops separated by commas, or `none` (ignore a ProxyJump from ~/.ssh/config). */
const PROXY_JUMP = new RegExp(`^(?:none|${JUMP_HOP.source.slice(1, -1)}(?:,${JUMP_HOP.source.slice(1, -1)})*)$`);

export const ADDRESS_EXPECTED = 'an IPv4 or IPv6 address or a DNS name, such as 10.0.0.12 or cp2.example.com';

/** IPv4, IPv6 or DNS name. One union so the JSON Schema shows all three as `anyOf` with formats. */
const address = () =>
  z.union([z.ipv4(), z.ipv6(), z.string().regex(HOST_NAME).meta({ format: 'hostname' })], {
    error: `expected ${ADDRESS_EXPECTED}`,
  });

const port = () =>
  z
    .number({ error: 'expected a port number (an integer from 1 to 65535)' })
    .int({ error: 'expected a whole port number from 1 to 65535' })
    .min(1, { error: 'a port number is at least 1' })
    .max(65535, { error: 'a port number is at most 65535' });

const nodeName = () =>
  z.string().regex(NODE_NAME, {
    error:
      'expected a Kubernetes node name: lowercase letters, digits, `-` and `.` (RFC 1123), starting and ending with a letter or digit, such as cp2 or cp2.example.com',
  });

const userName = () =>
  z.string().regex(USER_NAME, { error: 'expected a login name: lowercase letters, digits, `_` and `-`, such as root or ops' });

/** Per-node overrides of how to reach it over SSH, for nodes behind NAT or with a different sshd. */
export const NodeSshSchema = z
  .object({
    host: address().optional().describe('Address to dial for SSH when it differs from the node address (NAT, a management network).'),
    port: port().optional().describe('SSH port of this node when it differs from ssh.port.'),
    user: userName().optional().describe('Login user on this node when it differs from ssh.user.'),
  })
  .strict()
  .describe('How to reach this node over SSH when it differs from the top-level `ssh` settings.');

export const NodeSchema = z
  .object({
    name: nodeName().describe('Kubernetes node name, exactly as `kubectl get nodes` shows it.'),
    address: address().describe("The node's address in the cluster network (its InternalIP): IPv4, IPv6 or a DNS name."),
    ssh: NodeSshSchema.optional(),
  })
  .strict();

export const ProxyKinds = ['nginx', 'haproxy'] as const;
export const ProxyPlacements = ['dedicated', 'per-node', 'vip'] as const;
export const VipProviders = ['keepalived', 'kube-vip'] as const;
/** A Linux interface name (IFNAMSIZ: at most 15 bytes, no `/`, no blank). */
const INTERFACE = /^[A-Za-z0-9_.:@-]{1,15}$/;
/** An image reference, as it goes into a static pod manifest. */
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/;

export const VipSchema = z
  .object({
    provider: z
      .enum(VipProviders)
      .default('keepalived')
      .describe(
        'Who holds the virtual IP: keepalived (Debian\'s package, a systemd service on every control-plane node, VRRP among them, a health check on the local apiserver) or kube-vip (a static pod on every control-plane node, ARP, leader election through the API).',
      ),
    address: z
      .union([z.ipv4(), z.ipv6()], { error: 'expected the virtual IP as an IPv4 or IPv6 address, such as 10.0.0.10' })
      .optional()
      .describe('The virtual IP, free on the control-plane nodes\' network. Default: endpoint.host when that is an IP address; required when endpoint.host is a DNS name (which must resolve to it).'),
    interface: z
      .string({ error: 'expected a network interface name such as eth0' })
      .regex(INTERFACE, { error: 'expected a network interface name such as eth0 (at most 15 letters, digits, `_`, `.`, `-`)' })
      .optional()
      .describe("The interface that carries the virtual IP on every control-plane node. Default: on each node, the interface that holds the node's address."),
    routerId: z
      .number({ error: 'expected a VRRP virtual router id (an integer from 1 to 255)' })
      .int({ error: 'expected a whole number from 1 to 255' })
      .min(1, { error: 'a virtual router id is at least 1' })
      .max(255, { error: 'a virtual router id is at most 255' })
      .default(51)
      .describe("keepalived's virtual_router_id: unique among the VRRP routers on this network segment."),
    advertIntervalSeconds: z
      .number({ error: 'expected a number of seconds such as 1' })
      .min(0.1, { error: 'the advertisement interval is at least 0.1 s' })
      .max(40, { error: 'the advertisement interval is at most 40 s (VRRPv3)' })
      .refine((n) => Math.abs(n * 100 - Math.round(n * 100)) < 1e-9, { error: 'VRRPv3 counts the interval in hundredths of a second: write at most two decimals, such as 0.5' })
      .default(1)
      .describe("keepalived's advert_int (VRRPv3): a backup takes the address over after 3 intervals without an advertisement plus a skew under one interval, so about 3.6 s with the default 1 s."),
    image: z
      .string({ error: 'expected an image reference such as ghcr.io/kube-vip/kube-vip:v1.0.0' })
      .regex(IMAGE, { error: 'expected an image reference such as ghcr.io/kube-vip/kube-vip:v1.0.0' })
      .optional()
      .describe("kube-vip only: the image of its static pod (default ghcr.io/kube-vip/kube-vip:v1.0.0)."),
  })
  .strict()
  .describe('The virtual IP of placement vip: held by one control-plane node at a time, moved to another when that node or its apiserver fails.');
export const SudoModes = ['auto', 'none', 'nopasswd', 'password'] as const;

export const ProxySchema = z
  .object({
    kind: z
      .enum(ProxyKinds)
      .default('nginx')
      .describe('The load balancer in front of the apiservers: nginx (stream module) or haproxy (mode tcp). Always TLS passthrough (L4), never TLS termination.'),
    placement: z
      .enum(ProxyPlacements)
      .describe(
        'dedicated: one proxy on `host`, the endpoint points at it. per-node: a local proxy on every node (kubespray style), no extra host. vip: a virtual IP held by one control-plane node at a time (keepalived or kube-vip); with an endpoint port other than the apiserver\'s, a proxy on every control-plane node behind it.',
      ),
    host: NodeSchema.optional().describe('The proxy machine for placement dedicated (required there, not allowed otherwise). It must not be a cluster node.'),
    vip: VipSchema.optional().describe('The virtual IP (placement vip only).'),
  })
  .strict()
  .describe('The TCP proxy that spreads API traffic over every control-plane node.')
  // Only in the JSON Schema (editors): semantic.ts checks the same rule with a better message.
  .meta({
    allOf: [
      {
        if: { properties: { placement: { const: 'dedicated' } }, required: ['placement'] },
        then: { required: ['host'] },
        else: { not: { required: ['host'] } },
      },
      { if: { properties: { placement: { const: 'vip' } }, required: ['placement'] }, else: { not: { required: ['vip'] } } },
    ],
  });

export const EndpointSchema = z
  .object({
    host: address().describe('The stable API endpoint: a DNS name (best) or an IP address that is not a node address, e.g. the dedicated proxy.'),
    port: port().default(6443).describe('TCP port of the endpoint.'),
  })
  .strict()
  .describe('The stable address every client uses for the API server once the cluster is highly available.');

export const SshSchema = z
  .object({
    user: userName().default('root').describe('Login user on every node; a user other than root runs commands through sudo.'),
    port: port().default(22).describe('SSH port on every node.'),
    identityFiles: z
      .array(z.string({ error: 'expected a file path such as ~/.ssh/id_ed25519' }).min(1, { error: 'expected a file path, found an empty string' }), {
        error: 'expected a list of private key paths, such as [~/.ssh/id_ed25519]',
      })
      .default([])
      .describe('Private key files to try, in order (`~` is your home; relative paths are relative to this file). The ssh-agent (SSH_AUTH_SOCK) is used as well.'),
    knownHosts: z
      .string({ error: 'expected a file path such as ~/.ssh/known_hosts' })
      .min(1)
      .default('~/.ssh/known_hosts')
      .describe('known_hosts file used to verify host keys (hashed entries are understood).'),
    configFile: z
      .union([z.string().min(1), z.literal(false)], { error: 'expected a file path such as ~/.ssh/config, or false to ignore it' })
      .default('~/.ssh/config')
      .describe('OpenSSH client config whose Host entries are honoured (HostName, Port, User, IdentityFile, ProxyJump); false to ignore it.'),
    proxyJump: z
      .string({ error: 'expected a jump host as user@host[:port], such as ops@bastion.example.com:22' })
      .regex(PROXY_JUMP, { error: 'expected a jump host as user@host[:port], such as ops@bastion.example.com:22' })
      .refine((s) => s.split(',').every(validHopPort), { error: 'the jump host port must be from 1 to 65535' })
      .optional()
      .describe('A bastion to go through, like `ssh -J user@host[:port]` (several hops separated by commas; `none` ignores a ProxyJump in the ssh config file).'),
    sudo: z
      .enum(SudoModes)
      .default('auto')
      .describe('How to become root: auto (probe `sudo -n true`, else ask for the password once), none (the login user is root), nopasswd, password (asked once, kept in memory only).'),
    sudoPasswordCommand: z
      .array(
        z
          .string({ error: 'expected a command as a list of words, such as [pass, show, ops/sudo]' })
          .min(1, { error: 'expected a word, found an empty string' })
          .describe('one word of the command, such as pass'),
        { error: 'expected a command as a list of words, such as [pass, show, ops/sudo]' },
      )
      .refine((a) => a.length > 0, { error: 'expected a command as a list of words, such as [pass, show, ops/sudo]' })
      .optional()
      .describe(
        'An askpass-style command run on this workstation (no shell) when sudo needs a password; its standard output, without the final newline, is the password. Kept in memory only. --sudo-password-stdin takes precedence.',
      ),
    acceptNewHostKeys: z
      .boolean({ error: 'expected true or false' })
      .default(false)
      .describe('true: accept and record unknown host keys (like StrictHostKeyChecking=accept-new). A changed host key is always refused.'),
    connectTimeoutSeconds: z
      .number({ error: 'expected a number of seconds such as 10' })
      .int({ error: 'expected a whole number of seconds such as 10' })
      .min(1, { error: 'expected at least 1 second' })
      .max(600, { error: 'expected at most 600 seconds' })
      .default(10)
      .describe('How long to wait for an SSH connection before giving up on a host.'),
  })
  .strict()
  .describe('How the wizard reaches the nodes over SSH (defaults follow OpenSSH).');

export const VerifySchema = z
  .object({
    failoverDrill: z
      .union([z.boolean(), nodeName()], { error: 'expected true, false, or the name of a control-plane node such as cp3' })
      .default(false)
      .describe(
        "Opt-in failover drill at the end: stop one control-plane node's apiserver (its manifest moved out), check the endpoint keeps answering, start it again. true drills the last node to promote; a node name drills that control-plane node. The stopped apiserver is restored even when a check fails.",
      ),
  })
  .strict()
  .describe('What the last step checks beyond the read-only verification (which always runs).');

export const CarryOverSchema = z
  .object({
    allowPaths: z
      .array(
        z
          .string({ error: 'expected an absolute directory on the nodes, such as /etc/kubernetes-extra' })
          .regex(/^\/[^\0]*$/, { error: 'expected an absolute directory on the nodes, such as /etc/kubernetes-extra' })
          .refine((p) => p.replace(/\/+$/, '') !== '', { error: 'the root directory cannot be allowed: name the directory that holds the files, such as /opt/k8s-policy' })
          .refine((p) => !p.split('/').includes('..'), { error: 'expected a path without `..`' })
          .describe('an absolute directory on the master, such as /opt/k8s-policy: files below it may be copied to the new control-plane nodes'),
        { error: 'expected a list of absolute directories, such as [/opt/k8s-policy]' },
      )
      .default([])
      .describe(
        'Directories on the master, besides /etc/kubernetes, whose files a control-plane manifest names (a flag or a hostPath volume) and which ha-wizard may copy byte for byte to the new control-plane nodes.',
      ),
  })
  .strict()
  .describe("Files the master's control-plane manifests depend on (audit policy, OIDC CA, encryption config, ...) are copied to the new nodes when they are under /etc/kubernetes or one of these directories.");

/** `cilium`, `calico`, or one workload as Kind/namespace/name (the names Kubernetes allows: DNS-1123 label / subdomain). */
export const REPOINT_ITEM = /^(?:cilium|calico|(?:DaemonSet|Deployment)\/[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?\/[a-z0-9](?:[-.a-z0-9]{0,251}[a-z0-9])?)$/;
const REPOINT_EXPECTED = 'expected cilium, calico, or a workload as Kind/namespace/name such as DaemonSet/monitoring/node-agent (Kind: DaemonSet or Deployment)';

export const RepointSchema = z
  .union(
    [
      z.literal('all'),
      z.array(z.string({ error: REPOINT_EXPECTED }).regex(REPOINT_ITEM, { error: REPOINT_EXPECTED }).describe('cilium, calico, or Kind/namespace/name of a DaemonSet or Deployment'), {
        error: 'expected all, or a list such as [cilium, calico]',
      }),
    ],
    { error: 'expected all, or a list such as [cilium, calico]' },
  )
  .describe(
    "API clients outside kubeadm's that still name the old master and that ha-wizard may repoint to the endpoint (plan shows each as a patch with its diff; rollback restores them): cilium (cilium-config k8s-service-host/port and the KUBERNETES_SERVICE_HOST/PORT env of its agent and operator, then the agents restarted one node at a time), calico (the kubernetes-services-endpoint ConfigMap and calico-node's env), a DaemonSet or Deployment as Kind/namespace/name (its KUBERNETES_SERVICE_HOST/PORT env), or all of what the audit offers. Absent: none; they are only reported.",
  );

export const ClusterConfigSchema = z
  .object({
    name: z
      .string({ error: 'expected a cluster name such as prod-eu1' })
      .regex(DNS_LABEL, { error: 'expected a cluster name of lowercase letters, digits and `-`, starting and ending with a letter or digit, such as prod-eu1' })
      .max(63, { error: 'a cluster name has at most 63 characters' })
      .describe('Cluster name: names the session and is the word you type to confirm changes.'),
    controlPlane: z
      .object({
        existing: NodeSchema.describe('The current single control-plane node (the one `kubeadm init` ran on).'),
        promote: z
          .array(NodeSchema, { error: 'expected a list of nodes, such as [{ name: cp2, address: 10.0.0.12 }]' })
          .describe('Nodes to make control-plane nodes: 2 or 4, for 3 or 5 in total (etcd needs an odd count).'),
      })
      .strict()
      .describe('The control-plane nodes: the one there now and the ones to add.'),
    endpoint: EndpointSchema,
    proxy: ProxySchema,
    workers: z
      .array(NodeSchema, { error: 'expected a list of nodes, such as [{ name: w1, address: 10.0.0.101 }]' })
      .optional()
      .describe('Worker nodes whose kubelet is repointed at the endpoint. When absent they are discovered from the API.'),
    workerBatchSize: z
      .number({ error: 'expected a number of workers, such as 50' })
      .int({ error: 'expected a whole number of workers, such as 50' })
      .min(1, { error: 'a batch holds at least 1 worker' })
      .max(5000, { error: 'a batch holds at most 5,000 workers' })
      .optional()
      .describe(
        'Workers whose kubelet moves to the endpoint at once, after a canary of one (default 50; at most 50 hosts are worked on at a time). Each batch is gated on its nodes reading their Node through the endpoint and staying Ready: a larger batch finishes a big fleet sooner, and is also how many nodes a bad kubelet.conf could take NotReady before the gate stops the run.',
      ),
    ssh: SshSchema.prefault({}),
    verify: VerifySchema.optional(),
    carryOver: CarryOverSchema.optional(),
    repoint: RepointSchema.optional(),
  })
  .strict()
  .meta({ title: 'ha-wizard cluster config' })
  .describe('What ha-wizard needs to make a single-control-plane kubeadm cluster highly available.');

/** A validated config, defaults filled in and paths expanded (what the rest of the program reads). */
export type ClusterConfig = z.infer<typeof ClusterConfigSchema>;
/** What may be written in the file (defaulted fields optional). */
export type ClusterConfigInput = z.input<typeof ClusterConfigSchema>;
export type NodeConfig = z.infer<typeof NodeSchema>;
export type ProxyKind = (typeof ProxyKinds)[number];
export type ProxyPlacement = (typeof ProxyPlacements)[number];
export type VipProvider = (typeof VipProviders)[number];
export type SudoMode = (typeof SudoModes)[number];

/** A hop's port, when written, is a valid port. */
function validHopPort(hop: string): boolean {
  const port = JUMP_HOP.exec(hop)?.[1];
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
}
