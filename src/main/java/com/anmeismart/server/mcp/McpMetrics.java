package com.anmeismart.server.mcp;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The MCP server's meters in {@code /metrics}: {@code mcp_tool_calls} (timer per tool, group and outcome, with
 * histogram buckets for p95/p99), {@code mcp_auth_failures} (per reason), {@code mcp_sessions} (per transport),
 * {@code mcp_call_log_dropped}. Meters are cached: building one per call would cost more than the call.
 */
public final class McpMetrics {

  private final MeterRegistry registry;
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final List<Meter> gauges = new ArrayList<>();

  public McpMetrics(MeterRegistry registry) {
    this.registry = registry;
    // every known series exists from the start at 0, so rates and alerts work before the first event
    for (String reason : List.of("bad_origin", "missing_key", "unknown_key", "disabled_group")) {
      counter("mcp_auth_failures", "reason", reason, AUTH_FAILURES);
    }
    for (String cause : List.of("queue_full", "unwritable")) {
      callLogDropped(cause, 0);
    }
    for (String era : List.of("handshake", "stateless")) {
      counter("mcp_requests", "era", era, "MCP POSTs to /mcp by protocol era");
    }
  }

  private static final String AUTH_FAILURES = "MCP requests refused before any MCP handling";

  /** @param outcome success, error (the tool's own failure), timeout or unknown (not in the caller's group) */
  public void call(String tool, String group, String outcome, long nanos) {
    timers.computeIfAbsent(tool + '\u0000' + group + '\u0000' + outcome, k -> Timer.builder("mcp_tool_calls")
            .description("MCP tool calls by tool, group and outcome").tag("tool", tool).tag("group", group)
            .tag("outcome", outcome).publishPercentileHistogram().maximumExpectedValue(Duration.ofSeconds(30))
            .register(registry))
        .record(Duration.ofNanos(nanos));
  }

  /** @param era handshake (initialize, sessions) or stateless (revision 2026-07-28): which clients use which */
  public void request(String era) {
    counter("mcp_requests", "era", era, "MCP POSTs to /mcp by protocol era").increment();
  }

  public void authFailure(String reason) {
    counter("mcp_auth_failures", "reason", reason, AUTH_FAILURES).increment();
  }

  /** @param cause queue_full (a flood) or unwritable (a row the database refused even after cleaning) */
  public void callLogDropped(String cause, int n) {
    counter("mcp_call_log_dropped", "cause", cause, "Call-log rows dropped").increment(n);
  }

  public void sessions(String transport, Supplier<Number> count) {
    gauges.add(Gauge.builder("mcp_sessions", count).tag("transport", transport)
        .description("Open MCP sessions").register(registry));
  }

  private Counter counter(String name, String tag, String value, String description) {
    return counters.computeIfAbsent(name + '\u0000' + value, k -> Counter.builder(name).tag(tag, value)
        .description(description).register(registry));
  }

  /** Removes the gauges that read this instance's state (a redeployed verticle registers its own). */
  public void close() {
    gauges.forEach(registry::remove);
  }
}
