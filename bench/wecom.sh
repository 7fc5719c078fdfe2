#!/usr/bin/env bash
# WeCom alert latency (issue #15): N offline consultants with WeCom ids, R new customers through notify.new-customer,
# time from the notify step to each textcard request arriving at the WeCom double; token fetches. Loopback only.
# Usage: bench/wecom.sh [consultants=100] [rounds=10]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench.classpath >/dev/null
CP="target/test-classes:target/classes:$(cat target/bench.classpath)"
java -cp "$CP" com.anmeismart.server.bench.WeComBench "${1:-100}" "${2:-10}" 2>&1 \
  | grep -E "WECOM RESULT|ERROR|Exception" || true
