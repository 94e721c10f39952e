#!/usr/bin/env bash
# gpt_checkpoint: activation checkpointing on the bench/gpt_train model (4 layers, width 128, 4 heads,
# context 128, batch 16, AdamW, one thread): the arena's exact peak bytes of a training step and the
# step time with every block checkpointed (ours) against the plain model (the anchor), same process.
#   bench/run.sh gpt_checkpoint [steps]        (default 8 timed steps per side after 2 warm-up)
#   BENCH_CPU_TIME=1 bench/run.sh gpt_checkpoint   times with process CPU seconds (a loaded machine)
# Last line: {"name","ours","anchor","unit","ratio",...}; ratio = checkpointed tokens/s over plain
# tokens/s (below 1: the recomputation's cost), memory_ratio = checkpointed peak / plain peak.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../common.sh"
bench_need_lib
steps="${1:-8}"
exe="$build/checkpoint_bench"
bench_compile "$exe" "$here/checkpoint_bench.c"
export OMP_NUM_THREADS=1
out="$("$exe" "$steps")"
echo "$out" | sed 's/^/ours:   /' >&2
val() { echo "$out" | sed -n "s/^$1 \(.*\)/\1/p"; }
python3 - "$(val tokens_per_s_checkpoint)" "$(val tokens_per_s_plain)" "$(val peak_bytes_checkpoint)" \
  "$(val peak_bytes_plain)" "$(val step_ms_checkpoint)" "$(val step_ms_plain)" "$(val clock)" \
  "$(val loss_checkpoint)" "$(val loss_plain)" <<'PY'
import json, sys
o, a, pc, pp, mc, mp = (float(v) for v in sys.argv[1:7])
clock, lc, lp = sys.argv[7], sys.argv[8], sys.argv[9]
print(json.dumps({"name": "gpt_checkpoint", "ours": o, "anchor": a, "unit": "tokens/s",
                  "ratio": round(o / a, 3), "clock": clock,
                  "peak_bytes_checkpoint": int(pc), "peak_bytes_plain": int(pp),
                  "memory_ratio": round(pc / pp, 3), "memory_saved_bytes": int(pp - pc),
                  "step_ms_checkpoint": mc, "step_ms_plain": mp,
                  "same_loss": lc == lp, "threads": 1,
                  "model": "GPT 4x128, 4 heads, T=128, B=16, AdamW; every block checkpointed"}))
PY
