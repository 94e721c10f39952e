#!/usr/bin/env bash
# Load test of the labs API: wrk against POST /api/eval (a plan as JSON) on loopback, 64
# connections. "ours": one plan sent again and again, as a class on the same preset does (after
# the first request the reply cache answers). The anchor, in the same run: a new batch size in
# every request (vary.lua), so the engine evaluates nearly every request.
#   bench/run.sh labs_api                       30 s on /api/eval, 10 s on the anchor
#   bench/labs_api/run.sh --seconds 2 --smoke   a short check: zero errors, every reply a 200
# Goals: zero errors, >= 20,000 requests/s, p99 < 10 ms. Last line: one JSON object.
# Env: MLSB_BUILD (build folder holding mlsb-labs; default build-bench); LABS_BENCH_CPUS=0,1 pins
# the server and wrk to those CPUs (taskset) to measure "on 2 cores" on a larger machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="${MLSB_ROOT:-$(cd "$here/../.." && pwd)}"
build="${MLSB_BUILD:-$root/build-bench}"
seconds=30 anchor_seconds=10 smoke=0 server=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; anchor_seconds="$2"; shift 2 ;;
    --smoke) smoke=1; shift ;;
    --server) server="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "labs_api: unknown argument '$1' (see --help)" >&2; exit 1 ;;
  esac
done
if ! command -v python3 >/dev/null 2>&1; then
  echo "labs_api: SKIPPED: python3 is not installed (scripts/install-deps.sh installs it)" >&2
  exit 77
fi
if ! command -v wrk >/dev/null 2>&1; then
  echo "labs_api: SKIPPED: wrk is not installed (scripts/install-deps.sh installs it)" >&2
  exit 77
fi
if [[ -z "$server" ]]; then
  server="$build/mlsb-labs"
  if [[ ! -x "$server" ]]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMLSB_BUILD_TESTS=OFF >&2
    cmake --build "$build" --target mlsb-labs -j2 >&2
  fi
fi
pin=()
if [[ -n "${LABS_BENCH_CPUS:-}" ]]; then pin=(taskset -c "$LABS_BENCH_CPUS"); fi
tmp="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
"${pin[@]}" "$server" --port "$port" > "$tmp/server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
url="http://127.0.0.1:$port"
# Wait for the server; the reply wrk will count must be a real evaluation.
python3 - "$url" "$here/plan.json" <<'PY' || { echo "labs_api: /api/eval did not answer the plan" >&2; exit 1; }
import sys, time, urllib.request
url, plan = sys.argv[1], open(sys.argv[2], "rb").read()
for _ in range(100):
    try:
        r = urllib.request.urlopen(urllib.request.Request(url + "/api/eval", data=plan, method="POST"), timeout=2)
        sys.exit(0 if b'"latency_s"' in r.read() else 1)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
wthreads=$("${pin[@]}" nproc)
# The smoke runs beside other tests: a slow reply is not an error there, only a failed one.
wtimeout=2s
if ((smoke)); then wtimeout=10s; fi
echo "labs_api: wrk -t$wthreads -c64 -d${seconds}s POST /api/eval ..." >&2
LABS_PLAN="$here/plan.json" "${pin[@]}" wrk -t"$wthreads" -c64 -d"${seconds}s" --timeout "$wtimeout" --latency -s "$here/post.lua" "$url/api/eval" > "$tmp/eval.txt"
cat "$tmp/eval.txt" >&2
echo "labs_api: anchor: wrk -t$wthreads -c64 -d${anchor_seconds}s POST /api/eval, a new plan each request ..." >&2
LABS_PLAN="$here/plan.json" "${pin[@]}" wrk -t"$wthreads" -c64 -d"${anchor_seconds}s" --timeout "$wtimeout" --latency -s "$here/vary.lua" "$url/api/eval" > "$tmp/anchor.txt"
grep -E "Requests/sec|99%" "$tmp/anchor.txt" >&2
kill -TERM "$pid"
wait "$pid" && rc=0 || rc=$?
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp/eval.txt" "$tmp/anchor.txt" "$smoke" "$rc" "$seconds" <<'PY'
import json, os, re, sys
def parse(path):
    t = open(path).read()
    unit = {"us": 1e-3, "ms": 1.0, "s": 1e3}
    m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", t, re.M)
    p99 = float(m.group(1)) * unit[m.group(2)] if m else float("nan")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    total = int(re.search(r"(\d+) requests in", t).group(1))
    errs = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
    if m: errs += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    if m: errs += int(m.group(1))
    return rps, p99, total, errs
rps, p99, total, errs = parse(sys.argv[1])
arps, ap99, _, aerrs = parse(sys.argv[2])
smoke, rc, secs = sys.argv[3] == "1", int(sys.argv[4]), float(sys.argv[5])
ok = errs == 0 and aerrs == 0 and rc == 0 and total > 0
goals = rps >= 20000 and p99 < 10
print(json.dumps({"name": "labs_api", "ours": rps, "anchor": arps, "unit": "requests/s",
                  "ratio": rps / arps, "endpoint": "POST /api/eval (one plan, reply cache)",
                  "anchor_endpoint": "POST /api/eval (a new plan each request, evaluated)",
                  "seconds": secs, "connections": 64, "requests": total, "errors": errs,
                  "p99_ms": p99, "anchor_p99_ms": ap99, "server_exit_on_sigterm": rc,
                  "anchor_errors": aerrs, "load_average": open("/proc/loadavg").read().split()[0],
                  "cpus": os.environ.get("LABS_BENCH_CPUS", "all"),
                  "goal_rps": 20000, "goal_p99_ms": 10, "goals_met": goals}))
sys.exit(0 if ok and (smoke or goals) else 1)
PY
