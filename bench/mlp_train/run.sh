#!/usr/bin/env bash
# mlp_train: training throughput (samples/s) of the 784-128-10 MLP (ReLU, cross-entropy, SGD, batch 64)
# on Fashion-MNIST, TinyTorch vs PyTorch, one thread for the whole process on both sides.
#   bench/run.sh mlp_train [batch steps reps]      (defaults 64 200 5)
# Ours: OMP_NUM_THREADS=1 and tt_set_num_threads(1). PyTorch: OMP/OPENBLAS/MKL_NUM_THREADS=1 and
# torch.set_num_threads(1). /usr/bin/time -v gives each side's CPU share (should be <= 100 %).
# Each program reports its best window; the pair runs 3 times alternately and the best of each is kept
# (the machine is shared); then the same with all cores on both sides. BENCH_CPU_TIME=1 compares samples per CPU-second instead (bench/bench.h).
# Last line: one JSON object (name, ours, anchor, unit, ratio, CPU shares, rate).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../common.sh"
data="${MLSB_DATA:-$root/data}"
bench_need_lib
[[ -f "$data/fashion-mnist/train-images-idx3-ubyte.gz" ]] || "$root/scripts/fetch-data.sh" >&2
exe="$build/mlp_bench"
bench_compile "$exe" "$here/mlp_bench.c"
host="$(bench_host_probe)"   # the host: do FMA-bound threads scale? (bench/fp_probe.c)

batch="${1:-64}"; steps="${2:-200}"; reps="${3:-5}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
field() { /usr/bin/python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])[sys.argv[2]])" "$1" "$2"; }

# BENCH_CPU_TIME=1: the one-thread ratio compares samples per CPU-second (each side's own process
# time), for a loaded machine where wall time measures the other jobs too.
rate=samples_per_s; [[ -n "${BENCH_CPU_TIME:-}" ]] && rate=samples_per_cpu_s
best_ours=0; best_anchor=0; cpu_ours=0; cpu_anchor=0
for round in 1 2 3; do
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/time -v -o "$tmp/ours.time" \
    "$exe" "$data" "$batch" "$steps" "$reps" > "$tmp/ours.json"
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 bench_anchor /usr/bin/time -v -o "$tmp/torch.time" \
    /usr/bin/python3 "$here/mlp_torch.py" "$data" "$batch" "$steps" "$reps" > "$tmp/torch.json"
  o="$(field "$tmp/ours.json" "$rate")"; a="$(field "$tmp/torch.json" "$rate")"
  echo "round $round: tinytorch $o samples/s (cpu $(bench_cpu_percent "$tmp/ours.time")%, gemm $(field "$tmp/ours.json" gemm)), pytorch $a samples/s (cpu $(bench_cpu_percent "$tmp/torch.time")%)" >&2
  if bench_gt "$o" "$best_ours"; then best_ours="$o"; cpu_ours="$(bench_cpu_percent "$tmp/ours.time")"; fi
  if bench_gt "$a" "$best_anchor"; then best_anchor="$a"; cpu_anchor="$(bench_cpu_percent "$tmp/torch.time")"; fi
done
# All cores on both sides (OpenMP for us, torch.set_num_threads(N) for PyTorch), one round each.
n="$(bench_all_threads)"
# All cores on both sides, best of three alternating rounds as for one thread (a single round on a
# shared machine can land in a slow stretch on either side).
oa=0; aa=0
for round in 1 2 3; do
  TT_NUM_THREADS="$n" OMP_NUM_THREADS="$n" "$exe" "$data" "$batch" "$steps" "$reps" > "$tmp/ours_all.json"
  BENCH_THREADS="$n" OMP_NUM_THREADS="$n" OPENBLAS_NUM_THREADS="$n" MKL_NUM_THREADS="$n" bench_anchor \
    /usr/bin/python3 "$here/mlp_torch.py" "$data" "$batch" "$steps" "$reps" > "$tmp/torch_all.json"
  o="$(field "$tmp/ours_all.json" samples_per_s)"; a="$(field "$tmp/torch_all.json" samples_per_s)"
  bench_gt "$o" "$oa" && oa="$o"
  bench_gt "$a" "$aa" && aa="$a"
done
echo "all $n cores: tinytorch $oa samples/s, pytorch $aa samples/s" >&2
/usr/bin/python3 -c "
import json, sys
o, a, oa, aa = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[6]), float(sys.argv[7])
unit = 'samples/cpu-s' if sys.argv[10] == 'samples_per_cpu_s' else 'samples/s'
print(json.dumps({'name': 'mlp_train', 'ours': round(o, 1), 'anchor': round(a, 1), 'unit': unit,
                  'ratio': round(o / a, 3), 'batch': int(sys.argv[5]), 'threads': 1, 'model': '784-128-10',
                  'cpu_percent_ours': int(sys.argv[3] or 0), 'cpu_percent_anchor': int(sys.argv[4] or 0),
                  'threads_all_cores': int(sys.argv[8]), 'ours_all_cores': round(oa, 1),
                  'anchor_all_cores': round(aa, 1), 'ratio_all_cores': round(oa / aa, 3),
                  'scaling_ours': round(oa / o, 3), 'scaling_anchor': round(aa / a, 3),
                  'openblas_core': sys.argv[9], 'rate': sys.argv[10]}))
" "$best_ours" "$best_anchor" "$cpu_ours" "$cpu_anchor" "$batch" "$oa" "$aa" "$n" "$(bench_openblas_core)" "$rate" | bench_add_host "$host"
