#!/bin/sh
# The model file read by PyTorch (load_in_pytorch.py) classifies a CSV exactly as TinyTorch does:
# the accuracy `tito eval` prints and the one PyTorch prints must be the same number.
#   sh examples/check_pytorch_load.sh TITO PYTHON MODEL.safetensors DATA.csv
set -eu
tito=$1 py=$2 model=$3 data=$4
here=$(cd "$(dirname "$0")" && pwd)
t=$("$tito" eval "$model" --data "$data" | sed -n 's/.*accuracy \([0-9.]*\) %.*/\1/p')
out=$("$py" "$here/load_in_pytorch.py" "$model" "$data")
echo "$out"
p=$(echo "$out" | sed -n 's/.*accuracy \([0-9.]*\) %.*/\1/p')
echo "tito eval: $t %, PyTorch: $p %"
[ -n "$t" ] && [ "$t" = "$p" ]
