#!/bin/sh
# tito_plot.sh TITO - `tito plot` on hand-made metrics logs: the terminal chart's exact shape, the SVG
# (one path per run and key, the panels' y ranges), several runs overlaid, and the errors (a bad JSON
# line names file:line, a metric no log has, bad options) with exit status 2.
set -eu
tito="$1"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# run a: accuracy rises in a straight line from 0.5 to 0.9 over epochs 1..5; run b: another curve
cat > "$dir/a.metrics.jsonl" <<'EOF'
{"event":"epoch","epoch":1,"steps":10,"train_loss":2.0,"eval_loss":2.0,"eval_accuracy":0.5,"lr":0.01}
{"event":"epoch","epoch":2,"steps":20,"train_loss":1.5,"eval_loss":1.6,"eval_accuracy":0.6,"lr":0.01}
{"event":"epoch","epoch":3,"steps":30,"train_loss":1.0,"eval_loss":1.2,"eval_accuracy":0.7,"lr":0.005}
{"event":"epoch","epoch":4,"steps":40,"train_loss":0.5,"eval_loss":0.8,"eval_accuracy":0.8,"lr":0.005}
{"event":"epoch","epoch":5,"steps":50,"train_loss":0.0,"eval_loss":0.4,"eval_accuracy":0.9,"lr":0.001}
EOF
cat > "$dir/b.metrics.jsonl" <<'EOF'
{"event":"epoch","epoch":1,"train_loss":1.9,"eval_loss":1.7,"eval_accuracy":0.55}
{"event":"epoch","epoch":2,"train_loss":1.2,"eval_loss":1.1,"eval_accuracy":0.65}

{"event":"epoch","epoch":3,"train_loss":0.9,"eval_loss":null,"eval_accuracy":0.7}
EOF

# 1. the terminal chart of one run: a straight line from the bottom-left to the top-right corner
"$tito" plot "$dir/a.metrics.jsonl" --metric accuracy --width 21 --height 5 > "$dir/chart.txt"
cat > "$dir/want.txt" <<'EOF'
accuracy
0.9 |                  ***
    |             *****
    |        *****
    |   *****
0.5 |***
    +---------------------
     1                   5  (epoch)
     * a: eval_accuracy
EOF
diff "$dir/want.txt" "$dir/chart.txt" || fail "terminal chart differs"

# 2. two runs overlaid in the terminal: two markers and a legend line each
"$tito" plot "$dir/a.metrics.jsonl" "$dir/b.metrics.jsonl" --metric accuracy > "$dir/two.txt"
grep -q '^ *\* a: eval_accuracy$' "$dir/two.txt" || fail "legend of run a"
grep -q '^ *o b: eval_accuracy$' "$dir/two.txt" || fail "legend of run b"
grep -q 'o' "$dir/two.txt" || fail "run b's marker"

# 3. the SVG: loss and accuracy panels, one path per run and key, y ranges rounded to 1-2-5 ticks
"$tito" plot "$dir/a.metrics.jsonl" "$dir/b.metrics.jsonl" --svg "$dir/c.svg" > "$dir/svg.txt"
grep -q "wrote $dir/c.svg (2 panels, 6 lines)" "$dir/svg.txt" || fail "svg summary: $(cat "$dir/svg.txt")"
head -c 4 "$dir/c.svg" | grep -q '<svg' || fail "not an SVG"
[ "$(grep -c '<path class="line"' "$dir/c.svg")" = 6 ] || fail "want 6 paths (a, b x train_loss, eval_loss, eval_accuracy)"
# loss: 0.0 .. 2.0 (a's train_loss falls to 0.0, b's rises to 1.9) in steps of 0.5; accuracy 0.5 .. 0.9
grep -q 'data-y-range="0 2"' "$dir/c.svg" || fail "loss axis range"
grep -q 'data-y-range="0.5 0.9"' "$dir/c.svg" || fail "accuracy axis range"
grep -q '>a: eval_accuracy<' "$dir/c.svg" || fail "legend in the svg"
"$tito" plot "$dir/a.metrics.jsonl" --metric lr,accuracy --x steps --svg "$dir/d.svg" > /dev/null
[ "$(grep -c '<path class="line"' "$dir/d.svg")" = 2 ] || fail "one path per panel for one run"

# 4. errors: exit status 2, a message naming the file and line
printf '{"event":"epoch","epoch":1,"eval_accuracy":0.5}\n{"epoch":2,\n' > "$dir/bad.metrics.jsonl"
set +e
"$tito" plot "$dir/bad.metrics.jsonl" 2> "$dir/err.txt"; rc=$?
set -e
[ "$rc" = 2 ] || fail "bad line: exit $rc"
grep -q "bad.metrics.jsonl:2: not JSON" "$dir/err.txt" || fail "bad line message: $(cat "$dir/err.txt")"
expect_error() { # message-part command...
  want="$1"; shift
  set +e; "$@" > /dev/null 2> "$dir/err.txt"; rc=$?; set -e
  [ "$rc" = 2 ] || fail "$*: exit $rc, want 2"
  grep -qi "$want" "$dir/err.txt" || fail "$*: message '$(cat "$dir/err.txt")' lacks '$want'"
}
expect_error "no log has 'perplexity'" "$tito" plot "$dir/a.metrics.jsonl" --metric perplexity
expect_error "cannot open" "$tito" plot "$dir/missing.metrics.jsonl"
expect_error "which log" "$tito" plot
expect_error "unknown option '--colour'" "$tito" plot "$dir/a.metrics.jsonl" --colour red
expect_error "want a whole number from 16 to 400" "$tito" plot "$dir/a.metrics.jsonl" --width 3
expect_error "no such" "$tito" plot "$dir/a.metrics.jsonl" --svg "$dir/no/such/dir/x.svg"
: > "$dir/empty.metrics.jsonl"
{ echo '{"epoch":1,"eval_accuracy":0.5}'; head -c 1100000 /dev/zero | tr '\0' 'a'; echo; } > "$dir/long.metrics.jsonl"
expect_error "long.metrics.jsonl:2: line longer than 1048576 bytes" "$tito" plot "$dir/long.metrics.jsonl"
expect_error "no records" "$tito" plot "$dir/empty.metrics.jsonl"
"$tito" plot --help | grep -q "examples:" || fail "help has examples"
echo "tito plot: all checks passed"
