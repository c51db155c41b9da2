/**
 * The lab runs Debian's etcd 3.4.23 for every etcd image tag the manifests name (3.5.x, 3.6.x). Flags
 * that 3.4 lacks are mapped to their 3.4 spelling or dropped; everything else passes through unchanged,
 * so a wrong flag value in a manifest still fails the way it would in production.
 *
 *   manifest flag (3.5 / 3.6)                          given to etcd 3.4
 *   --feature-gates=InitialCorruptCheck=true           --experimental-initial-corrupt-check=true (other gates dropped)
 *   --watch-progress-notify-interval=X                 --experimental-watch-progress-notify-interval=X
 *   --corrupt-check-time=X                             --experimental-corrupt-check-time=X
 *   --warning-apply-duration=X                         --experimental-warning-apply-duration=X
 *   --peer-skip-client-san-verification=X              --experimental-peer-skip-client-san-verification=X
 *   --experimental-compact-hash-check-enabled, --compact-hash-check-enabled,
 *   --experimental-compact-hash-check-time, --compact-hash-check-time,
 *   --experimental-max-learners, --max-learners,
 *   --experimental-enable-distributed-tracing, --experimental-distributed-tracing-*,
 *   --experimental-snapshot-catchup-entries, --snapshot-catchup-entries,
 *   --experimental-memory-mlock, --memory-mlock,
 *   --experimental-txn-mode-write-with-shared-buffer, --experimental-stop-grpc-service-on-defrag,
 *   --experimental-bootstrap-defrag-threshold-megabytes, --bootstrap-defrag-threshold-megabytes,
 *   --experimental-downgrade-check-time, --downgrade-check-time,
 *   --tls-min-version, --tls-max-version                dropped (3.4 rejects them: "flag provided but not defined")
 *
 * Kept as is: --strict-reconfig-check (default true, as in 3.5/3.6), so adding a member right after a
 * promotion waits ~5 s for "unhealthy cluster" exactly like a real cluster; the wizard must handle it.
 * Probes: etcd 3.4's metrics listener serves /health but not /livez or /readyz, so the agent probes
 * /health where a manifest says /livez or /readyz (see probePath).
 */
const RENAMED: Record<string, string> = {
  'watch-progress-notify-interval': 'experimental-watch-progress-notify-interval',
  'corrupt-check-time': 'experimental-corrupt-check-time',
  'warning-apply-duration': 'experimental-warning-apply-duration',
  'peer-skip-client-san-verification': 'experimental-peer-skip-client-san-verification',
};

const DROPPED = new Set([
  'experimental-compact-hash-check-enabled',
  'compact-hash-check-enabled',
  'experimental-compact-hash-check-time',
  'compact-hash-check-time',
  'experimental-max-learners',
  'max-learners',
  'experimental-enable-distributed-tracing',
  'experimental-distributed-tracing-address',
  'experimental-distributed-tracing-service-name',
  'experimental-distributed-tracing-instance-id',
  'experimental-distributed-tracing-sampling-rate',
  'experimental-snapshot-catchup-entries',
  'snapshot-catchup-entries',
  'experimental-memory-mlock',
  'memory-mlock',
  'experimental-txn-mode-write-with-shared-buffer',
  'experimental-stop-grpc-service-on-defrag',
  'experimental-bootstrap-defrag-threshold-megabytes',
  'bootstrap-defrag-threshold-megabytes',
  'experimental-downgrade-check-time',
  'downgrade-check-time',
  'tls-min-version',
  'tls-max-version',
]);

/** Maps a manifest's etcd arguments (without argv[0]) to what etcd 3.4 accepts. */
export function etcd34Args(args: string[]): string[] {
  const out: string[] = [];
  for (const arg of args) {
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(arg);
    if (!m) {
      out.push(arg);
      continue;
    }
    const [, name, value] = m as unknown as [string, string, string | undefined];
    const v = value === undefined ? '' : `=${value}`;
    if (name === 'feature-gates') {
      for (const gate of (value ?? '').split(',')) {
        const [g, on] = gate.split('=');
        if (g === 'InitialCorruptCheck') out.push(`--experimental-initial-corrupt-check=${on ?? 'true'}`);
      }
    } else if (DROPPED.has(name)) continue;
    else if (RENAMED[name]) out.push(`--${RENAMED[name]}${v}`);
    else out.push(arg);
  }
  return out;
}

/** The probe path etcd 3.4 can answer for a manifest's probe path. */
export function etcdProbePath(path: string): string {
  return /^\/(livez|readyz|health)/.test(path) ? '/health' : path;
}
