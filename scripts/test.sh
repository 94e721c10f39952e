#!/usr/bin/env bash
# Sets everything up on a fresh Debian machine and runs every test, twice (warnings are errors):
# a normal build, then a build with AddressSanitizer + UndefinedBehaviorSanitizer; then each libFuzzer
# harness of fuzz/ on 20,000 seeded inputs, at most 30 s each (scripts/fuzz.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/fetch-data.sh"
# The labs' chart library and the browser-test driver (npm ci from labs/package-lock.json); the
# end-to-end tests (ctest label "browser") then run every lab in headless Chromium.
"$root/labs/scripts/setup-web.sh"

echo "== release build =="
"$root/scripts/build.sh" "$root/build" -DMLSB_BUILD_TESTS=ON -DMLSB_WERROR=ON
(cd "$root/build" && ctest --output-on-failure -j "$(nproc)")

echo "== ASan + UBSan build =="
CC=clang "$root/scripts/build.sh" "$root/build-sanitize" -DMLSB_BUILD_TESTS=ON -DMLSB_WERROR=ON -DMLSB_SANITIZE=ON -DMLSB_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
(cd "$root/build-sanitize" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j "$(nproc)" -LE slow)

echo "== fuzzing: every parser of outside input, 20,000 seeded inputs or 30 s each (regression inputs replayed above) =="
# A fixed seed and input count make this step repeatable; scripts/fuzz.sh without them explores anew.
FUZZ_SEED=1 FUZZ_RUNS=20000 FUZZ_BUILD="$root/build-sanitize" "$root/scripts/fuzz.sh" all 30
