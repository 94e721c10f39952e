#!/bin/sh
# tito_compress.sh TITO - `tito compress`'s option errors (no data set or training needed): each one is
# refused with exit status 2 and a message naming the option, and nothing is written.
set -eu
tito="$1"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# refused ARGS... -- WANT: exit status 2, stderr contains WANT, --out not written
refused() {
    want=$1
    shift
    set +e
    "$tito" compress "$dir/ckpt.safetensors" --out "$dir/out.safetensors" "$@" 2>"$dir/err" >/dev/null
    rc=$?
    set -e
    [ "$rc" -eq 2 ] || fail "tito compress $*: exit $rc, want 2"
    grep -qF -- "$want" "$dir/err" || fail "tito compress $*: stderr '$(cat "$dir/err")' lacks '$want'"
    [ ! -e "$dir/out.safetensors" ] || fail "tito compress $*: wrote its output"
}

"$tito" compress --help >"$dir/help"
for opt in --val --teacher --no-speed --distill --alpha --seed; do
    grep -qF -- "$opt" "$dir/help" || fail "--help does not describe $opt"
done

refused "--teacher names the model to distill from: it needs --distill T" --prune structured:0.5 --teacher t.safetensors
refused "--alpha weighs the teacher's term: it needs --distill T" --prune structured:0.5 --alpha 0.5
refused "--val wants a number of training images >= 1, not 'abc'" --prune structured:0.5 --val abc
refused "--val wants a number of training images >= 1, not '0'" --prune structured:0.5 --val 0
refused "--distill wants a temperature in (0, 100], not '0'" --prune structured:0.5 --distill 0
refused "--alpha wants a weight in [0, 1], not '1.5'" --prune structured:0.5 --distill 2 --alpha 1.5
refused "option '--teacher' needs a value" --prune structured:0.5 --distill 2 --teacher
# a checkpoint that does not exist is named
refused "ckpt.safetensors" --prune structured:0.5 --distill 2 --val 100
echo "tito compress: option errors ok"
