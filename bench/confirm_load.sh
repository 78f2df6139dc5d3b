#!/usr/bin/env bash
# Load on the confirm path over loopback: the simulator (--auto-sessions) and `payedge serve`
# on a fresh SQLite file, then wrk. Bounded: DURATION seconds per run (default 10).
#   bench/confirm_load.sh            new purchases (each: Toss confirm + two fsynced commits)
#   REPLAY=1 bench/confirm_load.sh   the same confirm again (stored-result path)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/payedge
duration=${DURATION:-10}
connections=${CONNECTIONS:-16}
work=$(mktemp -d /tmp/payedge-bench-XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
export TOSS_SECRET_KEY=bench_sk SUPABASE_JWT_SECRET=bench-jwt-secret WEBHOOK_SECRET=bench-webhook-secret
printf '[server]\nconfirm_rate_per_s = 0\n[idempotency]\nreconcile_interval_s = 0\n' >"$work/payedge.toml"
"$bin" seed examples/seed.json --store "sqlite://$work/bench.db" >/dev/null
"$bin" sim --listen 127.0.0.1:0 --auto-sessions 2>"$work/sim.err" &
until grep -q "listening on" "$work/sim.err" 2>/dev/null; do sleep 0.05; done
sim=$(sed -n 's/listening on //p' "$work/sim.err" | head -1)
"$bin" serve --config "$work/payedge.toml" --listen 127.0.0.1:0 --store "sqlite://$work/bench.db" \
  --toss-url "http://$sim" --log-file "$work/serve.log" 2>"$work/serve.err" &
until grep -q "listening on" "$work/serve.err" 2>/dev/null; do sleep 0.05; done
api=$(sed -n 's/listening on //p' "$work/serve.err" | head -1)
"$bin" token --user bench-user --count "${USERS:-200000}" >"$work/tokens.txt"
if [ "${REPLAY:-0}" = "1" ]; then  # one paid order to replay
  TOKENS="$work/tokens.txt" REPLAY=1 wrk -t1 -c1 -d1s -s bench/confirm.lua "http://$api" >/dev/null
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "run: wrk -t2 -c$connections -d${duration}s (REPLAY=${REPLAY:-0})"
TOKENS="$work/tokens.txt" wrk -t2 -c"$connections" -d"${duration}s" --latency -s bench/confirm.lua "http://$api"
echo "payments written: $(sqlite3 "$work/bench.db" 'SELECT COUNT(*) FROM payments')"
echo "answers by code: $(jq -r '.error_code // "ok"' "$work/serve.log" | sort | uniq -c | tr -s " " | tr "\n" ";")"
