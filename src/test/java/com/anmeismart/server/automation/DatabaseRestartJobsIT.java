package com.anmeismart.server.automation;

import com.anmeismart.server.testing.JarProcess;
import com.anmeismart.server.testing.LogCapture;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A job mid-way when PostgreSQL restarts (found by {@code bench/chaos.sh pg-restart}): its step fails with the
 * outage, and so does the record of that failure, so the job stays leased to this live server. It used to wait for
 * its lease to end (a minute by default) before anyone ran it again; now the engine hands it back as soon as the
 * database answers. A PostgreSQL of its own, stopped and started again as an operator's restart would.
 */
class DatabaseRestartJobsIT {

  private static EmbeddedPostgres startPg(Path dir, int port) throws IOException {
    return EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(false).setPort(port)
        .setServerConfig("synchronous_commit", "on").start();
  }

  @Test
  void aJobCutOffByADatabaseRestartFinishesOnceItIsBackNotWhenItsLeaseEnds() throws Exception {
    Path dir = Files.createTempDirectory("anmei-restart-pg");
    int port = JarProcess.freePort();
    EmbeddedPostgres pg = startPg(dir, port);
    String jdbc = "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
    // a lease far longer than the test: only the hand-back can finish the job in time
    try (LogCapture log = LogCapture.capture(); TestApp server = TestApp.start("postgresql://postgres@localhost:" + port + "/postgres",
        new JsonObject().put("AUTOMATION_LEASE_SECONDS", "600"))) {
      String admin = server.adminToken();
      assertThat(server.http.put("/api/v1/admin/registration-automation/settings",
          new JsonObject().put("welcome_use_agent", false), admin).status()).isEqualTo(200);

      // the welcome can't be stored while this lock is held: the job waits inside welcome_sent
      Connection hold = DriverManager.getConnection(jdbc); // closed by the shutdown below
      hold.setAutoCommit(false);
      hold.createStatement().execute("LOCK TABLE messages IN SHARE ROW EXCLUSIVE MODE");
      String user = server.register("restart_midway", null).getString("id");
      Poll.until(Duration.ofSeconds(30), "the job waiting to store its welcome", () ->
          "welcome_generated".equals(job(jdbc, user, "last_step")));
      String jobId = job(jdbc, user, "id");

      pg.close(); // fast shutdown: the waiting step fails (57P01), recording the failure finds no database
      Poll.until(Duration.ofSeconds(15), "the engine failing to record the job's outcome", () -> !log.events(e ->
          e.getFormattedMessage().contains("job " + jobId + " could not record its outcome")).isEmpty());
      pg = startPg(dir, port);
      Instant back = Instant.now();

      Poll.until(Duration.ofSeconds(60), "the job finished", () -> "succeeded".equals(job(jdbc, user, "status")));
      assertThat(Duration.between(back, Instant.now())).as("well before the 600 s lease")
          .isLessThan(Duration.ofSeconds(60));
      try (Connection c = DriverManager.getConnection(jdbc); Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT count(*) FROM messages m JOIN conversations c "
               + "ON c.id = m.conversation_id WHERE c.customer_id = '" + user + "' AND m.kind = 'welcome'")) {
        rs.next();
        assertThat(rs.getInt(1)).as("one welcome").isEqualTo(1);
      }
      assertThat(job(jdbc, user, "attempts")).as("the outage did not count as an attempt").isEqualTo("1");
    } finally {
      pg.close();
    }
  }

  private static String job(String jdbc, String userId, String column) throws Exception {
    try (Connection c = DriverManager.getConnection(jdbc); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT " + column + "::text FROM automation_jobs WHERE user_id = '"
             + userId + "'")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }
}
