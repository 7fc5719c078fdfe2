package com.anmeismart.server.mcp;

import com.anmeismart.server.testing.Http;
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
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SPEC §11 on the MCP server: key rotation with a grace period (both keys work, the old one's calls are marked,
 * revoke ends it on every transport) and per-key quotas (429 with Retry-After on the HTTP transports and the REST
 * pair, -32000 with data.retry_after_ms in JSON-RPC, recovery, keys independent, the welcome still arrives).
 */
class McpSafetyIT {

  static TestApp server;
  static Http http;
  static String admin;
  static int port;
  static final HttpClient raw = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    server = TestApp.start(null);
    http = server.http;
    admin = server.adminToken();
    port = server.port("MCP_PORT");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static JsonObject group(String name) {
    return http.get("/api/v1/mcp/groups", admin).json().getJsonArray("items").stream().map(o -> (JsonObject) o)
        .filter(g -> g.getString("name").equals(name)).findFirst().orElseThrow();
  }

  static String key(String groupName) {
    return http.get("/api/v1/mcp/groups/" + group(groupName).getString("id") + "/api-key", admin).json()
        .getString("api_key");
  }

  static void quota(String groupName, Object rate, Object burst, Object max) {
    Http.Res r = http.put("/api/v1/mcp/groups/" + group(groupName).getString("id"), new JsonObject()
        .put("rate_per_second", rate).put("burst", burst).put("max_concurrent", max), admin);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
  }

