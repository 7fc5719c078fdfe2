#!/usr/bin/env bash
# MCP throughput and latency: tools/call get_user_profile over Streamable HTTP with 1, 8 and 32 clients on one
# session, the Dify way (a new session per call) with 8 clients, and the stateless era (revision 2026-07-28, no
# session) with 32 clients. Server and load generator run in one JVM on this machine, loopback only, embedded
# PostgreSQL in a temp directory. Usage: bench/mcp.sh [seconds] [warm-up s]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests test-compile
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench.classpath >/dev/null
LOG_LEVEL=WARN java -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" \
  com.anmeismart.server.bench.McpBench "${1:-10}" "${2:-5}"
