# bench/common.sh - sourced by each bench/NAME/run.sh after it sets `here` to its own folder.
# Sets root (the repository), build (MLSB_BUILD, default build-bench/) and lib (libtinytorch.a), and
# provides:
#   bench_need_lib                  builds the tree (Release, no tests) if libtinytorch.a is missing
#   bench_compile EXE SRC [LIBS...] compiles one benchmark program against libtinytorch.a
#   bench_gt A B                    succeeds when the number A is greater than B (best-of rounds)
#   bench_cpu_percent FILE          the CPU share a /usr/bin/time -v report FILE gives
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

bench_gt() { /usr/bin/python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)" "$1" "$2"; }
bench_cpu_percent() { sed -n 's/.*Percent of CPU this job got: *\([0-9]*\)%.*/\1/p' "$1"; }

# Anchors run with the best kernels their libraries have on this machine: some machines set
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (old workarounds) that force OpenBLAS, and PyTorch through it,
# onto older kernels. bench_anchor runs one command without them; our side never reads them.
# Under an instruction-set cap for our side (TT_ISA=avx2 or portable, see tinytorch/src/common/cpu.h)
# the anchor gets the same cap, so both sides run what an AVX2-only (or baseline x86-64) CPU offers:
# PyTorch's ATen kernels (ATEN_CPU_CAPABILITY), oneDNN (ONEDNN_MAX_CPU_ISA) and OpenBLAS's core
# (OPENBLAS_CORETYPE: Haswell is its AVX2 core, Prescott its SSE3 one).
bench_anchor() {
  case "${TT_ISA:-}" in
    avx2) env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 "$@" ;;
    portable) env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=Prescott ATEN_CPU_CAPABILITY=default \
                ONEDNN_MAX_CPU_ISA=SSE41 "$@" ;;
    *) env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$@" ;;
  esac
}

# The core OpenBLAS picks for an anchor (openblas_get_corename), or "unknown" without OpenBLAS.
bench_openblas_core() {
  local exe="$build/openblas_core"
  if [[ ! -x "$exe" ]]; then
    printf 'char *openblas_get_corename(void);\n#include <stdio.h>\nint main(void) { puts(openblas_get_corename()); return 0; }\n' \
      > "$build/openblas_core.c"
    ${CC:-cc} -O1 "$build/openblas_core.c" -lopenblas -o "$exe" 2>/dev/null || { echo unknown; return; }
  fi
  bench_anchor "$exe" 2>/dev/null || echo unknown
}

# Every core of the machine (the all-cores runs of the training benchmarks). GNU nproc honours
# OMP_NUM_THREADS, which the one-thread runs export, so it is unset here: the cores this process may use.
bench_all_threads() { env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc; }

# What this machine's cores give several threads at once (bench/fp_probe.c): fused multiply-adds and
# integer work, one thread against every thread together. A VM whose vCPUs are hyperthreads of one
# core scales integer work but not FMA-bound work, which caps the all-core scaling of training.
# bench_host_probe prints the probe's JSON line (and a summary on stderr); bench_add_host PROBE reads
# a benchmark's JSON line on stdin and prints it with host_fp_scaling and host_int_scaling added.
bench_host_probe() {
  local exe="$build/fp_probe" n probe
  n="$(bench_all_threads)"
  ${CC:-cc} -O2 -std=c11 -march=native -ffp-contract=fast -fopenmp "$root/bench/fp_probe.c" -o "$exe" >&2
  probe="$(OMP_NUM_THREADS="$n" "$exe" "$n" | tail -n 1)"
  /usr/bin/python3 -c '
import json, sys
p = json.loads(sys.argv[1])
sys.stderr.write("host: %d threads of FMA work run at %.2fx one thread (%.0f GFLOP/s alone), integer work at %.2fx\n"
                 % (p["threads"], p["fp_scaling"], p["fp_gflops_one"], p["int_scaling"]))' "$probe"
  echo "$probe"
}
bench_add_host() {
  /usr/bin/python3 -c '
import json, sys
d = json.loads(sys.stdin.read().strip().splitlines()[-1])
p = json.loads(sys.argv[1])
d["host_fp_scaling"], d["host_int_scaling"] = p["fp_scaling"], p["int_scaling"]
print(json.dumps(d))' "$1"
}
