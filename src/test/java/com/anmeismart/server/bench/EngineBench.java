package com.anmeismart.server.bench;

import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.ResultSet;
import java.util.concurrent.TimeUnit;

/**
 * The job engine: N users and their jobs inserted at once (no password hashing), the welcome step instant (the
 * template), one engine working through them; reports jobs per second. With {@code consultants = 0} the engine runs
 * alone (the consultant-notification step switched off in the settings, so it records "skipped"); with more, that
 * many active consultants (offline: no sockets) are inserted first and every job notifies them (their inbox rows).
 * {@code bench/run.sh EngineBench [jobs (5000)] [consultants (0)]}
 */
public final class EngineBench {

  public static void main(String[] args) throws Exception {
    int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
    int consultants = args.length > 1 ? Integer.parseInt(args[1]) : 0;
    try (BenchSupport.Server server = new BenchSupport.Server(new JsonObject().put("AUTOMATION_SWEEP_MS", "20"))) {
      server.settings(new JsonObject().put("welcome_use_agent", false)
          .put("notifications", new JsonObject().put("consultants", consultants > 0)));
      try (Connection c = server.jdbc()) {
        c.createStatement().execute("INSERT INTO users (username, email, password_hash, role) "
            + "SELECT 'con_' || g, 'con_' || g || '@bench.example', 'x', 'consultant' FROM generate_series(1, "
            + consultants + ") g");
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
        System.out.printf("%nengine benchmark: %d jobs (4 steps each, %d step rows), %s, in %.2f s = %.0f jobs/s%n",
            jobs, steps.getLong(1), consultants == 0 ? "notification step off"
                : "each notifying " + consultants + " consultant(s)", seconds, jobs / seconds);
      }
    }
    System.exit(0);
  }
}
