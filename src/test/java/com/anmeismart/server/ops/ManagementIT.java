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
}
