/**
 * The step-by-step config form: its fields, the YAML they make, and their errors. Validation runs the
 * same checks as `ha-wizard validate` (src/config/load.ts) on the YAML the form produces, so what the
 * form accepts is exactly what the config file accepts; issues are mapped back to the field they concern.
 */
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { checkConfigText } from '../config/load.js';
import { ProxyKinds, ProxyPlacements, SudoModes, VipProviders, type ClusterConfig } from '../config/schema.js';

export type FieldId =
  | 'name'
  | 'masterName'
  | 'masterAddress'
  | 'promote'
  | 'workers'
  | 'endpointHost'
  | 'endpointPort'
  | 'proxyKind'
  | 'proxyPlacement'
  | 'proxyHost'
  | 'vipProvider'
  | 'vipAddress'
  | 'sshUser'
  | 'sshPort'
  | 'identityFiles'
  | 'knownHosts'
  | 'sudo'
  | 'savePath';

export interface FieldSpec {
  id: FieldId;
  label: string;
  help: string;
  /** Fixed choices cycled with ←/→ instead of typed text. */
  choices?: readonly string[];
  placeholder?: string;
}

export const FIELDS: readonly FieldSpec[] = [
  { id: 'name', label: 'Cluster name', help: 'Names the session; also the word you type to approve.', placeholder: 'prod-eu1' },
  { id: 'masterName', label: 'Control-plane node', help: 'The node kubeadm init ran on (its Kubernetes node name).', placeholder: 'cp1' },
  { id: 'masterAddress', label: '  its address', help: 'Its InternalIP (or DNS name).', placeholder: '10.0.0.11' },
  { id: 'promote', label: 'Nodes to promote', help: 'name=address, comma separated: 2 or 4 nodes.', placeholder: 'cp2=10.0.0.12, cp3=10.0.0.13' },
  { id: 'workers', label: 'Workers (optional)', help: 'name=address, comma separated; empty: discovered from the API.', placeholder: 'w1=10.0.0.101' },
  { id: 'endpointHost', label: 'Endpoint', help: 'The stable API address: a DNS name (best) or the proxy host address.', placeholder: 'k8s-api.example.com' },
  { id: 'endpointPort', label: '  port', help: 'TCP port of the endpoint.', placeholder: '6443' },
  { id: 'proxyKind', label: 'Proxy', help: 'nginx (stream) or haproxy (mode tcp); always TLS passthrough.', choices: ProxyKinds },
  { id: 'proxyPlacement', label: '  placement', help: 'dedicated: one proxy host; per-node: a local proxy on every node; vip: a virtual IP held by one control-plane node at a time.', choices: ProxyPlacements },
  { id: 'proxyHost', label: '  proxy host', help: 'name=address of the dedicated proxy machine (dedicated only).', placeholder: 'lb=10.0.0.5' },
  {
    id: 'vipProvider',
    label: '  virtual IP by',
    help: 'vip only: keepalived (VRRP, a health check on the local apiserver) or kube-vip (a static pod, ARP, leader election).',
    choices: VipProviders,
  },
  { id: 'vipAddress', label: '  virtual IP', help: 'vip only, when the endpoint is a DNS name: the free address it resolves to (empty: the endpoint is the address).', placeholder: '10.0.0.10' },
  { id: 'sshUser', label: 'SSH user', help: 'Login user on every node; not root means sudo.', placeholder: 'root' },
  { id: 'sshPort', label: '  port', help: 'SSH port on every node.', placeholder: '22' },
  { id: 'identityFiles', label: '  keys', help: 'Private key files, comma separated (the ssh-agent is used too).', placeholder: '~/.ssh/id_ed25519' },
  { id: 'knownHosts', label: '  known_hosts', help: 'Where host keys are checked and recorded.', placeholder: '~/.ssh/known_hosts' },
  { id: 'sudo', label: '  sudo', help: 'auto, none (root), nopasswd, password (asked once, kept in memory).', choices: SudoModes },
  { id: 'savePath', label: 'Save as', help: 'The config file to write before connecting.', placeholder: 'cluster.yaml' },
];

export type FormValues = Record<FieldId, string>;

/** A field's help, for the values entered so far: with per-node proxies, what endpoint to give. */
export function fieldHelp(spec: FieldSpec, v: FormValues): string {
  if (spec.id === 'endpointHost' && v.proxyPlacement === 'per-node') {
    return 'Per-node proxies: every node runs its own proxy, so 127.0.0.1 works on the nodes (admin.conf then works only there); a DNS name that resolves to the control-plane nodes works from your workstation too.';
  }
  if (spec.id === 'endpointHost' && v.proxyPlacement === 'vip') {
    return 'Placement vip: a free address in the control-plane nodes\' network (the virtual IP itself), or a DNS name that resolves to it on every node (then give the address below). Port 6443 reaches the apiservers directly; any other port (8443, as kubeadm\'s HA guide) puts a proxy on every control-plane node.';
  }
  if (spec.id === 'endpointHost') return `${spec.help} With a dedicated proxy: its address or a name for it.`;
  return spec.help;
}

export const EMPTY_FORM: FormValues = {
  name: '',
  masterName: '',
  masterAddress: '',
  promote: '',
  workers: '',
  endpointHost: '',
  endpointPort: '6443',
  proxyKind: 'nginx',
  proxyPlacement: 'dedicated',
  proxyHost: '',
  vipProvider: 'keepalived',
  vipAddress: '',
  sshUser: 'root',
  sshPort: '22',
  identityFiles: '',
  knownHosts: '~/.ssh/known_hosts',
  sudo: 'auto',
  savePath: 'cluster.yaml',
};

