#!/usr/bin/env bash
# Puts the data sets the project uses under data/ (no network beyond Debian's archive):
#   data/fashion-mnist/*.gz   from the dataset-fashion-mnist package (linked, not copied)
#   data/digits.csv.gz        scikit-learn's 8x8 digits, extracted from python3-sklearn's .deb
#                             without installing Python (apt-get download + dpkg -x)
# Idempotent and safe to re-run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="$root/data"
mkdir -p "$data"

fm=/usr/share/datasets/fashion-mnist
if [[ -d "$fm" ]]; then
  ln -sfn "$fm" "$data/fashion-mnist"
else
  echo "fetch-data: $fm missing; run scripts/install-deps.sh first" >&2
  exit 1
fi

if [[ ! -s "$data/digits.csv.gz" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download python3-sklearn >/dev/null 2>&1) || {
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    (cd "$tmp" && apt-get download python3-sklearn >/dev/null)
  }
  dpkg -x "$tmp"/python3-sklearn_*.deb "$tmp/x"
  src="$(find "$tmp/x" -path '*sklearn/datasets/data/digits.csv.gz' | head -n 1)"
  [[ -n "$src" ]] || { echo "fetch-data: digits.csv.gz not found in python3-sklearn" >&2; exit 1; }
  cp "$src" "$data/digits.csv.gz.tmp" && mv "$data/digits.csv.gz.tmp" "$data/digits.csv.gz"
fi
echo "fetch-data: data/ ready (fashion-mnist, digits.csv.gz)"
