package com.anmeismart.server.automation;

import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.JarProcess;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import com.anmeismart.server.testing.TestPg;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server process is killed (SIGKILL: no shutdown hook, no hand-back) with jobs in the middle of their steps.
 * Their lease is the product's default minute; they are finished within seconds anyway — by the server started
 * again, or by a second server that was running all along — because the dead process's instance lock is free
 * ({@code db/InstanceLock}) — each step once, one conversation and one welcome per customer.
 */
class CrashRecoveryIT {

  private static final Logger LOG = LoggerFactory.getLogger(CrashRecoveryIT.class);
  private static final int CUSTOMERS = 8;
  /** A quarter of the one-minute lease: the target is 5 s; the margin is for a loaded build machine. */
  private static final Duration WELL_BEFORE_THE_LEASE = Duration.ofSeconds(15);

  @Test
  void aKilledServersJobsAreFinishedOnceBySecondsAfterItsRestart() throws Exception {
    String pgUrl = TestPg.newDatabase();
    Db db = new Db(pgUrl);
    List<UUID> users = killMidJobs(pgUrl, db, null);

    long ready;
    try (TestApp next = TestApp.start(pgUrl, new JsonObject().put("AUTOMATION_SWEEP_MS", "1000"))) {
      ready = System.nanoTime();
      Duration took = allDone(db, users, ready);
      LOG.info("restart: the killed server's {} jobs done {} ms after the new server was ready", users.size(),
          took.toMillis());
      assertThat(took).isLessThan(WELL_BEFORE_THE_LEASE);
      assertThat(db.count("SELECT count(*) FROM automation_jobs WHERE lease_instance = ?", next.instance()))
          .isEqualTo(users.size());
    }
    assertDoneOnce(db, users);
  }

  @Test
  void aServerStillRunningFinishesAKilledPeersJobsWithoutARestart() throws Exception {
    String pgUrl = TestPg.newDatabase();
    Db db = new Db(pgUrl);
    List<UUID> users;
    try (TestApp survivor = TestApp.start(pgUrl, new JsonObject().put("AUTOMATION_SWEEP_MS", "1000"))) {
      users = killMidJobs(pgUrl, db, survivor);
      long killed = System.nanoTime();
      Duration took = allDone(db, users, killed);
      LOG.info("peer: {} jobs (some the killed server's) done {} ms after the kill", users.size(), took.toMillis());
      assertThat(took).isLessThan(WELL_BEFORE_THE_LEASE);
      assertThat(db.count("SELECT count(*) FROM automation_jobs WHERE attempts = 2 AND lease_instance = ?",
          survivor.instance())).as("the killed server's jobs, taken over").isPositive();
    }
    assertDoneOnce(db, users);
  }

  /**
   * Starts the jar on {@code pgUrl}, registers customers through it while welcome messages can't be written (their
   * jobs stop inside welcome_sent, two steps done), then kills it. With a {@code peer} running, waits until the jar
   * holds some of the jobs. Returns the customers.
   */
  private static List<UUID> killMidJobs(String pgUrl, Db db, TestApp peer) throws Exception {
    try (JarProcess victim = JarProcess.start(Map.of("PG_URL", pgUrl)).awaitReady(Duration.ofSeconds(90));
         Connection lock = TestPg.jdbc(pgUrl)) {
      lock.setAutoCommit(false);
      lock.createStatement().execute("LOCK TABLE messages IN SHARE ROW EXCLUSIVE MODE");
      Http api = victim.http();
      List<UUID> users = new ArrayList<>();
      for (int i = 0; i < CUSTOMERS; i++) {
        String name = "crash_" + UUID.randomUUID().toString().substring(0, 8);
        Http.Res reg = api.post("/api/v1/auth/register", new JsonObject().put("username", name)
            .put("email", name + "@example.com").put("password", "correct-horse"), null);
        assertThat(reg.status()).as(reg.body()).isEqualTo(201);
        users.add(UUID.fromString(reg.json().getString("id")));
      }
      Poll.until(Duration.ofSeconds(30), "every job inside welcome_sent", () -> db.count("SELECT count(*) FROM "
          + "automation_jobs WHERE status = 'running' AND last_step = 'welcome_generated'") == CUSTOMERS);
      long victims = db.count("SELECT count(*) FROM automation_jobs WHERE lease_instance <> ?",
          peer == null ? -1 : peer.instance());
      assertThat(victims).as("jobs held by the server about to be killed").isPositive();
      victim.kill9();
      lock.rollback();
      assertThat(db.count("SELECT count(*) FROM automation_jobs WHERE status = 'running' "
          + "AND next_run_at > now() + interval '40 seconds'")).as("leases a minute long, most of it to run")
          .isEqualTo(CUSTOMERS);
      return users;
    }
  }

  private static Duration allDone(Db db, List<UUID> users, long fromNanos) {
    Poll.until(Duration.ofSeconds(60), "every job succeeded", () -> db.count("SELECT count(*) FROM automation_jobs "
        + "WHERE status = 'succeeded' AND user_id = ANY(?::uuid[])", (Object) users.stream().map(UUID::toString)
        .toArray(String[]::new)) == users.size());
    return Duration.ofNanos(System.nanoTime() - fromNanos);
  }

  private static void assertDoneOnce(Db db, List<UUID> users) {
    for (UUID user : users) {
      Map<String, Object> job = db.one("SELECT * FROM automation_jobs WHERE user_id = ?", user);
      assertThat(db.count("SELECT count(*) FROM conversations WHERE customer_id = ?", user)).isEqualTo(1);
      assertThat(db.count("SELECT count(*) FROM messages WHERE conversation_id = ?", job.get("conversation_id")))
          .isEqualTo(1);
      assertThat(db.rows("SELECT step FROM automation_job_steps WHERE job_id = ? AND success ORDER BY id",
          job.get("id"))).extracting(s -> s.get("step"))
          .containsExactly("conversation_created", "welcome_generated", "welcome_sent", "consultants_notified");
    }
  }
}
