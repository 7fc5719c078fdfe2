package com.anmeismart.server.bench;

import com.anmeismart.server.App;
import com.anmeismart.server.testing.Http;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A server for a benchmark, as a user runs it: embedded PostgreSQL in a fresh DATA_DIR, ports picked free. */
final class BenchServer implements AutoCloseable {

  static final String ADMIN = "bench_admin";
  static final String ADMIN_PASSWORD = "bench-admin-password";

  final App app;
  final Http http;
  final Path dataDir;

  BenchServer(JsonObject extra) throws Exception {
    dataDir = Files.createTempDirectory("anmei-bench");
    JsonObject conf = new JsonObject().put("HTTP_PORT", "0").put("MCP_PORT", "0").put("MANAGEMENT_PORT", "0")
        .put("LOCAL_AGENT_PORT", "0").put("DATA_DIR", dataDir.toString()).put("ADMIN_USERNAME", ADMIN)
        .put("ADMIN_PASSWORD", ADMIN_PASSWORD).put("AUTH_RATE_LIMIT_PER_MINUTE", "1000000");
    if (System.getenv("PG_URL") != null) {
      conf.put("PG_URL", System.getenv("PG_URL"));
    }
    if (extra != null) {
      conf.mergeIn(extra);
    }
    app = App.start(null, conf).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    http = new Http("http://127.0.0.1:" + app.port("HTTP_PORT"));
  }

  String adminToken() {
    return http.post("/api/v1/auth/login", new JsonObject().put("username_or_email", ADMIN)
        .put("password", ADMIN_PASSWORD), null).json().getString("access_token");
  }

  void settings(JsonObject change) {
    var res = http.put("/api/v1/admin/registration-automation/settings", change, adminToken());
    if (res.status() != 200) {
      throw new IllegalStateException(res.body());
    }
  }

  /** JDBC to the server's database (embedded or PG_URL), for the timestamps the benchmark reads. */
  Connection jdbc() throws SQLException {
    var o = app.context().database().connectOptions();
    return DriverManager.getConnection("jdbc:postgresql://" + o.getHost() + ":" + o.getPort() + "/" + o.getDatabase(),
        o.getUser(), o.getPassword());
  }

  @Override
  public void close() throws Exception {
    app.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  /** "p50 12.3 ms, p95 …, p99 …, max …" of millisecond samples. */
  static String percentiles(List<Double> samples) {
    if (samples.isEmpty()) {
      return "no samples";
    }
    List<Double> s = new ArrayList<>(samples);
    Collections.sort(s);
    return String.format("p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms (n=%d)", at(s, 0.50), at(s, 0.95),
        at(s, 0.99), s.get(s.size() - 1), s.size());
  }

  static double at(List<Double> sorted, double q) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
  }
}
