#!/bin/sh
# tito module: progress in SQLite and the lock rules, without compiling anything.
#   - a fresh database: module 01 available, 02 locked; starting 02 is refused; 01 starts once;
#   - the workspace holds the stubs (every marked body replaced), ABOUT.md and the tests;
#   - a corrupt file and another program's database are refused with a message and left untouched.
# usage: learn_progress.sh TITO
set -u
tito=${1:?usage: learn_progress.sh TITO}
work=$(mktemp -d "${TMPDIR:-/tmp}/tt-progress.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT INT TERM
export XDG_DATA_HOME="$work/xdg"
bad=0
flunk() { printf 'FAIL: %s\n' "$*"; bad=$((bad + 1)); }
expect() { # expect RC CMD...: runs CMD, its exit status must be RC
    want=$1; shift
    "$@" >"$work/out" 2>&1; got=$?
    [ "$got" -eq "$want" ] || { flunk "'$*' exited $got, expected $want"; cat "$work/out"; }
}

expect 0 "$tito" module list
grep -q "01  Tensor *available" "$work/out" || flunk "module 01 is not available on a fresh start"
grep -q "02  Activations *locked" "$work/out" || flunk "module 02 is not locked on a fresh start"
[ -f "$XDG_DATA_HOME/tinytorch/progress.db" ] || flunk "no database under \$XDG_DATA_HOME/tinytorch"
expect 1 "$tito" module start 02 --dir "$work/ws"
grep -q "locked" "$work/out" || flunk "starting a locked module does not say it is locked"
expect 0 "$tito" module start 01 --dir "$work/ws"
[ -f "$work/ws/01_tensor/ABOUT.md" ] || flunk "the workspace has no ABOUT.md"
[ -f "$work/ws/01_tensor/tests/test_tensor.c" ] || flunk "the workspace has no tests"
grep -q "BEGIN SOLUTION" "$work/ws/01_tensor/"*.c && flunk "the workspace still holds solution markers"
grep -q "not implemented yet .* module 01" "$work/ws/01_tensor/"*.c || flunk "the workspace has no stubs"
expect 1 "$tito" module start 01 --dir "$work/ws"
grep -q "already exists" "$work/out" || flunk "a second start does not protect the learner's work"
expect 0 "$tito" module status --dir "$work/ws" --json
grep -q '"module":1,"name":"01_tensor","state":"started","in_workspace":true' "$work/out" ||
    flunk "status --json does not show module 01 started"
expect 0 "$tito" module reset 01 --dir "$work/ws"
ls -d "$work/ws/01_tensor.reset-"* >/dev/null 2>&1 || flunk "reset did not keep the previous work aside"
expect 2 "$tito" module test 05 --dir "$work/ws"
expect 2 "$tito" module frobnicate 01
expect 2 "$tito" module start 99

# a corrupt database: refused, never overwritten
db="$XDG_DATA_HOME/tinytorch/progress.db"
printf 'this is not a database, it is a learner note that must survive\n' >"$db"
cp "$db" "$work/before"
expect 2 "$tito" module list
grep -q "not a TinyTorch progress database" "$work/out" || flunk "a corrupt database is not named as such"
expect 2 "$tito" module start 01 --dir "$work/ws2"
cmp -s "$db" "$work/before" || flunk "the corrupt database was modified"

# another program's database
rm -f "$db"
if command -v sqlite3 >/dev/null 2>&1; then
    sqlite3 "$db" "CREATE TABLE notes(x); INSERT INTO notes VALUES('keep me');"
    cp "$db" "$work/before"
    expect 2 "$tito" status
    grep -q "another program" "$work/out" || flunk "a foreign database is not named as such"
    cmp -s "$db" "$work/before" || flunk "the foreign database was modified"
else
    flunk "sqlite3 (the command) is missing: scripts/install-deps.sh installs it"
fi
[ $bad -eq 0 ] && echo "learn_progress: all passed"
[ $bad -eq 0 ]
