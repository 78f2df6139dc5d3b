#!/usr/bin/env bash
# Fails when a tracked C++ file is not clang-formatted (the test command runs this).
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp' 2>/dev/null || true)
[ -z "$files" ] && exit 0
if ! command -v clang-format >/dev/null; then echo "clang-format missing"; exit 1; fi
clang-format --dry-run -Werror $files
echo "format-check: ok"
