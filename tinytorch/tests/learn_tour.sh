#!/bin/sh
# Replays the README's "Build it yourself" tour: start module 01, see the stubs fail, write the bodies
# (here: the reference's, typed in place of each stub line, as a learner would), test, complete,
# check the status, then complete modules 02-08 from the reference and run milestone 01 on the
# workspace's code (tito rebuilt against it).   usage: learn_tour.sh TITO
set -u
tito=${1:?usage: learn_tour.sh TITO}
here=$(cd "$(dirname "$0")" && pwd)
export TITO_SOURCE_DIR="${TITO_SOURCE_DIR:-$(cd "$here/../.." && pwd)}"
work=$(mktemp -d "${TMPDIR:-/tmp}/tt-tour.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT INT TERM
export XDG_DATA_HOME="$work/xdg"
ws="$work/tinytorch-work"
bad=0
flunk() { printf 'FAIL: %s\n' "$*"; bad=$((bad + 1)); }

# fill WS_FILE REF_FILE: each stub line of the workspace file becomes the reference's next block
fill() {
    awk 'NR == FNR { if ($0 ~ /BEGIN SOLUTION/) { inb = 1; buf = "" }
                     if (inb) buf = buf $0 "\n"
                     if ($0 ~ /END SOLUTION/) { blk[++nb] = buf; inb = 0 }
                     next }
         /YOUR CODE HERE/ { printf "%s", blk[++used]; next }
         { print }' "$2" "$1" >"$1.new" && mv "$1.new" "$1"
}

"$tito" module start 01 --dir "$ws" >/dev/null || flunk "module start 01"
"$tito" module test 01 --dir "$ws" >"$work/out" 2>&1 && flunk "the stubs pass module 01"
grep -q "not implemented yet" "$work/out" || { flunk "the stub's message is not shown"; cat "$work/out"; }
"$tito" module complete 01 --dir "$ws" >/dev/null 2>&1 && flunk "module 01 completed with stubs"
for f in "$ws"/01_tensor/*.c; do
    fill "$f" "$TITO_SOURCE_DIR/tinytorch/src/01_tensor/$(basename "$f")"
done
grep -q "YOUR CODE HERE" "$ws"/01_tensor/*.c && flunk "stubs left after filling"
"$tito" module test 01 --dir "$ws" >"$work/out" 2>&1 || { flunk "the filled module 01 fails"; cat "$work/out"; }
"$tito" module complete 01 --dir "$ws" >"$work/out" 2>&1 || { flunk "complete 01"; cat "$work/out"; }
"$tito" status >"$work/out" 2>&1 || flunk "tito status"
grep -q "01  Tensor *completed" "$work/out" || flunk "status does not show 01 completed"
grep -q "02  Activations *available" "$work/out" || flunk "status does not show 02 available"
"$tito" milestone run 01 --dir "$ws" --quick >"$work/out" 2>&1
[ $? -eq 1 ] && grep -q "locked" "$work/out" || flunk "milestone 01 is not locked with only module 01 done"

for nn in 02 03 04 05 06 07 08; do
    "$tito" module start "$nn" --dir "$ws" --solution >/dev/null || flunk "start $nn"
    "$tito" module complete "$nn" --dir "$ws" --quiet >"$work/out" 2>&1 || { flunk "complete $nn"; cat "$work/out"; }
done
"$tito" milestone run 01 --dir "$ws" --quick --out "$work/runs" >"$work/out" 2>&1
rc=$?
grep -q "milestone 01 on your code" "$work/out" || flunk "milestone 01 did not run on the workspace's code"
[ $rc -eq 0 ] || { flunk "milestone 01 on the workspace's code exited $rc"; tail -20 "$work/out"; }
[ $bad -eq 0 ] && echo "learn_tour: all passed"
[ $bad -eq 0 ]
