#!/usr/bin/env bash
# gpt_train: training tokens/s of a small GPT (4 layers, width 128, 4 heads, context 128, batch 16,
# AdamW) in TinyTorch vs the same model in PyTorch, both single-threaded, in the same run.
#   bench/run.sh gpt_train [steps]     (default 15 timed steps per side, after 3 warm-up steps)
# Each side reports its best per-step rate (best-of-N: the machine is shared) and its median; the
# CPU share of each side comes from getrusage (ours) and /usr/bin/time (PyTorch).
# Last line: {"name","ours","anchor","unit","ratio","ours_cpu_percent","anchor_cpu_percent",...}
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../common.sh"
bench_need_lib
steps="${1:-15}"
exe="$build/gpt_train_bench"
bench_compile "$exe" "$here/gpt_train_bench.c"
host="$(bench_host_probe)"   # the host: do FMA-bound threads scale? (bench/fp_probe.c)

export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
ours_out="$("$exe" "$steps")"
echo "$ours_out" | sed 's/^/ours:   /' >&2
tfile="$(mktemp)"
anchor_out="$(bench_anchor /usr/bin/time -v -o "$tfile" /usr/bin/python3 "$here/gpt_train_torch.py" "$steps")"
echo "$anchor_out" | sed 's/^/torch:  /' >&2
anchor_cpu="$(sed -n 's/.*Percent of CPU this job got: \([0-9]*\)%.*/\1/p' "$tfile")"
rm -f "$tfile"
ours="$(echo "$ours_out" | sed -n 's/^tokens_per_s \(.*\)/\1/p')"
ours_med="$(echo "$ours_out" | sed -n 's/^tokens_per_s_median \(.*\)/\1/p')"
ours_cpu="$(echo "$ours_out" | sed -n 's/^cpu_percent \(.*\)/\1/p')"
anchor="$(echo "$anchor_out" | sed -n 's/^tokens_per_s \(.*\)/\1/p')"
anchor_med="$(echo "$anchor_out" | sed -n 's/^tokens_per_s_median \(.*\)/\1/p')"
# All cores on both sides (OpenMP for us, torch.set_num_threads(N) for PyTorch): median step rates.
n="$(bench_all_threads)"
ours_all="$(TT_NUM_THREADS="$n" OMP_NUM_THREADS="$n" "$exe" "$steps" | sed -n 's/^tokens_per_s_median \(.*\)/\1/p')"
anchor_all="$(BENCH_THREADS="$n" OMP_NUM_THREADS="$n" OPENBLAS_NUM_THREADS="$n" MKL_NUM_THREADS="$n" \
  bench_anchor /usr/bin/python3 "$here/gpt_train_torch.py" "$steps" | sed -n 's/^tokens_per_s_median \(.*\)/\1/p')"
echo "all $n cores (median): ours $ours_all tokens/s, torch $anchor_all tokens/s" >&2
python3 - "$ours" "$anchor" "$ours_med" "$anchor_med" "$ours_cpu" "$anchor_cpu" "$ours_all" "$anchor_all" "$n" \
  "$(bench_openblas_core)" <<'PY' | bench_add_host "$host"
import json, sys
o, a, om, am, oc, ac = sys.argv[1:7]
oall, aall, n, core = float(sys.argv[7]), float(sys.argv[8]), int(sys.argv[9]), sys.argv[10]
print(json.dumps({"name": "gpt_train", "ours": float(o), "anchor": float(a), "unit": "tokens/s",
                  "ratio": round(float(o) / float(a), 3),
                  "ours_median": float(om), "anchor_median": float(am),
                  "ratio_median": round(float(om) / float(am), 3),
                  "ours_cpu_percent": float(oc), "anchor_cpu_percent": float(ac or 0),
                  "threads": 1, "model": "GPT 4x128, 4 heads, T=128, B=16, AdamW",
                  "threads_all_cores": n, "ours_all_cores": oall, "anchor_all_cores": aall,
                  "ratio_all_cores": round(oall / aall, 3),
                  "scaling_ours": round(oall / float(om), 3), "scaling_anchor": round(aall / float(am), 3),
                  "openblas_core": core}))
PY
