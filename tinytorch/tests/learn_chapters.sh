#!/bin/sh
# The module chapters: every tinytorch/src/NN_name/ABOUT.md that has an '## API' section must end with
# the four chapter sections, in this order:
#   ## API                        bullets '- `C signature`' (+ one line of meaning); each name must be
#                                 declared in tinytorch/include/tinytorch/*.h
#   ## Common errors              not empty: the library's messages, quoted
#   ## PyTorch side by side       a two-column markdown table with at least 3 rows
#   ## Check your understanding   three numbered questions, each followed by its
#                                 <details><summary>Answer</summary>...</details> block
# A module without '## API' is listed as "chapter missing" (not a failure), so chapters can be added
# one module at a time.
# usage: tinytorch/tests/learn_chapters.sh [REPOSITORY]      exit 0 all present chapters pass, 1 not
set -u
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
headers="$root/tinytorch/include/tinytorch"
[ -d "$headers" ] || { echo "learn_chapters: no $headers (give the repository as the argument)"; exit 2; }
bad=0
missing=""
checked=0
flunk() { echo "FAIL $mod: $*"; bad=$((bad + 1)); }

# The text of section "## NAME" (up to the next '## ' heading).
section() {
    awk -v h="## $1" '$0 == h { on = 1; next } /^## / { on = 0 } on' "$about"
}

for about in "$root"/tinytorch/src/[0-9][0-9]_*/ABOUT.md; do
    mod=$(basename "$(dirname "$about")")
    if ! grep -qx '## API' "$about"; then
        missing="$missing ${mod%%_*}"
        continue
    fi
    checked=$((checked + 1))
    # the four headings, each once, in order
    order=$(grep -nx -e '## API' -e '## Common errors' -e '## PyTorch side by side' \
        -e '## Check your understanding' "$about" | cut -d: -f2 | tr '\n' '|')
    [ "$order" = "## API|## Common errors|## PyTorch side by side|## Check your understanding|" ] ||
        flunk "the four chapter headings are not all there, once each, in order (found: $order)"

    # API: every bullet's name is declared in a public header
    nb=0
    for name in $(section API | sed -n 's/^- `\([^`]*\)`.*/\1/p' | awk '{
            s = $0
            if (match(s, /\(\*[A-Za-z_][A-Za-z0-9_]*\)/)) {            # function pointer: (*name)
                print substr(s, RSTART + 2, RLENGTH - 3); next }
            p = index(s, "(")
            if (p > 0) s = substr(s, 1, p - 1)                           # a function: the name before (
            sub(/[ \t]*(\{.*)?$/, "", s); sub(/;$/, "", s)
            n = split(s, w, /[^A-Za-z0-9_]+/)
            while (n > 0 && w[n] == "") n--
            print (n > 0 ? w[n] : "?")
        }'); do
        nb=$((nb + 1))
        grep -qw -- "$name" "$headers"/*.h || flunk "API names '$name', which no tinytorch/include/tinytorch/*.h declares"
    done
    [ "$nb" -ge 1 ] || flunk "'## API' has no '- \`signature\`' bullet"

    # Common errors: not empty
    [ "$(section 'Common errors' | grep -c '[A-Za-z]')" -ge 1 ] || flunk "'## Common errors' is empty"

    # PyTorch side by side: a two-column table, >= 3 rows below the header and separator
    rows=$(section 'PyTorch side by side' | grep -c '^|')
    seps=$(section 'PyTorch side by side' | grep -c '^|[ :-]*|[ :-]*|[ ]*$')
    [ "$seps" -eq 1 ] || flunk "'## PyTorch side by side' needs one two-column markdown table (|---|---|)"
    [ "$rows" -ge 5 ] || flunk "'## PyTorch side by side' has $((rows > 2 ? rows - 2 : 0)) rows (3 or more wanted)"

    # Check your understanding: 3 numbered questions, each followed by its answer
    qa=$(section 'Check your understanding' | awk '
        /^[0-9]+\. / { if (q && !a) bad = 1; q++; a = 0 }
        /<details><summary>Answer<\/summary>/ { if (q) a++ }
        END { if (q && !a) bad = 1; print q, bad + 0 }')
    [ "$qa" = "3 0" ] || flunk "'## Check your understanding' wants 3 numbered questions each with an answer block (questions, unanswered: $qa)"
done
echo "module chapters: $checked checked, $bad problem(s)"
[ -z "$missing" ] || echo "chapter missing (no '## API' yet):$missing"
[ "$bad" -eq 0 ]
