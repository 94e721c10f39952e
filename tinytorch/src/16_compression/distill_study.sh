#!/usr/bin/env bash
# distill_study.sh - the distillation study of module 16's ABOUT.md, every number from `tito compress`.
# Long (about 9 CPU-minutes per phase, one core): not part of the test suite.
#
#   distill_study.sh val  CKPT DIR            the validation grid: a LeNet-5 teacher trained on the
#                                             50,000 images left after --val 10000, then the half-width
#                                             student alone and distilled for T in {2, 4, 8} x alpha in
#                                             {0.5, 0.7, 0.9}, seed 1, accuracy on the 10,000 held-out images
#   distill_study.sh test CKPT DIR T ALPHA    the chosen setting on the official test set: five seeds of
#                                             the student alone and distilled from CKPT (the milestone's
#                                             LeNet-5, trained on all 60,000 images); mean, sd, paired
#                                             differences
#
# CKPT is milestone 04's checkpoint (tito milestone run 04 --out runs). DIR receives one log per run.
# TITO (default: tito on PATH) and --data (TITO_DATA, optional) can be set from the environment.
set -euo pipefail
usage() {
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}
[ $# -ge 3 ] || usage
phase=$1 ckpt=$2 dir=$3
tito=${TITO:-tito}
data=()
[ -n "${TITO_DATA:-}" ] && data=(--data "$TITO_DATA")
[ -f "$ckpt" ] || { echo "distill_study.sh: no checkpoint '$ckpt'" >&2; exit 2; }
mkdir -p "$dir"
epochs=10 lr=2e-3
student=(--prune structured:0.5 --reinit --finetune "$epochs" --lr "$lr" --no-speed)

# run LOG ARGS...: one tito compress run, its log kept; prints the final accuracy (percent)
run() {
    local log=$1
    shift
    "$tito" compress "$ckpt" "${data[@]}" "$@" --out "$dir/last.safetensors" >"$log" 2>&1 ||
        { echo "distill_study.sh: failed, see $log" >&2; exit 1; }
    sed -n 's/.*accuracy after [0-9]* epochs\{0,1\} of fine-tuning[a-z ]*: \([0-9.]*\) %.*/\1/p' "$log"
}

case $phase in
val)
    echo "teacher: LeNet-5 from scratch on the 50,000 non-held-out images ($epochs epochs, Adam $lr, cosine)"
    run "$dir/teacher.log" --prune structured:0 --reinit --finetune "$epochs" --lr "$lr" --val 10000 --no-speed \
        --seed 1 >/dev/null
    cp "$dir/last.safetensors" "$dir/teacher50k.safetensors"
    sed -n 's/.*validation accuracy after.*: \([0-9.]*\) %.*training accuracy \([0-9.]*\) %.*/  validation \1 %, training \2 %/p' \
        "$dir/teacher.log"
    printf 'student alone: %s %%\n' "$(run "$dir/alone.log" "${student[@]}" --val 10000 --seed 1)"
    printf '%-6s %-8s %-8s %-8s\n' "T" "a=0.5" "a=0.7" "a=0.9"
    for T in 2 4 8; do
        row=("$T")
        for a in 0.5 0.7 0.9; do
            row+=("$(run "$dir/val_T${T}_a${a}.log" "${student[@]}" --val 10000 --seed 1 --distill "$T" \
                --alpha "$a" --teacher "$dir/teacher50k.safetensors")")
        done
        printf '%-6s %-8s %-8s %-8s\n' "${row[@]}"
    done
    ;;
test)
    [ $# -eq 5 ] || usage
    T=$4 a=$5
    alone=() dist=()
    for s in 1 2 3 4 5; do
        alone+=("$(run "$dir/test_alone_s$s.log" "${student[@]}" --seed $s)")
        dist+=("$(run "$dir/test_T${T}_a${a}_s$s.log" "${student[@]}" --seed $s --distill "$T" --alpha "$a")")
        echo "seed $s: alone ${alone[-1]} %, distilled ${dist[-1]} %"
    done
    # mean and sample standard deviation of the two series and of their paired differences
    printf '%s %s\n' "${alone[*]}" "${dist[*]}" | awk '{
        n = NF / 2
        for (i = 1; i <= n; i++) { a[i] = $i; d[i] = $(i + n); x[i] = d[i] - a[i] }
        split("alone distilled difference", name, " ")
        for (k = 1; k <= 3; k++) {
            s = 0; q = 0
            for (i = 1; i <= n; i++) { v = k == 1 ? a[i] : k == 2 ? d[i] : x[i]; s += v; q += v * v }
            m = s / n; sd = sqrt((q - n * m * m) / (n - 1))
            printf (k == 3 ? "%-11s %+.2f +- %.2f points" : "%-11s %.2f +- %.2f %%"), name[k], m, sd
            printf " (mean +- sd of %d seeds)\n", n
        }
    }'
    ;;
*)
    usage
    ;;
esac
