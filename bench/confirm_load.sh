#!/usr/bin/env bash
# The confirm-path benchmark of issue 15 (`make bench-confirm`): in one run, on this machine,
# over loopback, with the same wrk settings, the seven measurements of docs/PERFORMANCE.md and
# one markdown summary table with the ratios the issue's targets ask for. Every wrk run has a
# duration, every process this script starts is killed at exit, temp files live in a mktemp -d.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/confirm_load.sh [--only LIST] [--profile DIR] [--help]

Runs, against `payedge sim --auto-sessions` on 127.0.0.1 (wrk -t$THREADS -c$CONNECTIONS
-d${DURATION}s; distinct valid confirms from a pre-generated file; rate limits off through a
bench-only payedge.toml):
  healthz   1. GET /healthz of the same `serve` (the HTTP stack's limit)
  sim       2. the simulator's own POST /v1/payments/confirm, called directly
  sqlite    3. payedge new purchases on SQLite
  replay    4. payedge replays of paid orders only (needs sqlite)
  overhead  7. latency_ms - toss_latency_ms at about half of sqlite's rate (needs sqlite)
  express   5. the Express forwarder of bench/peer/ (Toss's sample server's shape)
  pg        3. new purchases on a throwaway PostgreSQL, one `serve`, then two (two wrk, summed)
  inflight  6. $INFLIGHT connections with the simulator adding ${TOSS_DELAY_MS} ms per confirm
--only LIST   comma-separated names from above (default: all, in the order above)
--profile DIR perf record -g on `serve` during `sqlite` (make profile-confirm); report in DIR
Environment: DURATION (10), CONNECTIONS (32), THREADS (2), INFLIGHT (1000), TOSS_DELAY_MS
(800), PAYEDGE (build/payedge); KEEP_WORK=1 keeps the temp folder (logs, databases);
SERVE_WRAPPER runs serve under a command (where perf is forbidden:
SERVE_WRAPPER="valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out" DURATION=5
bench/confirm_load.sh --only sqlite, then callgrind_annotate --inclusive=yes /tmp/cg.out).
EOF
}

all_runs="healthz sim sqlite replay overhead express pg inflight"
only=$all_runs
profile_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --only)
      [ $# -ge 2 ] || { echo "--only needs a list" >&2; exit 2; }
      only=${2//,/ }; shift 2 ;;
    --profile)
      [ $# -ge 2 ] || { echo "--profile needs a directory" >&2; exit 2; }
      profile_dir=$2; shift 2 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
for r in $only; do
  case " $all_runs " in *" $r "*) ;; *) echo "unknown run: $r (see --help)" >&2; exit 2 ;; esac
