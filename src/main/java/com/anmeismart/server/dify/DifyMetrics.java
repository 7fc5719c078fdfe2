package com.anmeismart.server.dify;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.circuitbreaker.CircuitBreaker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The gateway's meters: welcomes by outcome, fallbacks by reason, time to first text and to completion, MCP
 * trouble seen in agent thoughts, and each breaker's state (0 closed, 1 half-open, 2 open). */
final class DifyMetrics {

  private final MeterRegistry registry;
  private final List<Meter> gauges = new ArrayList<>();

  /** Fallback reason families known in advance ({@code dify_fallbacks{reason}} starts at 0 for each). */
  static final List<String> FALLBACK_REASONS = List.of("agent_disabled", "breaker_open", "first_text_deadline",
      "connect_error", "error_event", "no_terminal_event", "stream_stalled", "bad_response", "gateway_error");

  DifyMetrics(MeterRegistry registry) {
    this.registry = registry;
    FALLBACK_REASONS.forEach(this::fallbackCounter);
  }

  void welcome(String config, String source, String outcome) {
    Counter.builder("dify_welcomes").tag("config", config).tag("source", source).tag("outcome", outcome)
        .description("Welcomes by config and outcome (answered, truncated, fallback)").register(registry).increment();
  }

  void fallback(String reason) {
    String family = reason.contains(":") ? reason.substring(0, reason.indexOf(':')) : reason;
    fallbackCounter(family).increment();
  }

  private Counter fallbackCounter(String family) {
    return Counter.builder("dify_fallbacks").tag("reason", family).description("Template welcomes, by reason")
        .register(registry);
  }

  void firstText(String config, long ms) {
    Timer.builder("dify_first_text").tag("config", config).publishPercentileHistogram()
        .maximumExpectedValue(Duration.ofSeconds(60)).description("Welcome request to the first visible text")
        .register(registry).record(Duration.ofMillis(ms));
  }

  void completed(String config, long ms) {
    Timer.builder("dify_welcome_completion").tag("config", config).publishPercentileHistogram()
        .maximumExpectedValue(Duration.ofSeconds(120)).description("Welcome request to message_end")
        .register(registry).record(Duration.ofMillis(ms));
  }

  void toolError(String config) {
    Counter.builder("dify_tool_errors").tag("config", config)
        .description("MCP tool failures Dify reported in agent thoughts (the HTTP call itself succeeded)")
        .register(registry).increment();
  }

  void breaker(CircuitBreaker breaker) {
    gauges.add(Gauge.builder("dify_breaker_state", breaker, b -> switch (b.state()) {
      case CLOSED -> 0;
      case HALF_OPEN -> 1;
      case OPEN -> 2;
    }).tag("breaker", breaker.name()).description("Circuit breaker state: 0 closed, 1 half-open, 2 open")
        .register(registry));
  }

  void close() {
    gauges.forEach(registry::remove);
    gauges.clear();
  }
}
