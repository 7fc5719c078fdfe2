package com.anmeismart.server.notify;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The notification meters in {@code /metrics}: notifications sent by channel (live, inbox, push), push failures by
 * reason, consultants online, fan-out time, and the delivery latency the pages acknowledge.
 */
public final class NotifyMetrics {

  private final MeterRegistry registry;
  private final AtomicLong online = new AtomicLong();
  private final Gauge onlineGauge;
  private final Timer fanout;

  NotifyMetrics(MeterRegistry registry) {
    this.registry = registry;
    onlineGauge = Gauge.builder("notify_consultants_online", online, AtomicLong::get)
        .description("Consultants with an open bridge socket, across all nodes (refreshed every few seconds)")
        .register(registry);
    fanout = Timer.builder("notify_fanout").description("A notification's fan-out: recipients, inbox, live sends")
        .publishPercentileHistogram().maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
    // every known series exists from the start at 0, so rates and alerts work before the first event
    List.of("live", "inbox", "push", "admin").forEach(channel -> sentCounter(channel));
    List.of("gone", "rejected", "error").forEach(reason -> pushFailureCounter(reason));
    List.of("written", "nothing_new", "switched_off").forEach(outcome -> adminAlertCounter(outcome));
    delivery(registry);
  }

  /**
   * Time from a notification's creation to the page's acknowledgement (POST /notifications/{id}/delivered). Shared
   * by every API instance: the registry returns the same timer for the same name.
   */
  public static Timer delivery(MeterRegistry registry) {
    return Timer.builder("notify_delivery").description("Notification created → acknowledged by the page")
        .publishPercentileHistogram().maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
  }

  void sent(String channel, int n) {
    if (n > 0) {
      sentCounter(channel).increment(n);
    }
  }

  private Counter sentCounter(String channel) {
    return Counter.builder("notify_sent").tag("channel", channel).description("Notifications sent, by channel")
        .register(registry);
  }

  void pushFailure(String reason) {
    pushFailureCounter(reason).increment();
  }

  private Counter pushFailureCounter(String reason) {
    return Counter.builder("notify_push_failures").tag("reason", reason).description("Web Push messages not accepted")
        .register(registry);
  }

  /** An admin alert: written to the admins' inboxes, a duplicate (another node or a retry), or switched off. */
  void adminAlert(String outcome) {
    adminAlertCounter(outcome).increment();
  }

  private Counter adminAlertCounter(String outcome) {
    return Counter.builder("notify_admin_alerts").tag("outcome", outcome).description("Admin alerts handled, by outcome")
        .register(registry);
  }

  void online(long n) {
    online.set(n);
  }

  void fanout(long nanos) {
    fanout.record(Duration.ofNanos(nanos));
  }

  void close() {
    registry.remove(onlineGauge);
  }
}
