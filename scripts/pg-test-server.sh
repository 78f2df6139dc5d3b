#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: `start DIR` runs initdb into DIR as a non-root user
# (initdb refuses root) and pg_ctl on a free loopback port, then writes the server URL to
# DIR/url; `stop DIR` stops it; `resume DIR` starts it again on the same port. ctest runs
# start and stop as fixtures around the PostgreSQL tests.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "pg-test-server: PostgreSQL server binaries not found; run scripts/install-deps.sh (package postgresql)" >&2
  exit 1
fi
as_db_user=()
if [ "$(id -u)" -eq 0 ]; then
  id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  as_db_user=(runuser -u postgres --)
fi

case "$cmd" in
  start)
    if [ -f "$dir/data/postmaster.pid" ]; then "${as_db_user[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    "${as_db_user[@]}" "$bin/initdb" -D "$dir/data" -A trust -U payedge -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    for try in 1 2 3 4 5 6 7 8; do
      port=$((20000 + RANDOM % 40000))
      if "${as_db_user[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
          -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null; then
        "$bin/psql" -h 127.0.0.1 -p "$port" -U payedge -d postgres -qc "CREATE DATABASE payedge_test" >/dev/null
        echo "postgresql://payedge@127.0.0.1:$port/payedge_test" >"$dir/url"
        echo "pg-test-server: postgresql://payedge@127.0.0.1:$port/payedge_test"
        exit 0
      fi
    done
    echo "pg-test-server: could not start PostgreSQL" >&2
    cat "$dir/server.log" >&2 || true
    exit 1
    ;;
    resume)
    # Start a stopped server again on the port it had (tests of a database restart).
    port=$(sed -E 's/.*:([0-9]+)\/.*/\1/' "$dir/url")
    "${as_db_user[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
    echo "pg-test-server: resumed on $port"
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      "${as_db_user[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    echo "pg-test-server: stopped"
    ;;
  *)
        echo "usage: $0 start|stop|resume DIR" >&2
    exit 2
    ;;
esac
