#!/usr/bin/env bash
# allreduce: MPI_Allreduce bus bandwidth, 4 KB .. 64 MB (powers of two and the sizes halfway between),
# at -np 2 and -np 4 (oversubscribed on a 2-core machine), and MLSys·im's ring all-reduce model with
# a per-message-size-regime alpha and beta fitted on this machine.
#   [BENCH_CPU_TIME=1] bench/run.sh allreduce [--quick] [--record]
# -np 2 (Open MPI's own algorithm choice): regimes fitted on the power-of-two sizes >= 64 KB
# (in-sample: max_error_ge_64k), checked at the sizes between them (oos_sizes_max_error) and against
# the regimes recorded in mlsysim/validation/shm_regimes.csv (recorded_max_error_ge_64k). -np 4: the
# -np 2 regimes of this run predict another rank count (np4_oos_max_error). --record rewrites
# shm_regimes.csv with this run's -np 2 regimes (the recorded calibration).
# Goal (issue 21): within 15 % for every message >= 64 KB at -np 2. Last line: one JSON object with
# name, ours (peak bus bandwidth at -np 2, GB/s), anchor (null: the comparison is against the model),
# unit, max_error_ge_64k, oos_sizes_max_error, recorded_max_error_ge_64k, np4_oos_max_error,
# single_max_error_ge_64k (one alpha and beta for every size, the old model), regimes. Tables: stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../common.sh"
bench_need_lib
mslib="$build/mlsysim-lib/libmlsysim.a"
[[ -f "$mslib" ]] || { echo "allreduce: $mslib missing (build the tree first)" >&2; exit 1; }
command -v mpicc >/dev/null || { echo "allreduce: mpicc not found (scripts/install-deps.sh installs Open MPI)" >&2; exit 1; }
exe="$build/allreduce_bench"
mpicc -O2 -std=c11 -Wall -Wextra -Wpedantic -I"$root/mlsysim/include" "$here/allreduce_bench.c" "$mslib" \
  $(pkg-config --libs libfyaml) -fopenmp -lm -o "$exe"
mpirun=(mpirun --allow-run-as-root --oversubscribe --bind-to none)
# BENCH_CPU_TIME=1: each rank's CPU time (a loaded, shared machine); ranks then yield when idle
[[ "${BENCH_CPU_TIME:-0}" == 1 ]] && mpirun+=(--mca mpi_yield_when_idle 1 -x BENCH_CPU_TIME)
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
record=0; args=()
for a in "$@"; do [[ "$a" == --record ]] && record=1 || args+=("$a"); done
recorded="$root/mlsysim/validation/shm_regimes.csv"
rec=(); [[ -f "$recorded" ]] && rec=(--regimes "$recorded")
echo "allreduce: -np 2, Open MPI's own algorithm choice ..." >&2
OMP_NUM_THREADS=1 "${mpirun[@]}" -np 2 "$exe" "${args[@]}" --fit-out "$tmp/np2.csv" "${rec[@]}" > "$tmp/np2.txt"
grep '^#\|^ ' "$tmp/np2.txt" >&2
echo "allreduce: -np 4 with the -np 2 regimes of this run (out-of-sample rank count) ..." >&2
OMP_NUM_THREADS=1 "${mpirun[@]}" -np 4 "$exe" "${args[@]}" --regimes "$tmp/np2.csv" > "$tmp/np4.txt"
grep '^#\|^ ' "$tmp/np4.txt" >&2
if [[ $record == 1 ]]; then cp "$tmp/np2.csv" "$recorded"; echo "allreduce: recorded $recorded" >&2; fi
/usr/bin/python3 - "$tmp" <<'PY'
import json, sys
def last(name): return json.loads([l for l in open(sys.argv[1] + '/' + name) if l.startswith('{')][-1])
a, b = last('np2.txt'), last('np4.txt')
out = {'name': 'allreduce', 'ours': round(a['peak_busbw_bytes_per_s'] / 1e9, 3), 'anchor': None,
       'unit': 'GB/s bus bandwidth (peak, -np 2)', 'ratio': None,
       'max_error_ge_64k': a['max_error_ge_64k'], 'goal_max_error_ge_64k': 0.15,
       'regimes': a['regimes'], 'oos_sizes_max_error': a['oos_sizes_max_error'],
       'recorded_max_error_ge_64k': a['regimes_max_error'],
       'np4_oos_max_error': b['regimes_max_error'], 'np4_regimes_in_sample_max_error': b['max_error_ge_64k'],
       'single_max_error_ge_64k': a['single_max_error_ge_64k'],
       'alpha_s': a['alpha_s'], 'bw_bytes_per_s': a['bw_bytes_per_s'],
       'np4_peak_busbw_GBps': round(b['peak_busbw_bytes_per_s'] / 1e9, 3), 'cpu_time': a['cpu_time']}
print(json.dumps(out))
PY
