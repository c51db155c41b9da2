/**
 * Actions: the closed set of plain data that steps return and the engine alone executes.
 *
 * A step never talks to a host. It reads discovered facts and the operator's choices and returns
 * a list of these. The engine previews them (diffs, commands, a summary), journals them, executes
 * them, resumes them after a crash and rolls them back. Everything here must survive JSON.stringify:
 * a saved plan is exactly this data.
 *
 * Secrets never appear in an action. Content that is secret (private keys, kubeconfigs with embedded
 * client keys, copies of CA keys) is described by a recipe and materialised by the engine at apply
 * time, in memory, on the way to the host. The plan shows `(sensitive, sha256:…)` or the certificate
 * spec instead of bytes.
 */

/** How bad it is if this goes wrong, shown as a badge in the preview. */
export type Risk =
  /** Changes nothing (reads, probes, waits). */
  | 'read-only'
  /** Changes something that rollback restores exactly. */
  | 'reversible'
  /** Reversible, but interrupts a running component (e.g. restarts an apiserver). */
  | 'disruptive'
  /** Has no exact undo (e.g. adding an etcd voting member); rollback needs a different, riskier path. */
  | 'point-of-no-easy-return';

/** A certificate the engine issues at apply time, signed by a CA read from a host into memory. */
export interface CertSpec {
  /** Which CA signs it: the cert and key paths on `caHost`. */
  ca: { host: string; certPath: string; keyPath: string };
  subject: { commonName: string; organization?: string[] };
  dnsNames: string[];
  ipAddresses: string[];
  usages: Array<'serverAuth' | 'clientAuth'>;
  /** Validity in days (kubeadm: 365), capped at the CA's own expiry. */
  validityDays: number;
}

/** What a written file contains. Only `literal` carries bytes in the plan. */
export type Content =
  /** Plain text (manifests, configs, certificates known at plan time). */
  | { type: 'literal'; text: string }
  /**
   * A new private key in the CA's algorithm and format (RSA PKCS#1 / EC SEC1), generated at apply time.
   * `algorithm` is e.g. 'rsa-2048', 'ecdsa-p256', 'ecdsa-p384'.
   */
  | { type: 'private-key'; algorithm: string }
  /** A certificate for the public half of the key file `keyPath` on the same host, issued at apply time. */
  | { type: 'certificate'; keyPath: string; spec: CertSpec }
  /**
   * A byte-identical copy of a file on another host (shared PKI: ca.key, sa.key, …), carried in memory.
   * `sha256` is the source's hash at plan time; apply refuses when the source changed.
   */
  | { type: 'copy'; fromHost: string; fromPath: string; sha256: string; sensitive: boolean }
  /**
   * A kubeconfig with an embedded client certificate and key issued at apply time (controller-manager.conf,
   * scheduler.conf, admin.conf on a new node). `template` is the kubeconfig without the user's credentials.
   */
  | { type: 'kubeconfig'; server: string; clusterName: string; userName: string; caHost: string; caCertPath: string; client: CertSpec }
  /**
   * The kubeconfig at `fromPath` on the target host with only its current cluster's `server` replaced
   * (admin.conf, super-admin.conf, a worker's kubelet.conf). Read and rewritten in memory at apply time,
   * so the embedded client key never enters the plan.
   */
  | { type: 'kubeconfig-server'; fromPath: string; server: string };

/** Whether a content kind is secret (never shown, logged or journaled). */
export function isSensitive(content: Content): boolean {
  return (
    content.type === 'private-key' || content.type === 'kubeconfig' || content.type === 'kubeconfig-server' || (content.type === 'copy' && content.sensitive)
  );
}

/** A check that answers yes or no by looking, never by changing anything. */
export type Probe =
  /** Run argv on host (read-only!); success when the exit code is 0 and stdout contains `stdoutIncludes` if given. */
  | { type: 'command'; host: string; argv: string[]; stdoutIncludes?: string }
  /**
   * HTTPS GET dialled from `host` (ssh direct-tcpip) to `address:port`; success on `expectStatus` (default 200).
   * The server certificate is verified against `caPath` (read from `host`) for `serverName`, so a missing SAN fails
   * exactly as it does for kubectl. The client certificate, if any, is read from `host` into memory.
   */
  | {
      type: 'https';
      host: string;
      address: string;
      port: number;
      path: string;
      caPath: string;
      serverName: string;
      clientCertPath?: string;
      clientKeyPath?: string;
      expectStatus?: number;
    }
  /** The file exists (and, if `sha256` is given, has exactly that content); `absent: true` inverts. */
  | { type: 'file'; host: string; path: string; sha256?: string; absent?: boolean };

