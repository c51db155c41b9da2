/**
 * The scripts of the virtual IP's failover drill (steps/failover-drill.ts), as fixed text: every value reaches them
 * as a positional argument, never parsed as code.
 *
 *   PROBER_START   on a worker: a detached prober that starts an HTTPS GET of /readyz through the virtual IP every
 *                  100 ms (each with its own 2 s deadline, so an unanswered request does not delay the next one),
 *                  TLS verified against the cluster CA for the endpoint's name, with the kubelet's credentials, and
 *                  writes `start_ms end_ms http_code` per request. It stops by itself after a deadline.
 *   CUT_HOLDER     on each control-plane node: if this node holds the virtual IP, and every other control-plane
 *                  node answers (so no node is down already: one drill never takes two nodes away), its network
 *                  goes down one second later for a fixed time, by a detached timer that brings it back whatever
 *                  happens to the run; otherwise nothing.
 *   PROBER_REPORT  on the worker: waits until requests failed and then answered again without a failure for
 *                  `stable` requests in a row, stops the prober, prints what it measured (the last line as JSON),
 *                  removes its files, and fails when nothing failed (no node was cut) or nothing answered again.
 */

/** Where the prober keeps its pid, its log and its stop mark on the worker (removed by the report, and on rollback). */
export const PROBER_DIR = '/run/ha-wizard-vip-drill';

/** $1 dir, $2 URL, $3 CA file, $4 client certificate and key (one PEM), $5 seconds at most. */
export const PROBER_START = [
  'set -eu',
  'command -v curl >/dev/null || { echo "curl is needed on this node to measure the drill (apt-get install curl)" >&2; exit 1; }',
  'dir=$1',
  'if [ -f "$dir/pid" ]; then kill "$(cat "$dir/pid")" 2>/dev/null || true; fi',
  'rm -rf "$dir"; mkdir -m 700 "$dir"; : > "$dir/log"',
  // The loop writes its own pid first; each request appends one line (one write: lines never interleave).
  'loop=\'echo $$ > "$0/pid"; end=$(( $(date +%s) + $4 ))',
  'while [ "$(date +%s)" -lt "$end" ] && [ ! -e "$0/stop" ]; do',
  '  ( s=$(date +%s%3N); c=$(curl -s -o /dev/null -w "%{http_code}" --connect-timeout 2 --max-time 2 --cacert "$2" --cert "$3" "$1" 2>/dev/null) || true; e=$(date +%s%3N); echo "$s $e ${c:-000}" >> "$0/log" ) &',
  '  sleep 0.1',
  "done'",
  'setsid -f sh -c "$loop" "$dir" "$2" "$3" "$4" "$5" </dev/null >/dev/null 2>&1',
  'i=0; while [ ! -s "$dir/pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done',
  '[ -s "$dir/pid" ] || { echo "the prober did not start" >&2; exit 1; }',
  // A baseline: the first requests must answer, or the drill would measure nothing.
  'i=0; while [ $i -lt 100 ]; do n=$(awk \'$3 == 200\' "$dir/log" | wc -l); [ "$n" -ge 5 ] && break; sleep 0.1; i=$((i+1)); done',
  '[ "$n" -ge 5 ] || { echo "the API did not answer through $2 before the drill (log: $(tail -n 3 "$dir/log" | tr "\\n" " "))" >&2; exit 1; }',
  'echo "prober running (pid $(cat "$dir/pid")): GET $2 every 100 ms"',
].join('\n');

/** Undo of the prober's start: stop it and remove its files (rollback leaves nothing of the drill). */
export const PROBER_STOP = ['if [ -f "$1/pid" ]; then kill "$(cat "$1/pid")" 2>/dev/null || true; fi', 'rm -rf "$1"'].join('\n');

/**
 * $1 the virtual IP as `ip addr` shows it (ADDRESS/PREFIX), $2 interface, $3 seconds down, $4 apiserver port,
 * $5.. the other control-plane nodes' addresses.
 */
