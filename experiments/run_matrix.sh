#!/usr/bin/env bash
# The performance suite's main run: headline figures against the baselines,
# then the matrix, then tables, plots and experiments/RESULTS.md.
#
#   experiments/run_matrix.sh [--quick] [--reps N] [--secs S] [--out DIR]
#                             [--no-baselines] [--no-matrix] [--wait-quiet SECS]
#
# 1. Headline (median of --reps, default 3), each on a fresh 3-node cluster
#    (quorum 2, fsync batch: the default), on 3 nodes with --fsync never
#    (what JetStream 2.9 does: it acknowledges before any fsync) and on 1
#    node (replication off):
#      flat-1sub    4 senders flat out, 1 subscriber
#      flat-10sub   4 senders flat out, 10 subscribers (delivered in total)
#      rate-10sub  1 sender at 10,000 msgs/s, 10 subscribers: latency
#                   from the intended send time, and its distribution (CDF)
#      seed-1to1    1 sender flat out, 1 subscriber: the seed's measure
#    The baselines (experiments/run_baselines.sh: raw libzmq, the bare
#    DEALER→ROUTER→stamp→PUB pipeline, Redis and NATS through our clients
#    and the vendors', durable Redis (AOF always + a replica + WAIT) and
#    NATS JetStream on 3 nodes, R3 and R1) run the same scenarios,
#    interleaved with zchat's repetitions so that a disturbance hits both.
#    The load average before every run goes to PREFIX-load.csv.
# 2. Matrix (one run each): subscribers 1/10/100 × senders 1/4 × rate
#    1k/10k/flat out (in total, split over the senders) × 3 and 5 nodes ×
#    replication on (majority) / off (--quorum 1) × 100 B / 1 KiB texts.
# 3. matrix.md (tables), throughput-vs-subscribers.png and latency-cdf.png
#    (gnuplot, installed when missing and possible, else skipped with a
#    line), and the tables into experiments/RESULTS.md between its
#    "BEGIN matrix" / "END matrix" markers (a full run only).
#
# --quick (CI's smoke test, a few minutes, no thresholds): 1 repetition of
# 1 s phases (no jetstream-r1 or cnats-3n), a small matrix (3 nodes, 100 B, 1 sender, 1 and 10
# subscribers, 1k and flat out), files named matrix-quick-*; RESULTS.md is
# left alone.  Binaries: $ZCHAT_BIN, default build-bench/ (Release, built
# here).  The machine should be otherwise idle (--wait-quiet SECS helps).
# Exit 1 when a zchat run lost or doubled a message, had a sender stuck or
# failed (the tables are written first, and name those runs).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

quick=0 reps=3 secs=5 out="" baselines=1 matrix=1 wait_quiet=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --reps) reps=$2; shift ;;
    --secs) secs=$2; shift ;;
    --out) out=$2; shift ;;
    --no-baselines) baselines=0 ;;
    --no-matrix) matrix=0 ;;
    --wait-quiet) wait_quiet=$2; shift ;;
    -h|--help) sed -n '2,37p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_matrix.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$reps" =~ ^[1-9][0-9]*$ ]] || { echo "run_matrix.sh: --reps N, N >= 1" >&2; exit 2; }
[[ "$secs" =~ ^[1-9][0-9]*$ ]] || { echo "run_matrix.sh: --secs S, S >= 1" >&2; exit 2; }

zx_init run_matrix
trap zx_cleanup EXIT
trap 'exit 130' INT TERM
out=${out:-$root/experiments/results}
mkdir -p "$out"
base_systems=""
if [ "$quick" = 1 ]; then
  base_systems=pubsub,pipeline,redis,nats,hiredis,cnats,redis-aof,jetstream
  reps=1 secs=1 drain=8 prefix=matrix-quick
else
  drain=15 prefix=matrix
fi
raw=$out/$prefix-raw.csv
cdf=$out/$prefix-cdf.csv
base_raw=$out/$prefix-baselines-raw.csv
base_cdf=$out/$prefix-baselines-cdf.csv
load=$out/$prefix-load.csv
md=$out/$prefix.md
rm -f "$raw" "$cdf" "$base_raw" "$base_cdf" "$load"
log=$zx_runs/bench.log
started=$(date +%s)
echo "run_matrix: runs in $zx_runs; binaries $bin ($build_type); $(zx_machine)"

