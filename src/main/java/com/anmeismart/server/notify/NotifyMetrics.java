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
    List.of("live", "inbox", "push", "admin", "wecom").forEach(channel -> sentCounter(channel));
    List.of("sent", "throttled", "unknown_user", "refused", "no_answer").forEach(outcome -> wecomCounter(outcome));
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

  /** A WeCom send's outcome: sent, throttled, unknown_user, refused, no_answer (never a token or id in a tag). */
  void wecom(String outcome) {
    wecomCounter(outcome).increment();
  }

  private Counter wecomCounter(String outcome) {
    return Counter.builder("notify_wecom_sends").tag("outcome", outcome)
        .description("WeCom application messages, by what WeCom answered").register(registry);
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

  /**
   * An offline send (Web Push, WeCom): {@code sent}, {@code retry}, {@code failed}, or {@code skipped} (acknowledged,
   * claimed or the offer moved on before it was due). {@code reason}: offline, or unacknowledged (the alert ladder).
   */
  void offlineSend(String channel, String kind, String reason, String outcome) {
    Counter.builder("notify_offline_sends").tag("channel", channel).tag("kind", kind).tag("reason", reason)
        .tag("outcome", outcome).description("Offline-channel sends to consultants, by outcome").register(registry)
        .increment();
  }

  /** How long after its due time an offline send went out: the ladder's precision (due = live copy + ack_seconds). */
  void offlineLateness(String channel, long millis) {
    Timer.builder("notify_offline_send_lateness").tag("channel", channel)
        .description("Offline send: due time → accepted by the provider").publishPercentileHistogram()
        .maximumExpectedValue(Duration.ofSeconds(60)).register(registry).record(Duration.ofMillis(Math.max(0, millis)));
  }

  /** An assignment step: offered, expired, accepted, claimed, broadcast. */
  void offer(String outcome) {
    Counter.builder("notify_offers").tag("outcome", outcome).description("Customer offers (assignment rules)")
        .register(registry).increment();
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