export const CUT_HOLDER = [
  'set -eu',
  'vip=$1 dev=$2 down=$3 port=$4; shift 4',
  'me=$(cat /proc/sys/kernel/hostname)',
  'if ! ip -o addr show dev "$dev" | grep -qF " $vip "; then echo "$me does not hold ${vip%/*}: nothing to stop here"; exit 0; fi',
  // A TCP connection to the apiserver port (curl when there is one, else bash's /dev/tcp).
  'answers() {',
  '  if command -v curl >/dev/null; then case $1 in *:*) u="[$1]" ;; *) u=$1 ;; esac; curl -sk -o /dev/null --connect-timeout 2 --max-time 3 "https://$u:$port/livez"',
  '  else timeout 3 bash -c \'exec 3<>"/dev/tcp/$0/$1"\' "$1" "$port" 2>/dev/null; fi',
  '}',
  // One node at a time: a node that does not answer is already down, and cutting this one too could cost etcd its quorum.
  'for a in "$@"; do',
  '  answers "$a" || { echo "$me holds ${vip%/*}, but the control-plane node at $a does not answer: not stopping a second node" >&2; exit 1; }',
  'done',
  // The timer brings the network back whatever happens to the run (it needs no connection to this node). Linux
  // drops an interface's static IPv6 addresses when it goes down (keep_addr_on_down 0, the default) and nothing
  // would add them again: the node would never rejoin. The timer keeps them for the cut and restores the setting.
  "setsid -f sh -c 'k=/proc/sys/net/ipv6/conf/$0/keep_addr_on_down; old=$(cat \"$k\" 2>/dev/null) || old=; [ -z \"$old\" ] || echo 1 > \"$k\"; sleep 1; ip link set \"$0\" down; sleep \"$1\"; ip link set \"$0\" up; [ -z \"$old\" ] || echo \"$old\" > \"$k\"' \"$dev\" \"$down\" </dev/null >/dev/null 2>&1",
  'echo "$me holds ${vip%/*}: its network ($dev) goes down in 1 s, for $down s"',
].join('\n');

/** $1 dir, $2 seconds to wait for the failure and the recovery, $3 successes in a row that mean "answers again". */
export const PROBER_REPORT = [
  'set -u',
  'dir=$1 wait=$2 stable=$3',
  '[ -f "$dir/log" ] || { echo "the prober is not running on this node (its start did not run, or a reboot cleared $dir)" >&2; exit 1; }',
  // Requests in start order; state: the first failure, then the last failure, then `stable` successes after it.
  // $1: only requests started before this (ms): those are finished (each has 2 s at most), none still in flight.
  'analyse() { sort -n "$dir/log" | awk -v stable="$stable" -v before="$1" \'',
  '  $1 >= before { next }',
  '  { n++; ok = ($3 == 200) }',
  '  !ok { failed++; if (!first) { first = $1; lastok = prevok } last = $1; run = 0; next }',
  '  { prevok = $2; if (first) { run++; if (run == 1) back = $2 } }',
  '  END { printf "%d %d %d %s %s %s\\n", n, failed, (first && run >= stable) ? 1 : 0, first ? first : "-", lastok ? lastok : "-", back ? back : "-" }\'; }',
  'deadline=$(( $(date +%s) + wait ))',
  'while :; do',
  '  set -- $(analyse $(( $(date +%s%3N) - 2500 )))',
  '  [ "$3" = 1 ] && break',
  '  [ "$(date +%s)" -ge "$deadline" ] && break',
  '  sleep 0.5',
  'done',
  // Stop the prober; the requests still in flight end within their 2 s deadline.
  'touch "$dir/stop"; sleep 2.2; [ -f "$dir/pid" ] && kill "$(cat "$dir/pid")" 2>/dev/null',
  'set -- $(analyse 99999999999999)',
  'n=$1 failed=$2 done=$3 first=$4 lastok=$5 back=$6',
  'rm -rf "$dir"',
  'if [ "$failed" = 0 ]; then echo "no request through the virtual IP failed in $wait s: no node was stopped (did a control-plane node hold the address?)" >&2; exit 1; fi',
  'if [ "$done" != 1 ]; then echo "$failed of $n requests failed and the endpoint did not answer again $stable times in a row within $wait s" >&2; exit 1; fi',
  'if [ "$lastok" = "-" ]; then lastok=$first; fi',
  'outage=$(awk -v a="$lastok" -v b="$back" \'BEGIN { printf "%.2f", (b - a) / 1000 }\')',
  'echo "$failed of $n requests failed; the endpoint answered again with a verified certificate $outage s after its last answer before the cut"',
  'printf \'{"requests":%d,"failed":%d,"recoverySeconds":%s}\\n\' "$n" "$failed" "$outage"',
].join('\n');
