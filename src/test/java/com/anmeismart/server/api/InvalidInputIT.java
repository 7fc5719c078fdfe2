package com.anmeismart.server.api;

import com.anmeismart.server.testing.ErrorShape;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.RawHttp;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exact inputs of issue #10 point 5, each of which was a 500, a leak or silently corrupted data: NUL and
 * unpaired surrogates in every JSON endpoint that stores text, a form body with a bad {@code %}-escape, bad
 * percent-encodings in the path, a request line too long, headers too large, a request Netty can't parse. Each now
 * gets a 4xx in the one JSON shape (with {@code message_zh}), names the field where there is one, and stores nothing.
 */
class InvalidInputIT {

  static TestApp server;
  static Http http;
  static int port;
  static String admin;

  @BeforeAll
  static void start() {
    server = TestApp.start(new JsonObject().put("MCP_IDLE_TIMEOUT_SECONDS", "60"));
    http = server.http;
    port = server.port("HTTP_PORT");
    admin = server.adminToken();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static String unique(String prefix) {
    return prefix + UUID.randomUUID().toString().substring(0, 8);
  }

  /** A JSON body written as text, so it can carry escapes (NUL, a lone surrogate, written as backslash-u escapes) exactly as sent. */
  static Http.Res send(String method, String path, String json, String token) {
    return http.raw(method, path, "application/json", json.getBytes(StandardCharsets.UTF_8), token);
  }

  /** 400 validation_failed naming {@code field}, in both languages. */
  static void refusedNaming(Http.Res res, String field, String context) {
    assertThat(res.status()).as("%s: %s", context, res.body()).isEqualTo(400);
    JsonObject error = ErrorShape.check(res.status(), res.body(), context);
    assertThat(error.getString("code")).isEqualTo("validation_failed");
    assertThat(error.getJsonObject("details").fieldNames()).as(context).contains(field);
    assertThat(error.getJsonObject("details_zh").getString(field)).as(context).isNotBlank();
  }

  static String registerJson(String username, String fullName) {
    return "{\"username\":\"" + username + "\",\"email\":\"" + username + "@example.com\","
        + "\"password\":\"correct-horse\",\"full_name\":\"" + fullName + "\"}";
  }

  @Test
  void nulInRegisterAndLoginIsA400NamingTheField() {
    // before: 500 (PgException 0x00, SQLSTATE 22021) on both
    String name = unique("nul_");
    refusedNaming(send("POST", "/api/v1/auth/register", registerJson(name, "a\\u0000b"), null), "full_name",
        "register, NUL in full_name");
    refusedNaming(send("POST", "/api/v1/auth/login",
        "{\"username_or_email\":\"a\\u0000b\",\"password\":\"12345678\"}", null), "username_or_email", "login");
    assertThat(server.db().count("SELECT count(*) FROM users WHERE username = ?", name)).isZero();
  }

  @Test
  void unpairedSurrogatesAreRefusedNotStoredAsQuestionMarks() {
    // before: a high surrogate then a non-ASCII character → 500 (invalid UTF-8 reached PostgreSQL);
    // a lone surrogate → 201 with "?" stored in its place
    String a = unique("sur_");
    refusedNaming(send("POST", "/api/v1/auth/register", registerJson(a, "a\\ud800中"), null), "full_name",
        "high surrogate + 中");
    String b = unique("sur_");
    refusedNaming(send("POST", "/api/v1/auth/register", registerJson(b, "a\\ud800b"), null), "full_name",
        "lone high surrogate");
    String c = unique("sur_");
    refusedNaming(send("POST", "/api/v1/auth/register", registerJson(c, "\\udc00"), null), "full_name",
        "lone low surrogate");
    assertThat(server.db().count("SELECT count(*) FROM users WHERE username IN (?, ?, ?)", a, b, c)).isZero();
    // a proper pair (an emoji) is text like any other
    String d = unique("emoji_");
    assertThat(send("POST", "/api/v1/auth/register", registerJson(d, "小美\\ud83d\\ude00"), null).status())
        .isEqualTo(201);
    assertThat(server.db().one("SELECT full_name FROM users WHERE username = ?", d).get("full_name"))
        .isEqualTo("小美\uD83D\uDE00");
  }

  @Test
  void encodedSurrogateBytesAndInvalidUtf8AreRefused() {
    String name = unique("raw_");
    byte[] prefix = ("{\"username\":\"" + name + "\",\"email\":\"" + name + "@example.com\",\"password\":\"correct-horse\","
        + "\"full_name\":\"a").getBytes(StandardCharsets.UTF_8);
    for (byte[] bad : new byte[][] {{(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xC3, (byte) 0x28},
        {(byte) 0xFF}, {(byte) 0xC0, (byte) 0x80}}) {
      byte[] body = new byte[prefix.length + bad.length + 2];
      System.arraycopy(prefix, 0, body, 0, prefix.length);
      System.arraycopy(bad, 0, body, prefix.length, bad.length);
      body[body.length - 2] = '"';
      body[body.length - 1] = '}';
      Http.Res res = http.raw("POST", "/api/v1/auth/register", "application/json", body, null);
      assertThat(res.status()).as("bytes %s: %s", java.util.HexFormat.of().formatHex(bad), res.body()).isEqualTo(400);
      ErrorShape.check(res.status(), res.body(), "raw bytes");
    }
    assertThat(server.db().count("SELECT count(*) FROM users WHERE username = ?", name)).isZero();
  }

  @Test
  void nulAnywhereInABodyKeysAndNestedValuesIncluded() {
    String name = unique("deep_");
    // an unknown field's nested array: ignored by the schema, but still refused (nothing unstorable gets in)
    refusedNaming(send("POST", "/api/v1/auth/register", "{\"username\":\"" + name + "\",\"email\":\"" + name
        + "@example.com\",\"password\":\"correct-horse\",\"extra\":{\"list\":[1,\"x\\u0000\"]}}", null), "extra",
        "nested NUL");
    Http.Res key = send("POST", "/api/v1/auth/register", "{\"username\":\"" + name + "\",\"email\":\"" + name
        + "@example.com\",\"password\":\"correct-horse\",\"ke\\u0000y\":1}", null);
    refusedNaming(key, "ke\\u0000y", "NUL in a key");
    refusedNaming(send("POST", "/api/v1/auth/register", "{\"username\":\"" + name + "\",\"email\":\"" + name
        + "@example.com\",\"password\":\"correct-horse\",\"interests\":[\"ok\",\"b\\ud800\"]}", null), "interests",
        "surrogate in a list item");
    // a JSON array body at the top level: checked too, then refused as not an object
    Http.Res array = send("POST", "/api/v1/auth/login", "[\"\\u0000\"]", null);
    refusedNaming(array, "body", "top-level array");
  }

  @Test
  void nulInChatMessagesSettingsStaffAndDifyConfigs() {
    // chat: a customer's own conversation
    String name = unique("chat_");
    String id = server.register(name, null).getString("id");
    String token = server.login(name, "correct-horse");
    String conversation = Poll.until(Duration.ofSeconds(15), "conversation", () -> (String) server.db()
        .one("SELECT id::text AS id FROM conversations WHERE customer_id = ?::uuid", id).get("id"));
    refusedNaming(send("POST", "/api/v1/conversations/" + conversation + "/messages", "{\"content\":\"hi\\u0000\"}",
        token), "content", "chat message");
    assertThat(server.db().count("SELECT count(*) FROM messages WHERE conversation_id = ?::uuid AND sender_type = "
        + "'customer'", conversation)).isZero();

    // automation settings (before: 500, SQLSTATE 22P05 from jsonb)
    refusedNaming(send("PUT", "/api/v1/admin/registration-automation/settings",
        "{\"welcome_template\":\"您好\\u0000\"}", admin), "welcome_template", "settings");
    assertThat(http.get("/api/v1/admin/registration-automation/settings", admin).json().getString("welcome_template"))
        .doesNotContain("\u0000");

    // staff update
    String staff = http.post("/api/v1/admin/users", new JsonObject().put("username", unique("staff_"))
        .put("email", unique("s") + "@clinic.example").put("password", "staff-password").put("role", "consultant"),
        admin).json().getString("id");
    refusedNaming(send("PUT", "/api/v1/admin/users/" + staff, "{\"full_name\":\"李\\u0000\"}", admin), "full_name",
        "staff update");

    // Dify configs: create and update
    refusedNaming(send("POST", "/api/v1/dify/configs", "{\"name\":\"n\\u0000\",\"base_url\":\"http://127.0.0.1:9/v1\","
        + "\"api_key\":\"app-key\"}", admin), "name", "dify create");
    Http.Res created = http.post("/api/v1/dify/configs", new JsonObject().put("name", unique("cfg_"))
        .put("base_url", "http://127.0.0.1:9/v1").put("api_key", "app-key").put("enabled", false), admin);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    refusedNaming(send("PUT", "/api/v1/dify/configs/" + created.json().getString("id"), "{\"version\":\"v\\ud800\"}",
        admin), "version", "dify update");

    // MCP tool config_data goes to a jsonb column: a NUL in a nested key is refused before it
    String tool = http.get("/api/v1/mcp/tools", admin).json().getJsonArray("items").getJsonObject(0).getString("id");
    refusedNaming(send("PUT", "/api/v1/mcp/tools/" + tool, "{\"config_data\":{\"k\\u0000\":1}}", admin),
        "config_data", "tool config");
  }

  @Test
  void aQueryParameterWithNulIsA400NamingIt() {
    Http.Res res = http.get("/api/v1/admin/users?role=%00", admin);
    assertThat(res.status()).isEqualTo(400);
    JsonObject error = ErrorShape.check(res.status(), res.body(), "query NUL");
    assertThat(error.getString("code")).isEqualTo("invalid_parameter");
    assertThat(error.getJsonObject("details_zh").getString("role")).isNotBlank();
    // before: the endpoint value reached a DELETE … WHERE endpoint = $1
    String consultant = http.post("/api/v1/admin/users", new JsonObject().put("username", unique("pc_"))
        .put("email", unique("pc") + "@clinic.example").put("password", "staff-password").put("role", "consultant"),
        admin).json().getString("username");
    Http.Res push = http.delete("/api/v1/push/subscriptions?endpoint=https%3A%2F%2Fp%00", server.login(consultant,
        "staff-password"));
    assertThat(push.status()).isEqualTo(400);
    ErrorShape.check(push.status(), push.body(), "push endpoint NUL");
  }

  @Test
  void aFormBodyWithABadPercentEscapeIs415NotA500() {
    // before: 500 (ErrorDataDecoderException from Netty's form decoder)
    Http.Res res = http.raw("POST", "/api/v1/auth/register", "application/x-www-form-urlencoded",
        "a=%zz".getBytes(StandardCharsets.US_ASCII), null);
    assertThat(res.status()).isEqualTo(415);
    assertThat(ErrorShape.check(res.status(), res.body(), "form body").getString("code"))
        .isEqualTo("unsupported_media_type");
    Http.Res multipart = http.raw("POST", "/api/v1/auth/login", "multipart/form-data; boundary=x",
        "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n%zz\r\n--x--\r\n".getBytes(StandardCharsets.US_ASCII),
        null);
    assertThat(multipart.status()).isEqualTo(415);
    ErrorShape.check(multipart.status(), multipart.body(), "multipart body");
  }

  @Test
  void badPercentEncodingsInThePathAnswerInTheErrorShape() {
    // before: the router's error handler itself failed (status -1) and the client got text/plain "Bad Request"
    for (String path : new String[] {"/api/v1/%zz", "/%E0%A4%A", "/api/v1/auth/%", "/consultant/%C0%AF",
        "/api/v1/conversations/%00/messages", "/eventbus/%zz/info"}) {
      RawHttp.Res res = RawHttp.exchange(port, RawHttp.request("GET " + path + " HTTP/1.1\r\nHost: x", new byte[0]));
      assertThat(res.status()).as(path + " " + res.body()).isBetween(400, 499);
      assertThat(res.header("Content-Type")).as(path).startsWith("application/json");
      ErrorShape.check(res.status(), res.body(), path);
    }
  }

  @Test
  void whatNettyCannotDecodeAnswersInTheErrorShape() {
    // before: 414 and 431 with an empty body, 400 text/plain
    RawHttp.Res longUri = RawHttp.exchange(port, RawHttp.request("GET /api/v1/" + "a".repeat(9_000)
        + " HTTP/1.1\r\nHost: x", new byte[0]));
    assertThat(longUri.status()).isEqualTo(414);
    assertThat(ErrorShape.check(longUri.status(), longUri.body(), "414").getString("code")).isEqualTo("uri_too_long");

    RawHttp.Res bigHeader = RawHttp.exchange(port, RawHttp.request("GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\nX-Big: "
        + "b".repeat(9_000), new byte[0]));
    assertThat(bigHeader.status()).isEqualTo(431);
    ErrorShape.check(bigHeader.status(), bigHeader.body(), "431");

    for (String head : new String[] {"GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\nBad Header Line",
        "NOT-A-METHOD\u0001 / HTTP/1.1\r\nHost: x", "GET /a b c HTTP/1.1\r\nHost: x"}) {
      RawHttp.Res res = RawHttp.exchange(port, RawHttp.request(head, new byte[0]));
      assertThat(res.status()).as(head).isBetween(400, 499);
      assertThat(res.header("Content-Type")).as(head).startsWith("application/json");
      ErrorShape.check(res.status(), res.body(), head);
    }

    // The one exception: an HTTP version other than 1.0/1.1 is answered by Vert.x core itself (501, empty body,
    // connection closed) before any handler of ours can run; Vert.x offers no hook for it. Kept here so a Vert.x
    // upgrade that changes it is noticed.
    RawHttp.Res version = RawHttp.exchange(port, RawHttp.request("GET / HTTP/9.9\r\nHost: x", new byte[0]));
    assertThat(version.status()).isEqualTo(501);
    assertThat(version.body()).isEmpty();

    // A chunked body whose chunk size is not a number: Vert.x closes the connection when the body can't be
    // decoded (the request line was fine, so no answer can be framed any more). No answer, and never a 5xx.
    RawHttp.Res chunk = RawHttp.exchange(port, ("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: "
        + "application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    assertThat(chunk.status()).as("connection closed without an answer").isEqualTo(-1);
  }

  @Test
  void aToolTimeoutTheMcpPortWouldCutShortIsRefused() {
    String tool = http.get("/api/v1/mcp/tools", admin).json().getJsonArray("items").getJsonObject(0).getString("id");
    Http.Res res = http.put("/api/v1/mcp/tools/" + tool, new JsonObject().put("timeout_seconds", 120), admin);
    refusedNaming(res, "timeout_seconds", "tool timeout above MCP_IDLE_TIMEOUT_SECONDS");
    assertThat(http.put("/api/v1/mcp/tools/" + tool, new JsonObject().put("timeout_seconds", 59), admin).status())
        .isEqualTo(200);
  }

  /** Deep nesting is refused before any handler (a ~1,000-deep config_data once overflowed the encoder's stack). */
  @Test
  void valuesNestedDeeperThanTheLimitAreRefusedNamingTheField() {
    String tool = http.get("/api/v1/mcp/tools", admin).json().getJsonArray("items").getJsonObject(0).getString("id");
    String deep = "{\"a\":".repeat(900) + "1" + "}".repeat(900);
    Http.Res res = http.raw("PUT", "/api/v1/mcp/tools/" + tool, "application/json",
        ("{\"config_data\":" + deep + "}").getBytes(StandardCharsets.UTF_8), admin);
    refusedNaming(res, "config_data", "config_data nested 900 levels");
    String limit = "{\"a\":".repeat(RequestGuard.MAX_DEPTH - 1) + "1" + "}".repeat(RequestGuard.MAX_DEPTH - 1);
    Http.Res ok = http.raw("PUT", "/api/v1/mcp/tools/" + tool, "application/json",
        ("{\"config_data\":" + limit + "}").getBytes(StandardCharsets.UTF_8), admin);
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
  }

  @Test
  void theServerIsHealthyAfterAllOfIt() {
    assertThat(server.management().get("/ready", null).status()).isEqualTo(200);
    assertThat(server.register(unique("after_"), null).getString("role")).isEqualTo("customer");
  }
}
