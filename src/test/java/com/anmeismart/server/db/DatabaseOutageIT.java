package com.anmeismart.server.db;

import com.anmeismart.server.testing.ErrorShape;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL stops and comes back under a running server (issue #10 point 5: requests got 500 while it
 * restarted). A PostgreSQL of its own for this test, on a fixed port and data directory, so it can be stopped and
 * started again as an operator's restart would. While it is down every request that needs it gets 503 with
 * {@code Retry-After} in the error shape; once it is back the same requests succeed, with no restart of the server.
 */
class DatabaseOutageIT {

  static EmbeddedPostgres startPg(Path dir, int port) throws IOException {
    return EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(false).setPort(port)
        .setServerConfig("synchronous_commit", "on").start();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void requestsGet503WithRetryAfterWhileThePostgresIsDownAndWorkWhenItIsBack() throws Exception {
    Path dir = Files.createTempDirectory("anmei-outage-pg");
    int port = freePort();
    EmbeddedPostgres pg = startPg(dir, port);
    TestApp server = null;
    try {
      server = TestApp.start("postgresql://postgres@localhost:" + port + "/postgres", null);
      Http http = server.http;
      String admin = server.adminToken();
      String customer = server.register("outage_before", null).getString("username");
      JsonObject login = new JsonObject().put("username_or_email", customer).put("password", "correct-horse");

      pg.close(); // a fast shutdown: sessions terminated (57P01), then connections refused
      Http.Res down = Poll.until(Duration.ofSeconds(15), "a 503 while PostgreSQL is down", () -> {
        Http.Res r = http.post("/api/v1/auth/login", login, null);
        return r.status() == 503 ? r : null;
      });
      assertOutage(down, "login");
      assertOutage(http.post("/api/v1/auth/register", new JsonObject().put("username", "outage_during")
          .put("email", "during@example.com").put("password", "correct-horse"), null), "register");
      assertOutage(http.get("/api/v1/auth/me", admin), "me");
      assertOutage(http.get("/api/v1/admin/users", admin), "staff list");
      assertOutage(http.get("/api/v1/admin/registration-automation/settings", admin), "settings");

      pg = startPg(dir, port);
      Http.Res back = Poll.until(Duration.ofSeconds(30), "login once PostgreSQL is back", () -> {
        Http.Res r = http.post("/api/v1/auth/login", login, null);
        return r.status() == 200 ? r : null;
      });
      assertThat(back.json().getString("access_token")).isNotBlank();
      assertThat(server.register("outage_after", null).getString("username")).isEqualTo("outage_after");
      final TestApp running = server;
      Poll.until(Duration.ofSeconds(15), "/ready UP", () -> running.management().get("/ready", null).status() == 200);
    } finally {
      if (server != null) {
        server.close();
      }
      pg.close();
    }
  }

  private static void assertOutage(Http.Res res, String what) {
    assertThat(res.status()).as("%s: %s", what, res.body()).isEqualTo(503);
    assertThat(res.headers().firstValue("Retry-After")).as(what).hasValue("5");
    assertThat(ErrorShape.check(res.status(), res.body(), what).getString("code")).isEqualTo("service_unavailable");
  }
}
