package com.anmeismart.server.automation;

import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import com.anmeismart.server.testing.TestPg;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server process is killed (SIGKILL, no shutdown hook) in the middle of a job; a new server on the same
 * database finishes the job once its lease ends, without a second conversation or welcome.
 */
class CrashRecoveryIT {

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void aKilledServersJobIsFinishedOnceByTheNextOne() throws Exception {
    String pgUrl = TestPg.newDatabase();
    Db db = new Db(pgUrl);
    int httpPort = freePort();
    int mgmtPort = freePort();
    Path log = Files.createTempFile("crash", ".log");
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        System.getProperty("app.jar", "target/anmeismart-server.jar"))
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(Map.of("PG_URL", pgUrl, "DATA_DIR", Files.createTempDirectory("crash").toString(),
        "HTTP_PORT", String.valueOf(httpPort), "MANAGEMENT_PORT", String.valueOf(mgmtPort), "MCP_PORT", "0",
        "LOCAL_AGENT_PORT", "0", "AUTOMATION_LEASE_SECONDS", "2", "AUTH_RATE_LIMIT_PER_MINUTE", "1000"));
    Process server = pb.start();
    UUID userId;
    try {
      Http mgmt = new Http("http://127.0.0.1:" + mgmtPort);
      Poll.until(Duration.ofSeconds(90), "server ready", () -> server.isAlive() && mgmt.get("/ready", null).status() == 200);

      try (Connection lock = TestPg.jdbc(pgUrl)) {
        // welcome messages can't be written: the job stops inside welcome_sent, after two finished steps
        lock.setAutoCommit(false);
        lock.createStatement().execute("LOCK TABLE messages IN SHARE ROW EXCLUSIVE MODE");
        Http.Res reg = new Http("http://127.0.0.1:" + httpPort).post("/api/v1/auth/register", new JsonObject()
            .put("username", "crash_user").put("email", "crash@example.com").put("password", "correct-horse"), null);
        assertThat(reg.status()).isEqualTo(201);
        userId = UUID.fromString(reg.json().getString("id"));
        Poll.until(Duration.ofSeconds(20), "job inside welcome_sent", () -> db.one("SELECT 1 FROM automation_jobs "
            + "WHERE user_id = ? AND status = 'running' AND last_step = 'welcome_generated'", userId));

        server.destroyForcibly();
        assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
        lock.rollback();
      }
    } finally {
      server.destroyForcibly();
    }
    assertThat(db.one("SELECT status FROM automation_jobs WHERE user_id = ?", userId).get("status"))
        .as("the dead server's job is still leased").isEqualTo("running");

    try (TestApp next = TestApp.start(pgUrl, new JsonObject().put("AUTOMATION_LEASE_SECONDS", "2"))) {
      Map<String, Object> job = Poll.until(Duration.ofSeconds(30), "job finished by the new server", () ->
          db.one("SELECT * FROM automation_jobs WHERE user_id = ? AND status = 'succeeded'", userId));
      assertThat(job.get("attempts")).as("claimed again after the lease ended").isEqualTo(2);
      assertThat(db.count("SELECT count(*) FROM conversations WHERE customer_id = ?", userId)).isEqualTo(1);
      assertThat(db.count("SELECT count(*) FROM messages WHERE conversation_id = ?", job.get("conversation_id")))
          .isEqualTo(1);
      List<Map<String, Object>> steps = db.rows("SELECT step FROM automation_job_steps WHERE job_id = ? AND success "
          + "ORDER BY id", job.get("id"));
      assertThat(steps).extracting(s -> s.get("step"))
          .containsExactly("conversation_created", "welcome_generated", "welcome_sent", "consultants_notified");
    }
  }
}
