#!/usr/bin/env bash
# Installs the Debian packages payedge needs to build, test and demo; does nothing when all
# are present. Runs as root (CI, a fresh machine) or with sudo.
set -euo pipefail
packages=(
  build-essential cmake pkg-config git
  libboost-dev libssl-dev openssl ca-certificates libsqlite3-dev sqlite3 libpq-dev
  libsimdjson-dev nlohmann-json3-dev libcli11-dev libtomlplusplus-dev libfmt-dev
  zlib1g-dev libzstd-dev libcsv-dev jq
  libgtest-dev libbenchmark-dev clang-format curl postgresql
  clang-16 libclang-rt-16-dev clang-tidy-16 prometheus ccache
  libsystemd-dev systemd dpkg-dev prometheus-alertmanager
  chromium fonts-nanum
  wrk linux-perf  # make bench-confirm, make profile-confirm (bench/peer: npm ci there)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm for the browser test: Debian's packages only where no node/npm is there yet
# (a machine may have a newer Node.js whose package conflicts with Debian's npm).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The browser test (tests/browser): playwright-core from npm drives Debian's chromium; it never
# downloads a browser of its own.
browser_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
if [ -f "$browser_dir/package-lock.json" ] && [ ! -d "$browser_dir/node_modules" ]; then
  (cd "$browser_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
