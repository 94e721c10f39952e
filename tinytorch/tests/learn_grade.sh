#!/bin/sh
# tito grade: an instructor's report on a learner's workspace (modules 01 and 02), three workspaces:
#   - the reference (tito module start --solution): full marks, every case passed;
#   - untouched stubs: zero points, with the maximum unchanged (cases that never ran still count);
#   - the reference with one mutant of module 02: module 02 loses points, module 01 keeps full marks.
# Also the exit statuses: 0 when graded (whatever the grade), 2 for usage and a folder that is no workspace.
# The library is compiled once (the other workspaces are copies that keep its objects).
# usage: learn_grade.sh TITO
set -u
tito=${1:?usage: learn_grade.sh TITO}
here=$(cd "$(dirname "$0")" && pwd)
export TITO_SOURCE_DIR="${TITO_SOURCE_DIR:-$(cd "$here/../.." && pwd)}"
work=$(mktemp -d "${TMPDIR:-/tmp}/tt-grade.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT INT TERM
export XDG_DATA_HOME="$work/xdg"
bad=0
flunk() { printf 'FAIL: %s\n' "$*"; bad=$((bad + 1)); }
# total FILE -> "points max" of the whole report; mod N FILE -> "points max" of module N
total() { sed -n 's/^{"workspace":"[^"]*","points":\([0-9]*\),"max":\([0-9]*\),.*/\1 \2/p' "$1"; }
mod() { grep -o "{\"module\":$1,\"name\":\"[^\"]*\",\"status\":\"[a-z_]*\",\"points\":[0-9]*,\"max\":[0-9]*" "$2" |
        sed 's/.*"points":\([0-9]*\),"max":\([0-9]*\)/\1 \2/'; }

# usage errors and a folder that is no workspace: exit 2
"$tito" grade >/dev/null 2>&1; [ $? -eq 2 ] || flunk "'tito grade' without DIR does not exit 2"
"$tito" grade "$work/none" >/dev/null 2>&1; [ $? -eq 2 ] || flunk "a missing DIR does not exit 2"
mkdir -p "$work/empty"
"$tito" grade "$work/empty" >"$work/out" 2>&1; [ $? -eq 2 ] || flunk "a folder without modules does not exit 2"
grep -q "no module folder" "$work/out" || flunk "no message for a folder without modules"
"$tito" grade --help | grep -q "examples:" || flunk "'tito grade --help' has no examples"

# 1. the reference: full marks
for nn in 01 02; do
    "$tito" module start $nn --dir "$work/ref" --force --solution >/dev/null || flunk "start $nn --solution"
done
"$tito" grade "$work/ref" --json >"$work/ref.json" 2>"$work/ref.err"
[ $? -eq 0 ] || { flunk "grading the reference did not exit 0"; cat "$work/ref.err"; }
set -- $(total "$work/ref.json")
if [ $# -ne 2 ] || [ "$2" -lt 10 ] || [ "$1" -ne "$2" ]; then
    flunk "the reference does not get full marks: '$*'"; cat "$work/ref.json" "$work/ref.err"
fi
ref_max=${2:-0}
grep -q '"passed":false' "$work/ref.json" && flunk "a case of the reference failed"
grep -q '"test":"test_activations.c:[a-z_]*","points":1,"max":1,"passed":true' "$work/ref.json" ||
    flunk "no per-test record (module, test, points, max, passed, message) in the report"

# 2. the stubs: zero, same maximum
cp -a "$work/ref" "$work/stub"
rm -rf "$work/stub/01_tensor" "$work/stub/02_activations"
for nn in 01 02; do
    "$tito" module start $nn --dir "$work/stub" --force >/dev/null 2>&1 ||
        "$tito" module reset $nn --dir "$work/stub" >/dev/null || flunk "start $nn (stubs)"
done
"$tito" grade "$work/stub" --json >"$work/stub.json" 2>"$work/stub.err"
[ $? -eq 0 ] || { flunk "grading the stubs did not exit 0"; cat "$work/stub.err"; }
set -- $(total "$work/stub.json")
[ $# -eq 2 ] && [ "$1" -eq 0 ] && [ "$2" -eq "$ref_max" ] ||
    { flunk "the stubs score '$*', expected 0 of $ref_max"; cat "$work/stub.json"; }
grep -q 'not implemented yet' "$work/stub.json" || flunk "the stubs' report does not quote the stub's message"

# 3. one mutant of module 02: it loses points there, not in module 01
cp -a "$work/ref" "$work/mut"
patch -s -p1 -d "$work/mut" <"$TITO_SOURCE_DIR/tinytorch/mutants/02_activations/sigmoid_grad_wrong.patch" ||
    flunk "the mutant does not apply"
"$tito" grade "$work/mut" --json >"$work/mut.json" 2>"$work/mut.err"
[ $? -eq 0 ] || { flunk "grading the mutant did not exit 0"; cat "$work/mut.err"; }
set -- $(mod 1 "$work/mut.json")
[ $# -eq 2 ] && [ "$1" -eq "$2" ] || flunk "module 01 lost points for module 02's mutant: '$*'"
set -- $(mod 2 "$work/mut.json")
[ $# -eq 2 ] && [ "$1" -lt "$2" ] && [ "$1" -gt 0 ] ||
    { flunk "module 02 with a mutant scores '$*' (fewer than all, more than none expected)"; cat "$work/mut.json"; }

# the text report: the failing case named
"$tito" grade "$work/mut" 02 >"$work/mut.txt" 2>/dev/null || flunk "the text report did not exit 0"
grep -q "FAIL test_activations.c:" "$work/mut.txt" || flunk "the text report does not name the failed case"
grep -q "^total " "$work/mut.txt" || flunk "the text report has no total"

[ $bad -eq 0 ] && echo "tito grade: reference $ref_max/$ref_max, stubs 0/$ref_max, mutant loses points in module 02 only"
[ $bad -eq 0 ]
