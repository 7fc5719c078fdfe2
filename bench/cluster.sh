#!/usr/bin/env bash
# Clustered mode on this machine (issue 16): server processes (java -jar, CLUSTER=true, Hazelcast over loopback) on
# one PostgreSQL. Loopback only; nothing is left running after `down` (or after `bench`, which cleans up itself).
#
#   bench/cluster.sh up [nodes=3]      start PostgreSQL (unless PG_URL is set) and the nodes; returns once every node
#                                      is ready and sees all the others; writes $CLUSTER_DIR/cluster.env
#   bench/cluster.sh env               print cluster.env (source it: BASE_URLS, MCP_URLS, NODE_<i>_* …)
#   bench/cluster.sh status            each node: alive or not, the members it sees
#   bench/cluster.sh kill <i> [<j> …]  SIGKILL those nodes, all at once (a crash: no goodbye to the cluster)
#   bench/cluster.sh stop <i> [<j> …]  SIGTERM those nodes and wait for them (a graceful stop)
#   bench/cluster.sh start <i> [<j> …] start those nodes again on their ports; returns once they are back in
#   bench/cluster.sh wait [members]    wait until every live node sees that many members (default: the live nodes)
#   bench/cluster.sh down              stop every node (SIGTERM), then the PostgreSQL `up` started
#   bench/cluster.sh bench [consultants=3000] [fan-out rounds=20] [registrations/s=20] [seconds=30]
#                                      the measurement (ClusterBench: its own three nodes and PostgreSQL): fan-out to
#                                      consultants spread over the nodes, registrations at a rate through all nodes,
#                                      failover after kill -9, memory per node; prints CLUSTER RESULT {…}
#
# Nodes are numbered 1..N (NODE_NAME node-<i>). Every node has the same JWT_SECRET/SECRETS_KEY (bench values, or the
# environment's), the admin ADMIN_USERNAME/ADMIN_PASSWORD (default gatling_admin/gatling-admin-password, as
# bench/gatling.sh), no per-IP login limit, and its log in $CLUSTER_DIR/node-<i>.log.
# CLUSTER_DIR defaults to /tmp/anmei-cluster. Other settings pass through the environment (e.g. AUTOMATION_SWEEP_MS).
# Used by: `CLUSTER_NODES=3 bench/gatling.sh <Simulation>` (the simulation spread over the nodes) and the chaos
# runs (a node killed: `kill`, then `wait`, then `start`).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${CLUSTER_DIR:-/tmp/anmei-cluster}
ENV_FILE=$DIR/cluster.env
JAR=target/anmeismart-server.jar
ADMIN_USER=${ADMIN_USERNAME:-gatling_admin}
ADMIN_PASS=${ADMIN_PASSWORD:-gatling-admin-password}

die() { echo "bench/cluster.sh: $*" >&2; exit 1; }

build_jar() {
  if [ ! -f "$JAR" ] || [ -n "$(find pom.xml src/main -path '*/node_modules' -prune -o -type f -newer "$JAR" -print -quit)" ]; then
    echo "building $JAR" >&2
    mvn -B -q -DskipTests package >&2
  fi
}

# the test classes and their classpath (PgServer, ClusterBench), rebuilt only when a source is newer
bench_classpath() {
  if [ ! -f target/bench.classpath ] || [ -n "$(find pom.xml src/test/java -type f -newer target/bench.classpath -print -quit)" ]; then
    mvn -B -q -DskipTests test-compile dependency:build-classpath -Dmdep.includeScope=test \
      -Dmdep.outputFile=target/bench.classpath >&2
  fi
  echo "target/test-classes:target/classes:$(cat target/bench.classpath)"
}

# a loopback port nothing listens on and not handed out yet in this run
used_ports=" "
free_port() {
  local p
  for _ in $(seq 1 500); do
    p=$((20000 + RANDOM % 40000))
    case "$used_ports" in *" $p "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      used_ports="$used_ports$p "
      echo "$p"
      return
    fi
  done
  die "no free port found"
}

load_env() {
  [ -f "$ENV_FILE" ] || die "no cluster is up ($ENV_FILE missing): bench/cluster.sh up"
  # shellcheck disable=SC1090
  . "$ENV_FILE"
}

var() { eval "echo \${$1}"; }
pid_of() { cat "$DIR/node-$1.pid" 2>/dev/null || true; }
alive() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
check_node() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$NODES" ] || die "no node $1 (nodes 1..$NODES)"; }