done
selected() { case " $only " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
if selected replay || selected overhead; then
  selected sqlite || { echo "replay and overhead need the sqlite run (--only sqlite,...)" >&2; exit 2; }
fi

cd "$(dirname "$0")/.."
root=$PWD
bin=$(realpath "${PAYEDGE:-build/payedge}")
duration=${DURATION:-10}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
inflight=${INFLIGHT:-1000}
toss_delay_ms=${TOSS_DELAY_MS:-800}
for tool in wrk jq curl sqlite3; do
  command -v "$tool" >/dev/null || { echo "needs $tool: scripts/install-deps.sh" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "no $bin: build it first (cmake --build build --target payedge)" >&2; exit 1; }
if [ -n "$profile_dir" ]; then
  command -v perf >/dev/null || { echo "--profile needs perf (linux-perf)" >&2; exit 1; }
  mkdir -p "$profile_dir"
  profile_dir=$(realpath "$profile_dir")
fi

work=$(mktemp -d /tmp/payedge-bench-XXXXXX)
pids=()
pg_started=0
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$pg_started" = 1 ]; then scripts/pg-test-server.sh stop "$work/pg" >/dev/null 2>&1 || true; fi
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "kept: $work (logs, databases, requests)" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# 1,000 connections to serve and as many from serve to the simulator, in one process each.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if selected inflight && [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((2 * ${INFLIGHT:-1000} + 100)) ]; then
  echo "warning: ulimit -n is $(ulimit -n): the in-flight run needs about $((2 * ${INFLIGHT:-1000} + 100)) descriptors" >&2
fi

export TOSS_SECRET_KEY=bench_sk SUPABASE_JWT_SECRET=bench-jwt-secret WEBHOOK_SECRET=bench-webhook-secret
# Bench only: no per-client rate limit (wrk is one client), no reconciler sweeping meanwhile.
printf '[server]\nconfirm_rate_per_s = 0\n[idempotency]\nreconcile_interval_s = 0\n' >"$work/payedge.toml"

load() { cut -d' ' -f1-3 /proc/loadavg; }

# wait_listening FILE PID: the "listening on HOST:PORT" line of a process's stderr, bounded.
wait_listening() {
  for _ in $(seq 1 1200); do  # 60 s at most (serve under valgrind starts slowly)
    if grep -q "listening on" "$1" 2>/dev/null; then
      sed -n 's/.*listening on //p' "$1" | head -1
      return 0
    fi
    kill -0 "$2" 2>/dev/null || break
    sleep 0.05
  done
  echo "process $2 did not start; its stderr:" >&2
  cat "$1" >&2
  exit 1
}

# start_serve NAME STORE_URL: a `serve` on a free port; sets serve_pid and serve_addr.
start_serve() {
  # SERVE_WRAPPER: a command to run serve under, e.g. valgrind --tool=callgrind (no perf).
  # shellcheck disable=SC2086
  ${SERVE_WRAPPER:-} "$bin" serve --config "$work/payedge.toml" --listen 127.0.0.1:0 --store "$2" \
    --toss-url "http://$sim" --log-file "$work/$1.log" 2>"$work/$1.err" &
  serve_pid=$!
  pids+=("$serve_pid")
  serve_addr=$(wait_listening "$work/$1.err" "$serve_pid")
}

# run_wrk NAME URL CONNECTIONS [REQUESTS_FILE] [extra env...]: one bounded wrk run; its BENCH
# line goes to $work/NAME.bench, its full output to $work/NAME.wrk.
run_wrk() {
  local name=$1 url=$2 conns=$3 file=${4:-}
  shift 4 || shift $#
  local t=$threads
  [ "$t" -gt "$conns" ] && t=$conns
  env WRK_THREADS="$t" REQUESTS="$file" "$@" \
    wrk -t"$t" -c"$conns" -d"${duration}s" --timeout 10s -s "$root/bench/confirm.lua" "$url" \
    >"$work/$name.wrk" 2>&1
  grep '^BENCH' "$work/$name.wrk" >"$work/$name.bench" ||
    { echo "wrk $name failed:" >&2; cat "$work/$name.wrk" >&2; exit 1; }
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$work/$1.bench"; }

# The answers of serve's log lines from line $2 on: "N×200 ok, M×409 E_…".
answers() {
  tail -n +"$2" "$work/$1.log" | jq -r 'select(.fn == "confirm-payment")
    | "\(.http_status) \(.error_code // "ok")\(if .replayed then " replayed" else "" end)"' |
    sort | uniq -c | awk '{c=$1; $1=""; printf "%s%s×%s", (NR>1?", ":""), c, substr($0,2)}'
}
log_lines() { wc -l <"$work/$1.log"; }

rows=()
# row RUN CONNS NAME [ANSWERS]: a line of the summary table from NAME's BENCH line.
row() {
  local wraps note=${4:-}
  wraps=$(field "$3" wrapped)
  # The replay run cycles through its paid orders on purpose; elsewhere a wrap is a repeat.
  if [ "$wraps" != 0 ] && [ "$3" != replay ]; then
    note="$note (file wrapped $wraps×: later requests were repeats)"
  fi
  rows+=("| $1 | $2 | $(field "$3" rps) | $(field "$3" p50_ms) | $(field "$3" p99_ms) | $(field "$3" non2xx) | $note | ${load_at_start} |")
}

# --- the pre-generated requests (one line: PATH<tab>AUTHORIZATION<tab>BODY) ---
per_run=$((duration * 4000))           # new purchases: far above today's rate (wraps are reported)
inflight_n=$((duration * inflight * 1000 * 2 / toss_delay_ms + 1000))
tokens_n=$((per_run * 5 + inflight_n))  # sqlite, overhead, pg one, pg two, inflight, traced
basic="Basic $(printf '%s:' "$TOSS_SECRET_KEY" | base64 -w0)"
echo "generating requests in $work (tokens for $tokens_n users) ..." >&2
"$bin" token --user bench-user --count "$tokens_n" --ttl 7200 >"$work/tokens.txt"
# confirm_lines PREFIX FIRST COUNT: payedge confirms of users FIRST .. FIRST+COUNT-1.
confirm_lines() {
  awk -v p="$1" -v first="$2" -v n="$3" 'NR >= first + n { exit } NR >= first { i = NR - first + 1
    printf "/functions/v1/confirm-payment\tBearer %s\t{\"paymentKey\":\"bk-%s-%d\",\"orderId\":\"bench-%s-%d\",\"amount\":49000,\"courseId\":\"course-sql\",\"couponCode\":null}\n", $0, p, i, p, i }' "$work/tokens.txt"
}
# toss_lines PATH AUTH PREFIX COUNT: Toss confirm bodies (the simulator's, Express's).
toss_lines() {
  awk -v path="$1" -v auth="$2" -v p="$3" -v n="$4" 'BEGIN { for (i = 1; i <= n; i++)
    printf "%s\t%s\t{\"paymentKey\":\"bk-%s-%d\",\"orderId\":\"bench-%s-%d\",\"amount\":49000}\n", path, auth, p, i, p, i }'
}
confirm_lines sq 1 "$per_run" >"$work/sqlite.req"
confirm_lines ov $((per_run + 1)) "$per_run" >"$work/overhead.req"
confirm_lines p1 $((2 * per_run + 1)) "$per_run" >"$work/pg1.req"
confirm_lines p2 $((3 * per_run + 1)) "$per_run" >"$work/pg2.req"
confirm_lines if $((4 * per_run + 1)) "$inflight_n" >"$work/inflight.req"
if [ -n "$profile_dir" ]; then  # the traced run: users after all others
  confirm_lines tr $((4 * per_run + inflight_n + 1)) "$per_run" >"$work/traced.req"
