package com.anmeismart.server.api;

import com.anmeismart.server.testing.ErrorShape;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code Idempotency-Key} on {@code POST /auth/register} over real HTTP on a real PostgreSQL: a client that lost the
 * answer retries and gets the account it created, never a second account nor a 409 for its own.
 */
class IdempotencyKeyIT {

  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  static TestApp server;

  @BeforeAll
  static void start() {
    server = TestApp.start(null);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void aRetryWithTheSameKeyAndBodyGetsTheAccountTheFirstCreated() throws Exception {
    String name = unique("idem_");
    JsonObject body = customer(name);
    String key = UUID.randomUUID().toString();
    HttpResponse<String> first = register(body, key);
    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();

    // the same body with its fields in another order, the key as the draft's sf-string
    JsonObject reordered = new JsonObject().put("password", body.getString("password"))
        .put("interests", body.getJsonArray("interests")).put("email", body.getString("email"))
        .put("username", name);
    HttpResponse<String> retry = register(reordered, "\"" + key + "\"");
    assertThat(retry.statusCode()).isEqualTo(201);
    assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(new JsonObject(retry.body()).getString("id")).isEqualTo(new JsonObject(first.body()).getString("id"));
    assertThat(new JsonObject(retry.body()).fieldNames()).doesNotContain("password", "password_hash");
    assertThat(count("SELECT count(*) FROM users WHERE username = ?", name)).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM automation_jobs j JOIN users u ON u.id = j.user_id WHERE u.username = ?",
        name)).as("one job: the retry started no second automation").isEqualTo(1);

    // without a key, the same body is a second registration of a taken name, as before
    HttpResponse<String> again = register(body, null);
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(ErrorShape.check(again.statusCode(), again.body(), "no key").getString("code"))
        .isEqualTo("username_taken");
  }

  @Test
  void theSameKeyWithAnotherBodyIs422AndCreatesNothing() throws Exception {
    String key = UUID.randomUUID().toString();
    String name = unique("idem_");
    assertThat(register(customer(name), key).statusCode()).isEqualTo(201);
    String other = unique("idem_");
    HttpResponse<String> reused = register(customer(other), key);
    assertThat(reused.statusCode()).isEqualTo(422);
    assertThat(ErrorShape.check(reused.statusCode(), reused.body(), "reused").getString("code"))
        .isEqualTo("idempotency_key_reused");
    assertThat(new JsonObject(reused.body()).getJsonObject("error").getString("message_zh")).contains("Idempotency-Key");
    // a changed password is another body too (the fingerprint covers it, keyed, never stored in clear)
    HttpResponse<String> otherPassword = register(customer(name).put("password", "another-password"), key);
    assertThat(otherPassword.statusCode()).isEqualTo(422);
    assertThat(count("SELECT count(*) FROM users WHERE username = ?", other)).isZero();
    assertThat(count("SELECT count(*) FROM idempotency_keys WHERE key = ? AND fingerprint ~ '^[0-9a-f]{64}$'", key))
        .as("one row, the body kept as a 32-byte HMAC only").isEqualTo(1);
  }

  @Test
  void twoRequestsWithOneKeyAtOnceMakeOneAccount() throws Exception {
    String name = unique("idem_");
    String key = UUID.randomUUID().toString();
    List<CompletableFuture<HttpResponse<String>>> both = List.of(registerAsync(customer(name), key),
        registerAsync(customer(name), key));
    List<HttpResponse<String>> answers = both.stream().map(CompletableFuture::join).toList();
    assertThat(answers).extracting(HttpResponse::statusCode).containsOnly(201);
    assertThat(answers).extracting(r -> new JsonObject(r.body()).getString("id")).containsOnly(
        new JsonObject(answers.get(0).body()).getString("id"));
    assertThat(count("SELECT count(*) FROM users WHERE username = ?", name)).isEqualTo(1);
  }

  @Test
  void anExpiredKeyIsForgotten() throws Exception {
    String key = UUID.randomUUID().toString();
    assertThat(register(customer(unique("idem_")), key).statusCode()).isEqualTo(201);
    try (Connection c = server.jdbc();
         PreparedStatement ps = c.prepareStatement("UPDATE idempotency_keys SET expires_at = now() - interval '1 second' "
             + "WHERE key = ?")) {
      ps.setString(1, key);
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }
    String next = unique("idem_");
    HttpResponse<String> reused = register(customer(next), key);
    assertThat(reused.statusCode()).as("after 24 h the key names a new request").isEqualTo(201);
    assertThat(reused.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(count("SELECT count(*) FROM idempotency_keys WHERE key = ?", key)).isEqualTo(1);
  }

  @Test
  void aKeyThatIsNotVisibleAsciiOrTooLongIs400() throws Exception {
    for (String bad : List.of("", "\"\"", "x".repeat(256), "two words")) {
      HttpResponse<String> res = register(customer(unique("idem_")), bad);
      assertThat(res.statusCode()).as("key '%s'", bad).isEqualTo(400);
      assertThat(ErrorShape.check(res.statusCode(), res.body(), bad).getString("code"))
          .isEqualTo("validation_failed");
      assertThat(new JsonObject(res.body()).getJsonObject("error").getJsonObject("details_zh")
          .getString("Idempotency-Key")).contains("ASCII");
    }
  }

  private static String unique(String prefix) {
    return prefix + UUID.randomUUID().toString().substring(0, 8);
  }

  private static JsonObject customer(String username) {
    return new JsonObject().put("username", username).put("email", username + "@example.com")
        .put("password", "correct-horse").put("interests", new JsonArray().add("补水"));
  }

  private static HttpResponse<String> register(JsonObject body, String key) {
    return registerAsync(body, key).join();
  }

  private static CompletableFuture<HttpResponse<String>> registerAsync(JsonObject body, String key) {
    HttpRequest.Builder b = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.port("HTTP_PORT") + "/api/v1/auth/register"))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (key != null) {
      b.header("Idempotency-Key", key);
    }
    return CLIENT.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static long count(String sql, String arg) throws Exception {
    try (Connection c = server.jdbc(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, arg);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
