# bench/common.sh - sourced by each bench/NAME/run.sh after it sets `here` to its own folder.
# Sets root (the repository), build (MLSB_BUILD, default build-bench/) and lib (libtinytorch.a), and
# provides:
#   bench_need_lib                  builds the tree (Release, no tests) if libtinytorch.a is missing
#   bench_compile EXE SRC [LIBS...] compiles one benchmark program against libtinytorch.a
root="${MLSB_ROOT:-$(cd "$here/../.." && pwd)}"
build="${MLSB_BUILD:-$root/build-bench}"
lib="$build/tinytorch/libtinytorch.a"

bench_need_lib() {
  if [[ ! -f "$lib" ]]; then
    BUILD_TYPE=Release "$root/scripts/build.sh" "$build" -DMLSB_BUILD_TESTS=OFF >&2
  fi
}

bench_compile() {
  local exe="$1" src="$2"
  shift 2
  ${CC:-cc} -O2 -std=c11 -Wall -Wextra -Wpedantic -I"$root/tinytorch/include" \
    "$src" "$lib" -fopenmp "$@" -lz -lm -o "$exe"
}
