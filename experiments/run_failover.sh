#!/usr/bin/env bash
# Failover under a steady load: the leader killed (kill -9) again and again,
# and planned hand-overs (SIGTERM of the leader; a returning higher node that
# takes over), at the default timing and at --heartbeat-ms 50.
#
#   experiments/run_failover.sh [--quick] [--out DIR] [--nodes LIST]
#
# Each series is one chat-chaos campaign (127.0.0.1 only, --no-netns) with a
# fixed seed, 4 client workers at 50 msgs/s each, every fault held 1 s and
# followed by a quiet gap once the cluster settled, so that one fault's
# outage never overlaps the next:
#   kill    --faults kill-leader                  (restarted after 1 s)
#   planned --faults term-leader,return-higher    (SIGTERM, restarted after
#           1 s; or the highest node stopped, back after 1 s, taking over by
#           hand-over after the hold-down: timed from its restart)
#   freeze  --faults pause-leader                 (SIGSTOP for 1 s: no FIN,
#           no RST, as a crashed machine on a real network; on loopback a
#           kill -9 closes the leader's connections at once, so this is the
#           failover that a real network's crash costs)
# each at the default heartbeat (100 ms) and at 50 ms.  Per fault, from
# chat-chaos's CSV: detection (fault -> the first node logs that the leader
# is gone, or that it hands over), election (fault -> a new leader logs "I am
# the leader") and the client-visible outage (docs/DESIGN.md §10: fault -> the first
# message acknowledged after it; for return-higher, from the moment the old
# leader stops serving to hand over, since it serves through the hold-down).
#
# Writes, in DIR (default experiments/results; with --quick
# experiments/results/failover-quick, so that it never overwrites a full run):
#   failover.csv          every fault of every series
#   failover.md           per series and kind: n, median / p90 / max of
#                         detection, election, outage; false elections
#   failover.dat          gnuplot data: one block per series and kind
#                         (fault number, t s, outage, detection, election ms)
#   failover.png          the failover timeline, if gnuplot is there (as
#                         root it installs gnuplot-nox when missing)
#   failover-reports.txt  chat-chaos's reports (the timelines, the verdicts)
# --quick: 3 faults per series and a shorter drain, about 2-3 minutes in all
# (the full profile: 20 faults per series, about 8 minutes for 3 nodes).
# --nodes 3,5 also runs every series with 5 nodes.
#
# Binaries: $ZCHAT_BIN, default build-bench/ (a Release build, made or
# brought up to date here; an ASan build is refused).
# Exit 1 when a series did not PASS (the tables are written first).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
out=""
quick=0
node_counts=3
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --out) out=${2:?--out DIR}; shift ;;
    --nodes) node_counts=${2:?--nodes LIST}; shift ;;
    -h|--help) sed -n '2,43p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_failover.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$node_counts" =~ ^[3-9](,[3-9])*$ ]] \
  || { echo "run_failover.sh: --nodes LIST, e.g. 3 or 3,5 (3..9 each)" >&2; exit 2; }

if [ "$quick" = 1 ]; then
  count=3; gap=0.5; drain=10; out=${out:-$root/experiments/results/failover-quick}
else
  count=20; gap=1; drain=20; out=${out:-$root/experiments/results}
fi
workers=4
rate=50
hold=1
settle=15

# --- binaries: a Release build, never the sanitized one
zx_bin run_failover.sh chat-node chat-chaos

mkdir -p "$out"
csv=$out/failover.csv
md=$out/failover.md
dat=$out/failover.dat
png=$out/failover.png
reports=$out/failover-reports.txt
runs=$(mktemp -d /tmp/zchat-failover.XXXXXX)
rm -f "$csv" "$reports"
failed_series=()
summary=$runs/series.txt        # label|nodes|hb|verdict|outside elections
: >"$summary"

# name | seed | faults | node flags
series=(
  "kill|5101|kill-leader|"
  "kill|5102|kill-leader|--heartbeat-ms 50"
  "planned|5103|term-leader,return-higher|"
  "planned|5104|term-leader,return-higher|--heartbeat-ms 50"
  "freeze|5105|pause-leader|"
  "freeze|5106|pause-leader|--heartbeat-ms 50"
)