fi
toss_lines /v1/payments/confirm "$basic" sim $((duration * 30000)) >"$work/sim.req"
toss_lines /confirm "" ex $((duration * 8000)) >"$work/express.req"

# --- the simulator and the SQLite serve ---
"$bin" sim --listen 127.0.0.1:0 --auto-sessions 2>"$work/sim.err" &
sim_pid=$!
pids+=("$sim_pid")
sim=$(wait_listening "$work/sim.err" "$sim_pid")
"$bin" seed examples/seed.json --store "sqlite://$work/sqlite.db" >/dev/null
start_serve sqlite "sqlite://$work/sqlite.db"
sqlite_pid=$serve_pid
sqlite_api=$serve_addr

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); $(uname -r)"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average at start: $(load)"
echo "wrk -t$threads -c$connections -d${duration}s --timeout 10s (bench/confirm.lua); payedge $(git rev-parse --short HEAD 2>/dev/null || echo '?')"

if selected healthz; then
  load_at_start=$(load)
  run_wrk healthz "http://$sqlite_api/healthz" "$connections" ""
  row "1. \`/healthz\` of serve" "$connections" healthz
fi

if selected sim; then
  load_at_start=$(load)
  run_wrk sim "http://$sim" "$connections" "$work/sim.req"
  row "2. simulator confirm, direct" "$connections" sim
fi

