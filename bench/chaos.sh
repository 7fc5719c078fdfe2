#!/usr/bin/env bash
# Chaos runs (issue #18), loopback only, bounded in time; each prints what the clients saw, what the database holds
# and a last line LOST=n DUPLICATED=n, and exits non-zero when anything was lost or duplicated (or another claim of
# the scenario failed):
#   bench/chaos.sh kill-burst  [registrations=1000] [kills=3] [concurrency=16] [difyMs=1000 (0: local agent)]
#   bench/chaos.sh dify-faults [rate=5] [duration=90] [difyMs=500] [breakerResetMs=5000] [boundMs=3000]
#   bench/chaos.sh pg-restart  [rate=5] [duration=60] [downSeconds=8]
#   bench/chaos.sh node-kill   [rate=2] [duration=45] [victim=2] [difyMs=2000] [killAt=0.35] [restartAt=0.7]
# The server is the fat jar as its own process (built when missing or older than the sources); the load generator,
# the ledger and the fault injection run in a separate JVM (src/test/java/.../bench/chaos); the Dify double and the
# external PostgreSQL (zonky's binaries) are processes of their own. Logs stay in the run's /tmp/anmei-chaos-* dir.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:?usage: bench/chaos.sh <kill-burst|dify-faults|pg-restart|node-kill> [key=value …]}
shift
for kv in "$@"; do
  case "$kv" in
    *=*) ;;
    *) echo "arguments after the scenario are key=value, not '$kv'" >&2; exit 2 ;;
  esac
done

JAR=target/anmeismart-server.jar
if [ ! -f "$JAR" ] || [ -n "$(find pom.xml src/main -path '*/node_modules' -prune -o -type f -newer "$JAR" -print -quit)" ]; then
  echo "building $JAR"
  mvn -B -q -DskipTests package
fi
mvn -B -q -DskipTests -Dexec.skip=true test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test >/dev/null
# LOG_LEVEL as a system property: the server processes this JVM starts log at their own level
exec java ${JAVA_OPTS:-} -DLOG_LEVEL=WARN -Dapp.jar="$JAR" \
  -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" \
  com.anmeismart.server.bench.chaos.Chaos "$scenario" "$@"
