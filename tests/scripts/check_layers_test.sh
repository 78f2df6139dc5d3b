#!/usr/bin/env bash
# The layer check passes on the tree and fails on a copy with one upward include.
set -euo pipefail
check=${1:?path to scripts/check-layers.sh}
src=${2:?path to src}
"$check" "$src" >/dev/null
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
cp -r "$src" "$copy/src"
echo '#include "api/api.h"' >>"$copy/src/core/price.h"
if out=$("$check" "$copy/src" 2>&1); then
  echo "FAIL: core including api/ was accepted" >&2
  exit 1
fi
grep -q "core/price.h" <<<"$out" || { echo "FAIL: the message does not name the file: $out" >&2; exit 1; }
echo "PASS: the layer check refuses an upward include"
