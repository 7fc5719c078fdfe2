package com.anmeismart.server.automation;

import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import com.anmeismart.server.testing.TestPg;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Two engines (two server instances) on one database share 500 jobs; every step of every job runs once. */
class TwoEnginesIT {

  private static final Pattern SUCCEEDED = Pattern.compile("automation_jobs_finished_total\\{outcome=\"succeeded\"} ([0-9.]+)");

  @Test
  void fiveHundredJobsEachStepOnce() {
    String pgUrl = TestPg.newDatabase();
    JsonObject engine = new JsonObject().put("AUTOMATION_SWEEP_MS", "50").put("AUTOMATION_CONCURRENCY", "16");
    try (TestApp a = TestApp.start(pgUrl, engine); TestApp b = TestApp.start(pgUrl, engine)) {
      Db db = a.db();
      // users pre-inserted (no password hashing in the way); the jobs become due together
      db.update("WITH u AS (INSERT INTO users (username, email, password_hash, role) "
          + "SELECT 'bulk_' || g, 'bulk_' || g || '@example.com', 'not-a-login', 'customer' "
          + "FROM generate_series(1, 500) g RETURNING id, created_at) "
          + "INSERT INTO automation_jobs (user_id, registered_at) SELECT id, created_at FROM u");

      Poll.until(Duration.ofSeconds(90), "500 jobs succeeded", () ->
          db.count("SELECT count(*) FROM automation_jobs WHERE status = 'succeeded'") == 500);

      assertThat(db.count("SELECT count(*) FROM automation_job_steps WHERE NOT success")).isZero();
      assertThat(db.count("SELECT count(*) FROM automation_job_steps WHERE success")).isEqualTo(2000);
      assertThat(db.count("SELECT count(*) FROM (SELECT job_id, step FROM automation_job_steps "
          + "GROUP BY job_id, step HAVING count(*) <> 1) twice")).as("a step logged twice").isZero();
      assertThat(db.count("SELECT max(attempts) FROM automation_jobs")).isEqualTo(1);
      assertThat(db.count("SELECT count(*) FROM conversations")).isEqualTo(500);
      assertThat(db.count("SELECT count(DISTINCT customer_id) FROM conversations")).isEqualTo(500);
      assertThat(db.count("SELECT count(*) FROM messages WHERE kind = 'welcome'")).isEqualTo(500);

      long byA = succeeded(a);
      long byB = succeeded(b);
      assertThat(byA + byB).isEqualTo(500);
      assertThat(byA).as("engine A took part").isPositive();
      assertThat(byB).as("engine B took part").isPositive();
    }
  }

  private static long succeeded(TestApp app) {
    Matcher m = SUCCEEDED.matcher(app.metrics());
    return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
  }
}
