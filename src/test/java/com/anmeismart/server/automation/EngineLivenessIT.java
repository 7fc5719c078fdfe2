package com.anmeismart.server.automation;

import com.anmeismart.server.config.AppConfig;
import com.anmeismart.server.db.Database;
import com.anmeismart.server.db.InstanceLock;
import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import com.anmeismart.server.testing.TestPg;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An engine's liveness as PostgreSQL sees it (issue #10, point 3), inside one JVM: a job leased by an instance whose
 * lock is free is taken over at once, not at its lease's end; a claim stamps nothing while the claimer's own lock is
 * not held; an engine whose lock connection is cut takes its lock again under the same number and goes on. A process
 * killed for real is {@link CrashRecoveryIT}; what PostgreSQL sees then (its session ended, its lock free) is what
 * these tests set up directly: a number no session holds, or a terminated session.
 */
class EngineLivenessIT {

  static TestApp server;
  static Db db;

  @BeforeAll
  static void start() {
    server = TestApp.start(null);
    db = server.db();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** A customer and their job, running under a lease of {@code instance} that ends in a minute. */
  static UUID runningJob(Db db, int instance) {
    String name = "live_" + UUID.randomUUID().toString().substring(0, 8);
    return (UUID) db.one("WITH u AS (INSERT INTO users (username, email, password_hash, role) VALUES (?, ?, 'x', "
        + "'customer') RETURNING id, created_at) INSERT INTO automation_jobs (user_id, registered_at, status, "
        + "attempts, lease_token, lease_owner, lease_instance, next_run_at) SELECT id, created_at, 'running', 1, "
        + "gen_random_uuid(), 'a process that died', ?, now() + interval '60 seconds' FROM u RETURNING id", name,
        name + "@example.com", instance).get("id");
  }

  static int unusedInstanceNumber(Db db) {
    return ((Number) db.one("SELECT nextval('server_instance_seq')::int AS n").get("n")).intValue();
  }

  @Test
  void aJobLeasedByAnInstanceWhoseLockIsFreeIsTakenOverAtOnce() {
    // a number no session holds: to PostgreSQL, exactly a process that died (its session ended, its lock freed)
    UUID job = runningJob(db, unusedInstanceNumber(db));
    Timestamp leaseEnd = (Timestamp) db.one("SELECT next_run_at FROM automation_jobs WHERE id = ?", job)
        .get("next_run_at");

    Map<String, Object> done = Poll.until(Duration.ofSeconds(20), "the dead instance's job finished", () ->
        db.one("SELECT * FROM automation_jobs WHERE id = ? AND status = 'succeeded'", job));
    assertThat(((Timestamp) done.get("finished_at")).toInstant()).as("long before its lease would have ended")
        .isBefore(leaseEnd.toInstant().minusSeconds(40));
    assertThat(done.get("attempts")).as("taken over: a second claim").isEqualTo(2);
    assertThat(done.get("lease_instance")).as("by this server").isEqualTo(server.instance());
    assertThat(db.count("SELECT count(*) FROM automation_job_steps WHERE job_id = ? AND success", job)).isEqualTo(4);
  }

  @Test
  void aJobLeasedByALiveInstanceWaitsForItsLease() throws Exception {
    int other = unusedInstanceNumber(db);
    try (Connection otherProcess = server.jdbc()) {
      otherProcess.createStatement().execute("SELECT pg_advisory_lock(" + InstanceLock.LOCK_CLASS + ", " + other + ")");
      UUID job = runningJob(db, other);
      // several sweeps (200 ms each) and takeover checks go by; the job stays with its live holder
      String marker = "marker_" + UUID.randomUUID().toString().substring(0, 8);
      server.register(marker, null);
      Poll.until(Duration.ofSeconds(20), "a later registration done", () -> db.one("SELECT 1 FROM automation_jobs j "
          + "JOIN users u ON u.id = j.user_id WHERE u.username = ? AND j.status = 'succeeded'", marker));
      Map<String, Object> row = db.one("SELECT status, attempts, lease_instance FROM automation_jobs WHERE id = ?",
          job);
      assertThat(row.get("status")).isEqualTo("running");
      assertThat(row.get("attempts")).isEqualTo(1);
      assertThat(row.get("lease_instance")).isEqualTo(other);
    }
  }

  @Test
  void anEngineWhoseLockConnectionIsCutTakesTheSameLockAgainAndGoesOn() {
    int number = server.instance();
    Object pid = db.one("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = ?::bigint::oid "
        + "AND objid = ?::bigint::oid AND objsubid = 2 AND granted", InstanceLock.LOCK_CLASS, number).get("pid");
    assertThat(db.one("SELECT pg_terminate_backend(?)", pid).values()).containsExactly(true);

    Object again = Poll.until(Duration.ofSeconds(20), "the lock taken again by a new session", () -> {
      Map<String, Object> holder = db.one("SELECT pid FROM pg_locks WHERE locktype = 'advisory' "
          + "AND classid = ?::bigint::oid AND objid = ?::bigint::oid AND objsubid = 2 AND granted",
          InstanceLock.LOCK_CLASS, number);
      return holder != null && !pid.equals(holder.get("pid")) ? holder.get("pid") : null;
    });
    assertThat(again).isNotEqualTo(pid);
    assertThat(server.instance()).as("the same number: jobs it still runs are alive again").isEqualTo(number);
    Poll.until(Duration.ofSeconds(10), "ready again", () -> server.management().get("/ready", null).status() == 200);
    String name = "after_" + UUID.randomUUID().toString().substring(0, 8);
    server.register(name, null);
    Poll.until(Duration.ofSeconds(20), "a registration after the cut is done", () -> db.one("SELECT 1 FROM "
        + "automation_jobs j JOIN users u ON u.id = j.user_id WHERE u.username = ? AND j.status = 'succeeded'", name));
  }

  /**
   * The store's statements on their own (no engine running on this database): a claim by an instance whose lock no
   * session holds stamps nothing; with the lock held it claims; once the holder's session ends, another instance's
   * sweep makes the job due at once.
   */
  @Test
  void aClaimWithoutTheClaimersLockTakesNothingAndADeadHoldersLeaseEndsAtOnce() throws Exception {
    String pgUrl = TestPg.newDatabase();
    Vertx vertx = Vertx.vertx();
    Database database = Database.open(AppConfig.from(new JsonObject().put("PG_URL", pgUrl)));
    try {
      database.migrate();
      JobStore store = new JobStore(database.pool(vertx));
      Db bare = new Db(pgUrl);
      bare.update("WITH u AS (INSERT INTO users (username, email, password_hash, role) VALUES ('bare_user', "
          + "'bare@example.com', 'x', 'customer') RETURNING id, created_at) "
          + "INSERT INTO automation_jobs (user_id, registered_at) SELECT id, created_at FROM u");
      int mine = unusedInstanceNumber(bare);
      int survivor = unusedInstanceNumber(bare);

      assertThat(await(store.claim("without its lock", mine, 60, 10))).as("not held: nothing stamped").isEmpty();
      assertThat(bare.one("SELECT status FROM automation_jobs").get("status")).isEqualTo("pending");

      try (Connection holder = TestPg.jdbc(pgUrl)) {
        holder.createStatement().execute("SELECT pg_advisory_lock(" + InstanceLock.LOCK_CLASS + ", " + mine + ")");
        List<ClaimedJob> claimed = await(store.claim("with its lock", mine, 60, 10));
        assertThat(claimed).hasSize(1);
        assertThat(await(store.endDeadLeases(survivor))).as("its holder lives").isEmpty();
      }
      // the holder's session ends (a moment after the close): its job is due now, though its lease has a minute to run
      assertThat(Poll.until(Duration.ofSeconds(10), "the holder's session ended", () -> {
        Map<Integer, Integer> freed = await(store.endDeadLeases(survivor));
        return freed.isEmpty() ? null : freed;
      })).containsExactly(Map.entry(mine, 1));
      Map<String, Object> job = bare.one("SELECT status, next_run_at <= now() AS due FROM automation_jobs");
      assertThat(job.get("due")).isEqualTo(true);
      assertThat(job.get("status")).isEqualTo("running");
      try (Connection survivorProcess = TestPg.jdbc(pgUrl)) {
        survivorProcess.createStatement().execute("SELECT pg_advisory_lock(" + InstanceLock.LOCK_CLASS + ", "
            + survivor + ")");
        assertThat(await(store.claim("the survivor", survivor, 60, 10))).hasSize(1);
      }
      assertThat(bare.one("SELECT lease_instance, attempts FROM automation_jobs").values())
          .containsExactly(survivor, 2);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      database.close();
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
