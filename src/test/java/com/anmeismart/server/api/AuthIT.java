package com.anmeismart.server.api;

import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Arrays;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Accounts over real HTTP on a real PostgreSQL: the journey, and every class of bad input. */
class AuthIT {

  static TestApp server;
  static Http http;

  @BeforeAll
  static void start() {
    server = TestApp.start(null);
    http = server.http;
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static String unique(String prefix) {
    return prefix + UUID.randomUUID().toString().substring(0, 8);
  }

  static JsonObject customer(String username) {
    return new JsonObject().put("username", username).put("email", username + "@example.com")
        .put("password", "correct-horse");
  }

  @Test
  void registerLoginMe() {
    String name = unique("amy_");
    JsonObject body = customer(name).put("full_name", "Amy Li").put("phone", "+86 138-0013-8000")
        .put("gender", "female").put("birth_date", "1996-05-17").put("interests", new JsonArray().add("补水").add("光子嫩肤"))
        .put("source", "wechat").put("role", "admin").put("unknown_field", 42);
    Http.Res reg = http.post("/api/v1/auth/register", body, null);
    assertThat(reg.status()).isEqualTo(201);
    JsonObject user = reg.json();
    assertThat(user.getString("username")).isEqualTo(name);
    assertThat(user.getString("role")).as("registration makes customers only").isEqualTo("customer");
    assertThat(user.getJsonArray("interests")).containsExactly("补水", "光子嫩肤");
    assertThat(user.getString("birth_date")).isEqualTo("1996-05-17");
    assertThat(user.fieldNames()).doesNotContain("password", "password_hash", "unknown_field");

    Http.Res login = http.post("/api/v1/auth/login",
        new JsonObject().put("username_or_email", name.toUpperCase() + "@EXAMPLE.COM").put("password", "correct-horse"), null);
    assertThat(login.status()).isEqualTo(200);
    assertThat(login.json().getString("token_type")).isEqualTo("bearer");
    assertThat(login.json().getInteger("expires_in")).isPositive();
    assertThat(login.json().getJsonObject("user").getString("id")).isEqualTo(user.getString("id"));

    Http.Res me = http.get("/api/v1/auth/me", login.json().getString("access_token"));
    assertThat(me.status()).isEqualTo(200);
    assertThat(me.json().getString("id")).isEqualTo(user.getString("id"));
    assertThat(me.json().getString("email")).isEqualTo(name + "@example.com");
  }

  @Test
  void passwordIsStoredAsArgon2idHash() throws Exception {
    String name = unique("hash_");
    assertThat(http.post("/api/v1/auth/register", customer(name), null).status()).isEqualTo(201);
    try (Connection c = server.jdbc();
         PreparedStatement ps = c.prepareStatement("SELECT password_hash FROM users WHERE username = ?")) {
      ps.setString(1, name);
      ResultSet rs = ps.executeQuery();
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).startsWith("$argon2id$v=19$m=19456,t=2,p=1$").doesNotContain("correct-horse");
    }
  }

  @Test
  void missingAndMalformedFieldsAreNamed() {
    Http.Res res = http.post("/api/v1/auth/register", new JsonObject().put("username", "ab").put("phone", "call me")
        .put("gender", "robot").put("interests", new JsonArray().add("")).put("source", "bad source!"), null);
    assertThat(res.status()).isEqualTo(400);
    assertThat(res.errorCode()).isEqualTo("validation_failed");
    assertThat(res.errorDetails().fieldNames())
        .containsExactlyInAnyOrder("username", "email", "password", "phone", "gender", "interests", "source");
    assertThat(res.errorDetails().getString("email")).isEqualTo("is required");
  }

