#!/usr/bin/env bash
# Runs the libFuzzer harnesses of fuzz/ under ASan + UBSan.
#   scripts/fuzz.sh [TARGET|all] [SECONDS]      default: all, 20 s each
#   scripts/fuzz.sh --list                      the targets
# Examples:
#   scripts/fuzz.sh                  every harness for 20 s (what scripts/test.sh runs)
#   scripts/fuzz.sh csv 600          the CSV reader for 10 minutes
#   FUZZ_BUILD=build-x scripts/fuzz.sh bpe 3600   an hour, harnesses from (or built in) build-x
# Each run first replays fuzz/regress/TARGET/ and fuzz/corpus/TARGET/, then mutates them with
# fuzz/dict/TARGET.dict. Limits: 256 MB per allocation, 2 GB resident, 10 s per input.
# New interesting inputs go to a scratch corpus (kept in the build tree: FUZZ_BUILD/fuzz-corpus/);
# a crashing input is saved in FUZZ_BUILD/fuzz-artifacts/ - once fixed, copy it to fuzz/regress/TARGET/.
# FUZZ_SEED=N fixes libFuzzer's random seed and FUZZ_RUNS=N caps the inputs per harness: together they
# make a run repeatable (scripts/test.sh uses both, so the suite explores the same inputs every time).
# Build: FUZZ_BUILD (default build-sanitize) is configured with clang, MLSB_SANITIZE and MLSB_FUZZ
# when the harnesses are missing. Exit status: 0 all clean, 1 a harness found a problem, 2 usage.
# Long runs (10 minutes or more per harness): run one harness at a time on a shared machine, e.g.
#   for t in idx json plan; do scripts/fuzz.sh $t 600; done
# Each prints one line: inputs run, libFuzzer's final cov: (edges) and ft: (features), the corpus
# size and the peak resident memory; the whole log stays in FUZZ_BUILD/fuzz-TARGET.log. The scratch
# corpus carries over, so a second run starts where the first stopped. fuzz/RESULTS.md keeps the
# measured runs.
set -euo pipefail
{ # the whole script is one block, read before it runs: editing this file mid-run cannot derail it
root="$(cd "$(dirname "$0")/.." && pwd)"
targets=(idx csv safetensors json bpe plan registry runs staffml_vault labs_api qmodel kit_export)
usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }

case "${1:-all}" in
  -h|--help) usage; exit 0 ;;
  --list) printf '%s\n' "${targets[@]}"; exit 0 ;;
esac
want="${1:-all}"
secs="${2:-20}"
if ! [[ "$secs" =~ ^[0-9]+$ ]] || ((secs < 1)); then
  echo "fuzz.sh: SECONDS must be a positive integer (got '$secs')" >&2; usage >&2; exit 2
fi
if [[ "$want" == all ]]; then
  run=("${targets[@]}")
elif printf '%s\n' "${targets[@]}" | grep -qx -- "$want"; then
  run=("$want")
else
  echo "fuzz.sh: unknown target '$want' (one of: ${targets[*]}, all)" >&2; exit 2
fi

build="${FUZZ_BUILD:-$root/build-sanitize}"
missing=0
for t in "${run[@]}"; do [[ -x "$build/fuzz/fuzz_$t" ]] || missing=1; done
if ((missing)); then
  echo "== building the harnesses in $build =="
  CC=clang "$root/scripts/build.sh" "$build" -DMLSB_BUILD_TESTS=ON -DMLSB_WERROR=ON -DMLSB_SANITIZE=ON \
    -DMLSB_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
for t in "${run[@]}"; do
  corpus="$build/fuzz-corpus/$t"; art="$build/fuzz-artifacts/$t"; log="$build/fuzz-$t.log"
  mkdir -p "$corpus" "$art"
  rc=0
  extra=()
  [[ -n "${FUZZ_SEED:-}" ]] && extra+=("-seed=$FUZZ_SEED")
  [[ -n "${FUZZ_RUNS:-}" ]] && extra+=("-runs=$FUZZ_RUNS")
  "$build/fuzz/fuzz_$t" "${extra[@]}" -max_total_time="$secs" -timeout=10 -malloc_limit_mb=256 -rss_limit_mb=2048 \
    -dict="$root/fuzz/dict/$t.dict" -artifact_prefix="$art/" -print_final_stats=1 \
    "$corpus" "$root/fuzz/regress/$t" "$root/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{print $2}' | tail -1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
  corp=$(grep -o 'corp: [0-9]*/[0-9a-zA-Z]*' "$log" | tail -1 | sed 's/corp: //')
  rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | awk '{print $2}' | tail -1)
  if ((rc == 0)); then
    echo "fuzz $t: clean, ${runs:-?} inputs (limit ${secs} s), ${cov:-cov: ?}, corpus ${corp:-?}, peak RSS ${rss:-?} MB"
  else
    status=1
    echo "fuzz $t: FAILED (exit $rc) after ${runs:-?} inputs; log $log, input in $art/" >&2
    grep -E 'ERROR|SUMMARY|fuzz check failed|==[0-9]+==' "$log" | head -5 >&2 || true
  fi
done
exit "$status"
}
