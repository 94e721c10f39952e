#!/usr/bin/env bash
# Measured points for the labs' model-vs-reality page: TinyTorch's SGEMM from a matrix-vector
# product to square 512 on one core, and this machine's one-core roof (FMA peak, triad
# bandwidth) measured in the same run. Writes runs/tinytorch_points.json (or $1) for
#   build/mlsb-labs --measured runs/tinytorch_points.json
# Last line: {"name", "ours" (median achieved / roofline bound), "anchor" (the bound, 1), ...}.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../common.sh"
bench_need_lib
exe="$build/tt_points"
bench_compile "$exe" "$here/points.c" -O3 -march=native -mprefer-vector-width=512
out="${1:-$root/runs/tinytorch_points.json}"
mkdir -p "$(dirname "$out")"
export OMP_NUM_THREADS=1
"$exe" "$out" >&2
python3 - "$out" <<'PY'
import json, statistics, sys
d = json.load(open(sys.argv[1]))
P, B = d["peak_flop_per_s"], d["bandwidth_bytes_per_s"]
frac = [max(p["flop"] / P, p["bytes"] / B) / p["seconds"] for p in d["points"]]
print(f"wrote {sys.argv[1]}: {len(frac)} points; achieved / roofline bound: median {statistics.median(frac):.3f}, "
      f"best {max(frac):.3f}", file=sys.stderr)
print(json.dumps({"name": "tt_points", "ours": statistics.median(frac), "anchor": 1.0, "unit": "fraction of the roofline bound",
                  "ratio": statistics.median(frac), "best": max(frac), "points": len(frac), "file": sys.argv[1],
                  "peak_flop_per_s": P, "bandwidth_bytes_per_s": B}))
PY
