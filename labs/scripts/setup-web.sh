#!/usr/bin/env bash
# Installs the labs' npm packages from the lock file (Chart.js for the pages, playwright-core for
# the browser tests) and vendors the chart library into web/vendor/, so pages load nothing from a
# CDN and work offline. Idempotent.   labs/scripts/setup-web.sh
set -euo pipefail
labs="$(cd "$(dirname "$0")/.." && pwd)"
cd "$labs"
if ! command -v npm >/dev/null 2>&1; then
  echo "setup-web: npm not found (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
if [[ ! -d node_modules/chart.js || ! -d node_modules/playwright-core || package-lock.json -nt node_modules ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
mkdir -p web/vendor
cp node_modules/chart.js/dist/chart.umd.js web/vendor/chart.umd.js
echo "setup-web: Chart.js $(node -p 'require("./node_modules/chart.js/package.json").version') vendored in labs/web/vendor/"