start_all=$(date +%s)
echo "runs in $runs; binaries $bin ($build_type); $count faults per series, nodes: $node_counts"
for n in ${node_counts//,/ }; do
  for s in "${series[@]}"; do
    IFS='|' read -r name seed faults flags <<<"$s"
    hb=100
    [[ "$flags" =~ --heartbeat-ms\ ([0-9]+) ]] && hb=${BASH_REMATCH[1]}
    label=$name-${n}n-hb$hb
    echo "== $label: $faults, $n nodes, heartbeat $hb ms, seed $seed"
    rc=0
    # chat-chaos cleans up its nodes itself, on a signal too; the nodes get
    # $ZX_NODE_LIMITS (lib.sh) like every benchmark's
    "$bin/chat-chaos" --seed "$seed" --duration 3600 --count "$count" --hold "$hold" \
        --gap "$gap" --nodes "$n" --workers "$workers" --rooms 2 --rate "$rate" \
        --faults "$faults" --node-bin "$bin/chat-node" --node-flags "$ZX_NODE_LIMITS $flags" \
        --no-netns --settle "$settle" --drain "$drain" --run-dir "$runs/$label" \
        --json "$runs/$label.json" --csv "$csv" --label "$label" -q \
        >"$runs/$label.txt" 2>&1 || rc=$?
    { echo "### $label (exit $rc)"; cat "$runs/$label.txt"; echo; } >>"$reports"
    grep -E '^(verdict|  #)' "$runs/$label.txt" | sed 's/^/    /' || true
    [ "$rc" = 0 ] || [ "$rc" = 1 ] || { echo "run_failover.sh: chat-chaos exit $rc (see $runs/$label.txt)" >&2; exit 1; }
    verdict=$(sed -n 's/^verdict: \([A-Z]*\).*/\1/p' "$runs/$label.txt")
    # Exit 1 is chat-chaos's FAIL (the history checker found a loss, a
    # double or a disorder, or the cluster did not converge): the tables
    # are still written, then the script fails
    if [ "$rc" = 1 ] || [ "${verdict:-?}" != PASS ]; then
      failed_series+=("$label: verdict ${verdict:-none} (chat-chaos exit $rc, see $runs/$label.txt)")
    fi
    outside=$(grep -o '"elections_outside_faults":[0-9]*' "$runs/$label.json" | cut -d: -f2)
    echo "$label|$n|$hb|${verdict:-?}|${outside:-?}" >>"$summary"
  done
done

# --- per series and kind: n, median / p90 / max (nearest rank) of each measure
stats=$runs/stats.txt
awk -F, '
  function sortv(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
  function rank(a, n, p,   r) { r = int(p * n + 0.999999); if (r < 1) r = 1; return a[r] }
  function trio(key,   n, i, v) {
    n = cnt[key]; if (n == 0) return "–|–|–"
    for (i = 1; i <= n; i++) v[i] = val[key, i]
    sortv(v, n)
    return sprintf("%d|%d|%d", rank(v, n, 0.5), rank(v, n, 0.9), v[n])
  }
  function add(key, x) { if (x >= 0) { cnt[key]++; val[key, cnt[key]] = x } }
  NR == 1 { next }
  {
    g = $1 SUBSEP $2
    if (!(g in faults)) order[++ng] = g
    faults[g]++
    add(g SUBSEP "d", $4); add(g SUBSEP "e", $5); add(g SUBSEP "o", $6)
    if (NF >= 13) add(g SUBSEP "s", $13)       # the slowest client (older CSVs: none)
    if ($4 < 0) unmeasured[g, "d"]++
    if ($5 < 0) unmeasured[g, "e"]++
    if ($6 < 0) unmeasured[g, "o"]++
    if ($9 > 2) extra[g] += $9 - 2
    if ($12 != 1) unsettled[g]++
    hb[g] = $7
  }
  END {
    for (i = 1; i <= ng; i++) {
      g = order[i]; split(g, p, SUBSEP)
      printf "%s|%s|%s|%d|%s|%s|%s|%s|%d|%d / %d / %d|%d\n", p[1], p[2], hb[g], faults[g],
        trio(g SUBSEP "d"), trio(g SUBSEP "e"), trio(g SUBSEP "o"), trio(g SUBSEP "s"), extra[g],
        unmeasured[g, "d"], unmeasured[g, "e"], unmeasured[g, "o"], unsettled[g]
    }
  }' "$csv" >"$stats"

# --- the gnuplot data: one block per series and kind, two blank lines apart
awk -F, '
  NR == 1 { next }
  {
    g = $1 " " $2
    if (!(g in n)) order[++ng] = g
    n[g]++; line[g, n[g]] = sprintf("%d %.1f %d %d %d", n[g], $3 / 1000, $6, $4, $5)
  }
  END {
    print "# failover timeline: per block one series and fault kind (chat-chaos CSV)"
    print "# columns: fault number, t (s since the campaign began), outage ms, detection ms, election ms (-1: none)"
    for (i = 1; i <= ng; i++) {
      if (i > 1) printf "\n\n"
      g = order[i]
      print "\"" g "\""
      for (k = 1; k <= n[g]; k++) print line[g, k]
    }
  }' "$csv" >"$dat"

# --- the targets: median outage of the leader failovers (kill, SIGTERM)
target_line() {
  local hb=$1 limit=$2 kinds=${3:-kill-leader,term-leader} worst=""
  worst=$(awk -F'|' -v hb="$hb" -v kinds=",$kinds," '
    index(kinds, "," $2 ",") && $3 == hb && $11 != "–" {
      if ($11 + 0 > m) m = $11 + 0; seen = 1 }
    END { if (seen) print m }' "$stats")
  if [ -z "$worst" ]; then
    echo "- heartbeat $hb ms: no failover measured"
  elif [ "$worst" -lt "$limit" ]; then
    echo "- heartbeat $hb ms: the highest median outage of a leader failover is $worst ms < $limit ms: **met**"
  else
    echo "- heartbeat $hb ms: the highest median outage of a leader failover is $worst ms, not < $limit ms: **missed**"
  fi
}

{
  echo "# Failover under a steady load"
  echo
  echo "| series | kind | heartbeat ms | faults | detection ms: median / p90 / max | election ms: median / p90 / max | client-visible outage ms, fastest client: median / p90 / max | slowest client: median / p90 / max | extra elections | not measured: detection / election / outage | not settled |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  while IFS='|' read -r label kind hbv nf d1 d2 d3 e1 e2 e3 o1 o2 o3 s1 s2 s3 extra unm uns; do
    printf '| %s | %s | %s | %s | %s / %s / %s | %s / %s / %s | %s / %s / %s | %s / %s / %s | %s | %s | %s |\n' \
      "$label" "$kind" "$hbv" "$nf" "$d1" "$d2" "$d3" "$e1" "$e2" "$e3" "$o1" "$o2" "$o3" \
      "$s1" "$s2" "$s3" "$extra" "$unm" "$uns"
  done <"$stats"
  echo
  echo "| series | nodes | heartbeat ms | verdict (history checker, convergence) | elections outside every fault |"
  echo "|---|---:|---:|---|---:|"
  while IFS='|' read -r label n hbv verdict outside; do
    echo "| $label | $n | $hbv | $verdict | $outside |"
  done <"$summary"
  echo
  echo "Targets (median client-visible outage of a leader failover, kill -9 or SIGTERM):"
  target_line 100 1000
  target_line 50 200
  echo
  echo "Targets (issue 11: median client-visible outage of a frozen leader's failover):"
  target_line 100 400 pause-leader
  target_line 50 150 pause-leader
  echo
  echo "Each series: one chat-chaos campaign on 127.0.0.1, $workers workers at $rate msgs/s each (one ack about every $((1000 / (workers * rate))) ms in all, the resolution of the outage), every fault held ${hold} s, then the cluster settles (the highest node leads again), then ${gap} s of quiet. Detection: fault → the first node logs that the leader is gone (\`lost the connection to leader\`, \`missed heartbeats\`), or, for return-higher, that the leader hands over (after the 2 s hold-down). Election: fault → a new leader logs \`I am the leader\`. The nodes' log lines are timestamped by chat-chaos as they are written (inotify), on the clock of the faults and the acks. Outage: fault → the first message acknowledged after it (acks in flight from the struck leader not counted), of any client (fastest) and the longest of each client's own (slowest: what the unluckiest user waited; a fault after which some client got no ack is left out of it); for return-higher, from the moment the old leader stops serving to hand over. False elections: *extra* = elections beyond the 2 a fault should cost (the failover and the hand-back when the old leader returns, or the stop and the return); *outside* = elections in no fault's window. Not measured: no such line or ack after the fault, or the leader it struck unknown (STATUS did not name one in time). Binaries: $build_type build. $(date -u '+%Y-%m-%d %H:%M UTC')."
} >"$md"

# --- the plot
plot_note=""
if ! command -v gnuplot >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing gnuplot-nox for the plot"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnuplot-nox >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive \
         apt-get install -y -qq --no-install-recommends gnuplot-nox >/dev/null 2>&1; } || true
fi
if command -v gnuplot >/dev/null 2>&1; then
  blocks=$(grep -c '^"' "$dat" || true)
  gnuplot <<EOF || plot_note="gnuplot failed: no plot"
set terminal pngcairo size 1000,560 noenhanced font ",10"
set output "$png"
set title "Failover timeline: client-visible outage per fault ($(date -u '+%Y-%m-%d'))"
set xlabel "fault number in its series"
set xtics 1
set ylabel "outage (ms, log scale)"
set logscale y
set yrange [1:*]
set grid
set key outside right top
plot for [i=0:$((blocks - 1))] "$dat" index i using 1:(\$3 > 0 ? \$3 : 1/0) with linespoints pointsize 0.8 title columnheader(1)
EOF
  [ -n "$plot_note" ] || plot_note="plot: $png"
else
  plot_note="no gnuplot here (and not root, or no apt-get): no plot; the data is in $dat"
fi

cat "$md"
echo
echo "$plot_note"
echo "wrote $csv, $md, $dat, $reports ($(($(date +%s) - start_all)) s; runs in $runs)"
if [ ${#failed_series[@]} -gt 0 ]; then
  echo "run_failover.sh: FAILED: ${#failed_series[@]} series did not pass:" >&2
  printf '  %s\n' "${failed_series[@]}" >&2
  exit 1
fi