# One zchat-bench run against the current cluster: label, then its flags
bench() {
  local label=$1 rc=0
  shift
  [ -s "$load" ] || echo "label,date,load1,load5,load15" >"$load"
  echo "$label,$(date -u +%FT%TZ),$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,)" >>"$load"
  "$bin/zchat-bench" --servers "$servers" --duration "$secs" --drain "$drain" \
    --label "$label" --csv "$raw" --cdf "$cdf" --room "r$RANDOM$RANDOM" "$@" >>"$log" 2>&1 || rc=$?
  echo "  $label: $(grep "^zchat-bench: [0-9]" "$log" | tail -n 1 | cut -c14-200)"
  if [ "$rc" = 3 ]; then
    echo "  ($label: LOST, DOUBLED OR STUCK MESSAGES: zchat-bench exit 3, see $log)"
    bad_runs+=("$label: messages lost, doubled or a sender stuck (zchat-bench exit 3)")
  elif [ "$rc" != 0 ]; then
    echo "  ($label: zchat-bench exit $rc, see $log)"
    bad_runs+=("$label: zchat-bench exit $rc")
  fi
}
# Runs that lost, doubled or failed: the tables are still written, then
# the script fails (a figure from a run that lost messages is no figure)
bad_runs=()

# The headline scenarios: name | senders | subscribers | total rate (0 = flat)
scenarios=(
  "flat-1sub|4|1|0"
  "flat-10sub|4|10|0"
  "rate-10sub|1|10|10000"
  "seed-1to1|1|1|0"
)
scenario_flags() {
  local snd=$1 subs=$2 rate=$3
  echo "--senders $snd --subscribers $subs $( [ "$rate" = 0 ] || echo "--rate $((rate / snd))" )"
}

# --- 1. headline
for ((rep = 1; rep <= reps; rep++)); do
  echo "== headline, repetition $rep of $reps"
  for cfg in "zchat-3n|3|" "zchat-3n-nofsync|3|--fsync never" "zchat-1n|1|"; do
    IFS='|' read -r name nodes flags <<<"$cfg"
    zx_wait_quiet "$wait_quiet"
    zx_cluster_up "$name-$rep" "$nodes" "$flags"
    for sc in "${scenarios[@]}"; do
      IFS='|' read -r sname snd subs rate <<<"$sc"
      # shellcheck disable=SC2046
      bench "head/$name/$sname" $(scenario_flags "$snd" "$subs" "$rate")
    done
    zx_cluster_down
  done
  if [ "$baselines" = 1 ]; then
    # The same scenarios: 4 senders flat out to 1 and 10 subscribers, and
    # 1 sender at 10,000 msgs/s to 10 (labels SYSTEM/flat-1sub, ...)
    zx_wait_quiet "$wait_quiet"
    ZCHAT_BIN=$bin "$root/experiments/run_baselines.sh" --reps 1 --duration "$secs" \
      --senders 4 --subscribers 1,10 --rate 10000 --rate-subscribers 10 \
      ${base_systems:+--systems "$base_systems"} \
      --out "$zx_runs/baselines" --cdf "$base_cdf" --load "$load" 2>&1 | grep -v '^|' | sed 's/^/  /' \
      || echo "  (run_baselines.sh failed: some baselines are missing from this run)"
    if [ -f "$zx_runs/baselines/baselines-raw.csv" ]; then
      cat "$zx_runs/baselines/baselines-raw.csv" >>"$base_raw"
      rm -f "$zx_runs/baselines/baselines-raw.csv"
    fi
  fi
done

