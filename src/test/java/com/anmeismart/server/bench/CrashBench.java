package com.anmeismart.server.bench;

import com.anmeismart.server.dify.DifyDouble;
import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.JarProcess;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestPg;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Crash recovery, measured on real processes (the jar): a burst of registrations whose welcomes take a while (a
 * Dify app answering in {@code agent ms}; with an external PostgreSQL the welcome messages table is also locked
 * during the burst, so that every job is mid-way at the kill however fast the machine), {@code kill -9} of the server
 * once the last registration is answered, then
 * <ul>
 *   <li>{@code restart}: the same server started again on the same database (embedded in the same DATA_DIR with
 *       {@code embedded}, else an external PostgreSQL); reports seconds from its {@code /ready} to the last job
 *       done;</li>
 *   <li>{@code peer}: a second server already running on the same (external) database, not restarted; reports
 *       seconds from the kill to the last job done.</li>
 * </ul>
 * Product defaults otherwise (60 s lease, 1 s sweep). The jar is {@code -Dapp.jar} (default
 * {@code target/anmeismart-server.jar}).
 * {@code bench/run.sh CrashBench [restart|peer] [registrations (40)] [agent ms (2000)] [external|embedded]}
 */
public final class CrashBench {

  private static final String ADMIN = "crash_admin";
  private static final String ADMIN_PASSWORD = "crash-admin-password";

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "restart";
    int registrations = args.length > 1 ? Integer.parseInt(args[1]) : 40;
    long agentMs = args.length > 2 ? Long.parseLong(args[2]) : 2_000;
    boolean embedded = args.length > 3 && "embedded".equals(args[3]);
    if (embedded && "peer".equals(mode)) {
      throw new IllegalArgumentException("peer needs a database both servers reach: external");
    }
    Map<String, String> env = new HashMap<>(Map.of("ADMIN_USERNAME", ADMIN, "ADMIN_PASSWORD", ADMIN_PASSWORD,
        "JWT_SECRET", "crash-bench-jwt-secret-0123456789abcdef",
        "SECRETS_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="));
    if (embedded) {
      env.put("DATA_DIR", Files.createTempDirectory("anmei-crash").toString());
    } else {
      env.put("PG_URL", TestPg.newDatabase());
      // each job held mid-way below holds a connection of the steps' pool while it waits
      env.put("PG_POOL_SIZE", String.valueOf(Math.max(16, registrations + 8)));
    }
    List<JarProcess> started = new ArrayList<>();
    try (DifyDouble dify = new DifyDouble()) {
      dify.fixedDelayMs = agentMs;
      JarProcess peer = "peer".equals(mode) ? start(started, env) : null;
      JarProcess victim = start(started, env);
      Http api = victim.http();
      String admin = token(api);
      JsonObject config = new JsonObject().put("name", "agent-" + agentMs + "ms").put("base_url", dify.baseUrl())
          .put("api_key", dify.app(DifyDouble.Scenario.FIXED_DELAY));
      check(api.post("/api/v1/dify/configs", config, admin), 201);

      // external: welcome messages can't be written during the burst, so every job is mid-way at the kill
      // (stopped inside welcome_sent) whatever the machine's speed; released right after the kill
      Connection hold = embedded ? null : TestPg.jdbc(env.get("PG_URL"));
      if (hold != null) {
        hold.setAutoCommit(false);
        hold.createStatement().execute("LOCK TABLE messages IN SHARE ROW EXCLUSIVE MODE");
      }
      String prefix = "crash_" + UUID.randomUUID().toString().substring(0, 6) + "_";
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<Http.Res>> sent = new ArrayList<>();
      long burst = System.nanoTime();
      for (int i = 0; i < registrations; i++) {
        String name = prefix + i;
        sent.add(pool.submit(() -> api.post("/api/v1/auth/register", new JsonObject().put("username", name)
            .put("email", name + "@example.com").put("password", "correct-horse"), null)));
      }
      for (Future<Http.Res> f : sent) {
        check(f.get(), 201);
      }
      pool.shutdown();
      if (hold != null) {
        Db db = new Db(env.get("PG_URL"));
        try {
          Poll.until(Duration.ofSeconds(60), "every job mid-way", () -> db.count("SELECT count(*) FROM automation_jobs "
              + "WHERE status = 'running' AND last_step = 'welcome_generated'") == registrations);
        } catch (AssertionError e) {
          throw new AssertionError(e.getMessage() + ": " + db.rows("SELECT status, last_step, count(*) FROM "
              + "automation_jobs GROUP BY 1, 2"), e);
        }
      }
      long killedAt = System.nanoTime();
      victim.kill9();
      if (hold != null) {
        hold.rollback();
        hold.close();
      }
      System.out.printf("%ncrash bench (%s, %s PostgreSQL): %d registrations answered in %.1f s, then kill -9 "
          + "(agent %d ms)%n", mode, embedded ? "embedded" : "external", registrations, (killedAt - burst) / 1e9,
          agentMs);
      if (!embedded) {
        System.out.printf("  jobs unfinished at the kill: %d%n", new Db(env.get("PG_URL"))
            .count("SELECT count(*) FROM automation_jobs WHERE status <> 'succeeded'"));
      }

      JarProcess next = "restart".equals(mode) ? start(started, env) : null;
      Http survivor;
      long from;
      if (next != null) {
        from = System.nanoTime();
        survivor = next.http();
        System.out.printf("  restarted: /ready %.1f s after the kill%n", (from - killedAt) / 1e9);
      } else {
        from = killedAt;
        survivor = peer.http();
      }
      String token = token(survivor);
      Poll.until(Duration.ofSeconds(180), "every job done", () -> survivor.get(
          "/api/v1/admin/registration-automation/jobs?status=succeeded&limit=1", token).json()
          .getInteger("total") == registrations);
      System.out.printf("  last job done %.1f s after %s%n", (System.nanoTime() - from) / 1e9,
          next != null ? "the restarted server's /ready" : "the kill (the peer was not restarted)");
    } finally {
      for (JarProcess p : started) {
        p.close();
      }
    }
    System.exit(0);
  }

  /** A server process, closed at the end whatever happens (a failed run must not leave servers running). */
  private static JarProcess start(List<JarProcess> started, Map<String, String> env) throws Exception {
    JarProcess p = JarProcess.start(env);
    started.add(p);
    return p.awaitReady(Duration.ofSeconds(120));
  }

  private static String token(Http api) {
    return check(api.post("/api/v1/auth/login", new JsonObject().put("username_or_email", ADMIN)
        .put("password", ADMIN_PASSWORD), null), 200).json().getString("access_token");
  }

  private static Http.Res check(Http.Res res, int status) {
    if (res.status() != status) {
      throw new IllegalStateException("expected " + status + ", got " + res.status() + ": " + res.body());
    }
    return res;
  }
}
