#!/bin/sh
# The proof that 'tito module test' grades the learner's code, not the reference:
#   for every module with a folder here (NN_name/*.patch, each patch one plausible bug in the reference),
#   1. a workspace with the untouched stubs fails the module's tests (and does compile),
#   2. the workspace filled with the reference passes,
#   3. every mutant (the reference with one patch applied) fails,
#   4. 'tito module complete' is refused with a mutant and accepted with the reference.
# usage: tinytorch/mutants/run.sh TITO [NN ...]      (default: every module that has mutants)
# One workspace is shared, so the reference objects are compiled once and a mutant recompiles one file.
# The stubs, the reference and every mutant are run against the module's own tests ('module test
# --only': failing those fails the full 'module test' too); the two completions run the full test (the
# earlier modules' tests as well), so the reference passes everything 'module complete' asks.
set -u
tito=${1:?usage: run.sh TITO [NN ...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
export TITO_SOURCE_DIR="${TITO_SOURCE_DIR:-$(cd "$here/../.." && pwd)}"
work=$(mktemp -d "${TMPDIR:-/tmp}/tt-mutants.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT INT TERM
export XDG_DATA_HOME="$work/xdg"
ws="$work/ws"
bad=0
say() { printf '%s\n' "$*"; }
flunk() { say "FAIL: $*"; bad=$((bad + 1)); }

if [ $# -eq 0 ]; then
    set -- $(cd "$here" && ls -d [0-9][0-9]_* | cut -c1-2)
fi
for nn in "$@"; do
    mod=$(cd "$here" && ls -d "${nn}"_* 2>/dev/null | head -n 1)
    [ -n "$mod" ] || { flunk "no mutants for module $nn"; continue; }
    count=$(ls "$here/$mod"/*.patch 2>/dev/null | wc -l)
    [ "$count" -ge 5 ] || flunk "module $nn has $count mutants (at least 5 expected)"

    rm -rf "$ws/$mod"
    "$tito" module start "$nn" --dir "$ws" --force >/dev/null || { flunk "start $nn"; continue; }
    out=$("$tito" module test "$nn" --dir "$ws" --quiet --only 2>&1)
    rc=$?
    if [ $rc -eq 0 ]; then flunk "module $nn: the untouched stubs pass"; fi
    if printf '%s' "$out" | grep -q "COMPILE ERROR"; then flunk "module $nn: the stubs do not compile"; fi
    printf '%s' "$out" | grep -q "not implemented yet" || true

    rm -rf "$ws/$mod"
    "$tito" module start "$nn" --dir "$ws" --force --solution >/dev/null || { flunk "start $nn --solution"; continue; }
    if ! "$tito" module test "$nn" --dir "$ws" --quiet --only >"$work/ref.log" 2>&1; then
        flunk "module $nn: the reference fails"; cat "$work/ref.log"; continue
    fi
    killed=0
    for p in "$here/$mod"/*.patch; do
        name=$(basename "$p" .patch)
        if ! patch -s -p1 -d "$ws" <"$p" >/dev/null; then flunk "$mod/$name does not apply"; continue; fi
        if "$tito" module test "$nn" --dir "$ws" --quiet --only >"$work/m.log" 2>&1; then
            flunk "$mod/$name: the mutant passes module $nn's tests"
        else
            killed=$((killed + 1))
            if [ "$name" = "$(basename "$(ls "$here/$mod"/*.patch | head -n 1)" .patch)" ]; then
                if "$tito" module complete "$nn" --dir "$ws" --quiet >/dev/null 2>&1; then
                    flunk "$mod/$name: completing with a mutant was accepted"
                fi
                if "$tito" module status --dir "$ws" --json | grep -q "\"module\":$((1$nn - 100)),[^}]*\"completed\""; then
                    flunk "$mod/$name: the module is recorded completed after a refused completion"
                fi
            fi
        fi
        patch -s -R -p1 -d "$ws" <"$p" >/dev/null || { flunk "$mod/$name does not revert"; break; }
    done
    if ! "$tito" module complete "$nn" --dir "$ws" --quiet >/dev/null 2>&1; then
        flunk "module $nn: completing with the reference was refused"
    fi
    say "module $nn: stubs fail, reference passes, $killed/$count mutants caught, completion refused with a mutant"
done
[ $bad -eq 0 ] && say "mutant proof: all passed" || say "mutant proof: $bad failure(s)"
[ $bad -eq 0 ]
