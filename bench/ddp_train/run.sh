#!/usr/bin/env bash
# ddp_train: data-parallel LeNet-5 training (global batch 128, one thread per rank) with tinytorch_dist
# at -np 1 and -np 2, PyTorch DistributedDataParallel (gloo, Debian's python3-torch, one thread per
# rank) at -np 2, and MLSys·im's predicted step time for the -np 2 plan.
#   bench/run.sh ddp_train [global_batch steps reps]      (defaults 128 30 5)
# Each side is measured 3 times, alternating, and keeps its best (shared machine). The prediction
# (ddp_predict.c) takes the -np 1 run's per-sample work and MLSys·im's cache-aware shared-memory link
# (mlsysim/shm_link.h) fitted by a short bench/allreduce run in this same run, one all-reduce per
# gradient bucket. BENCH_CPU_TIME=1: every side (ours, PyTorch, the all-reduce fit) is timed by each
# rank's CPU time, the slowest rank's (a machine loaded by other work); say so when reporting.
# Goals (issue 21): scaling >= 1.7 at -np 2, prediction within 20 %, ours >= 2x PyTorch DDP.
# Last line: one JSON object with name, ours, anchor, unit, ratio, scaling, predicted_step_s,
# measured_step_s, prediction_error, and the parts of the step.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../common.sh"
bench_need_lib
command -v mpicc >/dev/null || { echo "ddp_train: mpicc not found (scripts/install-deps.sh installs Open MPI)" >&2; exit 1; }
dlib="$build/tinytorch/distributed/libtinytorch_dist.a"
mslib="$build/mlsysim-lib/libmlsysim.a"
for f in "$dlib" "$mslib"; do [[ -f "$f" ]] || { echo "ddp_train: $f missing (build the tree with Open MPI installed)" >&2; exit 1; }; done
inc=(-I"$root/tinytorch/include" -I"$root/tinytorch/distributed/include" -I"$root/mlsysim/include")
mpicc -O2 -std=c11 -Wall -Wextra -Wpedantic "${inc[@]}" "$here/ddp_bench.c" "$dlib" "$lib" -fopenmp -lz -lm -o "$build/ddp_bench"
cc -O2 -std=c11 -Wall -Wextra -Wpedantic "${inc[@]}" "$here/ddp_predict.c" "$mslib" $(pkg-config --libs libfyaml) -fopenmp -lm -o "$build/ddp_predict"
mpicc -O2 -std=c11 -Wall -Wextra -Wpedantic "${inc[@]}" "$root/bench/allreduce/allreduce_bench.c" "$mslib" $(pkg-config --libs libfyaml) -fopenmp -lm -o "$build/allreduce_bench"

batch="${1:-128}"; steps="${2:-30}"; reps="${3:-5}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
mpirun=(mpirun --allow-run-as-root --oversubscribe --bind-to none --mca mpi_yield_when_idle 1)
cpu=wall; [[ "${BENCH_CPU_TIME:-0}" == 1 ]] && { mpirun+=(-x BENCH_CPU_TIME); cpu=cpu; export BENCH_CPU_TIME; }
py=/usr/bin/python3
field() { "$py" -c "import json,sys; v=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]).get(sys.argv[2]); print('null' if v is None else v)" "$1" "$2"; }
better() { "$py" -c "import sys; a,b=sys.argv[1],sys.argv[2]; sys.exit(0 if a!='null' and (b=='null' or float(a)>float(b)) else 1)" "$1" "$2"; }

echo "ddp_train: the shared-memory link (np 2, 4 KB .. 16 MB, $cpu time) ..." >&2
"${mpirun[@]}" -np 2 "$build/allreduce_bench" --quick --max 16777216 --link-out "$tmp/link.csv" > "$tmp/ar.txt"
grep '^#' "$tmp/ar.txt" >&2
ar_json="$(grep '^{' "$tmp/ar.txt" | tail -1)"; echo "$ar_json" > "$tmp/ar.json"

best1=null; best2=null; besta=null
for round in 1 2 3; do
  "${mpirun[@]}" -np 1 "$build/ddp_bench" "$batch" "$steps" "$reps" > "$tmp/o1.json"
  "${mpirun[@]}" -np 2 "$build/ddp_bench" "$batch" "$steps" "$reps" > "$tmp/o2.json"
  "$py" "$here/ddp_torch.py" 2 "$batch" "$steps" "$reps" > "$tmp/a2.json" || echo '{"samples_per_s": null}' > "$tmp/a2.json"
  s1="$(field "$tmp/o1.json" samples_per_s)"; s2="$(field "$tmp/o2.json" samples_per_s)"; sa="$(field "$tmp/a2.json" samples_per_s)"
  echo "round $round: tinytorch -np 1 $s1, -np 2 $s2 samples/s; pytorch DDP -np 2 $sa samples/s" >&2
  if better "$s1" "$best1"; then best1="$s1"; cp "$tmp/o1.json" "$tmp/best1.json"; fi
  if better "$s2" "$best2"; then best2="$s2"; cp "$tmp/o2.json" "$tmp/best2.json"; fi
  if better "$sa" "$besta"; then besta="$sa"; cp "$tmp/a2.json" "$tmp/besta.json"; fi
done
[[ -f "$tmp/besta.json" ]] || echo '{"samples_per_s": null}' > "$tmp/besta.json"
"$build/ddp_predict" 2 "$batch" "$(field "$tmp/best1.json" step_s)" "$(field "$tmp/best1.json" optimizer_s)" \
  "$(field "$tmp/best1.json" backward_s)" "$(field "$tmp/best1.json" grad_bytes)" \
  "$(field "$tmp/best2.json" buckets)" "$tmp/link.csv" "$cpu" > "$tmp/pred.json"
"$py" - "$tmp/best1.json" "$tmp/best2.json" "$tmp/besta.json" "$tmp/pred.json" "$tmp/ar.json" <<'PY'
import json, sys
o1, o2, a, pr, ar = (json.loads(open(p).read().strip().splitlines()[-1]) for p in sys.argv[1:6])
ours, anchor = o2['samples_per_s'], a.get('samples_per_s')
meas, pred = o2['step_s'], pr['predicted_step_s']
print(json.dumps({
    'name': 'ddp_train', 'ours': round(ours, 1), 'anchor': None if anchor is None else round(anchor, 1),
    'unit': 'samples/s at -np 2 (LeNet-5, global batch %d, 1 thread per rank)' % o2['global_batch'],
    'ratio': None if anchor is None else round(ours / anchor, 3),
    'scaling': round(ours / o1['samples_per_s'], 3), 'ours_np1': round(o1['samples_per_s'], 1),
    'predicted_step_s': round(pred, 6), 'measured_step_s': round(meas, 6),
    'prediction_error': round(abs(pred - meas) / meas, 4),
    'allreduce_pred_s': pr['allreduce_s'], 'exposed_pred_s': pr['exposed_s'],
    'wait_s': o2['wait_s'], 'comm_s': o2['comm_s'], 'overlap': o2['overlap'], 'buckets': o2['buckets'],
    'grad_bytes': o2['grad_bytes'], 'cpu_time': o2.get('cpu_time', False),
    'link_alpha_s': ar.get('link_alpha_s'), 'link_max_error_ge_64k': ar.get('max_error_ge_64k'),
    'anchor_gloo': a.get('gloo', False),
    'goals': {'scaling': 1.7, 'prediction_error': 0.2, 'ratio': 2.0}}))
PY
