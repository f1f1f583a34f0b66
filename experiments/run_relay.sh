#!/usr/bin/env bash
# What a relay costs and carries (issue 13): one sender into a 3-node
# cluster (quorum 2, fsync batch), R subscribers (zchat-bench threads)
# listening over 0, 1 or 2 relays (0: every node's PUB; 1: chat-relay on
# the cluster; 2: a second chat-relay chained behind it), R = 10 and 100.
# Two phases each: flat out (delivered msgs/s, all subscribers together)
# and a fixed 500 msgs/s (sender -> subscriber latency, p50 / p99: what a
# relay hop adds).  Short runs, everything niced: the machine is shared.
# (zchat-bench gets ZSYS_MAX_SOCKETS=16384 and the hard open-file limit:
# each subscriber holds a DEALER per node and a SUB, about 8 descriptors.)
#
#   experiments/run_relay.sh [--secs S] [--reps N] [--subs LIST] [--out DIR]
#
# --subs: the subscriber counts, comma-separated (default 10,100).
#
# Writes relay-raw.csv (zchat-bench's CSV) and relay.md (medians of the
# N repetitions, default 1; the hop counts interleaved in each) into
# --out (default experiments/results).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

secs=3 reps=1 out="" sub_counts=10,100
while [ $# -gt 0 ]; do
  case "$1" in
    --secs) secs=$2; shift ;;
    --reps) reps=$2; shift ;;
    --subs) sub_counts=$2; shift ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "run_relay: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
zx_init run_relay
zx_bin run_relay chat-node chat-client zchat-bench chat-relay
trap zx_cleanup EXIT
out=${out:-$root/experiments/results}
mkdir -p "$out"
raw=$out/relay-raw.csv
log=$zx_runs/bench.log
: >"$raw"
echo "run_relay: runs in $zx_runs; binaries $bin ($build_type); $(zx_machine)"

free_port() {   # a port nothing listens on, 28000..31999
  local p
  for _ in $(seq 1 200); do
    p=$((28000 + RANDOM % 4000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo "run_relay: no free port" >&2; exit 1
}

failed=()
zx_cluster_up relay 3 ""
r1=tcp://127.0.0.1:$(free_port)
nice "$bin/chat-relay" --servers "$servers" --bind "$r1" --pub-hwm 100000 2>"$zx_runs/r1.err" &
zx_pids="$zx_pids $!"
r2=tcp://127.0.0.1:$(free_port)
nice "$bin/chat-relay" --upstream-relay "$r1" --bind "$r2" --pub-hwm 100000 2>"$zx_runs/r2.err" &
zx_pids="$zx_pids $!"
sleep 0.5

for ((rep = 1; rep <= reps; rep++)); do
for subs in ${sub_counts//,/ }; do
  for hops in 0 1 2; do
    relay=()
    [ "$hops" = 1 ] && relay=(--relay "$r1")
    [ "$hops" = 2 ] && relay=(--relay "$r2")
    for phase in flat rate; do
      rflags=()
      [ "$phase" = rate ] && rflags=(--rate 500)
      label="relay-$hops/$subs/$phase"
      rc=0
      ( ulimit -n "$(ulimit -Hn)"; exec env ZSYS_MAX_SOCKETS=16384 nice "$bin/zchat-bench" --servers "$servers" --duration "$secs" --drain 3 \
        --senders 1 --subscribers "$subs" ${rflags[@]+"${rflags[@]}"} \
        ${relay[@]+"${relay[@]}"} --room "r$hops-$subs-$phase" \
        --label "$label" --csv "$raw" ) >>"$log" 2>&1 || rc=$?
      echo "  $label: $(grep "^zchat-bench: [0-9]" "$log" | tail -n 1 | cut -c14-220)"
      [ "$rc" = 0 ] || echo "  ($label: zchat-bench exit $rc, see $log)"
      [ "$rc" = 0 ] || failed+=("$label: exit $rc")
    done
  done
done
done
grep 'stats' "$zx_runs/r1.err" | tail -n 1 || true

md=$out/relay.md
{
  echo "# Relays: 1 sender, 3 nodes, R subscribers over 0, 1 or 2 relays, 100 B"
  echo
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(zx_machine); $build_type build of" \
       "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'); median of $reps run(s) of ${secs} s each;" \
       "command: experiments/run_relay.sh --secs $secs --reps $reps --subs $sub_counts."
  echo
  echo "| subscribers | relays | flat out: delivered/s (all subscribers) | at 500/s: p50 / p99 ms | lost / doubled |"
  echo "|---|---|---|---|---|"
  awk -F, '
    $1 == "label" { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["label"] ~ /^relay-/ {
      split($col["label"], p, "/"); hops = substr(p[1], 7); subs = p[2]; ph = p[3]
      key = subs "|" hops
      if (ph == "flat") d[key, ++nd[key]] = $col["deliv_rate_total"]
      else { n = ++nl[key]; l50[key, n] = $col["e2e_p50_us"] / 1000; l99[key, n] = $col["e2e_p99_us"] / 1000 }
      bad[key] += $col["lost"] + $col["dups"]
      if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
    }
    function med(arr, key, n,   i, j, t, v) {
      for (i = 1; i <= n; i++) v[i] = arr[key, i]
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
      return v[int((n + 1) / 2)]
    }
    END {
      for (k = 1; k <= nk; k++) {
        key = order[k]; split(key, q, "|")
        printf "| %s | %s | %.0f | %.2f / %.2f | %s |\n", q[1], q[2], med(d, key, nd[key]),
               med(l50, key, nl[key]), med(l99, key, nl[key]), bad[key]
      }
    }' "$raw"
} >"$md"
cat "$md"
if [ ${#failed[@]} -gt 0 ]; then
  echo "run_relay: FAILED: ${#failed[@]} run(s) lost, doubled or failed:" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
