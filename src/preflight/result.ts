/** One preflight finding, kubeadm style (checks.ts evaluates them; identity.ts adds the identity checks). */
export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  /** Stable, for --ignore-preflight-errors (e.g. "Port-2379", "ClockSkew"). */
  name: string;
  status: CheckStatus;
  message: string;
  /** What to do about it; empty when passing. */
  fix: string;
  /** Whether --ignore-preflight-errors may downgrade a failure. */
  ignorable: boolean;
  /** The node it concerns, when it is per node. */
  host?: string;
}

