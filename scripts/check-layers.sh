#!/usr/bin/env bash
# The module arrows of docs/ARCHITECTURE.md, checked on every build: a file under src/MODULE
# may include only its own module and the modules listed for it here. An upward include
# (a lower layer reaching into a higher one) fails the build with the offending line.
#
#   cli, app  → api → (confirm, webhook, ops) → (store, toss, auth) → net → core
#   obs and config stand beside them all (they depend on core only).
set -euo pipefail
src=${1:-$(dirname "$0")/../src}
declare -A allowed=(
  [core]=""
  [config]="core"
  [obs]="core"
  [net]="core obs"
  [store]="core config obs"
  [auth]="core config net obs"
  [toss]="core config net obs"
  [confirm]="core config net obs store toss"
  [webhook]="core config net obs store toss confirm"
  [ops]="core config net obs store toss confirm"
  [logs]="core config obs store"
  [slo]="core config obs logs"
  [alert]="core config net obs store toss logs slo ops"
  [incident]="core config obs store logs slo alert"
  [check]="core config obs store toss confirm logs slo"
  [sim]="core config net obs toss webhook auth"
  [api]="core config net obs store auth toss confirm webhook ops alert web"
  [app]="core config net obs store auth toss confirm webhook ops alert logs slo api sim"
  [cli]="*"
)
status=0
for dir in "$src"/*/; do
  module=$(basename "$dir")
  if [ -z "${allowed[$module]+set}" ]; then
    echo "check-layers: src/$module is not in the layer map (scripts/check-layers.sh)" >&2
    status=1
    continue
  fi
  [ "${allowed[$module]}" = "*" ] && continue
  while IFS= read -r hit; do
    file=${hit%%:*}
    rest=${hit#*:}
    line=${rest%%:*}
    target=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$rest")
    [ "$target" = "$module" ] && continue
    case " ${allowed[$module]} " in *" $target "*) continue ;; esac
    echo "check-layers: ${file#"$src"/}:$line: src/$module may not include $target/ (allowed: ${allowed[$module]:-nothing})" >&2
    status=1
  done < <(grep -rnE '^#include "[a-z_]+/' "$dir" || true)
done
[ $status -eq 0 ] && echo "check-layers: ok"
exit $status
