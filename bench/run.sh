#!/usr/bin/env bash
# Runs one benchmark:   bench/run.sh NAME     (bench/run.sh --list shows them)
# Each benchmark lives in bench/NAME/ with its own run.sh; it builds what it needs (Release build in
# build-bench/), runs our program and its anchor in the same run, and prints as its LAST line one JSON
# object with at least: name, ours, anchor, unit, ratio (ours/anchor, higher is better).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
if [[ $# -lt 1 || "$1" == "--list" || "$1" == "-h" || "$1" == "--help" ]]; then
  echo "usage: bench/run.sh NAME [args...]"
  echo "benchmarks:"
  for d in "$here"/*/; do [[ -x "$d/run.sh" ]] && echo "  $(basename "$d")"; done
  exit 0
fi
name="$1"; shift
[[ -x "$here/$name/run.sh" ]] || { echo "bench/run.sh: no benchmark named '$name' (try --list)" >&2; exit 1; }
"$root/scripts/install-deps.sh" --bench >&2
BUILD_TYPE=Release "$root/scripts/build.sh" "$root/build-bench" -DMLSB_BUILD_TESTS=OFF >&2
export MLSB_ROOT="$root" MLSB_BUILD="$root/build-bench"
exec "$here/$name/run.sh" "$@"
