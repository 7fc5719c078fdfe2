package com.anmeismart.server.api;

import com.anmeismart.server.testing.ErrorShape;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Registrations beyond the hashing pool's capacity: refused at once with 503 {@code server_busy} and
 * {@code Retry-After}, nothing written for them; every accepted one gets its welcome; the retries (with their
 * Idempotency-Keys) succeed once the queue has drained. The pool is one thread that lets nothing wait
 * ({@code PASSWORD_HASH_MAX_WAIT_MS=0}), so a handful of registrations at once is already beyond capacity.
 */
class OverloadIT {

  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final int AT_ONCE = 30;
  static TestApp server;

  @BeforeAll
  static void start() {
    server = TestApp.start(new JsonObject().put("PASSWORD_HASH_THREADS", "1").put("PASSWORD_HASH_MAX_WAIT_MS", "0"));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void beyondCapacityIsA503AtOnceAndEveryAcceptedRegistrationGetsItsWelcome() {
    String run = UUID.randomUUID().toString().substring(0, 6);
    List<String> names = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
    for (int i = 0; i < AT_ONCE; i++) {
      names.add("ovl_" + run + "_" + i);
      keys.add(UUID.randomUUID().toString());
      burst.add(register(names.get(i), keys.get(i)));
    }
    List<HttpResponse<String>> answers = burst.stream().map(CompletableFuture::join).toList();
    assertThat(answers).extracting(HttpResponse::statusCode).containsOnly(201, 503).contains(201, 503);

    List<UUID> accepted = new ArrayList<>();
    List<Integer> refused = new ArrayList<>();
    for (int i = 0; i < AT_ONCE; i++) {
      HttpResponse<String> res = answers.get(i);
      if (res.statusCode() == 201) {
        accepted.add(UUID.fromString(new JsonObject(res.body()).getString("id")));
        continue;
      }
      refused.add(i);
      JsonObject error = ErrorShape.check(res.statusCode(), res.body(), "refused registration " + i);
      assertThat(error.getString("code")).isEqualTo("server_busy");
      assertThat(res.headers().firstValue("Retry-After")).as("Retry-After of a refusal")
          .hasValueSatisfying(v -> assertThat(Integer.parseInt(v)).isPositive());
      assertThat(server.db().count("SELECT count(*) FROM users WHERE username = ?", names.get(i)))
          .as("nothing written for a refused registration").isZero();
    }

    for (UUID user : accepted) {
      Poll.until(Duration.ofSeconds(30), "welcome of " + user, () -> server.db().one(
          "SELECT 1 FROM messages m JOIN conversations c ON c.id = m.conversation_id "
              + "WHERE c.customer_id = ? AND m.sender_type = 'ai'", user));
    }

    // the queue drained: each refused customer's retry, with its key, is accepted (one at a time: nothing waits)
    for (int i : refused) {
      HttpResponse<String> retry = register(names.get(i), keys.get(i)).join();
      assertThat(retry.statusCode()).as("retry of %s: %s", names.get(i), retry.body()).isEqualTo(201);
      assertThat(retry.headers().firstValue("Idempotent-Replayed")).as("the refusal stored nothing").isEmpty();
    }
    assertThat(server.db().count("SELECT count(*) FROM users WHERE username LIKE ?", "ovl_" + run + "_%"))
        .isEqualTo(AT_ONCE);
  }

  private static CompletableFuture<HttpResponse<String>> register(String username, String key) {
    JsonObject body = new JsonObject().put("username", username).put("email", username + "@example.com")
        .put("password", "correct-horse");
    return CLIENT.sendAsync(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.port("HTTP_PORT") + "/api/v1/auth/register"))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json").header("Idempotency-Key", key)
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
  }
}