  @Test
  void eachFieldRuleIsEnforced() {
    assertField("username", customer("x").put("username", "ab"));
    assertField("username", customer("x").put("username", "a".repeat(33)));
    assertField("username", customer("x").put("username", "bad name"));
    assertField("username", customer("x").put("username", "semi;colon"));
    assertField("email", customer(unique("e_")).put("email", "not-an-email"));
    assertField("password", customer(unique("p_")).put("password", "short"));
    assertField("phone", customer(unique("ph_")).put("phone", "12"));
    assertField("birth_date", customer(unique("b_")).put("birth_date", "1999-02-30"));
    assertField("birth_date", customer(unique("b_")).put("birth_date", "2999-01-01"));
    assertField("birth_date", customer(unique("b_")).put("birth_date", "17/05/1996"));
    JsonArray tooMany = new JsonArray();
    for (int i = 0; i < 21; i++) {
      tooMany.add("i" + i);
    }
    assertField("interests", customer(unique("i_")).put("interests", tooMany));
    assertField("interests", customer(unique("i_")).put("interests", new JsonArray().add("x".repeat(33))));
    assertField("interests", customer(unique("i_")).put("interests", new JsonArray().add(7)));
    assertField("username", customer("x").put("username", 12345));
  }

  private static void assertField(String field, JsonObject body) {
    Http.Res res = http.post("/api/v1/auth/register", body, null);
    assertThat(res.status()).as(field + " in " + body.encode()).isEqualTo(400);
    assertThat(res.errorCode()).isEqualTo("validation_failed");
    assertThat(res.errorDetails().containsKey(field)).as(res.body()).isTrue();
  }

  @Test
  void boundaryValuesAreAccepted() {
    String name = "u" + UUID.randomUUID().toString().replace("-", "").substring(0, 31); // 32 chars
    JsonArray twenty = new JsonArray();
    for (int i = 0; i < 20; i++) {
      twenty.add("x".repeat(32 - String.valueOf(i).length()) + i);
    }
    Http.Res res = http.post("/api/v1/auth/register", customer(name).put("password", "12345678").put("interests", twenty),
        null);
    assertThat(res.status()).as(res.body()).isEqualTo(201);
    assertThat(res.json().getJsonArray("interests")).hasSize(20);
  }

