#!/usr/bin/env bash
# A checkout below a folder only its owner may enter (a 0700 home, `mktemp -d`) must still get
# its throwaway PostgreSQL: the server's own user never needs to reach the checkout.
set -euo pipefail
script=${1:?path to scripts/pg-test-server.sh}
private=$(mktemp -d)
trap 'bash "$script" stop "$private/build/pg-test" >/dev/null 2>&1 || true; rm -rf "$private"' EXIT
chmod 0700 "$private"
mkdir -p "$private/build"
bash "$script" start "$private/build/pg-test"
url=$(cat "$private/build/pg-test/url")
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
answer=$("$bin/psql" "$url" -tAc "SELECT 40 + 2")
if [ "$answer" != "42" ]; then
  echo "FAIL: the server in a 0700 checkout did not answer (got '$answer')" >&2
  exit 1
fi
bash "$script" stop "$private/build/pg-test"
echo "PASS: PostgreSQL started and answered from a 0700 parent folder"
