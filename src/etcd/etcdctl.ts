/**
 * etcdctl as the wizard runs it on the master: API v3, the local member's client URL, and kubeadm's
 * healthcheck-client certificate (read-only use by kubeadm's own liveness checks; it can also change
 * membership, which is why only the master's local member is ever addressed).
 *
 * Lookups by name or peer URL are small fixed `sh -c` scripts: values reach them only as positional
 * arguments ($1, $2) and awk reads them from the environment, so no node name or URL is ever parsed as code.
 */
import { shQuote } from '../shell/quote.js';

export const ETCD_PKI = {
  ca: '/etc/kubernetes/pki/etcd/ca.crt',
  cert: '/etc/kubernetes/pki/etcd/healthcheck-client.crt',
  key: '/etc/kubernetes/pki/etcd/healthcheck-client.key',
} as const;

export const LOCAL_ETCD_ENDPOINT = 'https://127.0.0.1:2379';

/**
 * The local member's client URL on the master: the loopback one of its --listen-client-urls (kubeadm writes
 * https://127.0.0.1:2379 for an IPv4 advertise address, https://[::1]:2379 for an IPv6 one), else its first URL;
 * LOCAL_ETCD_ENDPOINT when the manifest gives none.
 */
export function localEtcdEndpoint(listenClientUrls: string | undefined | null): string {
  const urls = (listenClientUrls ?? '').split(',').map((u) => u.trim()).filter(Boolean);
  return urls.find((u) => /^https?:\/\/(127\.\d+\.\d+\.\d+|\[::1\]|localhost)(:\d+)?\/?$/.test(u))?.replace(/\/$/, '') ?? urls[0]?.replace(/\/$/, '') ?? LOCAL_ETCD_ENDPOINT;
}

/** argv for etcdctl against `endpoint` (the master's local member unless told otherwise). */
export function etcdctl(args: readonly string[], endpoint = LOCAL_ETCD_ENDPOINT): string[] {
  return ['env', 'ETCDCTL_API=3', 'etcdctl', `--endpoints=${endpoint}`, `--cacert=${ETCD_PKI.ca}`, `--cert=${ETCD_PKI.cert}`, `--key=${ETCD_PKI.key}`, ...args];
}

// `member list` (simple format): "ID, STATUS, NAME, PEER ADDRS, CLIENT ADDRS, IS LEARNER".
// An added member that has not started yet has an empty name, so lookups also match the peer URL.
const prelude = (endpoint: string) => ['set -eu', `e() { ${etcdctl([], endpoint).map(shQuote).join(' ')} "$@"; }`].join('\n');

function script(body: string, args: readonly string[], endpoint = LOCAL_ETCD_ENDPOINT): string[] {
  return ['sh', '-c', `${prelude(endpoint)}\n${body}`, 'ha-wizard-etcd', ...args];
}

/** Removes the member named $1 or with peer URL $2; succeeds when there is none (idempotent undo). */
export function memberRemoveByNameOrPeer(name: string, peerURL: string, endpoint = LOCAL_ETCD_ENDPOINT): string[] {
  return script(
    [
      `id=$(e member list | N="$1" P="$2" awk -F', ' '$3 == ENVIRON["N"] || $4 == ENVIRON["P"] { print $1; exit }')`,
      '[ -n "$id" ] || exit 0',
      'e member remove "$id"',
    ].join('\n'),
    [name, peerURL],
    endpoint,
  );
}

/** The member an argv made by memberRemoveByNameOrPeer removes (for previews), or null for any other argv. */
export function memberRemovedBy(argv: readonly string[]): { name: string; peerURL: string } | null {
  const [name, peerURL] = argv.slice(4);
  if (argv.length !== 6 || name === undefined || peerURL === undefined) return null;
  const endpoint = /'--endpoints=([^']+)'/.exec(argv[2] ?? '')?.[1] ?? LOCAL_ETCD_ENDPOINT;
  const expected = memberRemoveByNameOrPeer(name, peerURL, endpoint);
  return expected.every((a, i) => a === argv[i]) ? { name, peerURL } : null;
}

/** Promotes the learner with peer URL $1 (etcd answers "not in sync" until it has caught up; the caller retries). */
export function memberPromoteByPeer(peerURL: string, endpoint = LOCAL_ETCD_ENDPOINT): string[] {
  return script(
    [
      `id=$(e member list | P="$1" awk -F', ' '$4 == ENVIRON["P"] { print $1; exit }')`,
      '[ -n "$id" ] || { echo "no etcd member has the peer URL $1" >&2; exit 1; }',
      'e member promote "$id"',
    ].join('\n'),
    [peerURL],
    endpoint,
  );
}

/** Changes the peer URL of the member whose peer URL is $1 to $2. */
export function memberUpdatePeer(fromPeerURL: string, toPeerURL: string, endpoint = LOCAL_ETCD_ENDPOINT): string[] {
  return script(
    [
      `id=$(e member list | P="$1" awk -F', ' '$4 == ENVIRON["P"] { print $1; exit }')`,
      '[ -n "$id" ] || { echo "no etcd member has the peer URL $1" >&2; exit 1; }',
      'e member update "$id" --peer-urls="$2"',
    ].join('\n'),
    [fromPeerURL, toPeerURL],
    endpoint,
  );
}

export type MemberState = 'present' | 'started' | 'voting';

/** Read-only: prints `member-<state>` and exits 0 when the member with peer URL $1 is in that state. */
export function memberStateProbe(peerURL: string, state: MemberState, endpoint = LOCAL_ETCD_ENDPOINT): string[] {
  const cond = { present: '1', started: '$2 == "started"', voting: '$2 == "started" && $6 == "false"' }[state];
  return script(
    `e member list | P="$1" awk -F', ' '$4 == ENVIRON["P"] && ${cond} { print "member-${state}"; found = 1 } END { if (!found) print "the member with peer URL " ENVIRON["P"] " is not ${state === 'present' ? 'listed' : state} yet" > "/dev/stderr"; exit !found }'`,
    [peerURL],
    endpoint,
  );
}

/** Read-only: fails (naming it) when a learner other than the one with peer URL $1 exists: etcd allows one. */
export function noOtherLearnerCheck(peerURL: string, endpoint = LOCAL_ETCD_ENDPOINT): string[] {
  return script(
    `e member list | P="$1" awk -F', ' '$6 == "true" && $4 != ENVIRON["P"] { print "etcd already has a learner: " $3 " " $4 > "/dev/stderr"; bad = 1 } END { exit bad }'`,
    [peerURL],
    endpoint,
  );
}

/** Read-only: every member answers (`endpoint health --cluster`). */
export function clusterHealthArgv(endpoint = LOCAL_ETCD_ENDPOINT): string[] {
  return etcdctl(['endpoint', 'health', '--cluster'], endpoint);
}
