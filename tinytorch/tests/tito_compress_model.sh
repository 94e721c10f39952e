#!/bin/sh
# tito_compress_model.sh TITO - a compressed model is a model file like the milestone's: TinyDigits'
# CNN (milestone 04, part 1) pruned to half its channels is written with its new architecture and
# the source's input standardisation, and tito eval, profile and quantize all take it.
set -eu
tito="$1"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$tito" milestone run 04 --part 1 --epochs 5 --out "$dir" >/dev/null 2>&1 || fail "milestone 04 part 1 did not run"
src="$dir/04_cnn_tinydigits.safetensors"
"$tito" compress "$src" --prune structured:0.5 --finetune 1 --lr 1e-3 --no-speed --out "$dir/p.safetensors" \
    >"$dir/compress.txt" 2>/dev/null || fail "tito compress: $(cat "$dir/compress.txt")"
grep -qF "parameters 6090 -> 1898" "$dir/compress.txt" || fail "compress: $(cat "$dir/compress.txt")"

# the file describes itself: eval rebuilds Conv2d(1, 8) ... Linear(64, 10) and standardises the
# digits with the source's mean and std (without them the accuracy would fall far below the source's)
data="${MLSB_DATA:-${MLSB_SOURCE_DIR:-.}/data}/digits.csv.gz"
"$tito" eval "$dir/p.safetensors" --data "$data" >"$dir/eval.txt" || fail "tito eval: $(cat "$dir/eval.txt")"
grep -qF "Conv2d(1, 8, kernel_size=3" "$dir/eval.txt" || fail "eval model line: $(cat "$dir/eval.txt")"
grep -qF "Linear(64, 10)" "$dir/eval.txt" || fail "eval model line: $(cat "$dir/eval.txt")"
acc=$(sed -n 's/.*accuracy \([0-9.]*\) %.*/\1/p' "$dir/eval.txt")
awk -v a="$acc" 'BEGIN { exit !(a >= 80) }' || fail "pruned model's accuracy $acc % (standardisation lost?)"
for key in input_mean input_std classes architecture; do
    grep -qaF "\"$key\"" "$dir/p.safetensors" || fail "the pruned file's metadata lacks $key"
done

# profile and quantize take it as the TinyDigits CNN's family, with its own shapes
"$tito" profile "$dir/p.safetensors" --batch 16 >"$dir/profile.txt" 2>&1 || fail "tito profile: $(cat "$dir/profile.txt")"
grep -qF "CNN 16-32 (TinyDigits) (milestone 04, derived: Sequential(Conv2d(1, 8, kernel_size=3" "$dir/profile.txt" ||
    fail "profile's first line does not name the derived model: $(head -1 "$dir/profile.txt")"
grep -Eq "^ +0 +Conv2d .* 80$" "$dir/profile.txt" || fail "profile's first conv is not 8 channels (80 parameters)"
"$tito" quantize "$dir/p.safetensors" --calib 100 --out "$dir/q.safetensors" >"$dir/quant.txt" 2>&1 ||
    fail "tito quantize: $(cat "$dir/quant.txt")"
[ -s "$dir/q.safetensors" ] || fail "quantize wrote nothing"

# a model of another input shape is still refused, naming the file
printf 'not a model' >"$dir/bad.safetensors"
if "$tito" profile "$dir/bad.safetensors" >"$dir/bad.txt" 2>&1; then fail "profile took a bad file"; fi
grep -qF "bad.safetensors" "$dir/bad.txt" || fail "the error does not name the file: $(cat "$dir/bad.txt")"
echo "tito compress: the compressed model loads in eval, profile and quantize"
