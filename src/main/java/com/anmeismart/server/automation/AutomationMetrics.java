package com.anmeismart.server.automation;

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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The automation's meters in {@code /metrics}: per-step timers and outcome counters, jobs by status, the
 * registration → conversation and registration → welcome timers (with histogram buckets for p95/p99), dead jobs.
 */
final class AutomationMetrics {

  static final List<String> STATUSES = List.of("pending", "running", "failed", "dead", "succeeded", "skipped");

  private final MeterRegistry registry;
  private final Map<String, AtomicLong> jobsByStatus = new ConcurrentHashMap<>();
  /** Gauges read this instance's state: removed at stop so a redeployed engine registers its own. */
  private final List<Meter> gauges = new ArrayList<>();
  private final Timer toConversation;
  private final Timer toWelcome;
  private final Counter dead;
  private final Counter retries;

  AutomationMetrics(MeterRegistry registry, AtomicInteger inflight) {
    this.registry = registry;
    for (String status : STATUSES) {
      AtomicLong n = new AtomicLong();
      jobsByStatus.put(status, n);
      gauges.add(Gauge.builder("automation_jobs", n, AtomicLong::get).tag("status", status)
          .description("Automation jobs by status (refreshed every few seconds)").register(registry));
    }
    gauges.add(Gauge.builder("automation_jobs_inflight", inflight, AtomicInteger::get)
        .description("Jobs this engine is running now").register(registry));
    toConversation = Timer.builder("automation_registration_to_conversation")
        .description("Registration to its conversation existing").publishPercentileHistogram()
        .maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
    toWelcome = Timer.builder("automation_registration_to_welcome")
        .description("Registration to its welcome message stored and pushed").publishPercentileHistogram()
        .maximumExpectedValue(Duration.ofSeconds(120)).register(registry);
    dead = Counter.builder("automation_jobs_dead").description("Jobs that used up their retries").register(registry);
    retries = Counter.builder("automation_retries").description("Failed attempts scheduled for a retry")
        .register(registry);
    // every known series exists from the start at 0, so rates and alerts work before the first event
    for (Step step : Step.values()) {
      stepTimer(step, true);
      stepTimer(step, false);
    }
    for (String outcome : FINISHED_OUTCOMES) {
      finishedCounter(outcome);
    }
  }

  /** How a job ends ({@code automation_jobs_finished{outcome}}). */
  static final List<String> FINISHED_OUTCOMES = List.of("succeeded", "dead", "skipped");

  void step(Step step, boolean success, long nanos) {
    stepTimer(step, success).record(Duration.ofNanos(nanos));
  }

  /** A histogram (Prometheus {@code _bucket}), so the steps' percentiles aggregate across nodes. */
  private Timer stepTimer(Step step, boolean success) {
    return Timer.builder("automation_step").tag("step", step.id).tag("outcome", success ? "success" : "failure")
        .description("Automation step duration").publishPercentileHistogram()
        .maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
  }

  void finished(String outcome) {
    finishedCounter(outcome).increment();
  }

  private Counter finishedCounter(String outcome) {
    return Counter.builder("automation_jobs_finished").tag("outcome", outcome)
        .description("Jobs finished, by outcome").register(registry);
  }

  void conversationAfter(long ms) {
    toConversation.record(Duration.ofMillis(Math.max(0, ms)));
  }

  void welcomeAfter(long ms) {
    toWelcome.record(Duration.ofMillis(Math.max(0, ms)));
  }

  void dead() {
    dead.increment();
  }

  void retry() {
    retries.increment();
  }

  void statusCounts(Map<String, Long> counts) {
    jobsByStatus.forEach((status, n) -> n.set(counts.getOrDefault(status, 0L)));
  }

  void close() {
    gauges.forEach(registry::remove);
  }
}
