#!/usr/bin/env bash
# Where serve's CPU goes, by kind of work: reads a `perf record -g` file (bench/confirm_load.sh
# --profile) and gives each sample to the first category whose pattern one of its frames
# matches, in the order below (so JSON parsed inside the Toss client counts as JSON, a write()
# of the log line as logging). Prints a markdown table of samples and shares, per thread too.
#   bench/profile_categories.sh build/profile-confirm/perf.data
set -euo pipefail
data=${1:?perf.data}
perf script -i "$data" --no-inline -F comm,tid,ip,sym 2>/dev/null | awk '
  BEGIN {
    n = split("alerts thread (LiveAlerts: polls the audit table, evaluates rules)|" \
              "fsync (fdatasync: SQLite commits, kernel block I/O)|" \
              "SQLite commit (WAL frames, locks; fsync apart)|SQLite prepare (SQL parsing)|" \
              "SQLite (steps, other)|" \
              "logging (log line, masking, file write)|JWT (auth)|JSON (nlohmann, simdjson)|" \
              "Toss client (HTTP to the simulator)|HTTP server (Beast, sockets)|" \
              "malloc/free|other", names, "|")
    pat[1] = "LiveAlerts::run|LiveAlerts::poll"
    pat[2] = "fdatasync|do_fsync"
    pat[3] = "sqlite3VdbeHalt|sqlite3PagerCommit|sqlite3WalFrames|sqlite3BtreeCommit"
    pat[4] = "sqlite3_prepare|sqlite3LockAndPrepare|sqlite3RunParser|sqlite3Prepare"
    pat[5] = "sqlite3"
    pat[6] = "LiveAlerts::write|FileLogSink|RequestLog|request_log|mask_text|log_line|LogSink"
    pat[7] = "payedge::auth|Jwt|jwt|verify_hs|Hs256|HMAC|hmac|EVP_|JwksCache"
    pat[8] = "nlohmann|simdjson"
    pat[9] = "TossClient|HttpClient|ClientPool"
    pat[10] = "beast|socket|tcp_|epoll|sendmsg|recvmsg|sock_"
    pat[11] = "malloc|free|operator new|operator delete"
  }
  function flush() {
    if (!in_sample) return
    cat = n
    for (i = 1; i < n; i++) if (chain ~ pat[i]) { cat = i; break }
    count[cat]++; total++
    by_tid[tid]++; by_tid_cat[tid, cat]++
    in_sample = 0; chain = ""
  }
  /^[^ \t]/ { flush(); tid = $2; in_sample = 1; next }
  /^$/ { flush(); next }
  { chain = chain " " $0 }
  END {
    flush()
    printf "| kind of work (first match up the stack) | samples | share |\n|---|---:|---:|\n"
    for (i = 1; i <= n; i++) if (count[i] > 0)
      printf "| %s | %d | %.1f%% |\n", names[i], count[i], 100 * count[i] / total
    printf "| all | %d | 100%% |\n\n", total
    printf "| thread (tid) | samples | top kinds |\n|---|---:|---|\n"
    for (t in by_tid) {
      top = ""
      for (i = 1; i <= n; i++) if (by_tid_cat[t, i] * 10 >= by_tid[t])
        top = top sprintf("%s%s %.0f%%", (top == "" ? "" : ", "), names[i], 100 * by_tid_cat[t, i] / by_tid[t])
      printf "| %s | %d | %s |\n", t, by_tid[t], top
    }
  }'
