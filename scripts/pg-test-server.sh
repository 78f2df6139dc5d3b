#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: `start DIR` runs initdb as a non-root user (initdb
# refuses root) and pg_ctl on a free loopback port, then writes the server URL to DIR/url;
# `stop DIR` stops it and removes its data; `pause DIR` stops it and keeps the data, and
# `resume DIR` starts it again on the same port (tests of a database restart).
# ctest runs start and stop as fixtures around the PostgreSQL tests.
#
# `start DIR --ssl` also turns TLS on (ssl=on) with a throwaway CA made by `openssl`: DIR/ca.pem
# signs a server certificate for 127.0.0.1 and localhost, and DIR/url-tls holds a URL with
# sslmode=verify-full&sslrootcert=DIR/ca.pem — how a client reaches Supabase's database.
# The plain fixture (no --ssl) is unchanged.
#
# The data directory and the socket live in a fresh folder under ${TMPDIR:-/tmp} owned by the
# server's user, not in DIR: a checkout may sit below a folder only root can enter (a 0700
# home or mktemp -d), which the postgres user could never reach. DIR/datadir points to it.
set -euo pipefail
cmd=${1:?start|stop|pause|resume}
dir=${2:?directory}
ssl=${3:-}
if [ -n "$ssl" ] && [ "$ssl" != "--ssl" ]; then
  echo "usage: $0 start DIR [--ssl]" >&2
  exit 2
fi
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

pg_ctl_start() { # $1: data folder, $2: port
  local tls=""
  if [ -f "$1/server.crt" ]; then
    tls="-c ssl=on -c ssl_cert_file=$1/server.crt -c ssl_key_file=$1/server.key"
  fi
  "${as_db_user[@]}" "$bin/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 30 \
    -o "-p $2 -k $1 -c listen_addresses=127.0.0.1 -c max_connections=200 $tls" start >/dev/null
}

make_tls() { # $1: data folder. A CA and a server certificate for 127.0.0.1/localhost.
  command -v openssl >/dev/null || { echo "pg-test-server: --ssl needs openssl" >&2; exit 1; }
  local d=$1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=payedge test CA" -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/ext.cnf" -out "$d/server.crt" 2>/dev/null
  chmod 0600 "$d/server.key" "$d/ca.key"
  [ "$(id -u)" -eq 0 ] && chown postgres "$d/server.key" "$d/server.crt"
  cp "$d/ca.pem" "$dir/ca.pem"
}

stop_old() {
  [ -f "$dir/datadir" ] || return 0
  local old
  old=$(cat "$dir/datadir")
  if [ -f "$old/data/postmaster.pid" ]; then
    # Immediate: the data is removed next, so the shutdown checkpoint of a fast stop (which can
    # take longer than ctest's 60 s on a loaded 2-core machine after the whole suite) is waste.
    "${as_db_user[@]}" "$bin/pg_ctl" -D "$old/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  case "$old" in */payedge-pg.*) rm -rf "$old" ;; esac
}

case "$cmd" in
  start)
    stop_old
    rm -rf "$dir"
    mkdir -p "$dir"
    data=$(mktemp -d "${TMPDIR:-/tmp}/payedge-pg.XXXXXX")
    chmod 0700 "$data"
    [ "$(id -u)" -eq 0 ] && chown postgres "$data"
    echo "$data" >"$dir/datadir"
    [ "$ssl" = "--ssl" ] && make_tls "$data"
    "${as_db_user[@]}" "$bin/initdb" -D "$data/data" -A trust -U payedge -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    for try in 1 2 3 4 5 6 7 8; do
      port=$((20000 + RANDOM % 40000))
      if pg_ctl_start "$data" "$port"; then
        "$bin/psql" -h 127.0.0.1 -p "$port" -U payedge -d postgres -qc "CREATE DATABASE payedge_test" >/dev/null
        echo "postgresql://payedge@127.0.0.1:$port/payedge_test" >"$dir/url"
        if [ "$ssl" = "--ssl" ]; then
          echo "postgresql://payedge@127.0.0.1:$port/payedge_test?sslmode=verify-full&sslrootcert=$(cd "$dir" && pwd)/ca.pem" >"$dir/url-tls"
        fi
        echo "pg-test-server: postgresql://payedge@127.0.0.1:$port/payedge_test (data in $data)"
        exit 0
      fi
    done
    echo "pg-test-server: could not start PostgreSQL" >&2
    cat "$data/server.log" >&2 || true
    exit 1
    ;;
  pause)
    data=$(cat "$dir/datadir")
    "${as_db_user[@]}" "$bin/pg_ctl" -D "$data/data" -m fast -w stop >/dev/null
    echo "pg-test-server: paused"
    ;;
  resume)
    # Start a stopped server again on the port it had (tests of a database restart).
    port=$(sed -E 's/.*:([0-9]+)\/.*/\1/' "$dir/url")
    pg_ctl_start "$(cat "$dir/datadir")" "$port"
    echo "pg-test-server: resumed on $port"
    ;;
  stop)
    stop_old
    echo "pg-test-server: stopped"
    ;;
  *)
    echo "usage: $0 start DIR [--ssl] | stop|pause|resume DIR" >&2
    exit 2
    ;;
esac
