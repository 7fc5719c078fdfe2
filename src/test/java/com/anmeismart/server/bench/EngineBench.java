package com.anmeismart.server.bench;

import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.ResultSet;
import java.util.concurrent.TimeUnit;

/**
 * The job engine alone: N users and their jobs inserted at once (no password hashing), the welcome step instant
 * (the template), one engine working through them; reports jobs per second. {@code bench/engine.sh [jobs]}
 */
public final class EngineBench {

  public static void main(String[] args) throws Exception {
    int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
    try (BenchSupport.Server server = new BenchSupport.Server(new JsonObject().put("AUTOMATION_SWEEP_MS", "20"))) {
      server.settings(new JsonObject().put("welcome_use_agent", false));
      try (Connection c = server.jdbc()) {
        // keep the engine off the jobs until they are all in: insert as 'pending' but due in the future
        c.createStatement().execute("WITH u AS (INSERT INTO users (username, email, password_hash, role) "
            + "SELECT 'eng_' || g, 'eng_' || g || '@bench.example', 'x', 'customer' FROM generate_series(1, " + jobs
            + ") g RETURNING id, created_at) INSERT INTO automation_jobs (user_id, registered_at, next_run_at) "
            + "SELECT id, created_at, now() + interval '1 hour' FROM u");
        long t0 = System.nanoTime();
        c.createStatement().execute("UPDATE automation_jobs SET next_run_at = now()");
        while (true) {
          ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM automation_jobs WHERE status = 'succeeded'");
          rs.next();
          if (rs.getLong(1) >= jobs) {
            break;
          }
          TimeUnit.MILLISECONDS.sleep(20);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        ResultSet steps = c.createStatement().executeQuery("SELECT count(*) FROM automation_job_steps WHERE success");
        steps.next();
        System.out.printf("%nengine benchmark: %d jobs (4 steps each, %d step rows) in %.2f s = %.0f jobs/s%n", jobs,
            steps.getLong(1), seconds, jobs / seconds);
      }
    }
    System.exit(0);
  }
}
