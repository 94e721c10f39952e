#!/usr/bin/env bash
# gpt_train: training tokens/s of a small GPT (4 layers, width 128, 4 heads, context 128, batch 16,
# AdamW) in TinyTorch vs the same model in PyTorch, both single-threaded, in the same run.
#   bench/run.sh gpt_train [steps]     (default 15 timed steps per side, after 3 warm-up steps)
# Each side reports its best per-step rate (best-of-N: the machine is shared) and its median; the
# CPU share of each side comes from getrusage (ours) and /usr/bin/time (PyTorch). As lenet_train and
# mlp_train do, the one-thread pair and the all-core pair run 3 times alternately and each side keeps
# its best figures (best step rate, best median); scaling_ours = best all-core median / best
# one-thread median, the same statistic on both sides of the ratio.
# Last line: {"name","ours","anchor","unit","ratio","ours_cpu_percent","anchor_cpu_percent",...}
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../common.sh"
bench_need_lib
steps="${1:-15}"
exe="$build/gpt_train_bench"
bench_compile "$exe" "$here/gpt_train_bench.c"
host="$(bench_host_probe)"   # the host: do FMA-bound threads scale? (bench/fp_probe.c)

field() { sed -n "s/^$1 \(.*\)/\1/p"; }
n="$(bench_all_threads)"
tfile="$(mktemp)"; trap 'rm -f "$tfile"' EXIT
ours=0; ours_med=0; ours_cpu=0; anchor=0; anchor_med=0; anchor_cpu=0; ours_all=0; anchor_all=0
for round in 1 2 3; do
  # one thread on both sides
  ours_out="$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 "$exe" "$steps")"
  echo "$ours_out" | sed "s/^/ours (round $round):   /" >&2
  anchor_out="$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 bench_anchor /usr/bin/time -v -o "$tfile" \
    /usr/bin/python3 "$here/gpt_train_torch.py" "$steps")"
  echo "$anchor_out" | sed "s/^/torch (round $round):  /" >&2
  o="$(echo "$ours_out" | field tokens_per_s)"; om="$(echo "$ours_out" | field tokens_per_s_median)"
  a="$(echo "$anchor_out" | field tokens_per_s)"; am="$(echo "$anchor_out" | field tokens_per_s_median)"
  if bench_gt "$o" "$ours"; then ours="$o"; ours_cpu="$(echo "$ours_out" | field cpu_percent)"; fi
  if bench_gt "$om" "$ours_med"; then ours_med="$om"; fi
  if bench_gt "$a" "$anchor"; then anchor="$a"; anchor_cpu="$(bench_cpu_percent "$tfile")"; fi
  if bench_gt "$am" "$anchor_med"; then anchor_med="$am"; fi
  # all cores on both sides (OpenMP for us, torch.set_num_threads(N) for PyTorch): median step rates
  oa="$(TT_NUM_THREADS="$n" OMP_NUM_THREADS="$n" "$exe" "$steps" | field tokens_per_s_median)"
  aa="$(BENCH_THREADS="$n" OMP_NUM_THREADS="$n" OPENBLAS_NUM_THREADS="$n" MKL_NUM_THREADS="$n" \
    bench_anchor /usr/bin/python3 "$here/gpt_train_torch.py" "$steps" | field tokens_per_s_median)"
  echo "round $round, all $n cores (median): ours $oa tokens/s, torch $aa tokens/s" >&2
  if bench_gt "$oa" "$ours_all"; then ours_all="$oa"; fi
  if bench_gt "$aa" "$anchor_all"; then anchor_all="$aa"; fi
done
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
