package com.anmeismart.server.dify;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.WelcomeRequest;
import com.anmeismart.server.bus.WelcomeResult;
import com.anmeismart.server.settings.AutomationSettings;
import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Dify gateway against a faithful Dify double: each way Dify answers or fails ends in the right welcome and
 * source; deadlines, the breaker and the A/B choice. Real HTTP, real SSE, real PostgreSQL, the real automation.
 */
class DifyGatewayIT {

  static DifyDouble dify;
  static TestApp server;
  static Db db;
  static String admin;
  static final List<JsonObject> pushed = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    dify = new DifyDouble();
    server = TestApp.start(new JsonObject().put("DIFY_BREAKER_MAX_FAILURES", "2").put("DIFY_BREAKER_RESET_MS", "5000"));
    db = server.db();
    admin = server.adminToken();
    server.app.vertx().eventBus().addOutboundInterceptor(ctx -> {
      if (ctx.message().address().startsWith("client.conversation.")) {
        pushed.add(new JsonObject().put("address", ctx.message().address()).put("body", ctx.message().body()));
      }
      ctx.next();
    });
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    dify.close();
  }

  @BeforeEach
  void onlyTheTestsConfigs() {
    for (Object o : server.http.get("/api/v1/dify/configs", admin).json().getJsonArray("items")) {
      server.http.delete("/api/v1/dify/configs/" + ((JsonObject) o).getString("id"), admin);
    }
    Http.Res res = server.http.put("/api/v1/admin/registration-automation/settings", AutomationSettings.DEFAULTS
        .toJson().put("welcome_first_text_seconds", 1.0).put("welcome_completion_seconds", 2.5), admin);
    assertThat(res.status()).isEqualTo(200);
  }

  static JsonObject config(DifyDouble.Scenario scenario, JsonObject extra) {
    String key = dify.app(scenario);
    JsonObject body = new JsonObject().put("name", scenario + "-" + UUID.randomUUID().toString().substring(0, 6))
        .put("base_url", dify.baseUrl()).put("api_key", key).put("version", "v7");
    if (extra != null) {
      body.mergeIn(extra);
    }
    Http.Res res = server.http.post("/api/v1/dify/configs", body, admin);
    assertThat(res.status()).as(res.body()).isEqualTo(201);
    return res.json().put("api_key", key);
  }

  /** Registers a customer and returns the stored welcome message (content + metadata). */
  static Map<String, Object> welcomeOfNewCustomer() {
    UUID userId = UUID.fromString(server.register("dg_" + UUID.randomUUID().toString().substring(0, 8), null)
        .getString("id"));
    Map<String, Object> job = Poll.until(Duration.ofSeconds(20), "job succeeded", () ->
        db.one("SELECT * FROM automation_jobs WHERE user_id = ? AND status = 'succeeded'", userId));
    Map<String, Object> msg = db.one("SELECT content, metadata::text AS metadata FROM messages "
        + "WHERE conversation_id = ? AND kind = 'welcome'", job.get("conversation_id"));
    msg.put("user_id", userId);
    msg.put("conversation_id", job.get("conversation_id"));
    msg.put("meta", new JsonObject((String) msg.get("metadata")));
    return msg;
  }

  static JsonObject meta(Map<String, Object> welcome) {
    return (JsonObject) welcome.get("meta");
  }

  @Test
  void anAgentStreamBecomesTheWelcomeAndTheCustomerSeesItAsItIsWritten() {
    JsonObject config = config(DifyDouble.Scenario.AGENT_OK, null);
    Map<String, Object> welcome = welcomeOfNewCustomer();
    assertThat(welcome.get("content")).isEqualTo(DifyDouble.ANSWER);
    assertThat(meta(welcome).getString("source")).isEqualTo("dify");
    assertThat(meta(welcome).getString("config_id")).isEqualTo(config.getString("id"));
    assertThat(meta(welcome).getString("config_version")).isEqualTo("v7");

    String address = Addresses.clientConversation(welcome.get("conversation_id"));
    List<String> deltas = pushed.stream().filter(p -> p.getString("address").equals(address))
        .map(p -> p.getJsonObject("body")).filter(b -> "welcome_chunk".equals(b.getString("type")))
        .map(b -> b.getString("delta")).toList();
    // the welcome guard releases whole sentences once each has passed (the double streams five pieces)
    assertThat(deltas).containsExactly("您好，欢迎来到安美智享！", "我是您的专属顾问小美。");
    assertThat(String.join("", deltas)).isEqualTo(DifyDouble.ANSWER);
    assertThat(meta(welcome).getJsonObject("guard").getString("result")).isEqualTo("passed");

    JsonObject request = dify.requestsFor(config.getString("api_key")).get(0);
    JsonObject body = request.getJsonObject("body");
    assertThat(body.getString("response_mode")).isEqualTo("streaming");
    assertThat(body.getBoolean("auto_generate_name")).isFalse();
    assertThat(body.getString("user")).isEqualTo("anmei-" + welcome.get("user_id"));
    assertThat(body.getJsonObject("inputs").getString("user_id")).isEqualTo(welcome.get("user_id").toString());
    String token = body.getJsonObject("inputs").getString("context_token");
    assertThat(token).isNotBlank().isEqualTo(request.getString("x_context_token"));
    assertThat(request.getString("x_trace_id")).isNotBlank();
  }

  @Test
  void aBlockingChatAppAnswersInOnePiece() {
    config(DifyDouble.Scenario.CHAT_BLOCKING_OK, new JsonObject().put("mode", "chat").put("response_mode", "blocking"));
    Map<String, Object> welcome = welcomeOfNewCustomer();
    assertThat(welcome.get("content")).isEqualTo(DifyDouble.ANSWER);
    assertThat(meta(welcome).getString("source")).isEqualTo("dify");
  }

  @Test
  void anErrorEventMidStreamFallsBackToTheTemplate() {
    config(DifyDouble.Scenario.ERROR_EVENT, null);
    Map<String, Object> welcome = welcomeOfNewCustomer();
    assertThat(welcome.get("content")).isEqualTo(AutomationSettings.DEFAULT_WELCOME);
    assertThat(meta(welcome).getString("source")).isEqualTo("fallback");
    assertThat(meta(welcome).getString("fallback_reason")).isEqualTo("error_event:completion_request_error");
  }

  @Test
  void configurationErrorsAreNotRetriedButBusySignalsAreRetriedOnce() {
    for (var scenario : List.of(DifyDouble.Scenario.HTTP_400, DifyDouble.Scenario.HTTP_401)) {
      JsonObject config = config(scenario, null);
      Map<String, Object> welcome = welcomeOfNewCustomer();
      assertThat(meta(welcome).getString("source")).isEqualTo("fallback");
      assertThat(meta(welcome).getString("fallback_reason")).startsWith("http_" + scenario.name().substring(5));
      assertThat(dify.requestsFor(config.getString("api_key"))).as(scenario + " is not retried").hasSize(1);
      server.http.delete("/api/v1/dify/configs/" + config.getString("id"), admin);
    }
    for (var scenario : List.of(DifyDouble.Scenario.HTTP_429, DifyDouble.Scenario.HTTP_500)) {
      JsonObject config = config(scenario, null);
      Map<String, Object> welcome = welcomeOfNewCustomer();
      assertThat(meta(welcome).getString("source")).isEqualTo("fallback");
      assertThat(meta(welcome).getString("fallback_reason")).startsWith("http_" + scenario.name().substring(5));
      assertThat(dify.requestsFor(config.getString("api_key"))).as(scenario + " is retried once").hasSize(2);
      server.http.delete("/api/v1/dify/configs/" + config.getString("id"), admin);
    }
  }

  @Test
  void aStreamOfPingsMissesTheFirstTextDeadlineAndIsStopped() {
    config(DifyDouble.Scenario.PINGS_ONLY, null);
    int stopsBefore = dify.stops.size();
    Map<String, Object> welcome = welcomeOfNewCustomer();
    assertThat(welcome.get("content")).isEqualTo(AutomationSettings.DEFAULT_WELCOME);
    assertThat(meta(welcome).getString("fallback_reason")).isEqualTo("first_text_deadline");
    assertThat(meta(welcome).getLong("latency_ms")).isLessThan(3_000);
    Poll.until(Duration.ofSeconds(5), "Dify's stop endpoint called", () -> dify.stops.size() > stopsBefore);
  }

  @Test
  void slowHeadersMissTheFirstTextDeadline() {
    config(DifyDouble.Scenario.SLOW_HEADERS, null);
    Map<String, Object> welcome = welcomeOfNewCustomer();
    assertThat(meta(welcome).getString("fallback_reason")).isEqualTo("first_text_deadline");
  }

  @Test
  void aDroppedConnectionFallsBack() {
    config(DifyDouble.Scenario.DROP_MID_STREAM, null);
    Map<String, Object> welcome = welcomeOfNewCustomer();
    assertThat(welcome.get("content")).isEqualTo(AutomationSettings.DEFAULT_WELCOME);
    assertThat(meta(welcome).getString("fallback_reason")).isEqualTo("no_terminal_event");
  }

  @Test
  void messageReplaceReplacesTheTextSoFar() {
    config(DifyDouble.Scenario.MESSAGE_REPLACE, null);
    Map<String, Object> welcome = welcomeOfNewCustomer();
    assertThat(welcome.get("content")).isEqualTo(DifyDouble.REPLACED);
    assertThat(meta(welcome).getString("source")).isEqualTo("dify");
  }

  @Test
  void missingTheCompletionDeadlineKeepsOnlyWholeSentences() {
    config(DifyDouble.Scenario.SENTENCES_THEN_STALL, null);
    int stopsBefore = dify.stops.size();
    Map<String, Object> welcome = welcomeOfNewCustomer();
    assertThat(welcome.get("content")).as(meta(welcome).encode()).isEqualTo("您好，欢迎来到安美智享！");
    assertThat(meta(welcome).getString("source")).isEqualTo("dify");
    assertThat(meta(welcome).getBoolean("truncated")).isTrue();
    Poll.until(Duration.ofSeconds(5), "Dify's stop endpoint called", () -> dify.stops.size() > stopsBefore);
  }

  @Test
  void mcpTroubleSeenByTheAgentIsCountedThoughTheWelcomeArrives() {
    config(DifyDouble.Scenario.TOOL_ERROR_THEN_OK, null);
    Map<String, Object> welcome = welcomeOfNewCustomer();
    assertThat(meta(welcome).getString("source")).isEqualTo("dify");
    assertThat(server.metrics()).containsPattern("dify_tool_errors_total\\{[^}]*} [1-9]");
  }

  @Test
  void theBreakerOpensFailsFastAndRecoversHalfOpen() {
    JsonObject config = config(DifyDouble.Scenario.HTTP_500, null);
    String key = config.getString("api_key");
    welcomeOfNewCustomer();
    welcomeOfNewCustomer(); // second failure: max failures (2) reached, the breaker opens
    int calls = dify.requestsFor(key).size();
    Map<String, Object> failFast = welcomeOfNewCustomer();
    assertThat(meta(failFast).getString("fallback_reason")).isEqualTo("breaker_open");
    assertThat(dify.requestsFor(key)).as("an open breaker sends nothing").hasSize(calls);
    assertThat(server.management().get("/ready", null).body()).contains("OPEN");
    assertThat(server.metrics()).containsPattern("dify_breaker_state\\{[^}]*} 2.0");

    dify.change(key, DifyDouble.Scenario.AGENT_OK);
    Map<String, Object> recovered = Poll.until(Duration.ofSeconds(20), "half-open trial succeeds", () -> {
      Map<String, Object> w = welcomeOfNewCustomer();
      return "dify".equals(meta(w).getString("source")) ? w : null;
    });
    assertThat(recovered.get("content")).isEqualTo(DifyDouble.ANSWER);
    assertThat(server.metrics()).containsPattern("dify_breaker_state\\{[^}]*} 0.0");
  }

  @Test
  void theABSplitFollowsTheWeightsIsStickyAndSkipsDisabledConfigs() throws Exception {
    JsonObject a = config(DifyDouble.Scenario.AGENT_OK, new JsonObject().put("weight", 70));
    JsonObject b = config(DifyDouble.Scenario.AGENT_OK, new JsonObject().put("weight", 30));
    List<UUID> users = bulkUsers(300);
    Map<UUID, String> first = welcomeConfigs(users);
    long onA = first.values().stream().filter(a.getString("id")::equals).count();
    // 300 draws at p = 0.7: mean 210, sd ≈ 7.9; ±4.5 sd
    assertThat(onA).isBetween(175L, 245L);
    assertThat(first.values()).containsOnly(a.getString("id"), b.getString("id"));

    // sticky: new weights don't move anyone who already has a variant
    server.http.put("/api/v1/dify/configs/" + a.getString("id"), new JsonObject().put("weight", 1), admin);
    assertThat(welcomeConfigs(users.subList(0, 40))).isEqualTo(subMap(first, users.subList(0, 40)));

    // a disabled config is never used: its users move to the other one
    server.http.put("/api/v1/dify/configs/" + b.getString("id"), new JsonObject().put("enabled", false), admin);
    assertThat(welcomeConfigs(users.subList(0, 40)).values()).containsOnly(a.getString("id"));
  }

  private static Map<UUID, String> subMap(Map<UUID, String> all, List<UUID> keys) {
    Map<UUID, String> m = new HashMap<>();
    keys.forEach(k -> m.put(k, all.get(k)));
    return m;
  }

  private static List<UUID> bulkUsers(int n) {
    String prefix = "ab" + UUID.randomUUID().toString().substring(0, 6) + "_";
    db.update("INSERT INTO users (username, email, password_hash, role) SELECT ? || g, ? || g || '@example.com', "
        + "'not-a-login', 'customer' FROM generate_series(1, ?) g", prefix, prefix, n);
    List<UUID> ids = new ArrayList<>();
    db.rows("SELECT id FROM users WHERE username LIKE ? ORDER BY username", prefix + "%")
        .forEach(r -> ids.add((UUID) r.get("id")));
    return ids;
  }

  /** Asks the gateway over the bus, as the automation does, and returns each user's config id. */
  private static Map<UUID, String> welcomeConfigs(List<UUID> users) throws Exception {
    Map<UUID, String> out = new HashMap<>();
    for (UUID user : users) {
      Instant now = Instant.now();
      WelcomeRequest req = new WelcomeRequest(user, UUID.randomUUID(), UUID.randomUUID(), now, "template",
          now.plusSeconds(5), now.plusSeconds(10), true);
      WelcomeResult result = server.app.vertx().eventBus().<WelcomeResult>request(Addresses.WELCOME_GENERATE, req,
              new DeliveryOptions().setSendTimeout(15_000))
          .toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS).body();
      assertThat(result.source()).isEqualTo("dify");
      out.put(user, result.configId());
    }
    return out;
  }

  @Test
  void theAdminApiValidatesAndNeverShowsTheKey() {
    Http.Res bad = server.http.post("/api/v1/dify/configs", new JsonObject().put("name", "x").put("base_url", "ftp://x")
        .put("api_key", "k").put("mode", "agent").put("response_mode", "blocking").put("weight", -1), admin);
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.errorDetails().fieldNames()).contains("base_url", "weight");
    Http.Res agentBlocking = server.http.post("/api/v1/dify/configs", new JsonObject().put("name", "x")
        .put("base_url", "http://dify.local").put("api_key", "k").put("response_mode", "blocking"), admin);
    assertThat(agentBlocking.status()).isEqualTo(400);
    assertThat(agentBlocking.errorDetails().containsKey("response_mode")).isTrue();
    Http.Res missing = server.http.post("/api/v1/dify/configs", new JsonObject().put("name", "x"), admin);
    assertThat(missing.errorDetails().fieldNames()).contains("base_url", "api_key");

    JsonObject created = config(DifyDouble.Scenario.AGENT_OK, new JsonObject().put("base_url", dify.baseUrl() + "/"));
    String key = created.getString("api_key");
    Http.Res list = server.http.get("/api/v1/dify/configs", admin);
    assertThat(list.body()).doesNotContain(key);
    assertThat(list.json().getJsonArray("items").getJsonObject(0).getString("base_url")).isEqualTo(dify.baseUrl());
    assertThat(server.http.post("/api/v1/dify/configs", new JsonObject().put("name", created.getString("name"))
        .put("base_url", dify.baseUrl()).put("api_key", "k"), admin).status()).isEqualTo(409);

    Http.Res health = server.http.get("/api/v1/dify/configs/" + created.getString("id") + "/health", admin);
    assertThat(health.json().getBoolean("ok")).isTrue();
    server.http.put("/api/v1/dify/configs/" + created.getString("id"), new JsonObject().put("api_key", "wrong"), admin);
    Http.Res unhealthy = server.http.get("/api/v1/dify/configs/" + created.getString("id") + "/health", admin);
    assertThat(unhealthy.json().getBoolean("ok")).isFalse();
    assertThat(unhealthy.json().getInteger("status")).isEqualTo(401);

    String customer = server.login(server.register("dgc_" + UUID.randomUUID().toString().substring(0, 6), null)
        .getString("username"), "correct-horse");
    assertThat(server.http.get("/api/v1/dify/configs", customer).status()).isEqualTo(403);
  }
}