# --- 2. matrix
if [ "$matrix" = 1 ]; then
  if [ "$quick" = 1 ]; then
    m_nodes="3" m_repl="on" m_sizes="100" m_subs="1 10" m_senders="1" m_rates="1000 0"
  else
    m_nodes="3 5" m_repl="on off" m_sizes="100 1024" m_subs="1 10 100" m_senders="1 4"
    m_rates="1000 10000 0"
  fi
  for n in $m_nodes; do
    for repl in $m_repl; do
      flags=$([ "$repl" = on ] || echo "--quorum 1")
      echo "== matrix: $n nodes, replication $repl"
      zx_wait_quiet "$wait_quiet"
      zx_cluster_up "m$n-$repl" "$n" "$flags"
      for size in $m_sizes; do
        for subs in $m_subs; do
          for snd in $m_senders; do
            for rate in $m_rates; do
              # shellcheck disable=SC2046
              bench "m/n$n/repl-$repl/${size}B/sub$subs/snd$snd/$([ "$rate" = 0 ] && echo flat || echo "r$rate")" \
                $(scenario_flags "$snd" "$subs" "$rate") --size "$size"
            done
          done
        done
      done
      zx_cluster_down
    done
  done
fi

# --- 3. tables
# Medians per label of: ack rate, delivered in total, e2e p50, p99, p99.9;
# sums of lost / twice / leader changes
summarize() {
  awk -F, '
    function median(k,   n, i, j, t, v) {
      n = cnt[k]
      for (i = 1; i <= n; i++) v[i] = val[k, i]
      for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
      return n ? ((n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2) : 0
    }
    function add(k, x) { cnt[k]++; val[k, cnt[k]] = x }
    $1 == "label" { next }
    {
      l = $1
      if (!(l in seen)) { seen[l] = 1; order[++nl] = l }
      runs[l]++
      add(l SUBSEP 12, $12); add(l SUBSEP 14, $14); add(l SUBSEP 20, $20)
      add(l SUBSEP 22, $22); add(l SUBSEP 23, $23); add(l SUBSEP 17, $17)
      lost[l] += $25; dups[l] += $26; lc[l] += $28
    }
    END {
      for (i = 1; i <= nl; i++) {
        l = order[i]
        printf "%s,%d,%.0f,%.0f,%.0f,%.0f,%.0f,%d,%d,%d,%.0f\n", l, runs[l], median(l SUBSEP 12),
          median(l SUBSEP 14), median(l SUBSEP 20), median(l SUBSEP 22), median(l SUBSEP 23),
          lost[l], dups[l], lc[l], median(l SUBSEP 17)
      }
    }' "$@"
}
summary=$zx_runs/summary.csv
summarize "$raw" $( [ -f "$base_raw" ] && echo "$base_raw" ) >"$summary"
get() {   # get LABEL FIELD(3 = acked/s, 4 = delivered total, 5 = p50, 6 = p99, 7 = p99.9, 11 = ack p99)
  awk -F, -v l="$1" -v f="$2" '$1 == l { print $f; found = 1 } END { if (!found) print "" }' "$summary"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "–"; else printf "%.2f×", a / b }'; }
ms() { awk -v x="$1" 'BEGIN { if (x == "") print "–"; else printf "%.2f", x / 1000 }'; }
num() { awk -v x="$1" 'BEGIN { if (x == "") print "–"; else printf "%.0f", x }'; }
# series LABEL FIELD: the label's values in run order (12 = acked/s, 14 =
# delivered in total, 22 = p99), one per repetition
series() {
  cat "$raw" "$base_raw" 2>/dev/null | awk -F, -v l="$1" -v f="$2" '$1 == l { printf "%s ", $f }'
}
# spread VALUES: min / median / max
spread() {
  echo "$1" | tr ' ' '\n' | grep . | sort -g | awk '{ v[++n] = $1 } END {
    if (!n) { print "–"; exit }
    m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    printf "%.0f / %.0f / %.0f", v[1], m, v[n] }'
}
# paired A B: the ratio a_k / b_k of each repetition k, and their median
paired() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    na = split(a, x, " "); nb = split(b, y, " "); n = na < nb ? na : nb
    if (!n) { print "–"; exit }
    for (i = 1; i <= n; i++) { r[i] = y[i] > 0 ? x[i] / y[i] : 0; s = s sprintf("%s%.2f", i > 1 ? " " : "", r[i]) }
    for (i = 2; i <= n; i++) { t = r[i]; for (j = i - 1; j >= 1 && r[j] > t; j--) r[j + 1] = r[j]; r[j + 1] = t }
    m = (n % 2) ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2
    printf "%s (median %.2f×)", s, m }'
}

