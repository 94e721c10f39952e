#!/usr/bin/env bash
# nn_ops: TinyTorch's activations, cross-entropy, optimizer steps and one MLP training step
# (784-128-10, batch 64, Adam) against PyTorch, one thread on both sides.
#   bench/run.sh nn_ops [--quick]
# Prints our readable numbers (the ones quoted in the modules' ABOUT.md), a per-op table, and as the
# LAST line one JSON object: ours/anchor are geometric means of elements per second over all ops.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../common.sh"
bench_need_lib
exe="$build/nn_ops_bench"
bench_compile "$exe" "$here/nn_ops.c"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
/usr/bin/time -f "%P" -o "$tmp/ours.cpu" "$exe" "$@" | tee "$tmp/ours.txt" | grep -v '^op '
/usr/bin/time -f "%P" -o "$tmp/torch.cpu" /usr/bin/python3 "$here/nn_ops_torch.py" "$@" > "$tmp/torch.txt"
/usr/bin/python3 - "$tmp" <<'PY'
import json, math, sys
d = sys.argv[1]
def ops(f):
    r = {}
    for line in open(f):
        p = line.split()
        if p and p[0] == "op":
            r[p[1]] = float(p[2]) / float(p[3])  # elements per second
    return r
ours, anch = ops(d + "/ours.txt"), ops(d + "/torch.txt")
names = [n for n in ours if n in anch]
print("%-24s %14s %14s %8s" % ("op", "ours elem/s", "torch elem/s", "ratio"))
for n in names:
    print("%-24s %14.4g %14.4g %8.2f" % (n, ours[n], anch[n], ours[n] / anch[n]))
g = lambda r: math.exp(sum(math.log(r[n]) for n in names) / len(names))
cpu = lambda f: open(f).read().strip().splitlines()[-1]
print(json.dumps({"name": "nn_ops", "ours": g(ours), "anchor": g(anch), "unit": "elements/s (geomean)",
                  "ratio": g(ours) / g(anch), "ops": len(names),
                  "mlp_step_ratio": ours["mlp_train_step"] / anch["mlp_train_step"],
                  "ours_cpu": cpu(d + "/ours.cpu"), "anchor_cpu": cpu(d + "/torch.cpu"),
                  "threads": 1}))
PY