start_node() {
  local i=$1
  ( export PG_URL CLUSTER=true CLUSTER_HOST=127.0.0.1 CLUSTER_MEMBERS
    export CLUSTER_PORT=$(var "NODE_${i}_CLUSTER_PORT") CLUSTER_BUS_PORT=$(var "NODE_${i}_BUS_PORT")
    export HTTP_PORT=$(var "NODE_${i}_HTTP_PORT") MCP_PORT=$(var "NODE_${i}_MCP_PORT")
    export MANAGEMENT_PORT=$(var "NODE_${i}_MANAGEMENT_PORT") LOCAL_AGENT_PORT=0 NODE_NAME="node-$i"
    export DATA_DIR="$DIR/data-$i" JWT_SECRET="$BENCH_JWT_SECRET" SECRETS_KEY="$BENCH_SECRETS_KEY"
    export ADMIN_USERNAME="$ADMIN_USER" ADMIN_PASSWORD="$ADMIN_PASS" AUTH_RATE_LIMIT_PER_MINUTE=1000000
    export LOG_FORMAT="${LOG_FORMAT:-text}"
    exec java ${NODE_JAVA_OPTS:-} -jar "$JAR" >>"$DIR/node-$i.log" 2>&1 ) &
  echo $! >"$DIR/node-$i.pid"
}

members_seen() {
  curl -sf "http://127.0.0.1:$(var "NODE_$1_MANAGEMENT_PORT")/ready" 2>/dev/null \
    | grep -o '"id":"cluster","status":"UP","data":{[^}]*' | grep -o '"members":[0-9]*' | cut -d: -f2 || true
}

live_nodes() { local i; for i in $(seq 1 "$NODES"); do alive "$i" && echo "$i"; done; return 0; }

# every live node ready and seeing $1 members (default: as many as are alive)
await_members() {
  local want=${1:-} deadline=$((SECONDS + ${2:-180})) i ok
  while :; do
    local live; live=$(live_nodes)
    [ -n "$live" ] || die "no node is alive (logs: $DIR/node-*.log)"
    local n=${want:-$(wc -w <<<"$live")}
    ok=1
    for i in $live; do [ "$(members_seen "$i")" = "$n" ] || { ok=0; break; }; done
    [ "$ok" = 1 ] && return 0
    [ $SECONDS -lt $deadline ] || die "not every node sees $n members after ${2:-180} s (logs: $DIR/node-*.log)"
    sleep 0.2
  done
}

# waits for these nodes' processes to be up (their "ready" line), failing early when one exits
await_started() {
  local i deadline=$((SECONDS + 180))
  for i in "$@"; do
    until curl -sf "http://127.0.0.1:$(var "NODE_${i}_MANAGEMENT_PORT")/ready" >/dev/null 2>&1; do
      alive "$i" || { tail -30 "$DIR/node-$i.log" >&2; die "node $i exited"; }
      [ $SECONDS -lt $deadline ] || die "node $i not ready after 180 s (log $DIR/node-$i.log)"
      sleep 0.2
    done
  done
}

cmd_up() {
  local n=${1:-3}
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || die "up takes a node count"
  if [ -f "$ENV_FILE" ]; then
    die "a cluster is already up in $DIR (bench/cluster.sh down first)"
  fi
  build_jar
  mkdir -p "$DIR"
  rm -rf "$DIR"/node-*.log "$DIR"/node-*.pid "$DIR"/data-* "$DIR"/pg "$DIR"/pg.out "$DIR"/pg.log
  local pg_url=${PG_URL:-} pg_pid=""
  if [ -z "$pg_url" ]; then
    local cp; cp=$(bench_classpath)
    java -cp "$cp" com.anmeismart.server.bench.PgServer "$DIR/pg" 0 >"$DIR/pg.out" 2>"$DIR/pg.log" &
    pg_pid=$!
    for _ in $(seq 1 600); do
      grep -q '^PG_URL=' "$DIR/pg.out" && break
      kill -0 "$pg_pid" 2>/dev/null || { cat "$DIR/pg.log" >&2; die "PostgreSQL did not start"; }
      sleep 0.1
    done
    pg_url=$(sed -n 's/^PG_URL=//p' "$DIR/pg.out")
    [ -n "$pg_url" ] || die "PostgreSQL did not start within 60 s"
  fi
  local members="" i base="" mcp="" mgmt=""
  {
    echo "# bench/cluster.sh up $n ($(date -u +%FT%TZ)): source this file"
    echo "CLUSTER_DIR='$DIR'"
    echo "PG_URL='$pg_url'"
    echo "PG_PID='$pg_pid'"
    echo "NODES=$n"
    echo "ADMIN_USERNAME='$ADMIN_USER'"
    echo "ADMIN_PASSWORD='$ADMIN_PASS'"
    echo "BENCH_JWT_SECRET='${JWT_SECRET:-bench-cluster-jwt-secret-0123456789abcdef}'"
    echo "BENCH_SECRETS_KEY='${SECRETS_KEY:-bench-cluster-secrets-key-0123456789abcdef}'"
    for i in $(seq 1 "$n"); do
      local h m g c b
      h=$(free_port) m=$(free_port) g=$(free_port) c=$(free_port) b=$(free_port)
      echo "NODE_${i}_HTTP_PORT=$h NODE_${i}_MCP_PORT=$m NODE_${i}_MANAGEMENT_PORT=$g NODE_${i}_CLUSTER_PORT=$c NODE_${i}_BUS_PORT=$b"
      members="${members:+$members,}127.0.0.1:$c"
      base="${base:+$base,}http://127.0.0.1:$h" mcp="${mcp:+$mcp,}http://127.0.0.1:$m"
      mgmt="${mgmt:+$mgmt,}http://127.0.0.1:$g"
    done
    echo "CLUSTER_MEMBERS='$members'"
    echo "BASE_URLS='$base'"
    echo "MCP_URLS='$mcp'"
    echo "MANAGEMENT_URLS='$mgmt'"
  } >"$ENV_FILE"
  load_env
  # together: the schema migration and the deployment row are safe to race (Flyway's lock, one row); nodes that
  # formed clusters of their own at the same instant merge (HazelcastSetup's merge delay), await_members waits
  for i in $(seq 1 "$n"); do start_node "$i"; done
  await_started $(seq 1 "$n")
  await_members "$n"
  echo "cluster up: $n nodes on $PG_URL"
  echo "  API  $BASE_URLS"
  echo "  MCP  $MCP_URLS"
  echo "  management  $MANAGEMENT_URLS"
  echo "  env  $ENV_FILE (logs $DIR/node-<i>.log)"
}

