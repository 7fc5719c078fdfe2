package com.anmeismart.server.ops;

import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.TestApp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The management port: liveness, readiness with the database check, Prometheus metrics. */
class ManagementIT {

  static TestApp server;

  @BeforeAll
  static void start() {
    server = TestApp.start(null);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void healthAndReady() {
    Http mgmt = server.management();
    Http.Res health = mgmt.get("/health", null);
    assertThat(health.status()).isEqualTo(200);
    assertThat(health.json().getString("status")).isEqualTo("UP");
    Http.Res ready = mgmt.get("/ready", null);
    assertThat(ready.status()).isEqualTo(200);
    assertThat(ready.body()).contains("\"id\":\"database\"").contains("\"outcome\":\"UP\"")
        .contains("\"id\":\"mcp\"");
  }

  @Test
  void metricsCoverHttpPoolAndEventBus() {
    server.http.get("/api/v1/auth/me", null); // at least one API request counted
    Http.Res metrics = server.management().get("/metrics", null);
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
    assertThat(metrics.body())
        .contains("vertx_http_server_requests_total")
        .contains("vertx_pool_in_use")
        .contains("vertx_sql_processing_time_seconds")
        .contains("vertx_eventbus_handlers")
        .contains("jvm_memory_used_bytes");
  }

  /**
   * A fresh server (nothing registered, no MCP call, no notification) already exports the known series at 0, and
   * the step and time-to-welcome timers as histograms (Prometheus {@code _bucket}), which aggregate across nodes.
   * The Grafana dashboard (conf/grafana/anmeismart.json) queries these names.
   */
  @Test
  void knownSeriesExistFromTheStartAndTimersAreHistograms() {
    String metrics = server.management().get("/metrics", null).body();
    assertThat(metrics)
        .contains("automation_step_seconds_bucket{outcome=\"success\",step=\"conversation_created\"")
        .contains("automation_step_seconds_count{outcome=\"failure\",step=\"consultants_notified\"} 0")
        .contains("automation_registration_to_welcome_seconds_bucket{")
        .contains("automation_jobs_finished_total{outcome=\"dead\"} 0.0")
        .contains("automation_retries_total 0.0")
        .contains("notify_sent_total{channel=\"push\"} 0.0")
        .contains("notify_push_failures_total{reason=\"gone\"} 0.0")
        .contains("notify_admin_alerts_total{outcome=\"written\"} 0.0")
        .contains("notify_delivery_seconds_bucket{")
        .contains("dify_fallbacks_total{reason=\"breaker_open\"} 0.0")
        .contains("mcp_auth_failures_total{reason=\"unknown_key\"} 0.0")
        .contains("mcp_call_log_dropped_total{cause=\"queue_full\"} 0.0")
        .doesNotContain("automation_step_seconds{"); // a summary's quantile series would be this
  }
}