  @Test
  void nullOptionalFieldsCountAsAbsent() {
    Http.Res res = http.post("/api/v1/auth/register", customer(unique("nul_")).putNull("phone").putNull("interests")
        .putNull("birth_date"), null);
    assertThat(res.status()).as(res.body()).isEqualTo(201);
    assertThat(res.json().getString("phone")).isNull();
    Http.Res missing = http.post("/api/v1/auth/register", customer(unique("nul_")).putNull("password"), null);
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.errorDetails().getString("password")).isEqualTo("is required");
  }

  @Test
  void duplicatesAreConflictsWhateverTheCase() {
    String name = unique("Dup_");
    assertThat(http.post("/api/v1/auth/register", customer(name), null).status()).isEqualTo(201);

    Http.Res sameName = http.post("/api/v1/auth/register",
        customer(name.toLowerCase()).put("email", unique("other_") + "@example.com"), null);
    assertThat(sameName.status()).isEqualTo(409);
    assertThat(sameName.errorCode()).isEqualTo("username_taken");
    assertThat(sameName.errorDetails().containsKey("username")).isTrue();

    Http.Res sameEmail = http.post("/api/v1/auth/register",
        customer(unique("other_")).put("email", name.toUpperCase() + "@EXAMPLE.com"), null);
    assertThat(sameEmail.status()).isEqualTo(409);
    assertThat(sameEmail.errorCode()).isEqualTo("email_taken");
  }

  @Test
  void wrongPasswordAndUnknownUserLookTheSame() {
    String name = unique("pw_");
    http.post("/api/v1/auth/register", customer(name), null);
    Http.Res wrong = http.post("/api/v1/auth/login",
        new JsonObject().put("username_or_email", name).put("password", "wrong-password"), null);
    Http.Res unknown = http.post("/api/v1/auth/login",
        new JsonObject().put("username_or_email", unique("ghost_")).put("password", "wrong-password"), null);
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(unknown.status()).isEqualTo(401);
    assertThat(wrong.body()).isEqualTo(unknown.body());
    assertThat(wrong.errorCode()).isEqualTo("invalid_credentials");
  }

  @Test
  void sqlMetacharactersAndCjkAreStoredVerbatim() throws Exception {
    String name = "drop--table." + UUID.randomUUID().toString().substring(0, 4);
    String fullName = "Robert'); DROP TABLE users;-- 王小明";
    JsonArray interests = new JsonArray().add("玻尿酸' OR '1'='1").add("\"quoted\" \\ back").add("emoji 😀");
    Http.Res res = http.post("/api/v1/auth/register", customer("tmp").put("username", name)
        .put("email", "o'brien+" + UUID.randomUUID().toString().substring(0, 4) + "@example.com")
        .put("full_name", fullName).put("interests", interests), null);
    assertThat(res.status()).as(res.body()).isEqualTo(201);

    String cjk = "王小明" + UUID.randomUUID().toString().substring(0, 3);
    assertThat(http.post("/api/v1/auth/register", customer("tmp").put("username", cjk)
        .put("email", unique("cjk") + "@example.com"), null).status()).isEqualTo(201);

    try (Connection c = server.jdbc();
         PreparedStatement ps = c.prepareStatement("SELECT full_name, interests FROM users WHERE username = ?")) {
      ps.setString(1, name);
      ResultSet rs = ps.executeQuery();
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo(fullName);
      assertThat(Arrays.asList((String[]) rs.getArray(2).getArray())).containsExactlyElementsOf(interests.getList());
      ps.setString(1, cjk);
      assertThat(ps.executeQuery().next()).isTrue();
    }
    String token = server.login(cjk, "correct-horse");
    assertThat(http.get("/api/v1/auth/me", token).json().getString("username")).isEqualTo(cjk);
  }

  @Test
  void bodyOver64KibIsRefusedWith413() {
    JsonObject body = customer(unique("big_")).put("full_name", "x".repeat(70_000));
    Http.Res res = http.post("/api/v1/auth/register", body, null);
    assertThat(res.status()).isEqualTo(413);
    assertThat(res.errorCode()).isEqualTo("payload_too_large");
  }

  @Test
  void nonJsonIsRefused() {
    Http.Res text = http.raw("POST", "/api/v1/auth/register", "text/plain",
        "username=a".getBytes(StandardCharsets.UTF_8), null);
    assertThat(text.status()).isEqualTo(415);
    assertThat(text.errorCode()).isEqualTo("unsupported_media_type");

    Http.Res broken = http.raw("POST", "/api/v1/auth/register", "application/json",
        "{\"username\": ".getBytes(StandardCharsets.UTF_8), null);
    assertThat(broken.status()).isEqualTo(400);
    assertThat(broken.errorCode()).isEqualTo("invalid_json");

    Http.Res array = http.raw("POST", "/api/v1/auth/login", "application/json",
        "[1,2]".getBytes(StandardCharsets.UTF_8), null);
    assertThat(array.status()).isEqualTo(400);
    assertThat(array.errorCode()).isEqualTo("invalid_json");

    Http.Res empty = http.raw("POST", "/api/v1/auth/login", "application/json", new byte[0], null);
    assertThat(empty.status()).isEqualTo(400);
  }

  @Test
  void unknownRoutesAndMethodsUseTheErrorShape() {
    Http.Res missing = http.get("/api/v1/nothing-here", null);
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.errorCode()).isEqualTo("not_found");
    Http.Res method = http.delete("/api/v1/auth/login", null);
    assertThat(method.status()).isEqualTo(405);
    assertThat(method.errorCode()).isEqualTo("method_not_allowed");
  }

  @Test
  void meNeedsAToken() {
    Http.Res res = http.get("/api/v1/auth/me", null);
    assertThat(res.status()).isEqualTo(401);
    assertThat(res.errorCode()).isEqualTo("unauthorized");
    assertThat(res.headers().firstValue("WWW-Authenticate")).isPresent();
  }
}
