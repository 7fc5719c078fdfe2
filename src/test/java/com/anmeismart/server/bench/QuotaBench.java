package com.anmeismart.server.bench;

import com.anmeismart.server.mcp.McpGroup;
import com.anmeismart.server.mcp.Quotas;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The per-key quotas (SPEC §11): what a check costs in memory (what each node does) against a token bucket shared
 * through PostgreSQL (one conditional UPDATE per call: exact across nodes), and what Dify's welcomes ask of the
 * welcome group's key under a registration load (calls per welcome, the busiest second, refusals with the default
 * quota).
 * {@code bench/run.sh QuotaBench [in-memory checks (2000000)] [PostgreSQL checks per client (2000)] [clients (8)]
 * [registrations/s (10)] [seconds (10)] [guard-off]}
 */
public final class QuotaBench {

  private static final String SHARED = "UPDATE bench_quota SET tokens = least(burst, tokens + rate * extract(epoch FROM "
      + "clock_timestamp() - at)) - 1, at = clock_timestamp() WHERE key = $1 AND least(burst, tokens + rate * "
      + "extract(epoch FROM clock_timestamp() - at)) >= 1 RETURNING tokens";

  public static void main(String[] args) throws Exception {
    int checks = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
    int perClient = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
    int clients = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    int rate = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    int regSeconds = args.length > 4 ? Integer.parseInt(args[4]) : 10;

    Quotas quotas = new Quotas();
    McpGroup group = new McpGroup(UUID.randomUUID(), "bench", true, false, "h", Map.of(), null, null,
        new McpGroup.Quota(100_000.0, 1_000_000, 1_000));
    for (int round = 0; round < 2; round++) { // the first round warms the JIT up
      long t0 = System.nanoTime();
      for (int i = 0; i < checks; i++) {
        if (quotas.admit(group, null) instanceof Quotas.Permit p) {
          p.release();
        }
      }
      if (round == 1) {
        System.out.printf("in memory: %.0f ns per check (admit + release, rate and concurrency), one thread%n",
            (System.nanoTime() - t0) / (double) checks);
      }
    }

    try (BenchSupport.Server server = new BenchSupport.Server(null)) {
      Pool pool = server.app.context().database().pool(server.app.vertx());
      await(pool.query("CREATE TABLE bench_quota (key text PRIMARY KEY, rate float8, burst float8, tokens float8, "
          + "at timestamptz)").execute());
      await(pool.query("INSERT INTO bench_quota VALUES ('k', 1e9, 1e9, 1e9, clock_timestamp())").execute());
      List<Double> ms = Collections.synchronizedList(new ArrayList<>());
      long t0 = System.nanoTime();
      List<Future<Void>> runs = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        runs.add(loop(pool, perClient, ms));
      }
      await(Future.all(runs));
      double seconds = (System.nanoTime() - t0) / 1e9;
      ms.sort(null);
      System.out.printf("PostgreSQL shared bucket, %d clients on one key: p50 %.2f ms, p99 %.2f ms per check, "
          + "%.0f checks/s%n", clients, ms.get(ms.size() / 2), ms.get((int) (ms.size() * 0.99)), ms.size() / seconds);

      // Dify's traffic on the welcome group's key at the PRD's burst, with the default quota
      // this part counts the agent's calls, not deadlines: a loaded machine must not turn welcomes into templates
      server.settings(new JsonObject().put("welcome_first_text_seconds", 20)
          .put("welcome_completion_seconds", 60));
      if (args.length > 5 && args[5].equals("guard-off")) {
        server.settings(new JsonObject().put("welcome_guard_enabled", false));
      }
      BenchSupport.Load load = BenchSupport.register(server, rate, regSeconds);
      try (Connection db = server.jdbc()) {
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline && count(db, "SELECT count(*) FROM automation_jobs j JOIN users u "
            + "ON u.id = j.user_id WHERE u.username LIKE '" + load.prefix() + "%' AND j.welcome_message_id IS NULL") > 0) {
          Thread.sleep(500); // a benchmark's wait for the run to finish, not a test's synchronisation
        }
        Thread.sleep(1_000); // the call log is written in batches every 200 ms
        String welcomeGroup = "l.group_id = (SELECT id FROM mcp_tool_groups WHERE name = 'welcome_tools')";
        long calls = count(db, "SELECT count(*) FROM mcp_call_logs l WHERE " + welcomeGroup);
        long refused = count(db, "SELECT count(*) FROM mcp_call_logs l WHERE " + welcomeGroup
            + " AND l.error_message LIKE 'rate_limited%'");
        long peak = count(db, "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM mcp_call_logs l WHERE "
            + welcomeGroup + " GROUP BY date_trunc('second', l.created_at)) s");
        long agent = count(db, "SELECT count(*) FROM automation_jobs j JOIN users u ON u.id = j.user_id "
            + "JOIN messages m ON m.id = j.welcome_message_id WHERE u.username LIKE '" + load.prefix() + "%' "
            + "AND m.metadata ->> 'source' = 'local-agent'");
        System.out.printf("%d registrations (%d/s): %d welcomes by the local agent (the rest the template), %d "
            + "welcome_tools calls (%.2f per agent welcome), busiest second %d calls, %d refused by the default quota "
            + "(100/s, burst 200, 100 at once)%n", load.sent(), rate, agent, calls, calls / (double) Math.max(1, agent),
            peak, refused);
      }
    }
  }

  private static Future<Void> loop(Pool pool, int n, List<Double> ms) {
    Future<Void> f = Future.succeededFuture();
    for (int i = 0; i < n; i++) {
      f = f.compose(v -> {
        long t = System.nanoTime();
        return pool.preparedQuery(SHARED).execute(Tuple.of("k")).map(r -> {
          ms.add((System.nanoTime() - t) / 1e6);
          return null;
        });
      });
    }
    return f;
  }

  private static long count(Connection db, String sql) throws Exception {
    try (ResultSet r = db.createStatement().executeQuery(sql)) {
      r.next();
      return r.getLong(1);
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(300, TimeUnit.SECONDS);
  }
}
