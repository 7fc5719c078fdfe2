package com.anmeismart.server.dify;

import com.anmeismart.server.bench.BenchSupport;
import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

/**
 * The gateway against the Dify double: (1) its own overhead over an app that answers in a fixed time, (2) with the
 * app stalled (pings only), how long customers wait for their (template) welcome. A warm-up at the same rate comes
 * first and is not counted. {@code bench/run.sh com.anmeismart.server.dify.GatewayBench [registrations/s] [seconds]
 * [double ms] [warm-up seconds (10)]}
 */
public final class GatewayBench {

  public static void main(String[] args) throws Exception {
    int rate = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    long fixedMs = args.length > 2 ? Long.parseLong(args[2]) : 200;
    int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    try (DifyDouble dify = new DifyDouble(); BenchSupport.Server server = new BenchSupport.Server(null)) {
      dify.fixedDelayMs = fixedMs;
      String admin = server.adminToken();
      JsonObject fixed = server.http.post("/api/v1/dify/configs", new JsonObject().put("name", "fixed")
          .put("base_url", dify.baseUrl()).put("api_key", dify.app(DifyDouble.Scenario.FIXED_DELAY)), admin).json();
      if (warmup > 0) {
        BenchSupport.register(server, rate, warmup);
        BenchSupport.awaitJobs(server);
      }
      String run = BenchSupport.register(server, rate, seconds).prefix();
      report(server, run, "double answering in " + fixedMs + " ms", fixedMs);

      server.http.delete("/api/v1/dify/configs/" + fixed.getString("id"), admin);
      server.http.post("/api/v1/dify/configs", new JsonObject().put("name", "stalled").put("base_url", dify.baseUrl())
          .put("api_key", dify.app(DifyDouble.Scenario.PINGS_ONLY)), admin);
      String stalled = BenchSupport.register(server, rate, seconds).prefix();
      report(server, stalled, "double stalled (pings only)", 0);
    }
    System.exit(0);
  }

  private static void report(BenchSupport.Server server, String run, String what, long doubleMs) throws Exception {
    BenchSupport.awaitJobs(server);
    List<Double> overhead = new ArrayList<>();
    List<Double> toWelcome = new ArrayList<>();
    List<String> sources = new ArrayList<>();
    try (Connection c = server.jdbc()) {
      ResultSet rs = c.createStatement().executeQuery("SELECT (m.metadata->>'latency_ms')::float AS gateway_ms, "
          + "m.metadata->>'source' AS source, extract(epoch FROM m.created_at - u.created_at) * 1000 AS welcome_ms "
          + "FROM users u JOIN conversations c ON c.customer_id = u.id JOIN messages m ON m.conversation_id = c.id "
          + "AND m.kind = 'welcome' WHERE u.username LIKE '" + run + "%'");
      while (rs.next()) {
        overhead.add(rs.getDouble("gateway_ms") - doubleMs);
        toWelcome.add(rs.getDouble("welcome_ms"));
        sources.add(rs.getString("source"));
      }
    }
    System.out.printf("%ngateway: %s; welcomes %d, sources %s%n", what, sources.size(),
        sources.stream().distinct().toList());
    if (doubleMs > 0) {
      System.out.println("  gateway time above the double's own: " + BenchSupport.percentiles(overhead));
    }
    System.out.println("  registration -> welcome stored: " + BenchSupport.percentiles(toWelcome));
  }
}