{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(zx_machine); binaries: $build_type build of $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')."
  echo "Command: \`experiments/run_matrix.sh$( [ "$quick" = 0 ] || echo ' --quick')\` ($reps repetition(s) of ${secs} s per run; medians)."
  echo "zchat: fsync batch (the default), 100-byte texts unless said; \"3 nodes\" = quorum 2, \"1 node\" = no replication."
  echo
  echo "### Headline: zchat against the baselines"
  echo
  echo "| scenario | zchat, 3 nodes | zchat, 1 node | bare pipeline | raw PUB→SUB | Redis | NATS | zchat 3n / pipeline | zchat 3n / NATS |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for sc in flat-1sub flat-10sub seed-1to1; do
    z=$(get "head/zchat-3n/$sc" 4); s=$(get "head/zchat-1n/$sc" 4)
    p=$(get "pipeline/$sc" 4); r=$(get "pubsub/$sc" 4); d=$(get "redis/$sc" 4); n=$(get "nats/$sc" 4)
    echo "| $sc: delivered msgs/s in total | $(num "$z") | $(num "$s") | $(num "$p") | $(num "$r") | $(num "$d") | $(num "$n") | $(ratio "$z" "$p") | $(ratio "$z" "$n") |"
  done
  for f in 5:p50 6:p99 7:p99.9; do
    k=${f%%:*}; lbl=${f#*:}
    z=$(get head/zchat-3n/rate-10sub "$k"); s=$(get head/zchat-1n/rate-10sub "$k")
    p=$(get pipeline/rate-10sub "$k"); r=$(get pubsub/rate-10sub "$k")
    d=$(get redis/rate-10sub "$k"); n=$(get nats/rate-10sub "$k")
    echo "| rate-10sub: sender→receiver $lbl (ms) | $(ms "$z") | $(ms "$s") | $(ms "$p") | $(ms "$r") | $(ms "$d") | $(ms "$n") | $(ratio "$z" "$p") | $(ratio "$z" "$n") |"
  done
  echo
  echo "Acknowledged msgs/s (zchat, 3 nodes): flat-1sub $(num "$(get head/zchat-3n/flat-1sub 3)"), flat-10sub $(num "$(get head/zchat-3n/flat-10sub 3)"), seed-1to1 $(num "$(get head/zchat-3n/seed-1to1 3)")."
  echo "A blank (–) is a baseline that did not run (see the run's output)."
  echo
  echo "### Durable baselines: what is acknowledged is stored"
  echo
  echo "| scenario | zchat 3 nodes, fsync batch | zchat 3 nodes, fsync never | JetStream R3 | JetStream R1 | Redis AOF always + replica + WAIT | zchat 3n / JetStream R3 | zchat 3n fsync never / JetStream R3 |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  drow() {  # drow TEXT SCENARIO FIELD FORMAT
    local z n j1 j3 r
    z=$(get "head/zchat-3n/$2" "$3"); n=$(get "head/zchat-3n-nofsync/$2" "$3")
    j3=$(get "jetstream/$2" "$3"); j1=$(get "jetstream-r1/$2" "$3"); r=$(get "redis-aof/$2" "$3")
    echo "| $1 | $($4 "$z") | $($4 "$n") | $($4 "$j3") | $($4 "$j1") | $($4 "$r") | $(ratio "$z" "$j3") | $(ratio "$n" "$j3") |"
  }
  drow "flat-1sub: acknowledged msgs/s" flat-1sub 3 num
  drow "flat-1sub: delivered msgs/s" flat-1sub 4 num
  drow "flat-1sub: ack p99 (ms)" flat-1sub 11 ms
  drow "flat-1sub: sender→receiver p99 (ms)" flat-1sub 6 ms
  drow "flat-10sub: acknowledged msgs/s" flat-10sub 3 num
  drow "flat-10sub: delivered msgs/s in total" flat-10sub 4 num
  drow "rate-10sub: sender→receiver p50 (ms)" rate-10sub 5 ms
  drow "rate-10sub: sender→receiver p99 (ms)" rate-10sub 6 ms
  echo
  echo "zchat fsync batch: every node's log synced before a message counts (quorum 2 of 3); fsync never: written, never synced (what JetStream 2.9 does before it acknowledges); JetStream R3/R1: a file stream of 3/1 replicas on 3 clustered nats-server nodes, js_PublishAsync with at most 1000 unacknowledged per sender, ordered push consumers; Redis: XADD acknowledged by a WAIT 1 0 per batch (one in flight per sender), XREAD BLOCK."
  echo
  echo "### The vendors' clients (plain NATS and Redis: nothing kept)"
  echo
  echo "| scenario | NATS, our client | NATS, cnats | NATS 3-node cluster, cnats | Redis, our client | Redis, hiredis | zchat 3n / cnats |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for sc in flat-1sub flat-10sub; do
    z=$(get "head/zchat-3n/$sc" 4)
    echo "| $sc: delivered msgs/s in total | $(num "$(get nats/$sc 4)") | $(num "$(get cnats/$sc 4)") | $(num "$(get cnats-3n/$sc 4)") | $(num "$(get redis/$sc 4)") | $(num "$(get hiredis/$sc 4)") | $(ratio "$z" "$(get cnats/$sc 4)") |"
  done
  for f in 5:p50 6:p99; do
    k=${f%%:*}; lbl=${f#*:}
    echo "| rate-10sub: sender→receiver $lbl (ms) | $(ms "$(get nats/rate-10sub "$k")") | $(ms "$(get cnats/rate-10sub "$k")") | $(ms "$(get cnats-3n/rate-10sub "$k")") | $(ms "$(get redis/rate-10sub "$k")") | $(ms "$(get hiredis/rate-10sub "$k")") | $(ratio "$(get head/zchat-3n/rate-10sub "$k")" "$(get cnats/rate-10sub "$k")") |"
  done
  echo
  echo "### Spread over the repetitions (flat-1sub; min / median / max, and each repetition's ratio)"
  echo
  echo "| system | msgs/s min / median / max | per repetition | zchat 3n / it, per repetition |"
  echo "|---|---:|---|---|"
  z=$(series head/zchat-3n/flat-1sub 12)
  for l in head/zchat-3n:12 head/zchat-3n-nofsync:12 head/zchat-1n:12 jetstream:12 jetstream-r1:12 \
           redis-aof:12 pipeline:14 cnats:14 cnats-3n:14 nats:14; do
    v=$(series "${l%%:*}/flat-1sub" "${l#*:}")
    [ -n "$v" ] || continue
    what=$([ "${l#*:}" = 12 ] && echo acknowledged || echo delivered)
    echo "| ${l%%:*} ($what) | $(spread "$v") | $v | $(paired "$z" "$v") |"
  done
  if [ "$matrix" = 1 ]; then
    echo
    echo "### Matrix (one run each)"
    echo
    echo "| nodes | replication | size | subscribers | senders | rate | acked msgs/s | delivered msgs/s in total | p50 / p99 / p99.9 (ms) | lost / twice | leader changes |"
    echo "|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|"
    grep '^m/' "$summary" | while IFS=, read -r l runs ack del p50 p99 p999 lost dups lc _; do
      IFS=/ read -r _ n repl size subs snd rate <<<"$l"
      echo "| ${n#n} | ${repl#repl-} | $size | ${subs#sub} | ${snd#snd} | $rate | $(num "$ack") | $(num "$del") | $(ms "$p50") / $(ms "$p99") / $(ms "$p999") | $lost / $dups | $lc |"
    done
  fi
} >"$md"

# --- plots
plots=""
if ! command -v gnuplot >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null 2>&1 || true
  elif sudo -n true 2>/dev/null; then
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null 2>&1 || true
  fi
fi
if command -v gnuplot >/dev/null 2>&1; then
  dat=$zx_runs/tput.dat
  # throughput vs subscribers: flat out, 4 senders (1 in --quick), 100 B
  snd_plot=$([ "$quick" = 1 ] && echo 1 || echo 4)
  : >"$dat"
  for series in "n3/repl-on" "n3/repl-off" "n5/repl-on" "n5/repl-off"; do
    rows=$(grep "^m/$series/100B/sub[0-9]*/snd$snd_plot/flat," "$summary" \
             | awk -F, '{ split($1, p, "/"); sub("sub", "", p[5]); print p[5], $4 }' | sort -n || true)
    [ -n "$rows" ] || continue
    sn=${series%%/*} sr=${series#*/}
    { echo "\"zchat, ${sn#n} nodes, replication ${sr#repl-}\""; echo "$rows"; echo; echo; } >>"$dat"
  done
  for sys in pipeline redis nats cnats jetstream redis-aof; do
    rows=$(for s in 1 10; do v=$(get "$sys/flat-${s}sub" 4); [ -z "$v" ] || echo "$s $v"; done)
    [ -n "$rows" ] || continue
    { echo "\"$sys (4 senders)\""; echo "$rows"; echo; echo; } >>"$dat"
  done
  if [ -s "$dat" ]; then
    gnuplot <<EOF && plots="$plots $prefix-throughput.png"
set terminal pngcairo size 900,560 noenhanced
set output "$out/$prefix-throughput.png"
set title "Delivered msgs/s in total vs subscribers (flat out, 100 B; $(date -u +%F))"
set logscale x
set xlabel "subscribers"
set ylabel "delivered msgs/s (all subscribers)"
set key left top
set grid
set format y "%.0s%c"
plot for [i=0:*] "$dat" index i using 1:2 with linespoints title columnheader(1)
EOF
  fi
  # latency CDF at 10k msgs/s, 10 subscribers
  cdat=$zx_runs/cdf.dat
  : >"$cdat"
  for l in head/zchat-3n/rate-10sub head/zchat-3n-nofsync/rate-10sub head/zchat-1n/rate-10sub \
           pipeline/rate-10sub pubsub/rate-10sub redis/rate-10sub nats/rate-10sub \
           jetstream/rate-10sub redis-aof/rate-10sub; do
    rows=$(cat "$cdf" "$base_cdf" 2>/dev/null | awk -F, -v l="$l" '$1 == l { print $3, $2 }' \
             | sort -k2,2g -k1,1n | awk '{ last[$2] = $0 } END { for (q in last) print last[q] }' \
             | sort -k2,2g || true)
    [ -n "$rows" ] || continue
    { echo "\"${l%/rate-10sub}\""; echo "$rows"; echo; echo; } >>"$cdat"
  done
  if [ -s "$cdat" ]; then
    gnuplot <<EOF && plots="$plots $prefix-latency-cdf.png"
set terminal pngcairo size 900,560 noenhanced
set output "$out/$prefix-latency-cdf.png"
set title "Sender→receiver latency at 10,000 msgs/s, 10 subscribers (last repetition; $(date -u +%F))"
set logscale x
set xlabel "latency (µs, from the intended send time)"
set ylabel "fraction of messages"
set key right bottom
set grid
set yrange [0:1]
plot for [i=0:*] "$cdat" index i using 1:2 with lines lw 2 title columnheader(1)
EOF
  fi
else
  echo "run_matrix: plots skipped (gnuplot is not installed and cannot be installed here)"
fi
if [ -n "$plots" ]; then
  { echo; echo "Plots:"; for p in $plots; do echo "- ![${p%.png}](results/$p)"; done; } >>"$md"
fi

if [ ${#bad_runs[@]} -gt 0 ]; then
  { echo; echo "**Runs that failed** (their figures above do not count):"
    for b in "${bad_runs[@]}"; do echo "- $b"; done; } >>"$md"
fi

# --- RESULTS.md, between the markers (full runs only)
results=$root/experiments/RESULTS.md
if [ "$quick" = 0 ] && [ "$out" = "$root/experiments/results" ] && grep -q '<!-- BEGIN matrix -->' "$results"; then
  awk -v md="$md" '
    /<!-- BEGIN matrix -->/ { print; while ((getline line < md) > 0) print line; skip = 1; next }
    /<!-- END matrix -->/ { skip = 0 }
    !skip' "$results" >"$results.tmp" && mv "$results.tmp" "$results"
  echo "run_matrix: updated $results"
fi
cat "$md"
echo
echo "run_matrix: wrote $md, $raw, $cdf$( [ -z "$plots" ] || echo ",$plots") in $out ($(($(date +%s) - started)) s)"
if [ ${#bad_runs[@]} -gt 0 ]; then
  echo "run_matrix: FAILED: ${#bad_runs[@]} zchat run(s) failed:" >&2
  printf '  %s\n' "${bad_runs[@]}" >&2
  exit 1
fi