sqlite_rps=""
if selected sqlite; then
  load_at_start=$(load)
  from=$(($(log_lines sqlite) + 1))
  if [ -n "$profile_dir" ]; then
    # On-CPU samples with DWARF call stacks (RelWithDebInfo has no frame pointers). It slows
    # serve down: a profiled run's rate is not a figure to record.
    perf record -g --call-graph dwarf,16384 -F 999 -o "$profile_dir/perf.data" -p "$sqlite_pid" \
      -- sleep "$duration" >"$profile_dir/perf-record.log" 2>&1 &
    perf_pid=$!
    pids+=("$perf_pid")
  fi
  run_wrk sqlite "http://$sqlite_api" "$connections" "$work/sqlite.req"
  if [ -n "$profile_dir" ]; then wait "$perf_pid" || true; fi
  paid=$(sqlite3 "$work/sqlite.db" "SELECT COUNT(*) FROM payments")
  row "3. payedge new purchases, SQLite" "$connections" sqlite "$(answers sqlite "$from"); $paid payments written"
  sqlite_rps=$(field sqlite rps)
  if [ -n "$profile_dir" ]; then
    # A second run of the same load (other users) under perf trace -s: each syscall's count
    # and time, which sampling does not see (a commit waiting in fdatasync is off-CPU). Apart
    # from perf record, whose samples the tracing would fill with its own overhead.
    perf trace -s -p "$sqlite_pid" -o "$profile_dir/syscalls.txt" -- sleep "$duration" \
      >/dev/null 2>&1 &
    trace_pid=$!
    pids+=("$trace_pid")
    load_at_start=$(load)
    from=$(($(log_lines sqlite) + 1))
    run_wrk traced "http://$sqlite_api" "$connections" "$work/traced.req"
    wait "$trace_pid" || true
    row "3. (again under perf trace -s, not a figure)" "$connections" traced "$(answers sqlite "$from")"
  fi
fi