/** A Kubernetes object, reached through the API of a control-plane host (tunnelled over its SSH). */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** One edit to a Kubernetes object: set a value at a path (keys, no wildcards), or delete it when value is undefined. */
export interface ObjectEdit {
  /** e.g. ['data', 'kubeconfig.conf'] or ['metadata', 'labels', 'node-role.kubernetes.io/control-plane']. */
  path: string[];
  value?: unknown;
  /** For string values that are YAML documents (ConfigMap data): set `yamlPath` inside the parsed document instead. */
  yamlPath?: string[];
}

interface ActionBase {
  /** Stable within a plan: `<step>/<host>/<what>`, e.g. `etcd/node2/member-add`. */
  id: string;
  /** The step that produced it (a file in steps/). */
  step: string;
  /** One line for the operator: what and why. */
  description: string;
  risk: Risk;
  /**
   * The id of a later action of the same step and host that completes this one (a component's stop → its
   * start). Once this action has run, a graceful interrupt does not stop before that one is done, in apply
   * and in rollback: stopping in between would leave the component down (the API, for an apiserver).
   */
  pairedWith?: string;
  /**
   * In a step that runs hosts in parallel: waits for every action before it in the step and holds every
   * action after it (a batch's health gate). Without it, actions on different hosts may overlap.
   */
  gate?: true;
}

export interface WriteFileAction extends ActionBase {
  type: 'write-file';
  host: string;
  path: string;
  content: Content;
  /** e.g. 0o600 for keys, 0o644 for certs and manifests. */
  mode: number;
  owner?: string;
}

export interface RemoveFileAction extends ActionBase {
  type: 'remove-file';
  host: string;
  path: string;
}

export interface RunAction extends ActionBase {
  type: 'run';
  host: string;
  argv: string[];
  /** Reverses the effect; required unless risk is 'point-of-no-easy-return' or the command changes nothing. */
  undo?: string[];
  /** Says whether the effect is already present; resume uses it to decide done vs redo. */
  probe?: Probe;
  /**
   * Running it again has the same effect as running it once (a reload, a restart, a config check), so
   * resume redoes it when it was interrupted, even without a probe. Never set it on a command whose
   * second run differs from its first (adding an etcd member, creating something that must not exist).
   */
  idempotent?: boolean;
  /** Runs again until it succeeds or the deadline passes (documented transient errors, e.g. etcd "not in sync yet"). */
  retry?: { timeoutMs: number; intervalMs: number; onlyIfStderrIncludes?: string[]; /** Why it fails for a while, in words ("the learner has not caught up yet"). */ why?: string };
  timeoutMs?: number;
  /**
   * Directories that running it leads to (a data directory the kubelet makes for the manifest written next): the
   * engine journals which were absent before it runs, and rollback removes those once they are empty again.
   */
  createsDirs?: string[];
  /**
   * The command measures something (a failover drill): its last line of output is a JSON object of numbers and
   * strings, the line before it says the same in words. The engine reports both as a `measurement` event.
   */
  measurement?: string;
}

export interface PatchObjectAction extends ActionBase {
  type: 'patch-object';
  /** The control-plane host whose API is used (through its SSH connection and admin.conf). */
  host: string;
  object: ObjectRef;
  edits: ObjectEdit[];
}

export interface WaitAction extends ActionBase {
  type: 'wait';
  probe: Probe;
  timeoutMs: number;
  intervalMs: number;
}

export type Action = WriteFileAction | RemoveFileAction | RunAction | PatchObjectAction | WaitAction;
export type ActionType = Action['type'];

/** The hosts an action touches or reads (for per-host previews and progress). */
export function actionHost(action: Action): string {
  return action.type === 'wait' ? action.probe.host : action.host;
}

/**
 * Whether a failed action may be skipped (`resume --skip`, the wizard's "skip"): only when it changes nothing,
 * so going on without it leaves nothing half-done and nothing to undo: a `wait`, or a `run` whose risk is
 * read-only. Takes the action's type and risk alone, so the wizard can ask it of a preview entry.
 */
export function isSkippable(action: { type: ActionType; risk?: Risk }): boolean {
  return action.type === 'wait' || (action.type === 'run' && action.risk === 'read-only');
}
