#!/bin/sh
# tito module demo NN: every module's demonstration runs, exits 0 and prints its key line (the result it
# demonstrates, checked where it is exact: shapes, counts, ln 10, gradients by hand).
# usage: learn_demo.sh TITO
set -u
tito=${1:?usage: learn_demo.sh TITO}
work=$(mktemp -d "${TMPDIR:-/tmp}/tt-demo.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT INT TERM
export XDG_DATA_HOME="$work/xdg"
bad=0
flunk() { printf 'FAIL: %s\n' "$*"; bad=$((bad + 1)); }
# demo NN REGEX...: runs the demo; exit 0 and every REGEX (grep -E) found in its output
demo() {
    nn=$1; shift
    "$tito" module demo "$nn" >"$work/$nn.out" 2>&1; rc=$?
    [ $rc -eq 0 ] || { flunk "demo $nn exited $rc"; cat "$work/$nn.out"; return; }
    for re in "$@"; do
        grep -Eq -- "$re" "$work/$nn.out" || { flunk "demo $nn: no line matching '$re'"; cat "$work/$nn.out"; }
    done
    grep "^demo $nn:" "$work/$nn.out"
}
demo 01 '^demo 01: broadcast \[2, 3\] \+ \[3\] -> \[2, 3\] and \[2, 3\] \+ \[2, 1\] -> \[2, 3\]$' 'a\[5\] = 50'
demo 02 '^demo 02: softmax\(\[1, 2, 3\]\) = \[0\.090, 0\.245, 0\.665\], sum 1\.000$' '= \[0\.090, 0\.245, 0\.665\]: the max'
demo 03 '^demo 03: MLP 784-128-10 has 101770 parameters$'
demo 04 '^demo 04: cross-entropy of uniform logits over 10 classes = 2\.3026 \(ln 10 = 2\.3026\)$' 'MSE.* = 1\.3333'
demo 05 '^demo 05: 10 samples, batch 4: 3 batches per epoch \(2 with drop_last\)$'
demo 06 '^demo 06: gradient graph printed; dy/da = 10\.3891, dy/db = 2\.0000$' '^  add -> 13\.38' '^    mul -> 6$' \
    '^    exp -> 7\.389' 'a = 2  \(leaf, requires grad\)'
demo 07 '^demo 07: after 40 steps x = [0-9.]+ \(SGD\), [0-9.]+ \(momentum\), [0-9.]+ \(Adam\); the minimum is 3$'
demo 08 '^demo 08: XOR learned: 4/4 correct after [0-9]+ steps$'
demo 09 '^demo 09: LeNet-5 shape walk \[1,1,28,28\] -> \[1, 400\]$' '-> \[1, 6, 28, 28\]' '-> \[1, 16, 5, 5\]'
demo 10 '^demo 10: 1800 bytes -> 1800 character tokens, [0-9]+ BPE tokens'
demo 11 '^demo 11: embedding \[2,3\] ids -> \[2, 3, 8\]$' 'e\[0\]\[0\] == e\[0\]\[2\]: yes' 'pos 0:  0\.0000  1\.0000'
demo 12 '^demo 12: causal attention weights: row t attends to keys 0\.\.t only \(every later key weighs < 1e-30\)$'
demo 13 '^demo 13: GPT with [0-9]+ parameters; initial loss [0-9.]+ \(ln 65 = 4\.174'
demo 17 '^demo 17: GEMM 512\^3: naive [0-9.]+ -> SIMD [0-9.]+ GFLOP/s'
demo 18 '^demo 18: KV cache [0-9.]+x faster than recomputing, same tokens: yes$'
demo 14 '^demo 14: MLP 784-128-10 at batch 64: 13025920 forward FLOPs, 13008896 of them in the two matmuls' '101770 parameters$'
demo 15 '^demo 15: int8 round trip over \[-1, 2\]: largest error 0\.00588 <= scale / 2 = 0\.00588, 0 exact: yes$' 'zero point -43'
demo 16 '^demo 16: magnitude pruning 75 % -> 75\.0 % zero weights; 2:4 -> 50\.0 % zero \(2 of every 4\)$'
demo 19 '^demo 19: one slow run moves the mean to 10\.905 ms but the median stays 10\.200 ms; 1 outlier flagged$'
demo 20 '^demo 20: 2 of 4 variants on the Pareto frontier' 'lenet5-pruned .* dominated'
# a module number that does not exist is refused
"$tito" module demo 42 >"$work/42.out" 2>&1 && flunk "demo 42 (no such module) exited 0"
"$tito" module demo list >"$work/list.out" 2>&1 || flunk "'tito module demo list' failed"
grep -q "^  17  GEMM" "$work/list.out" || flunk "'tito module demo list' does not list module 17"
[ "$(grep -c '^  [0-2][0-9]  ' "$work/list.out")" -eq 20 ] || flunk "'tito module demo list' does not list all 20 modules"
[ $bad -eq 0 ] && echo "module demos: all ran and printed their key line"
[ $bad -eq 0 ]