if selected replay; then
  # Only orders that the sqlite run paid: their lines again, each now a stored-result replay.
  sqlite3 "$work/sqlite.db" "SELECT order_id FROM payments" >"$work/paid.txt"
  awk -F'\t' 'NR == FNR { paid["\"orderId\":\"" $1 "\""] = 1; next }
    { match($3, /"orderId":"[^"]*"/); if (substr($3, RSTART, RLENGTH) in paid) print }' \
    "$work/paid.txt" "$work/sqlite.req" >"$work/replay.req"
  load_at_start=$(load)
  from=$(($(log_lines sqlite) + 1))
  run_wrk replay "http://$sqlite_api" "$connections" "$work/replay.req"
  row "4. payedge replays of paid orders" "$connections" replay "$(answers sqlite "$from"); $(wc -l <"$work/replay.req") distinct orders, cycled"
fi

overhead_p50="" overhead_p99=""
if selected overhead; then
  # wrk has no fixed rate (wrk2 is not in Debian): each connection waits DELAY_MS after every
  # answer, DELAY_MS = connections / (rate / 2). The answer's own latency adds to the cycle, so
  # the reached rate is a little under half; the table shows the rate reached.
  delay=$(awk -v c="$connections" -v r="$sqlite_rps" 'BEGIN { d = c * 1000 / (r / 2); printf "%d", (d < 1 ? 1 : d) }')
  load_at_start=$(load)
  from=$(($(log_lines sqlite) + 1))
  run_wrk overhead "http://$sqlite_api" "$connections" "$work/overhead.req" DELAY_MS="$delay"
  # Nearest rank over the confirms that called Toss: the time payedge adds around the Toss call.
  read -r overhead_n overhead_p50 overhead_p99 < <(tail -n +"$from" "$work/sqlite.log" |
    jq -s -r '[.[] | select(.fn == "confirm-payment" and (.toss_latency_ms | type) == "number")
      | .latency_ms - .toss_latency_ms] | sort
      | if length == 0 then "0 - -" else
        "\(length) \(.[((length * 0.5) | ceil) - 1]) \(.[((length * 0.99) | ceil) - 1])" end')
  row "7. overhead run (delay ${delay} ms per connection)" "$connections" overhead \
    "overhead latency_ms − toss_latency_ms over $overhead_n confirms: p50 $overhead_p50 ms, p99 $overhead_p99 ms; $(answers sqlite "$from")"
fi

express_rps=""
if selected express; then
  command -v node >/dev/null || { echo "express needs node: scripts/install-deps.sh" >&2; exit 1; }
  if [ ! -d bench/peer/node_modules ]; then
    (cd bench/peer && npm ci --no-audit --no-fund >/dev/null)
  fi
  TOSS_URL="http://$sim" node bench/peer/server.js >"$work/express.log" 2>"$work/express.err" &
  express_pid=$!
  pids+=("$express_pid")
  express_api=$(wait_listening "$work/express.err" "$express_pid")
  load_at_start=$(load)
  run_wrk express "http://$express_api" "$connections" "$work/express.req"
  row "5. Express forwarder (bench/peer)" "$connections" express "$(jq -r .status "$work/express.log" | sort | uniq -c | awk '{printf "%s%s×%s", (NR>1?", ":""), $1, $2}')"
  express_rps=$(field express rps)
  kill "$express_pid" 2>/dev/null || true
fi

pg1_rps="" pg2_rps=""
if selected pg; then
  scripts/pg-test-server.sh start "$work/pg" >/dev/null
  pg_started=1
  pg_url=$(cat "$work/pg/url")
  "$bin" seed examples/seed.json --store "$pg_url" >/dev/null
  start_serve pga "$pg_url"
  pga_api=$serve_addr
  load_at_start=$(load)
  run_wrk pg1 "http://$pga_api" "$connections" "$work/pg1.req"
  row "3. payedge new purchases, PostgreSQL, one serve" "$connections" pg1 "$(answers pga 1)"
  pg1_rps=$(field pg1 rps)
  start_serve pgb "$pg_url"
  pgb_api=$serve_addr
  # wrk cannot alternate hosts: one wrk per instance, half the connections and threads each,
  # each taking every other line of the same file (SLICE), started together; rates summed.
  half=$((connections / 2))
  from_a=$(($(log_lines pga) + 1))
  load_at_start=$(load)
  threads_saved=$threads
  threads=$(((threads + 1) / 2))
  run_wrk pg2a "http://$pga_api" "$half" "$work/pg2.req" SLICE=0 SLICES=2 &
  wa=$!
  run_wrk pg2b "http://$pgb_api" "$half" "$work/pg2.req" SLICE=1 SLICES=2 &
  wb=$!
  pids+=("$wa" "$wb")
  wait "$wa"
  wait "$wb"
  threads=$threads_saved
  pg2_rps=$(awk -v a="$(field pg2a rps)" -v b="$(field pg2b rps)" 'BEGIN { printf "%.1f", a + b }')
  paid=$(psql "$pg_url" -Atc "SELECT COUNT(*) FROM payments")
  rows+=("| 3. payedge new purchases, PostgreSQL, two serve (sum) | $half + $half | $pg2_rps | $(field pg2a p50_ms) / $(field pg2b p50_ms) | $(field pg2a p99_ms) / $(field pg2b p99_ms) | $(($(field pg2a non2xx) + $(field pg2b non2xx))) | A: $(answers pga "$from_a"); B: $(answers pgb 1); $paid payments in all | $load_at_start |")
fi

inflight_rps="" inflight_hwm="" inflight_threads=""
if selected inflight; then
  # A fresh serve (its own peak RSS) on a fresh SQLite file; Toss answers every confirm in
  # TOSS_DELAY_MS. Little's law: at most INFLIGHT / delay confirms complete per second.
  "$bin" seed examples/seed.json --store "sqlite://$work/inflight.db" >/dev/null
  start_serve inflight "sqlite://$work/inflight.db"
  inflight_pid=$serve_pid
  curl -sf -X POST "http://$sim/__sim/faults" -d "{\"latency_ms\":[$toss_delay_ms,$toss_delay_ms]}" >/dev/null
  load_at_start=$(load)
  run_wrk inflight "http://$serve_addr" "$inflight" "$work/inflight.req" &
  w=$!
  pids+=("$w")
  max_threads=0
  for _ in $(seq 1 $((duration * 5 + 50))); do  # every 0.2 s while wrk runs (bounded)
    kill -0 "$w" 2>/dev/null || break
    t=$(awk '/^Threads:/ {print $2}' "/proc/$inflight_pid/status")
    [ "$t" -gt "$max_threads" ] && max_threads=$t
    sleep 0.2
  done
  wait "$w"
  inflight_hwm=$(awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$inflight_pid/status")
  inflight_threads=$max_threads
  curl -sf -X POST "http://$sim/__sim/faults" -d '{}' >/dev/null
  inflight_rps=$(field inflight rps)
  row "6. $inflight in flight, Toss +${toss_delay_ms} ms" "$inflight" inflight \
    "peak RSS (VmHWM) $inflight_hwm MB, threads $inflight_threads; $(answers inflight 1)"
fi

echo
echo "| run | connections | requests/s | p50 ms | p99 ms | non-2xx | answers / notes | load (1, 5, 15 min) |"
echo "|---|---:|---:|---:|---:|---:|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "Targets of issue 15 (ratios from this run):"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
echo "| target | measured | goal |"
echo "|---|---|---|"
if [ -n "$sqlite_rps" ] && [ -n "$express_rps" ]; then
  echo "| SQLite new purchases ÷ Express forwarder | $(ratio "$sqlite_rps" "$express_rps")× ($sqlite_rps / $express_rps) | ≥ 3× |"
fi
if [ -n "$inflight_rps" ]; then
  bound=$(awk -v c="$inflight" -v d="$toss_delay_ms" 'BEGIN { printf "%.0f", c * 1000 / d }')
  echo "| $inflight in flight: completed/s ÷ Little's-law bound | $(ratio "$inflight_rps" "$bound") ($inflight_rps / $bound) | ≥ 0.90 |"
  echo "| $inflight in flight: peak RSS of serve | $inflight_hwm MB | < 200 MB |"
fi
if [ -n "$overhead_p99" ]; then
  echo "| overhead p99 at about half load | $overhead_p99 ms (p50 $overhead_p50 ms, at $(field overhead rps)/s) | ≤ 5 ms |"
fi
if [ -n "$pg1_rps" ]; then
  echo "| PostgreSQL two serve ÷ one serve | $(ratio "$pg2_rps" "$pg1_rps") ($pg2_rps / $pg1_rps) | ≥ 1 |"
  echo "| PostgreSQL one serve ÷ 560/s (the issue's before) | $(ratio "$pg1_rps" 560) | ≥ 3 |"
fi
echo "load average at end: $(load)"

if [ -n "$profile_dir" ]; then
  # --no-inline: resolving inlined frames of DWARF stacks takes minutes instead of seconds.
  perf report -i "$profile_dir/perf.data" --stdio --no-inline --no-children -g none \
    --percent-limit 0.5 --sort dso,symbol 2>/dev/null | cut -c1-220 >"$profile_dir/self.txt" || true
  perf report -i "$profile_dir/perf.data" --stdio --no-inline --children -g none \
    --percent-limit 1 --sort symbol 2>/dev/null | cut -c1-220 >"$profile_dir/inclusive.txt" || true
  bench/profile_categories.sh "$profile_dir/perf.data" >"$profile_dir/categories.md" || true
  echo
  echo "profile of serve during the sqlite run ($profile_dir):"
  cat "$profile_dir/categories.md"
  echo
  echo "syscalls of serve in that run (perf trace -s; fdatasync is the commits' wait):"
  # perf trace -s prints one table per thread: summed here over serve's threads.
  # (clock_nanosleep in a store thread is SQLite's busy handler waiting for the write lock.)
  printf '| syscall | calls | total ms | avg ms | threads |\n|---|---:|---:|---:|---:|\n'
  awk '/ events, / { threads++ } $1 ~ /^[a-z_0-9]+$/ && $2 ~ /^[0-9]+$/ && NF >= 8 {
      calls[$1] += $2; ms[$1] += $4; seen[$1] = seen[$1] + 1 }
    END { for (c in calls) if (calls[c] >= 100 || ms[c] >= 10)
        printf "| %s | %d | %.0f | %.3f | %d |\n", c, calls[c], ms[c], ms[c] / calls[c], seen[c] }' \
    "$profile_dir/syscalls.txt" | sort -t'|' -k4,4nr || true
  echo "files: perf.data, self.txt (self time), inclusive.txt (with callees), categories.md, syscalls.txt"
fi
