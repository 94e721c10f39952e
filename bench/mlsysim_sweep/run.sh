#!/usr/bin/env bash
# MLSys·im sweep benchmark: single-node evaluations per second over every registry
# model x hardware x batch (1..256) x precision x mode, C (libmlsysim) vs the same roofline in
# plain-float Python (anchor.py, a lower bound on upstream's pint-based Engine.solve).
# Both run pinned to one core in this same run; the anchor must reproduce the C checksum.
#   bench/run.sh mlsysim_sweep            (SWEEP_SECONDS=N to time longer; default 2)
# Last line: {"name", "ours", "anchor", "unit", "ratio", ...}
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="${MLSB_ROOT:-$(cd "$here/../.." && pwd)}"
build="${MLSB_BUILD:-$root/build-bench}"
py=/usr/bin/python3
[[ -x "$py" ]] || py="$(command -v python3)"
if [[ ! -x "$build/mlsysim_sweep" ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMLSB_BUILD_TESTS=OFF >&2
  cmake --build "$build" --target mlsysim_sweep -j2 >&2
fi
seconds="${SWEEP_SECONDS:-2}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
pin=()
if command -v taskset >/dev/null 2>&1; then pin=(taskset -c 0); fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
echo "mlsysim_sweep: C, ${seconds}s on one core ..." >&2
"${pin[@]}" "$build/mlsysim_sweep" --seconds "$seconds" --dump "$tmp/inputs.json" > "$tmp/ours.json"
echo "mlsysim_sweep: Python anchor, ${seconds}s on one core ..." >&2
"${pin[@]}" "$py" "$here/anchor.py" "$tmp/inputs.json" --seconds "$seconds" > "$tmp/anchor.json"
"$py" - "$tmp/ours.json" "$tmp/anchor.json" <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))
anchor = json.load(open(sys.argv[2]))
c, a = ours["checksum"], anchor["checksum"]
match = abs(c - a) <= 1e-9 * max(abs(c), abs(a))
print(f"ours: {ours['evals_per_s']:.4g} evaluations/s ({ours['evaluations']} in {ours['seconds']:.2f} s, "
      f"{ours['per_sweep']} per sweep: {ours['models']} models x {ours['hardware']} devices x 9 batches x 8 precisions x 2 modes)",
      file=sys.stderr)
print(f"full plan evaluations (GPT-3 on 1536 A100 with ops, through ms_plan_eval): {ours['plan_evals_per_s']:.4g}/s",
      file=sys.stderr)
print(f"anchor: {anchor['evals_per_s']:.4g} evaluations/s ({anchor['evaluations']} in {anchor['seconds']:.2f} s); "
      f"checksums {'match' if match else 'DIFFER'} ({c!r} vs {a!r})", file=sys.stderr)
print(json.dumps({"name": "mlsysim_sweep", "ours": ours["evals_per_s"], "anchor": anchor["evals_per_s"],
                  "unit": "evaluations/s", "ratio": ours["evals_per_s"] / anchor["evals_per_s"],
                  "goal_ours": 5e6, "goal_ratio": 30, "evaluations_per_sweep": ours["per_sweep"],
                  "plan_evals_per_s": ours["plan_evals_per_s"], "goal_plan_evals_per_s": 1e5,
                  "checksum_match": match}))
sys.exit(0 if match else 1)
PY
