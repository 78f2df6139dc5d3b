#!/usr/bin/env bash
# bench/confirm_load.sh's arguments, without any load: --help names every run, and a wrong
# run name, a missing value or a run without the sqlite run it needs is refused (exit 2)
# before anything is started.
set -euo pipefail
bench=${1:?path to bench/confirm_load.sh}
help=$("$bench" --help)
for run in healthz sim sqlite replay overhead express pg inflight; do
  grep -q "^  $run " <<<"$help" || { echo "FAIL: --help does not name $run" >&2; exit 1; }
done
refused() { # refused "MESSAGE PART" ARGS...: exit 2 and the message on stderr
  local want=$1 rc=0 err
  shift
  err=$("$bench" "$@" 2>&1 >/dev/null) || rc=$?
  [ "$rc" = 2 ] || { echo "FAIL: $* exited $rc, not 2" >&2; exit 1; }
  grep -qF -- "$want" <<<"$err" || { echo "FAIL: $*: no \"$want\" in: $err" >&2; exit 1; }
}
refused "unknown run: nosuch" --only healthz,nosuch
refused "unknown argument: --fast" --fast
refused "--only needs a list" --only
refused "--profile needs a directory" --profile
refused "need the sqlite run" --only replay
refused "need the sqlite run" --only healthz,overhead
echo "PASS: confirm_load.sh refuses bad arguments and documents its runs"
