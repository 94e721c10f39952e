#!/usr/bin/env bash
# amp_train: mixed precision (module 17) against fp32 on the 784-128-10 MLP, Fashion-MNIST, one thread.
#   bench/run.sh amp_train [epochs batch]      (defaults 2 64)
# The anchor is our own fp32 training in the same run (same seed, batches and optimizer): ratio =
# bf16 samples/s / fp32 samples/s (ratio_fp16 likewise), with each precision's test accuracy, the
# operand copies' peak bytes and fp16's skipped steps / loss scale. BENCH_CPU_TIME=1 measures CPU
# time (loaded machine). This CPU family has no bf16 arithmetic, so the half operands are widened
# in registers: a ratio below 1 is the expected, honest result (see src/17_acceleration/ABOUT.md).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../common.sh"
bench_need_lib
exe="$build/amp_bench"
bench_compile "$exe" "$here/amp_bench.c"
data="$root/data"
[[ -f "$data/fashion-mnist/train-images-idx3-ubyte.gz" || -f "$data/fashion-mnist/train-images-idx3-ubyte" ]] ||
  { echo "amp_train: Fashion-MNIST not found under $data/fashion-mnist" >&2; exit 2; }
OMP_NUM_THREADS=1 "$exe" "$data" "$@"
