/**
 * What the engine needs from the rest of the program, as interfaces, so the engine stays the only
 * executor and can be tested against the lab with the real implementations plugged in:
 *   - hosts:        src/ssh (the transport)
 *   - materialize:  src/pki (generated keys, certificates, kubeconfigs; CA keys held in memory only)
 *   - kube:         src/kube (the Kubernetes API through an SSH tunnel to a control-plane host)
 *   - https probes: src/kube (TLS checks that fail on a missing SAN exactly like kubectl)
 */
import type { Content, ObjectRef, Probe } from './actions.js';
import type { RemoteHost } from './remote-host.js';

/** Everything the engine needs to execute a plan (conversion/wiring.ts plugs in the real ones). */
export interface EngineDeps {
  hosts: Hosts;
  materializer: Materializer;
  kube: KubeApiFactory;
  prober: Prober;
}

/** Looks up the connection for a node name from the plan. */
export interface Hosts {
  get(name: string): Promise<RemoteHost>;
}

/**
 * Turns a non-literal Content into bytes at apply time. Never called while building a preview:
 * the preview shows the spec, not the bytes. Implementations cache CA keys in memory per run.
 */
export interface Materializer {
  materialize(content: Exclude<Content, { type: 'literal' }>, targetHost: string, hosts: Hosts): Promise<Buffer>;
  /** Whether `current` (the bytes on the host now) already satisfies `content` (resume uses it: cert matches spec and key). */
  satisfies(content: Exclude<Content, { type: 'literal' }>, targetHost: string, current: Buffer, hosts: Hosts): Promise<boolean>;
}

export type KubeObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
};

export interface KubeApi {
  /** null when the object does not exist. */
  get(ref: ObjectRef): Promise<KubeObject | null>;
  /** PUT with the object's resourceVersion; rejects on conflict (HTTP 409) so the engine can re-read and retry. */
  replace(ref: ObjectRef, object: KubeObject): Promise<KubeObject>;
  list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<KubeObject[]>;
}

export interface KubeApiFactory {
  /** An API client through `host` (a control-plane node), authenticated with its admin.conf read into memory. */
  forHost(host: RemoteHost): Promise<KubeApi>;
}

export interface ProbeResult {
  ok: boolean;
  /** Why not, in words an operator understands (e.g. the x509 SAN error). */
  detail: string;
  /** The answer alone, short and in words (what a wait shows while it waits), without the command or URL that asked. */
  answer?: string;
}

export interface Prober {
  /** Evaluate an https probe (command and file probes are evaluated by the engine itself). */
  https(probe: Extract<Probe, { type: 'https' }>, hosts: Hosts): Promise<ProbeResult>;
}
