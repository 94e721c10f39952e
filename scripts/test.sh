#!/usr/bin/env bash
# Sets everything up on a fresh Debian machine and runs every test, twice (warnings are errors):
# a normal build, then a build with AddressSanitizer + UndefinedBehaviorSanitizer; then each libFuzzer
# harness of fuzz/ for 20 s (scripts/fuzz.sh).
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

echo "== fuzzing: every parser of outside input, 20 s each (regression inputs replayed above) =="
FUZZ_BUILD="$root/build-sanitize" "$root/scripts/fuzz.sh" all 20
