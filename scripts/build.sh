#!/usr/bin/env bash
# Configures and builds the tree.   scripts/build.sh [build-dir] [extra cmake args...]
# MLSB_SANITIZE=1 builds with ASan + UBSan.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$root/build}"; shift || true
cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