  /** POST /mcp/call/{tool} (the REST pair) with a key. */
  static HttpResponse<String> rest(String key, String tool, JsonObject args) throws Exception {
    return raw.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/mcp/call/" + tool))
        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(args.encode())).build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(String path, String key, String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream").POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return raw.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static final JsonObject ASK = new JsonObject().put("question", "营业时间");

  @Test
  void aLoopOverTheRateIsRefusedOnEveryTransportAndRecovers() throws Exception {
    String key = key("project_tools");
    McpClient session = new McpClient(port, key).open(); // a handshake-era session, opened before the limit bites
    quota("project_tools", 1, 2, null);
    try {
      int ok = 0;
      HttpResponse<String> refused = null;
      for (int i = 0; i < 6 && refused == null; i++) {
        HttpResponse<String> r = rest(key, "basic_inquiry", ASK);
        if (r.statusCode() == 200) {
          ok++;
        } else {
          refused = r;
        }
      }
      assertThat(ok).as("the burst passes").isGreaterThanOrEqualTo(2);
      assertThat(refused).as("then the REST pair refuses").isNotNull();
      assertThat(refused.statusCode()).isEqualTo(429);
      assertThat(Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 2L);
      JsonObject error = new JsonObject(refused.body()).getJsonObject("error");
      assertThat(error.getString("code")).isEqualTo("rate_limited");
      assertThat(error.getString("message_zh")).matches(".*\\p{IsHan}.*");
      assertThat(error.getJsonObject("details").getLong("retry_after_ms")).isBetween(1L, 1_100L);

      // the handshake era in a session: HTTP 429, the JSON-RPC error of the request, -32000 with retry_after_ms
      McpClient.Res inSession = session.post("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":"
          + "{\"name\":\"basic_inquiry\",\"arguments\":{\"question\":\"营业时间\"}}}");
      assertThat(inSession.status()).isEqualTo(429);
      JsonObject rpc = new JsonObject(inSession.body());
      assertThat(rpc.getInteger("id")).isEqualTo(7);
      assertThat(rpc.getJsonObject("error").getInteger("code")).isEqualTo(-32000);
      assertThat(rpc.getJsonObject("error").getJsonObject("data").getLong("retry_after_ms")).isPositive();

      // the stateless era: the same
      JsonObject meta = new JsonObject().put("io.modelcontextprotocol/protocolVersion", "2026-07-28")
          .put("io.modelcontextprotocol/clientCapabilities", new JsonObject());
      HttpResponse<String> stateless = post("/mcp", key, new JsonObject().put("jsonrpc", "2.0").put("id", 8)
              .put("method", "tools/call").put("params", new JsonObject().put("name", "basic_inquiry")
                  .put("arguments", ASK).put("_meta", meta)).encode(),
          "MCP-Protocol-Version", "2026-07-28", "Mcp-Method", "tools/call", "Mcp-Name", "basic_inquiry");
      assertThat(stateless.statusCode()).isEqualTo(429);
      assertThat(stateless.headers().firstValue("Retry-After")).isPresent();
      assertThat(new JsonObject(stateless.body()).getJsonObject("error").getInteger("code")).isEqualTo(-32000);

      // the legacy SSE transport's POST: refused on the POST itself, before the session sees it
      HttpResponse<String> sse = post("/mcp/message?sessionId=" + UUID.randomUUID(), key,
          "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"basic_inquiry\","
              + "\"arguments\":{\"question\":\"x\"}}}");
      assertThat(sse.statusCode()).isEqualTo(429);
      assertThat(sse.headers().firstValue("Retry-After")).isPresent();

      // counted and logged
      assertThat(server.metrics()).contains("mcp_quota_refused_total{")
          .contains("limit=\"rate\"");
      Poll.until(Duration.ofSeconds(5), "refusals in the call log", () -> server.db().count(
          "SELECT count(*) FROM mcp_call_logs WHERE tool_name = 'basic_inquiry' AND NOT success "
              + "AND error_message LIKE 'rate_limited%'") >= 3 ? true : null);

      // and it recovers: a token a second
      Poll.until(Duration.ofSeconds(5), "a call passes again", () -> rest(key, "basic_inquiry", ASK).statusCode() == 200
          ? true : null);
    } finally {
      quota("project_tools", 100, 200, 100);
    }
  }

  @Test
  void oneKeysLimitNeverSlowsAnother() throws Exception {
    String medical = key("medical_tools");
    String system = key("system_tools");
    quota("medical_tools", 0.01, 1, null);
    try {
      JsonObject args = new JsonObject().put("symptoms", "干燥");
      rest(medical, "diagnosis_assist", args);
      assertThat(rest(medical, "diagnosis_assist", args).statusCode()).isEqualTo(429);
      long t0 = System.nanoTime();
      for (int i = 0; i < 20; i++) {
        assertThat(rest(system, "project_metrics", new JsonObject()).statusCode()).isEqualTo(200);
      }
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("no waiting for the other key")
          .isLessThan(Duration.ofSeconds(10));
    } finally {
      quota("medical_tools", 100, 200, 100);
    }
  }

  @Test
  void theWelcomeStillArrivesWhenTheWelcomeKeyIsThrottled() {
    quota("welcome_tools", 0.01, 1, null); // the profile call passes, service_info is refused
    try {
      String id = server.register("qt_" + UUID.randomUUID().toString().substring(0, 8), new JsonObject()
          .put("full_name", "限流客户").put("interests", new io.vertx.core.json.JsonArray().add("补水"))).getString("id");
      Map<String, Object> msg = Poll.until(Duration.ofSeconds(20), "the welcome", () -> server.db().one(
          "SELECT m.content, m.metadata ->> 'source' AS source FROM automation_jobs j JOIN messages m "
              + "ON m.id = j.welcome_message_id WHERE j.user_id = ?::uuid", id));
      assertThat((String) msg.get("content")).contains("限流客户");
      Poll.until(Duration.ofSeconds(5), "the refusal logged", () -> server.db().count("SELECT count(*) FROM "
          + "mcp_call_logs l JOIN mcp_tool_groups g ON g.id = l.group_id WHERE g.name = 'welcome_tools' "
          + "AND l.error_message LIKE 'rate_limited%'") > 0 ? true : null);
    } finally {
      quota("welcome_tools", 100, 200, 100);
    }
  }

  @Test
  void quotasAreValidatedAndAudited() {
    String id = group("project_tools").getString("id");
    Http.Res noRate = http.put("/api/v1/mcp/groups/" + id, new JsonObject().put("rate_per_second", (Object) null)
        .put("burst", 5), admin);
    assertThat(noRate.status()).isEqualTo(400);
    assertThat(noRate.json().getJsonObject("error").getJsonObject("details").containsKey("burst")).isTrue();
    Http.Res zero = http.put("/api/v1/mcp/groups/" + id, new JsonObject().put("rate_per_second", 0), admin);
    assertThat(zero.status()).isEqualTo(400);
    assertThat(zero.json().getJsonObject("error").getJsonObject("details_zh").getString("rate_per_second"))
        .isNotBlank();
    Http.Res unlimited = http.put("/api/v1/mcp/groups/" + id, new JsonObject().put("max_concurrent", (Object) null),
        admin);
    assertThat(unlimited.status()).isEqualTo(200);
    assertThat(unlimited.json().getValue("max_concurrent")).isNull();
    assertThat(unlimited.json().getDouble("rate_per_second")).isEqualTo(100.0); // untouched
    quota("project_tools", 100, 200, 100);
    assertThat(server.db().count("SELECT count(*) FROM audit_log WHERE action = 'mcp.group.update' "
        + "AND target_id = ? AND after ->> 'max_concurrent' IS NULL", id)).isGreaterThanOrEqualTo(1);
    // per tool, on the tool's row
    String tool = http.get("/api/v1/mcp/tools?group_id=" + id, admin).json().getJsonArray("items").getJsonObject(0)
        .getString("id");
    Http.Res t = http.put("/api/v1/mcp/tools/" + tool, new JsonObject().put("rate_per_second", 50)
        .put("max_concurrent", 4), admin);
    assertThat(t.status()).as(t.body()).isEqualTo(200);
    assertThat(t.json().getInteger("max_concurrent")).isEqualTo(4);
    http.put("/api/v1/mcp/tools/" + tool, new JsonObject().put("rate_per_second", (Object) null)
        .put("max_concurrent", (Object) null), admin);
  }

  @Test
  void aRotatedKeyWorksThroughItsGraceIsMarkedAndRevokeEndsItEverywhere() throws Exception {
    JsonObject g = group("consultation_tools");
    String groupId = g.getString("id");
    String old = key("consultation_tools");
    McpClient oldSession = new McpClient(port, old).open();

    assertThat(http.post("/api/v1/mcp/groups/" + groupId + "/regenerate-key", new JsonObject()
        .put("grace_seconds", 86_401), admin).status()).isEqualTo(400);
    Http.Res rotated = http.post("/api/v1/mcp/groups/" + groupId + "/regenerate-key", new JsonObject()
        .put("grace_seconds", 120), admin);
    assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
    String fresh = rotated.json().getString("api_key");
    Instant until = Instant.parse(rotated.json().getString("previous_key_valid_until"));
    assertThat(until).isBetween(Instant.now().plusSeconds(100), Instant.now().plusSeconds(130));

    // both keys work; the old one's calls are marked, and the group says when it was last used
    assertThat(rest(old, "customer_analysis", new JsonObject()).statusCode()).isEqualTo(200);
    assertThat(rest(fresh, "customer_analysis", new JsonObject()).statusCode()).isEqualTo(200);
    assertThat(oldSession.toolNames()).contains("customer_analysis");
    Poll.until(Duration.ofSeconds(5), "old-key calls marked", () -> server.db().count("SELECT count(*) FROM "
        + "mcp_call_logs WHERE group_id = ?::uuid AND key_used = 'previous'", groupId) > 0 ? true : null);
    assertThat(server.db().count("SELECT count(*) FROM mcp_call_logs WHERE group_id = ?::uuid "
        + "AND key_used = 'current'", groupId)).isPositive();
    JsonObject after = group("consultation_tools");
    assertThat(after.getString("previous_key_valid_until")).isNotNull();
    assertThat(after.getString("previous_key_last_used_at")).isNotNull();

    // revoke: 401 at once on the REST pair, a new session, and the session the old key opened
    Http.Res revoked = http.post("/api/v1/mcp/groups/" + groupId + "/revoke-previous-key", new JsonObject(), admin);
    assertThat(revoked.status()).as(revoked.body()).isEqualTo(200);
    assertThat(revoked.json().getBoolean("revoked")).isTrue();
    assertThat(rest(old, "customer_analysis", new JsonObject()).statusCode()).isEqualTo(401);
    assertThat(oldSession.post("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}").status()).isEqualTo(401);
    assertThat(rest(fresh, "customer_analysis", new JsonObject()).statusCode()).isEqualTo(200);
    assertThat(group("consultation_tools").getValue("previous_key_valid_until")).isNull();
    assertThat(http.post("/api/v1/mcp/groups/" + groupId + "/revoke-previous-key", new JsonObject(), admin).json()
        .getBoolean("revoked")).isFalse();

    // audited, without a key
    assertThat(server.db().count("SELECT count(*) FROM audit_log WHERE action = 'mcp.key.rotate' AND target_id = ? "
        + "AND (after ->> 'grace_seconds')::int = 120", groupId)).isEqualTo(1);
    assertThat(server.db().count("SELECT count(*) FROM audit_log WHERE action = 'mcp.key.revoke_previous' "
        + "AND target_id = ?", groupId)).isEqualTo(1);
    assertThat(server.db().count("SELECT count(*) FROM audit_log WHERE (before::text LIKE ? OR after::text LIKE ?)",
        "%" + old + "%", "%" + fresh + "%")).isZero();

    // the default grace comes from MCP_KEY_GRACE_SECONDS (600)
    Http.Res byDefault = http.post("/api/v1/mcp/groups/" + groupId + "/regenerate-key", new JsonObject(), admin);
    assertThat(byDefault.json().getInteger("grace_seconds")).isEqualTo(600);
    assertThat(http.get("/api/v1/mcp/groups", admin).json().getInteger("key_grace_default_seconds")).isEqualTo(600);

    // a grace that runs out ends by itself: the key rotated away is refused once its time has passed
    String beforeShort = byDefault.json().getString("api_key");
    Http.Res shortGrace = http.post("/api/v1/mcp/groups/" + groupId + "/regenerate-key", new JsonObject()
        .put("grace_seconds", 1), admin);
    assertThat(shortGrace.json().getString("previous_key_valid_until")).isNotNull();
    Poll.until(Duration.ofSeconds(5), "the expired grace refused", () -> rest(beforeShort, "customer_analysis",
        new JsonObject()).statusCode() == 401 ? true : null);
    assertThat(rest(shortGrace.json().getString("api_key"), "customer_analysis", new JsonObject()).statusCode())
        .isEqualTo(200);
  }
}
