#!/usr/bin/env bash
# Installs, from Debian's archive, everything needed to build and test the project.
# Idempotent: packages already present are not fetched again.
#   scripts/install-deps.sh           build + test dependencies
#   scripts/install-deps.sh --bench   also the benchmark anchors (PyTorch CPU, OpenBLAS)
set -euo pipefail

pkgs=(build-essential cmake pkg-config clang libclang-rt-14-dev libomp-dev
      libcmocka-dev zlib1g-dev libfyaml-dev libcjson-dev nettle-dev libsqlite3-dev libopenblas-dev
      dataset-fashion-mnist libopenmpi-dev openmpi-bin
      libmicrohttpd-dev wrk chromium liblapacke-dev python3)
# kits: the Cortex-M cross toolchain, newlib (semihosting) and QEMU's Arm system emulator.
pkgs+=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)
# tito module: patch applies the mutants of the grading proof; sqlite3 makes a foreign database in a test.
pkgs+=(patch sqlite3)
# tinytorch_dist.multihost: two network namespaces (ip netns) stand for two hosts.
pkgs+=(iproute2)
# The labs' pages and browser tests need node + npm (any recent release already installed will do).
if ! command -v npm >/dev/null 2>&1; then pkgs+=(nodejs npm); fi
if [[ "${1:-}" == "--bench" ]]; then
  pkgs+=(python3 python3-torch python3-numpy time)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
