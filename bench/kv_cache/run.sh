#!/usr/bin/env bash
# kv_cache: tokens/s generating 256 tokens (batch 1) with the KV cache (ours) vs recomputing the
# whole prefix at every step (anchor), same TinyTorch model and sampling, one thread, same run.
#   bench/run.sh kv_cache [new_tokens] [repeats]
# Last line: {"name","ours","anchor","unit","ratio","ours_cpu_percent","anchor_cpu_percent",...}
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../common.sh"
bench_need_lib
exe="$build/kv_cache_bench"
bench_compile "$exe" "$here/kv_cache_bench.c"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
out="$("$exe" "$@")"
echo "$out" >&2
get() { echo "$out" | sed -n "s/^$1 \(.*\)/\1/p"; }
python3 - "$(get cached_tokens_per_s)" "$(get recompute_tokens_per_s)" "$(get cached_cpu_percent)" \
  "$(get recompute_cpu_percent)" "$(get kv_cache_bytes)" "$(get same_tokens)" "$(get cached_loop_heap_allocs)" <<'PY'
import json, sys
o, a, oc, ac, kb, same, allocs = sys.argv[1:8]
print(json.dumps({"name": "kv_cache", "ours": float(o), "anchor": float(a), "unit": "tokens/s",
                  "ratio": round(float(o) / float(a), 2), "ours_cpu_percent": float(oc),
                  "anchor_cpu_percent": float(ac), "kv_cache_bytes": int(kb),
                  "same_tokens": same == "1", "cached_loop_heap_allocs": int(allocs), "threads": 1,
                  "model": "GPT 4x128, 4 heads, context 512, 16-token prompt + 256 new tokens"}))
PY
