#!/usr/bin/env bash
# `make bench-logs`: times `payedge logs` against jq and `wc -l` on one warm 1 GiB log.
#
#   bench/logs_bench.sh [PAYEDGE_BINARY]      (default: build/payedge)
#
# Environment: MB (size of the generated log, default 1024), RUNS (timed runs per command,
# best kept, default 3), JQ_RUNS (default 1: jq takes a minute a run), DIR (default
# /tmp/payedge-logs-bench: the log is generated there once and kept out of git), ZSTD=0 to
# skip the compressed-input rows, CSV=0 to skip the Supabase CSV export row (the same traffic
# as the Logs Explorer's CSV download of the original Edge Function, MB in size too).
set -euo pipefail
cd "$(dirname "$0")/.."
PAYEDGE=${1:-build/payedge}
MB=${MB:-1024}
RUNS=${RUNS:-3}
JQ_RUNS=${JQ_RUNS:-1}
DIR=${DIR:-/tmp/payedge-logs-bench}
ZSTD=${ZSTD:-1}
CSV=${CSV:-1}
mkdir -p "$DIR"
LOG="$DIR/bench-${MB}mb.log"

command -v jq >/dev/null || { echo "jq missing: apt-get install -y jq" >&2; exit 1; }
[ -x "$PAYEDGE" ] || { echo "$PAYEDGE missing: make build" >&2; exit 1; }

# The generator is standalone C++; one compiler call builds it.
GEN="$DIR/logs_gen"
if [ ! -x "$GEN" ] || [ bench/logs_gen.cpp -nt "$GEN" ]; then
  c++ -O2 -std=c++20 bench/logs_gen.cpp -lfmt -o "$GEN"
fi
if [ ! -s "$LOG" ]; then
  "$GEN" --out "$LOG" --mb "$MB" --seed 1 --wrapped 0.05 --malformed 0.001
fi
BYTES=$(stat -c %s "$LOG")
cat "$LOG" > /dev/null; cat "$LOG" > /dev/null  # warm the page cache

# The jq equivalents handle what payedge handles: malformed lines (fromjson?) and
# Supabase-wrapped lines (event_message); they count in jq, not in sort | uniq.
JQ_UNWRAP='fromjson? | (if type == "object" and has("event_message") then (.event_message | fromjson?) else . end) | objects'
JQ_TOP="reduce (inputs | $JQ_UNWRAP | select(.error_code == \"E_AMOUNT_MISMATCH\") | (.course_id // \"null\")) as \$k ({}; .[\$k] += 1) | to_entries | sort_by([-.value, .key]) | .[:10]"
JQ_LAT="[inputs | $JQ_UNWRAP | .latency_ms | numbers] | sort | length as \$n | {count: \$n, mean: (add / \$n), p50: .[((\$n * 50 + 99) / 100 | floor) - 1], p95: .[((\$n * 95 + 99) / 100 | floor) - 1], p99: .[((\$n * 99 + 99) / 100 | floor) - 1], max: .[-1]}"

# best_of RUNS LABEL CMD... → "seconds maxrss_kb" of the fastest run; output kept in $DIR.
best_of() {
  local runs=$1 label=$2
  shift 2
  local best="" rss=""
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$DIR/time.txt" "$@" > "$DIR/$label.out" 2> "$DIR/$label.err"
    read -r t m < "$DIR/time.txt"
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; rss=$m; fi
  done
  echo "$best $rss"
}

row() {  # label command seconds rss [bytes]
  local gbs bytes=${5:-$BYTES}
  gbs=$(awk "BEGIN{printf \"%.2f\", $bytes / 1e9 / ($3 > 0 ? $3 : 0.001)}")
  printf '| %s | `%s` | %.2f s | %s GB/s | %d MB |\n' "$1" "$2" "$3" "$gbs" "$(($4 / 1024))"
}

echo "# payedge logs benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "log: $LOG, $BYTES bytes, $(wc -l < "$LOG") lines"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| what | command | time (best of runs) | throughput | max RSS |"
echo "|---|---|---|---|---|"
read -r t m < <(best_of "$RUNS" wc wc -l "$LOG"); T_WC=$t
row "wc -l" "wc -l FILE" "$t" "$m"
read -r t m < <(best_of "$RUNS" top "$PAYEDGE" logs top --by course_id --error-code E_AMOUNT_MISMATCH --format json "$LOG"); T_TOP=$t
row "payedge top" "payedge logs top --by course_id --error-code E_AMOUNT_MISMATCH FILE" "$t" "$m"
read -r t m < <(best_of "$RUNS" latency "$PAYEDGE" logs latency --format json "$LOG"); T_LAT=$t
row "payedge latency" "payedge logs latency FILE" "$t" "$m"
read -r t m < <(best_of "$JQ_RUNS" jq_top jq -nR "$JQ_TOP" "$LOG"); T_JQ_TOP=$t
row "jq top" "jq -nR '<reduce over fromjson?>' FILE" "$t" "$m"
read -r t m < <(best_of "$JQ_RUNS" jq_latency jq -nR "$JQ_LAT" "$LOG"); T_JQ_LAT=$t
row "jq latency" "jq -nR '<sort, nearest rank>' FILE" "$t" "$m"
if [ "$ZSTD" = 1 ] && command -v zstd >/dev/null; then
  [ -s "$LOG.zst" ] || zstd -q -T0 -3 -f "$LOG" -o "$LOG.zst"
  cat "$LOG.zst" > /dev/null
  read -r t m < <(best_of "$RUNS" latency_zst "$PAYEDGE" logs latency --format json "$LOG.zst")
  row "payedge latency, zstd input" "payedge logs latency FILE.zst" "$t" "$m"
fi
if [ "$CSV" = 1 ]; then
  CSVLOG="$DIR/bench-${MB}mb.csv"
  [ -s "$CSVLOG" ] || "$GEN" --out "$CSVLOG" --mb "$MB" --seed 1 --malformed 0.001 --format supabase-csv
  cat "$CSVLOG" > /dev/null
  read -r t m < <(best_of "$RUNS" latency_csv "$PAYEDGE" logs latency --format json "$CSVLOG")
  row "payedge latency, Supabase CSV export" "payedge logs latency FILE.csv" "$t" "$m" "$(stat -c %s "$CSVLOG")"
fi
echo
awk "BEGIN{printf \"payedge vs jq: top %.0fx, latency %.0fx; payedge vs wc -l: top %.1fx, latency %.1fx the time\n\", $T_JQ_TOP / $T_TOP, $T_JQ_LAT / $T_LAT, $T_TOP / $T_WC, $T_LAT / $T_WC}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "answers (payedge, then jq):"
head -c 400 "$DIR/top.out"; echo
head -c 400 "$DIR/jq_top.out" | tr -d ' \n'; echo
cat "$DIR/latency.out"
tr -d ' \n' < "$DIR/jq_latency.out"; echo
cat "$DIR/latency.err"
if [ "$CSV" = 1 ]; then
  echo "Supabase CSV export:"
  cat "$DIR/latency_csv.out" "$DIR/latency_csv.err"
fi
