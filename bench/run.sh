#!/usr/bin/env bash
# Runs one benchmark main from src/test/java/com/anmeismart/server/bench against a real in-process server
# (embedded PostgreSQL in a temporary DATA_DIR, or PG_URL when set), loopback only.
#   bench/run.sh HashRateBench [seconds]
#   bench/run.sh RegistrationBench [agent|template] [registrations/s] [seconds] [warm-up seconds (10)]
#   bench/run.sh EngineBench [jobs] [consultants (0: the notification step off)]
#   bench/run.sh com.anmeismart.server.dify.GatewayBench [registrations/s] [seconds] [double ms] [warm-up s (10)]
#   bench/run.sh com.anmeismart.server.dify.BreakerBench [interval ms (60000)] [registrations (8)]
#   bench/run.sh CrashBench [restart|peer] [registrations (40)] [agent ms (2000)] [external|embedded]
#     (CrashBench runs target/anmeismart-server.jar, or -Dapp.jar: build it first with mvn -DskipTests package)
set -euo pipefail
cd "$(dirname "$0")/.."
main=${1:?usage: bench/run.sh <BenchClass> [args…]}; shift
mvn -B -q -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt \
  -Dmdep.includeScope=test >/dev/null
case "$main" in *.*) ;; *) main="com.anmeismart.server.bench.$main" ;; esac
java ${JAVA_OPTS:-} -cp "target/classes:target/test-classes:$(cat target/bench-classpath.txt)" "$main" "$@" 2>&1 | grep -vE '^[0-9:.]+ (INFO|DEBUG) '