cmd_status() {
  load_env
  local i
  for i in $(seq 1 "$NODES"); do
    if alive "$i"; then
      echo "node-$i pid $(pid_of "$i") up, sees $(members_seen "$i") member(s), API http://127.0.0.1:$(var "NODE_${i}_HTTP_PORT")"
    else
      echo "node-$i down"
    fi
  done
}

cmd_kill() {
  load_env
  [ $# -ge 1 ] || die "kill which node(s)?"
  local i pids=()
  for i in "$@"; do check_node "$i"; alive "$i" || die "node $i is not running"; pids+=("$(pid_of "$i")"); done
  kill -9 "${pids[@]}"
  echo "killed (SIGKILL) node(s) $* at $(date -u +%T.%3N)"
}

cmd_stop() {
  load_env
  [ $# -ge 1 ] || die "stop which node(s)?"
  local i
  for i in "$@"; do check_node "$i"; alive "$i" && kill -TERM "$(pid_of "$i")"; done
  for i in "$@"; do
    local pid; pid=$(pid_of "$i")
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  done
  echo "stopped (SIGTERM) node(s) $*"
}

cmd_start() {
  load_env
  [ $# -ge 1 ] || die "start which node(s)?"
  local i
  for i in "$@"; do check_node "$i"; alive "$i" && die "node $i is running"; start_node "$i"; done
  await_started "$@"
  await_members
  echo "node(s) $* back: $(wc -w <<<"$(live_nodes)") member(s)"
}

cmd_down() {
  [ -f "$ENV_FILE" ] || { echo "no cluster up in $DIR"; return 0; }
  load_env
  local i
  for i in $(seq 1 "$NODES"); do alive "$i" && kill -TERM "$(pid_of "$i")" || true; done
  for i in $(seq 1 "$NODES"); do
    local pid; pid=$(pid_of "$i")
    [ -n "$pid" ] && while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  done
  if [ -n "$PG_PID" ] && kill -0 "$PG_PID" 2>/dev/null; then
    kill -TERM "$PG_PID"
    while kill -0 "$PG_PID" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$ENV_FILE"
  echo "cluster down (logs kept in $DIR)"
}

cmd_bench() {
  build_jar
  local cp; cp=$(bench_classpath)
  local log="${TMPDIR:-/tmp}/cluster-bench.log" status=0
  java -Dapp.jar="$JAR" -cp "$cp" com.anmeismart.server.bench.ClusterBench \
    "${1:-3000}" "${2:-20}" "${3:-20}" "${4:-30}" >"$log" 2>&1 || status=$?
  grep -E "consultants online|CLUSTER RESULT|^[ {}\"]|ERROR|Exception" "$log" || true
  echo "full output: $log"
  return "$status"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  up) cmd_up "$@" ;;
  env) load_env; cat "$ENV_FILE" ;;
  status) cmd_status ;;
  kill) cmd_kill "$@" ;;
  stop) cmd_stop "$@" ;;
  start) cmd_start "$@" ;;
  wait) load_env; await_members "${1:-}" ;;
  down) cmd_down ;;
  bench) cmd_bench "$@" ;;
  *) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
