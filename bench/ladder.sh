#!/usr/bin/env bash
# The alert ladder and the assignment rules, measured (issue #14). Loopback only; stops by itself.
#   bench/ladder.sh ladder [consultants=1000] [rounds=3] [ack_seconds=2]
#       every consultant online but never acknowledging, subscribed to Web Push on a push service double: the time
#       from each live copy to its push request arriving (target ≤ ack_seconds + 500 ms)
#   bench/ladder.sh offers [customers=150]
#       round_robin over 3 consultants on 2 app instances sharing one database: customers offered per second
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench.classpath >/dev/null
CP="target/test-classes:target/classes:$(cat target/bench.classpath)"
java -cp "$CP" com.anmeismart.server.bench.LadderBench "$@" 2>&1 \
  | grep -E "consultants online|round [0-9]+:|LADDER RESULT|OFFERS RESULT|ERROR|Exception" || true
