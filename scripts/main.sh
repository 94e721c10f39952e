#!/usr/bin/env bash
# The project's main job on a fresh Debian machine: installs what is needed, fetches the data sets
# from Debian's archive, builds, and trains TinyTorch's flagship milestone on Fashion-MNIST with a
# progress bar; prints the test accuracy and saves the checkpoint under runs/.
#   scripts/main.sh [extra tito options, e.g. --epochs 2]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/fetch-data.sh"
"$root/scripts/build.sh" "$root/build"
cd "$root"
exec "$root/build/tito" milestone run "${MLSB_MAIN_MILESTONE:-04}" --json runs/main.json "$@"
