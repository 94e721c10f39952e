#!/usr/bin/env bash
# Exports an int8 model and runs it on every emulated core, one JSON line per core (kits/ABOUT.md's table).
#   kits/scripts/run-cores.sh Q.safetensors OUTDIR [IMAGES] [-- extra kit run options]
# example (milestone 04's LeNet-5 on Fashion-MNIST, 1,000 test images per core):
#   tito milestone run 04 --out runs
#   tito quantize runs/04_cnn_lenet5_fashion_mnist.safetensors --calib 1000 --out lenet.int8.safetensors
#   kits/scripts/run-cores.sh lenet.int8.safetensors lenet-kit 1000 -- \
#       --mnist /usr/share/datasets/fashion-mnist --mean 0.2860 --std 0.3530
# KIT (default: kit on PATH, else build/kit) picks the binary.
set -euo pipefail
if (($# < 2)); then
  sed -n 2,9p "$0" >&2
  exit 2
fi
q=$1 out=$2 images=${3:-1000}
shift $(($# >= 3 ? 3 : 2))
[[ "${1:-}" == "--" ]] && shift
kit=${KIT:-$(command -v kit || echo build/kit)}
"$kit" export "$q" --target cortex-m4 --out "$out" >&2
# the four cores at once (each builds and runs in its own build-MACHINE folder), printed in order
pids=()
for m in mps2-an385 mps2-an386 mps2-an500 mps3-an547; do
  "$kit" run "$out" --machine "$m" --images "$images" --json "$@" >"$out/run-$m.json" &
  pids+=($!)
done
rc=0
for p in "${pids[@]}"; do
  wait "$p" || rc=1
done
cat "$out"/run-mps2-an385.json "$out"/run-mps2-an386.json "$out"/run-mps2-an500.json "$out"/run-mps3-an547.json
exit $rc
