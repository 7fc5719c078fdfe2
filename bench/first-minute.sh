#!/usr/bin/env bash
# The first minute of a restarted server, as a clinic sees it: starts the fat jar on an initialised DATA_DIR (the
# embedded database made by a first start that this script does and stops), times `java -jar` → /ready, then
# registers customers with curl (an external process) at a fixed rate from the moment /ready answers, and reads the
# server's own log: per 10-second slice, how many welcomes, how many were the template (and why), and registration →
# welcome stored (the `welcome_sent` step's since_registration_ms). Repeats for `runs` restarts.
#   bench/first-minute.sh [registrations/s (1)] [seconds (60)] [runs (1)]
# JAR=<path> measures another build (e.g. one made from an older commit) in the same conditions.
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-1} seconds=${2:-60} runs=${3:-1}
JAR=${JAR:-target/anmeismart-server.jar}
if [ "$JAR" = target/anmeismart-server.jar ] && { [ ! -f "$JAR" ] || [ -n "$(find pom.xml src/main \
    -path '*/node_modules' -prune -o -type f -newer "$JAR" -print -quit)" ]; }; then
  echo "building $JAR"
  mvn -B -q -DskipTests package
fi
work=$(mktemp -d /tmp/anmei-first-minute.XXXXXX)
server=
stop() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill "$server" && wait "$server" 2>/dev/null || true
  fi
}
trap stop EXIT

start() { # $1 = log file; sets server, api, mgmt, ready_ms
  local t0 t1 ports
  t0=$(date +%s%N)
  HTTP_PORT=0 MCP_PORT=0 MANAGEMENT_PORT=0 LOCAL_AGENT_PORT=0 DATA_DIR="$work/data" LOG_FORMAT=text \
    AUTH_RATE_LIMIT_PER_MINUTE=1000000 java ${JAVA_OPTS:-} -jar "$JAR" >"$1" 2>&1 &
  server=$!
  until grep -q 'ready in .* ports {' "$1"; do
    kill -0 "$server" 2>/dev/null || { echo "the server did not start:" >&2; tail -20 "$1" >&2; exit 1; }
    sleep 0.02
  done
  ports=$(grep -o 'ports {[^}]*}' "$1" | head -1)
  api=$(sed -E 's/.*HTTP_PORT=([0-9]+).*/\1/' <<<"$ports")
  mgmt=$(sed -E 's/.*MANAGEMENT_PORT=([0-9]+).*/\1/' <<<"$ports")
  until curl -sf "http://127.0.0.1:$mgmt/ready" >/dev/null; do sleep 0.02; done
  t1=$(date +%s%N)
  ready_ms=$(( (t1 - t0) / 1000000 ))
}

start "$work/init.log" # the first start initialises the embedded cluster and migrates
stop

gap_ns=$(awk -v r="$rate" 'BEGIN { printf "%d", 1e9 / r }')
total=$(awk -v r="$rate" -v s="$seconds" 'BEGIN { printf "%d", r * s }')
for run in $(seq 1 "$runs"); do
  log="$work/run$run.log"
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  start "$log"
  t_ready=$(date +%s%N)
  for i in $(seq 1 "$total"); do
    u="fm${run}_${i}_$RANDOM"
    curl -s -o /dev/null -w '%{http_code}\n' -X POST "http://127.0.0.1:$api/api/v1/auth/register" \
      -H 'Content-Type: application/json' --max-time 30 \
      -d "{\"username\":\"$u\",\"email\":\"$u@example.com\",\"password\":\"a-long-password\",\"full_name\":\"王小美\",\"interests\":[\"补水\"],\"source\":\"wechat\"}" \
      >>"$work/status$run.txt" &
    # open model: the next registration leaves on schedule, whatever the last one is doing
    next=$(( t_ready + i * gap_ns ))
    now=$(date +%s%N)
    [ "$next" -gt "$now" ] && sleep "$(awk -v d=$(( next - now )) 'BEGIN { printf "%.4f", d / 1e9 }')"
  done
  wait $(jobs -p | grep -v "^$server\$") 2>/dev/null || true
  # every registration's job ends within the completion window; wait for the last welcome, at most 30 s
  for _ in $(seq 1 300); do
    [ "$(grep -c 'step welcome_sent ok' "$log")" -ge "$(grep -c '^201$' "$work/status$run.txt")" ] && break
    sleep 0.1
  done
  stop
  echo "run $run: ready in $ready_ms ms (load average at start $load); registrations: $(sort "$work/status$run.txt" \
    | uniq -c | awk '{printf "%s×%s ", $1, $2}')"
  grep -E 'warm-up' "$log" | sed -E 's/^([0-9:.]+).* - /  \1 /' || true
  # seconds since the ready line, per welcome: slice, since_registration_ms, source (fallback reason)
  awk -v ready="$(grep -m1 -o '^[0-9:.]*' <(grep 'ready in' "$log"))" '
    function secs(t,  a) { split(t, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
    BEGIN { r = secs(ready) }
    function job(line,  j) { j = line; sub(/.*job_id=/, "", j); sub(/,.*/, "", j); return j }
    /step welcome_generated ok/ { src = $0; sub(/.*source=/, "", src); sub(/, duration_ms.*/, "", src); sub(/^fallback, fallback_reason=/, "", src); source[job($0)] = src }
    /step welcome_sent ok/ {
      ms = $0; sub(/.*since_registration_ms=/, "", ms); ms += 0
      slice = int((secs($1) - r) / 10); n[slice]++; v[slice, n[slice]] = ms
      src = source[job($0)]
      if (src !~ /^(local-agent|dify)$/) { tpl[slice]++; why[src]++ }
      if (++s == 1) first = ms
    }
    END {
      printf "  first welcome: %d ms after its registration\n", first
      printf "  %-10s %5s %9s %9s %9s %9s\n", "slice (s)", "n", "template", "p50 ms", "p95 ms", "max ms"
      for (k = 0; k in n; k++) {
        m = n[k]
        for (i = 1; i <= m; i++) { x = v[k, i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
        printf "  %3d-%-6d %5d %9d %9d %9d %9d\n", k * 10, k * 10 + 10, m, tpl[k], a[int((m - 1) * 0.5) + 1],
          a[int((m - 1) * 0.95) + 1], a[m]
      }
      for (w in why) printf "  template: %s × %d\n", w, why[w]
    }' "$log"
done
echo "logs: $work"
