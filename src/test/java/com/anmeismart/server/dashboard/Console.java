package com.anmeismart.server.dashboard;

import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/** What the console tests share: staff accounts made through the admin API, waiting for jobs, a closed port. */
final class Console {

  static final String PASSWORD = "staff-password";

  private Console() {
  }

  /** A staff account (made through the admin API) and its bearer token. */
  record Staff(String id, String username, String token) {
  }

  static Staff staff(TestApp server, String adminToken, String role) {
    String username = role + "_" + UUID.randomUUID().toString().substring(0, 8);
    Http.Res res = server.http.post("/api/v1/admin/users", new JsonObject().put("username", username)
        .put("email", username + "@clinic.example").put("password", PASSWORD).put("role", role)
        .put("full_name", "测试" + role), adminToken);
    if (res.status() != 201) {
      throw new IllegalStateException("staff create failed: " + res.status() + " " + res.body());
    }
    return new Staff(res.json().getString("id"), username, server.login(username, PASSWORD));
  }

  static Map<String, Object> awaitJob(Db db, UUID userId, String status) {
    return Poll.until(Duration.ofSeconds(20), "job of " + userId + " " + status, () ->
        db.one("SELECT * FROM automation_jobs WHERE user_id = ? AND status = ?", userId, status));
  }

  /** A loopback port nothing listens on (it was free a moment ago): connections to it are refused. */
  static int closedPort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
