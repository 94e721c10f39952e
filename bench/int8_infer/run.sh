#!/usr/bin/env bash
# int8_infer: LeNet-5 Fashion-MNIST inference, our int8 (module 15) vs our fp32 vs PyTorch's eager-mode
# static int8 quantization, one thread each, same trained weights and calibration images.
#   bench/run.sh int8_infer [seconds_per_window]          (default 0.3)
# The trained LeNet-5 is milestone 04's checkpoint: $INT8_CKPT when set, else the one cached in
# build-bench/int8_infer/ (trained once with 'tito milestone run 04', ~3 minutes on one core).
# Needs the Fashion-MNIST files (scripts/fetch-data.sh; $MLSB_DATA or data/).
# Ours and PyTorch alternate 3 times; the best of each is kept (shared machine). BENCH_CPU_TIME=1 times
# both sides with their process's CPU clock instead of the wall clock (for a loaded machine).
# Last line: one JSON object: name, ours (int8 images/s, batch 64), anchor (PyTorch int8 images/s,
# batch 64, or null), anchor_engine (onednn or qnnpack, whichever was faster) and anchor_error (why
# none ran), clock (cpu or wall), ratio, accuracy_fp32, accuracy_int8 (official 10,000-image test set),
# speedup_vs_fp32_b1, speedup_vs_fp32_b64, size_ratio (fp32 weights-only file / int8 file), and the
# raw rates.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../common.sh"
bench_need_lib
exe="$build/int8_bench"
bench_compile "$exe" "$here/int8_bench.c"
window="${1:-0.3}"
data="${MLSB_DATA:-$root/data}"
work="$build/int8_infer"
mkdir -p "$work"
ckpt="${INT8_CKPT:-$work/04_cnn_lenet5_fashion_mnist.safetensors}"
if [[ ! -f "$ckpt" ]]; then
  echo "int8_infer: training LeNet-5 once (tito milestone run 04) -> $ckpt" >&2
  TT_NUM_THREADS=1 "$build/tito" milestone run 04 --data "$data" --out "$work" >&2 || true
  [[ -f "$ckpt" ]] || { echo "int8_infer: no checkpoint at $ckpt" >&2; exit 1; }
fi
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
field() { /usr/bin/python3 -c "import json,sys; v=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]).get(sys.argv[2]); print('null' if v is None else v)" "$1" "$2"; }
best_ours=""; best_torch=""
for round in 1 2 3; do
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/time -v -o "$tmp/ours.time" \
    "$exe" "$ckpt" "$data" "$tmp" "$window" > "$tmp/ours.json"
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 bench_anchor /usr/bin/time -v -o "$tmp/torch.time" \
    /usr/bin/python3 "$here/int8_torch.py" "$tmp/lenet.fp32.safetensors" "$data" "$window" > "$tmp/torch.json"
  echo "round $round: ours $(tail -1 "$tmp/ours.json") (cpu $(bench_cpu_percent "$tmp/ours.time")%)" >&2
  echo "round $round: pytorch $(tail -1 "$tmp/torch.json") (cpu $(bench_cpu_percent "$tmp/torch.time")%)" >&2
  if [[ -z "$best_ours" ]] || bench_gt "$(field "$tmp/ours.json" int8_b64)" "$(field "$best_ours" int8_b64)"; then
    cp "$tmp/ours.json" "$tmp/best_ours.json"; best_ours="$tmp/best_ours.json"
  fi
  a="$(field "$tmp/torch.json" int8_b64)"
  if [[ -z "$best_torch" ]] || { [[ "$a" != null ]] && /usr/bin/python3 -c "import sys; b=sys.argv[2]; sys.exit(0 if b == 'null' or float(sys.argv[1]) > float(b) else 1)" \
       "$a" "$(field "$best_torch" int8_b64)"; }; then
    cp "$tmp/torch.json" "$tmp/best_torch.json"; best_torch="$tmp/best_torch.json"
  fi
done
/usr/bin/python3 - "$best_ours" "$best_torch" <<'PY'
import json, os, sys
o = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
t = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
a = t.get("int8_b64")
print(json.dumps({
    "name": "int8_infer", "ours": o["int8_b64"], "anchor": a, "unit": "images/s (batch 64, one thread)",
    "anchor_engine": t.get("engine"), "anchor_error": t.get("error"),
    "clock": "cpu" if os.environ.get("BENCH_CPU_TIME", "") not in ("", "0") else "wall",
    "ratio": round(o["int8_b64"] / a, 3) if a else None,
    "accuracy_fp32": o["accuracy_fp32"], "accuracy_int8": o["accuracy_int8"],
    "speedup_vs_fp32_b1": round(o["int8_b1"] / o["fp32_b1"], 3),
    "speedup_vs_fp32_b64": round(o["int8_b64"] / o["fp32_b64"], 3),
    "size_ratio": round(o["fp32_bytes"] / o["int8_bytes"], 3),
    "ours_b1": o["int8_b1"], "fp32_b1": o["fp32_b1"], "fp32_b64": o["fp32_b64"],
    "anchor_b1": t.get("int8_b1"), "anchor_accuracy_int8": t.get("accuracy_int8"),
    "fp32_bytes": o["fp32_bytes"], "int8_bytes": o["int8_bytes"], "int8_kernel": o["kernel"]}))
PY
