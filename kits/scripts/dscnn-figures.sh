#!/usr/bin/env bash
# The DS-CNN figures of kits/ABOUT.md: train on the synthetic keyword-spotting set, quantize, export,
# check the host build over the whole synthetic test set, run IMAGES test samples on every emulated
# core, size it, and (when this mlsysim has the model) print MLSys.im's prediction beside the count.
#   kits/scripts/dscnn-figures.sh OUTDIR [IMAGES] [EPOCHS]
# example: KIT=build/kit kits/scripts/dscnn-figures.sh runs/kws 1000 8
# KIT / MLSYSIM (default: on PATH, else build/kit, build/mlsysim) pick the binaries; TEST (2000) the test
# set's size. One JSON line per step.
set -euo pipefail
if (($# < 1)); then
  sed -n 2,7p "$0" >&2
  exit 2
fi
out=$1 images=${2:-1000} epochs=${3:-8}
kit=${KIT:-$(command -v kit || echo build/kit)}
mlsysim=${MLSYSIM:-$(command -v mlsysim || echo build/mlsysim)}
mkdir -p "$out"
pids=()
test=${TEST:-2000} # synthetic test samples (kit dscnn --test)
if [[ ! -f "$out/dscnn.int8.safetensors" ]]; then
  "$kit" dscnn --out "$out" --epochs "$epochs" --test "$test"
fi
"$kit" export "$out/dscnn.int8.safetensors" --target cortex-m4 --out "$out/m4" >&2
# the host build over the whole test set
"$kit" run "$out/m4" --machine host --images "$test" --data "$out/kws_test.safetensors" --json
# the four cores at once (each builds and runs in its own build-MACHINE folder), printed in order
for m in mps2-an385 mps2-an386 mps2-an500 mps3-an547; do
  "$kit" run "$out/m4" --machine "$m" --images "$images" --data "$out/kws_test.safetensors" --json \
    --timeout 7200 >"$out/run-$m.json" &
  pids+=($!)
done
rc=0
for p in "${pids[@]}"; do
  wait "$p" || rc=1
done
cat "$out"/run-mps2-an385.json "$out"/run-mps2-an386.json "$out"/run-mps2-an500.json "$out"/run-mps3-an547.json
"$kit" size "$out/m4" --machine mps2-an386 --json
# MLSys.im's microcontroller prediction for the registry's DS-CNN (its 25x5 'same'-padded variant)
if "$mlsysim" zoo models 2>/dev/null | grep -q DS_CNN; then
  "$mlsysim" tiny DS_CNN nRF52840 --kernel plain-c || true
  "$mlsysim" tiny DS_CNN STM32H7 --kernel plain-c || true
fi
exit $rc
