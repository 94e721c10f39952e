#!/usr/bin/env bash
# mlperf_server: model vs reality for MLPerf EDU's Server scenario on LeNet-5 (fp32, one thread,
# one sample per forward pass).
#   bench/run.sh mlperf_server [p99_bound_ms run_seconds steps]     (defaults 2 3 6)
# 1. SingleStream calibration (3 s) measures the service-time distribution.
# 2. Prediction: the M/G/1 queue with those service times (predict.h) gives the highest Poisson
#    arrival rate whose p99 response time stays <= the bound (MLSys·im's M/M/1 is printed beside it).
# 3. Measurement: Server runs (run_seconds each, >= 1,000 queries) bisect the highest target QPS that
#    LoadGen judges VALID (p99 <= bound and early stopping met).
# Weights: trained once (3 epochs) into the build folder when missing. The p99 bound is stated in the
# output. Last line: one JSON object with name, measured_max_qps, predicted_max_qps, ratio
# (measured / predicted) and, for bench/run.sh, ours (= measured), anchor (= predicted), unit.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../common.sh"
exe="$build/mlperf-edu"
if [[ ! -x "$exe" ]]; then
  BUILD_TYPE=Release "$root/scripts/build.sh" "$build" -DMLSB_BUILD_TESTS=OFF >&2
fi
bound="${1:-2}"; secs="${2:-3}"; steps="${3:-6}"
data="${MLSB_DATA:-$root/data}"
[[ -d "$data/fashion-mnist" ]] || data=/usr/share/datasets
weights="$build/mlperf-weights"
mkdir -p "$weights"
if [[ ! -f "$weights/lenet5_fashion_mnist.safetensors" ]]; then
  echo "mlperf_server: training LeNet-5 once (3 epochs) into $weights" >&2
fi
OMP_NUM_THREADS=1 "$exe" sweep lenet5 --latency-ms "$bound" --run-seconds "$secs" --steps "$steps" \
  --threads 1 --data "$data" --weights "$weights"
