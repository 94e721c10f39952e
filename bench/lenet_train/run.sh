#!/usr/bin/env bash
# lenet_train: LeNet-5 training throughput (samples/s, batch 64, one thread) of TinyTorch vs PyTorch.
#   bench/run.sh lenet_train [batch steps reps]      (defaults 64 50 5)
# Both sides run the same model and step (see lenet_bench.c / lenet_torch.py) in this run, one thread
# for the whole process: OMP_NUM_THREADS=1 (+ tt_set_num_threads(1)) for ours; OMP/OPENBLAS/MKL = 1 and
# torch.set_num_threads(1) for PyTorch. /usr/bin/time -v gives each side's CPU share. Each side reports
# its best window; the pair is measured 3 times alternately and the best of each is kept (shared machine).
# The all-core pair runs in the same rounds and keeps its best too, so scaling_ours (all cores / one
# thread) compares the same statistic on both sides.
# Last line: one JSON object with name, ours, anchor, unit, ratio (ours / anchor) and the CPU shares.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../common.sh"
bench_need_lib
exe="$build/lenet_bench"
bench_compile "$exe" "$here/lenet_bench.c"
host="$(bench_host_probe)"   # the host: do FMA-bound threads scale? (bench/fp_probe.c)

batch="${1:-64}"; steps="${2:-50}"; reps="${3:-5}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
field() { /usr/bin/python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])[sys.argv[2]])" "$1" "$2"; }

# BENCH_CPU_TIME=1: the one-thread ratio compares samples per CPU-second (each side's own process
# time), for a loaded machine where wall time measures the other jobs too.
rate=samples_per_s; [[ -n "${BENCH_CPU_TIME:-}" ]] && rate=samples_per_cpu_s
best_ours=0; best_anchor=0; cpu_ours=0; cpu_anchor=0; oa=0; aa=0
n="$(bench_all_threads)"
for round in 1 2 3; do
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/time -v -o "$tmp/ours.time" \
    "$exe" "$batch" "$steps" "$reps" > "$tmp/ours.json"
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 bench_anchor /usr/bin/time -v -o "$tmp/torch.time" \
    /usr/bin/python3 "$here/lenet_torch.py" "$batch" "$steps" "$reps" > "$tmp/torch.json"
  o="$(field "$tmp/ours.json" "$rate")"; a="$(field "$tmp/torch.json" "$rate")"
  echo "round $round: tinytorch $o samples/s (cpu $(bench_cpu_percent "$tmp/ours.time")%), pytorch $a samples/s (cpu $(bench_cpu_percent "$tmp/torch.time")%)" >&2
  if bench_gt "$o" "$best_ours"; then
    best_ours="$o"; cpu_ours="$(bench_cpu_percent "$tmp/ours.time")"
  fi
  if bench_gt "$a" "$best_anchor"; then
    best_anchor="$a"; cpu_anchor="$(bench_cpu_percent "$tmp/torch.time")"
  fi
  # all cores on both sides (OpenMP for us, torch.set_num_threads(N) for PyTorch)
  TT_NUM_THREADS="$n" OMP_NUM_THREADS="$n" "$exe" "$batch" "$steps" "$reps" > "$tmp/ours_all.json"
  BENCH_THREADS="$n" OMP_NUM_THREADS="$n" OPENBLAS_NUM_THREADS="$n" MKL_NUM_THREADS="$n" bench_anchor \
    /usr/bin/python3 "$here/lenet_torch.py" "$batch" "$steps" "$reps" > "$tmp/torch_all.json"
  o2="$(field "$tmp/ours_all.json" samples_per_s)"; a2="$(field "$tmp/torch_all.json" samples_per_s)"
  echo "round $round, all $n cores: tinytorch $o2 samples/s, pytorch $a2 samples/s" >&2
  if bench_gt "$o2" "$oa"; then oa="$o2"; fi
  if bench_gt "$a2" "$aa"; then aa="$a2"; fi
done
/usr/bin/python3 -c "
import json, sys
o, a, oa, aa = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[6]), float(sys.argv[7])
unit = 'samples/cpu-s' if sys.argv[10] == 'samples_per_cpu_s' else 'samples/s'
print(json.dumps({'name': 'lenet_train', 'ours': round(o, 1), 'anchor': round(a, 1), 'unit': unit,
                  'ratio': round(o / a, 3), 'batch': int(sys.argv[5]), 'threads': 1,
                  'cpu_percent_ours': int(sys.argv[3] or 0), 'cpu_percent_anchor': int(sys.argv[4] or 0),
                  'threads_all_cores': int(sys.argv[8]), 'ours_all_cores': round(oa, 1),
                  'anchor_all_cores': round(aa, 1), 'ratio_all_cores': round(oa / aa, 3),
                  'scaling_ours': round(oa / o, 3), 'scaling_anchor': round(aa / a, 3),
                  'openblas_core': sys.argv[9], 'rate': sys.argv[10], 'isa_cap': sys.argv[11] or 'none',
                  'conv_ours': sys.argv[12], 'isa_anchor': sys.argv[13]}))
" "$best_ours" "$best_anchor" "$cpu_ours" "$cpu_anchor" "$batch" "$oa" "$aa" "$n" "$(bench_openblas_core)" \
  "$rate" "${TT_ISA:-}" "$(field "$tmp/ours.json" conv)" "$(field "$tmp/torch.json" isa)" | bench_add_host "$host"