function nodeList(text: string): Array<{ name: string; address: string }> {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const eq = s.indexOf('=');
      return eq < 0 ? { name: s, address: '' } : { name: s.slice(0, eq).trim(), address: s.slice(eq + 1).trim() };
    });
}

function numberOrText(s: string): number | string {
  return /^\d+$/.test(s.trim()) ? Number(s.trim()) : s.trim();
}

/** The config document the form describes (what would be written to the file). */
export function formDocument(v: FormValues): Record<string, unknown> {
  const proxyHost = nodeList(v.proxyHost)[0];
  const workers = nodeList(v.workers);
  const identityFiles = v.identityFiles
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return {
    name: v.name.trim(),
    controlPlane: { existing: { name: v.masterName.trim(), address: v.masterAddress.trim() }, promote: nodeList(v.promote) },
    endpoint: { host: v.endpointHost.trim(), port: numberOrText(v.endpointPort) },
    proxy: {
      kind: v.proxyKind,
      placement: v.proxyPlacement,
      ...(v.proxyPlacement === 'dedicated' && proxyHost ? { host: proxyHost } : {}),
      ...(v.proxyPlacement === 'vip' ? { vip: { provider: v.vipProvider, ...(v.vipAddress.trim() ? { address: v.vipAddress.trim() } : {}) } } : {}),
    },
    ...(workers.length ? { workers } : {}),
    ssh: {
      user: v.sshUser.trim(),
      port: numberOrText(v.sshPort),
      ...(identityFiles.length ? { identityFiles } : {}),
      knownHosts: v.knownHosts.trim(),
      sudo: v.sudo,
    },
  };
}

/**
 * The JSON Schema editors check the saved file with: the one shipped with this ha-wizard (assets/ha-wizard.schema.json),
 * by absolute path, so it resolves wherever the file is saved (`ha-wizard schema` prints the same).
 */
export const SCHEMA_PATH = fileURLToPath(new URL('../../../assets/ha-wizard.schema.json', import.meta.url));

export function formYaml(v: FormValues): string {
  return `# yaml-language-server: $schema=${SCHEMA_PATH}\n${stringify(formDocument(v))}`;
}

/** Which form field a config path (as issues print it) belongs to. */
export function fieldOfPath(path: string): FieldId | null {
  const rules: Array<[RegExp, FieldId]> = [
    [/^name/, 'name'],
    [/^controlPlane\.existing\.address/, 'masterAddress'],
    [/^controlPlane\.existing/, 'masterName'],
    [/^controlPlane\.promote/, 'promote'],
    [/^controlPlane/, 'promote'],
    [/^workers/, 'workers'],
    [/^endpoint\.port/, 'endpointPort'],
    [/^endpoint/, 'endpointHost'],
    [/^proxy\.kind/, 'proxyKind'],
    [/^proxy\.host/, 'proxyHost'],
    [/^proxy\.vip\.provider/, 'vipProvider'],
    [/^proxy\.vip/, 'vipAddress'],
    [/^proxy/, 'proxyPlacement'],
    [/^ssh\.user/, 'sshUser'],
    [/^ssh\.port/, 'sshPort'],
    [/^ssh\.identityFiles/, 'identityFiles'],
    [/^ssh\.knownHosts/, 'knownHosts'],
    [/^ssh\.sudo/, 'sudo'],
  ];
  for (const [re, id] of rules) if (re.test(path)) return id;
  return null;
}

export interface FormCheck {
  /** First error per field (message and hint), as the config checks word it. */
  errors: Partial<Record<FieldId, string>>;
  /** Errors that belong to no single field. */
  general: string[];
  warnings: string[];
  valid: boolean;
}

/**
 * Checks the form with the config file's own rules. Pure: files named in it are not looked up here
 * (the real load after saving does that).
 */
export function checkForm(v: FormValues): FormCheck {
  const res = checkConfigText(formYaml(v), v.savePath || 'cluster.yaml', { home: '/home', baseDir: '/', statPath: () => 'file' });
  const errors: Partial<Record<FieldId, string>> = {};
  const general: string[] = [];
  for (const e of res.errors) {
    const field = fieldOfPath(e.path);
    const text = `${e.message}${e.hint ? ` (${e.hint})` : ''}`;
    if (field === null) general.push(text);
    else errors[field] ??= text;
  }
  if (!v.savePath.trim()) errors.savePath = 'expected a file name to save the config as, such as cluster.yaml';
  return { errors, general, warnings: res.warnings.map((w) => `${w.path ? `${w.path}: ` : ''}${w.message}`), valid: res.errors.length === 0 && v.savePath.trim() !== '' };
}

const pairs = (nodes: ReadonlyArray<{ name: string; address: string }> | undefined) => (nodes ?? []).map((n) => `${n.name}=${n.address}`).join(', ');

/** The form filled from a loaded config (to edit it step by step). */
export function formFromConfig(c: ClusterConfig, savePath: string): FormValues {
  return {
    name: c.name,
    masterName: c.controlPlane.existing.name,
    masterAddress: c.controlPlane.existing.address,
    promote: pairs(c.controlPlane.promote),
    workers: pairs(c.workers),
    endpointHost: c.endpoint.host,
    endpointPort: String(c.endpoint.port),
    proxyKind: c.proxy.kind,
    proxyPlacement: c.proxy.placement,
    proxyHost: c.proxy.host ? pairs([c.proxy.host]) : '',
    vipProvider: c.proxy.vip?.provider ?? 'keepalived',
    vipAddress: c.proxy.vip?.address ?? '',
    sshUser: c.ssh.user,
    sshPort: String(c.ssh.port),
    identityFiles: c.ssh.identityFiles.join(', '),
    knownHosts: c.ssh.knownHosts,
    sudo: c.ssh.sudo,
    savePath,
  };
}
