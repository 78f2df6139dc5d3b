#!/usr/bin/env bash
# libFuzzer targets (clang, ASan + UBSan) for the parsers that face the network:
#   scripts/fuzz.sh build           compile them into build-fuzz/
#   scripts/fuzz.sh run SECONDS     run each for SECONDS (bounded), seeds from tests/fuzz/corpus
# The working corpus is a copy under build-fuzz/, so runs never dirty the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-fuzz
cxx=$(command -v clang++-16 || true)
if [ -z "$cxx" ]; then echo "fuzz: clang++-16 missing (scripts/install-deps.sh installs it)" >&2; exit 1; fi
# libstdc++ 12 hides <expected> unless __cpp_concepts says P0848 (conditionally trivial
# special members), which clang 16 implements but does not yet advertise.
flags=(-std=c++2b -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Isrc
       -U__cpp_concepts -D__cpp_concepts=202002L -Wno-builtin-macro-redefined)
declare -A sources=(
  [confirm_request]="src/core/confirm_request.cpp src/core/error.cpp"
  [webhook_signature]="src/webhook/signature.cpp src/webhook/webhook_event.cpp src/toss/toss_payment.cpp src/core/codec.cpp src/core/time.cpp src/core/error.cpp"
  [jwt]="src/auth/jwt.cpp src/auth/jwk.cpp src/core/codec.cpp src/core/error.cpp"
  [log_line]="src/logs/record_parser.cpp src/logs/fast_path.cpp src/logs/simdjson_path.cpp src/logs/parse_keys.cpp src/logs/log_time.cpp src/core/time.cpp src/core/error.cpp"
)
case "${1:-build}" in
  build)
    mkdir -p "$out"
    pids=()
    for t in "${!sources[@]}"; do
      # shellcheck disable=SC2086
      "$cxx" "${flags[@]}" "tests/fuzz/${t}_fuzz.cpp" ${sources[$t]} -o "$out/${t}_fuzz" -lssl -lcrypto -lfmt -lsimdjson &
      pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || { echo "fuzz: a target did not build" >&2; exit 1; }; done
    echo "fuzz: built ${!sources[*]} in $out/"
    ;;
  run)
    seconds=${2:-60}
    for t in "${!sources[@]}"; do
      mkdir -p "$out/corpus/$t"
      cp -n tests/fuzz/corpus/"$t"/* "$out/corpus/$t/" 2>/dev/null || true
      echo "fuzz: $t for ${seconds}s"
      "$out/${t}_fuzz" -max_total_time="$seconds" -max_len=20000 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "$out/corpus/$t" 2>"$out/$t.log" || { tail -40 "$out/$t.log"; exit 1; }
      grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$out/$t.log" | tr '\n' ' '; echo
    done
    echo "fuzz: no crash"
    ;;
  *)
    echo "usage: $0 build|run SECONDS" >&2
    exit 2
    ;;
esac
