#!/usr/bin/env bash
# Runs one Gatling simulation (src/gatling/java/com/anmeismart/server/load) against the fat jar, loopback only:
#   bench/gatling.sh <RegistrationBurst|SteadyOnboarding|ConsultantFanout|DifyStyleMcp|ClinicDay> [key=value …]
# e.g. bench/gatling.sh SteadyOnboarding rate=20 duration=60 consultants=5
# Builds the jar only when it is missing or older than the sources; starts it on free ports (port 0) with a fresh
# DATA_DIR (embedded PostgreSQL) or on PG_URL when that is set; waits for /ready; runs `mvn gatling:test` for the
# simulation with key=value as system properties; stops the server; prints where the HTML report is. Exits
# non-zero when the simulation's assertions fail.
set -euo pipefail
cd "$(dirname "$0")/.."
sim=${1:?usage: bench/gatling.sh <Simulation> [key=value …]}
shift
props=()
for kv in "$@"; do
  case "$kv" in
    *=*) props+=("-D$kv") ;;
    *) echo "arguments after the simulation are key=value, not '$kv'" >&2; exit 2 ;;
  esac
done

JAR=target/anmeismart-server.jar
if [ ! -f "$JAR" ] || [ -n "$(find pom.xml src/main -path '*/node_modules' -prune -o -type f -newer "$JAR" -print -quit)" ]; then
  echo "building $JAR"
  mvn -B -q -DskipTests package
fi

work=$(mktemp -d /tmp/anmei-gatling.XXXXXX)
admin_user=${ADMIN_USERNAME:-gatling_admin}
admin_password=${ADMIN_PASSWORD:-gatling-admin-password}
# env beats conf/config.json: free ports, this run's admin, no per-IP auth limit (every virtual user is 127.0.0.1)
HTTP_PORT=0 MCP_PORT=0 MANAGEMENT_PORT=0 LOCAL_AGENT_PORT=0 DATA_DIR="$work/data" LOG_FORMAT=text \
  ADMIN_USERNAME="$admin_user" ADMIN_PASSWORD="$admin_password" AUTH_RATE_LIMIT_PER_MINUTE=1000000 \
  java -jar "$JAR" >"$work/server.log" 2>&1 &
server=$!
stop() {
  if kill -0 "$server" 2>/dev/null; then
    kill "$server" && wait "$server" 2>/dev/null || true
  fi
}
trap stop EXIT

# the launcher logs the ports it bound: "ready in … ms, ports {HTTP_PORT=…, MCP_PORT=…, …}"
for _ in $(seq 1 600); do
  grep -q 'ready in .* ports {' "$work/server.log" && break
  kill -0 "$server" 2>/dev/null || { echo "the server did not start:" >&2; tail -20 "$work/server.log" >&2; exit 1; }
  sleep 0.1
done
ports=$(grep -o 'ports {[^}]*}' "$work/server.log" | head -1)
port() { sed -E "s/.*$1=([0-9]+).*/\1/" <<<"$ports"; }
http_port=$(port HTTP_PORT) mcp_port=$(port MCP_PORT) mgmt_port=$(port MANAGEMENT_PORT)
until curl -sf "http://127.0.0.1:$mgmt_port/ready" >/dev/null; do sleep 0.1; done
echo "server up: API :$http_port, MCP :$mcp_port, management :$mgmt_port (log $work/server.log)"

status=0
touch "$work/started"
mvn -B -Dexec.skip=true gatling:test -Dgatling.simulationClass="com.anmeismart.server.load.$sim" \
  -DbaseUrl="http://127.0.0.1:$http_port" -DmcpUrl="http://127.0.0.1:$mcp_port" \
  -DadminUsername="$admin_user" -DadminPassword="$admin_password" "${props[@]}" 2>&1 | tee "$work/gatling.log" \
  || status=$?
stop

report=$(ls -td target/gatling/*/ 2>/dev/null | head -1)
if [ -n "$report" ] && [ "$report" -nt "$work/started" ]; then
  cp "$work/gatling.log" "$report/console.log"
  cp "$work/server.log" "$report/server.log"
  echo
  sed -n '/client-side intervals of/,/^$/p' "$work/gatling.log"
  echo "HTML report: $(pwd)/${report}index.html (console output and server log beside it)"
fi
[ "$status" -eq 0 ] && echo "$sim: assertions passed" || echo "$sim: FAILED (exit $status)" >&2
exit "$status"
