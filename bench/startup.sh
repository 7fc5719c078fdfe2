#!/usr/bin/env bash
# Time from `java -jar` to /ready answering 200, on a fresh DATA_DIR (embedded PostgreSQL initialised) and again on
# the initialised one, then the resident memory of the idle server. Usage: bench/startup.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=target/anmeismart-server.jar
[ -f "$JAR" ] || mvn -B -q -DskipTests package
RUNS=${1:-3}
MGMT=29090
export HTTP_PORT=28080 MCP_PORT=28000 MANAGEMENT_PORT=$MGMT LOCAL_AGENT_PORT=28001
unset PG_URL || true

ready_ms() { # start the jar, set MS to the ms until /ready is 200 and PID, leave it running; $1 = data dir
  local start end
  start=$(date +%s%N)
  DATA_DIR="$1" java -jar "$JAR" >"$1.log" 2>&1 &
  PID=$!
  until curl -sf "http://127.0.0.1:$MGMT/ready" >/dev/null 2>&1; do
    kill -0 "$PID" 2>/dev/null || { echo "server died, see $1.log" >&2; exit 1; }
    sleep 0.02
  done
  end=$(date +%s%N)
  MS=$(( (end - start) / 1000000 ))
}

for i in $(seq 1 "$RUNS"); do
  dir=$(mktemp -d /tmp/anmei-startup.XXXX)
  ready_ms "$dir"; first=$MS; kill "$PID"; wait "$PID" || true
  ready_ms "$dir"; second=$MS
  sleep 45 # idle: past the 30-s periodic collection that returns start-up garbage (ops/IdleMemory)
  rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
  kill "$PID"; wait "$PID" || true
  echo "run $i: first start ${first} ms, initialised start ${second} ms, idle RSS $((rss_kb / 1024)) MiB"
  rm -rf "$dir" "$dir.log"
done
