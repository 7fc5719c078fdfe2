package com.anmeismart.server.db;

import com.anmeismart.server.App;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The default mode: no PG_URL, embedded PostgreSQL in DATA_DIR, and everything still there after a restart. */
class EmbeddedRestartIT {

  @Test
  void usersAndLocalSecretsSurviveARestart() throws Exception {
    Path dataDir = Files.createTempDirectory("anmei-embedded");
    JsonObject conf = TestApp.defaults(dataDir);
    conf.remove("JWT_SECRET");
    conf.remove("SECRETS_KEY"); // generated into DATA_DIR on first start

    App first = App.start(null, conf).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    String token;
    try {
      assertThat(first.context().database().isEmbedded()).isTrue();
      Http http = new Http("http://127.0.0.1:" + first.port("HTTP_PORT"));
      JsonObject body = new JsonObject().put("username", "持久_user").put("email", "persist@example.com")
          .put("password", "survives-restart");
      assertThat(http.post("/api/v1/auth/register", body, null).status()).isEqualTo(201);
      token = http.post("/api/v1/auth/login", new JsonObject().put("username_or_email", "persist@example.com")
          .put("password", "survives-restart"), null).json().getString("access_token");
    } finally {
      first.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
    assertThat(dataDir.resolve("pg").resolve("PG_VERSION")).exists();
    assertThat(dataDir.resolve("secrets.json")).exists();

    App second = App.start(null, conf).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    try {
      Http http = new Http("http://127.0.0.1:" + second.port("HTTP_PORT"));
      assertThat(http.get("/api/v1/auth/me", token).json().getString("username"))
          .as("the token signed before the restart still verifies: the generated JWT secret was kept")
          .isEqualTo("持久_user");
      assertThat(http.post("/api/v1/auth/login", new JsonObject().put("username_or_email", "持久_user")
          .put("password", "survives-restart"), null).status()).isEqualTo(200);
      assertThat(http.post("/api/v1/auth/register", new JsonObject().put("username", "持久_USER")
          .put("email", "new@example.com").put("password", "survives-restart"), null).status()).isEqualTo(409);
    } finally {
      second.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void aSecondServerOnTheSameDataDirIsRefused() throws Exception {
    Path dataDir = Files.createTempDirectory("anmei-embedded-lock");
    JsonObject conf = TestApp.defaults(dataDir);
    App first = App.start(null, conf).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    try {
      var second = App.start(null, conf).toCompletionStage().toCompletableFuture();
      assertThat(second).failsWithin(60, TimeUnit.SECONDS).withThrowableThat()
          .withMessageContaining("in use by another server process");
      // and the first one is unharmed
      Http http = new Http("http://127.0.0.1:" + first.port("HTTP_PORT"));
      assertThat(http.post("/api/v1/auth/login", new JsonObject().put("username_or_email", TestApp.ADMIN)
          .put("password", TestApp.ADMIN_PASSWORD), null).status()).isEqualTo(200);
    } finally {
      first.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }
}
