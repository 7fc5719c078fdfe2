#!/usr/bin/env bash
# Fan-out measurement (issue 6): N consultants online on the bridge, R new customers through notify.new-customer,
# time to each client's notification and server memory per connected client. Loopback only; stops by itself.
# Usage: bench/fanout.sh [clients=1000] [rounds=20]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench.classpath >/dev/null
CP="target/test-classes:target/classes:$(cat target/bench.classpath)"
java -cp "$CP" com.anmeismart.server.bench.FanoutBench "${1:-1000}" "${2:-20}" 2>&1 \
  | grep -E "clients online|FANOUT RESULT|ERROR|Exception" || true
