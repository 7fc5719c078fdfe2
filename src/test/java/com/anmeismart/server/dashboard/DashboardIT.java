package com.anmeismart.server.dashboard;

import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The dashboard API (SPEC §9) after a known set of registrations: four welcomed by the local agent (one of them then
 * dead, its consultant step failing), two whose Dify config points at a closed port (template fallbacks, counted
 * against that config), two claimed, one answered by the consultant, one customer replying. Every key is checked
 * against what happened; the days are days in TIME_ZONE (Asia/Shanghai here).
 */
class DashboardIT {

  static final ZoneId ZONE = ZoneId.of("Asia/Shanghai");
  static final String PATH = "/api/v1/admin/registration-automation/dashboard";
  static TestApp server;
  static Db db;
  static String admin;
  static final List<UUID> agentUsers = new ArrayList<>();
  static final List<UUID> fallbackUsers = new ArrayList<>();
  static UUID deadUser;
  static String difyConfigId;

  @BeforeAll
  static void start() {
    server = TestApp.start(new JsonObject().put("TIME_ZONE", ZONE.getId()));
    db = server.db();
    admin = server.adminToken();
    // only this test's consultant is there
    db.update("UPDATE users SET is_active = false WHERE role = 'consultant'");
    // the local agent's welcomes must not miss their deadline on a busy test machine: the fallbacks counted here
    // are the closed port's alone
    put(new JsonObject().put("welcome_first_text_seconds", 30).put("welcome_completion_seconds", 60));
    Console.Staff consultant = Console.staff(server, admin, "consultant");

    for (int i = 0; i < 3; i++) {
      agentUsers.add(register("agent_"));
    }
    agentUsers.forEach(u -> Console.awaitJob(db, u, "succeeded"));

    // a dead job: the consultant step has nobody to answer it and no retry is allowed
    put(new JsonObject().put("max_retries", 0));
    server.app.undeploy("NotificationVerticle").toCompletionStage().toCompletableFuture().join();
    try {
      deadUser = register("dead_");
      Console.awaitJob(db, deadUser, "dead");
    } finally {
      server.app.deploy("NotificationVerticle").toCompletionStage().toCompletableFuture().join();
      put(new JsonObject().put("max_retries", 3));
    }

    // a Dify config whose server is not there: its welcomes fall back to the template
    Http.Res config = server.http.post("/api/v1/dify/configs", new JsonObject().put("name", "closed-port")
        .put("base_url", "http://127.0.0.1:" + Console.closedPort() + "/v1").put("api_key", "app-closed")
        .put("version", "v2"), admin);
    assertThat(config.status()).as(config.body()).isEqualTo(201);
    difyConfigId = config.json().getString("id");
    for (int i = 0; i < 2; i++) {
      fallbackUsers.add(register("fb_"));
    }
    fallbackUsers.forEach(u -> Console.awaitJob(db, u, "succeeded"));
    assertThat(server.http.delete("/api/v1/dify/configs/" + difyConfigId, admin).status()).isEqualTo(204);

    // claims: one agent-welcomed customer (then answered by the consultant and replying), one fallback customer
    String claimedAgent = conversation(agentUsers.get(0));
    String claimedFallback = conversation(fallbackUsers.get(0));
    assertThat(server.http.post("/api/v1/conversations/" + claimedAgent + "/claim", new JsonObject(),
        consultant.token()).status()).isEqualTo(200);
    assertThat(server.http.post("/api/v1/conversations/" + claimedFallback + "/claim", new JsonObject(),
        consultant.token()).status()).isEqualTo(200);
    assertThat(server.http.post("/api/v1/conversations/" + claimedAgent + "/messages",
        new JsonObject().put("content", "您好，我是您的顾问"), consultant.token()).status()).isEqualTo(201);
    String customerToken = server.login(username(agentUsers.get(0)), "correct-horse");
    assertThat(server.http.post("/api/v1/conversations/" + claimedAgent + "/messages",
        new JsonObject().put("content", "想了解补水"), customerToken).status()).isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static UUID register(String prefix) {
    return UUID.fromString(server.register(prefix + UUID.randomUUID().toString().substring(0, 8),
        new JsonObject().put("full_name", "顾客" + prefix)).getString("id"));
  }

  static void put(JsonObject settings) {
    Http.Res res = server.http.put("/api/v1/admin/registration-automation/settings", settings, admin);
    assertThat(res.status()).as(res.body()).isEqualTo(200);
  }

  static String conversation(UUID user) {
    return db.one("SELECT conversation_id::text AS c FROM automation_jobs WHERE user_id = ?", user).get("c").toString();
  }

  static String username(UUID user) {
    return db.one("SELECT username FROM users WHERE id = ?", user).get("username").toString();
  }

  @Test
  void everyFigureMatchesWhatHappened() {
    // the MCP call log is written in batches off the calls' path: wait until the agent's calls are in
    JsonObject d = Poll.until(Duration.ofSeconds(10), "the agent's MCP calls in the dashboard", () -> {
      JsonObject j = server.http.get(PATH + "?days=7", admin).json();
      long profileCalls = j.getJsonObject("mcp_server_status").getJsonArray("tools").stream()
          .map(o -> (JsonObject) o).filter(t -> "get_user_profile".equals(t.getString("tool")))
          .mapToLong(t -> t.getLong("calls")).sum();
      return profileCalls >= 4 ? j : null;
    });
    assertThat(d.fieldNames()).contains("automation_metrics", "welcome_sources", "mcp_server_status",
        "dify_agent_status", "consultants", "recent_errors", "system_health");

    JsonObject a = d.getJsonObject("automation_metrics");
    assertThat(a.fieldNames()).contains("success_rate", "total_automations", "succeeded", "failed", "dead", "running",
        "mcp_call_count", "dify_call_count", "average_response_time_ms", "p95_response_time_ms", "daily_trends");
    assertThat(a.getLong("total_automations")).isEqualTo(6);
    assertThat(a.getLong("succeeded")).isEqualTo(5);
    assertThat(a.getLong("dead")).isEqualTo(1);
    assertThat(a.getLong("failed")).isZero();
    assertThat(a.getLong("running")).isZero();
    assertThat(a.getDouble("success_rate")).isCloseTo(5.0 / 6, within(0.0001));
    assertThat(a.getLong("dify_call_count")).as("every welcome asked an agent (4 local, 2 the closed port)")
        .isEqualTo(6);
    // at least the profile read of each agent welcome, and the per-tool figures add up to it
    assertThat(a.getLong("mcp_call_count")).isGreaterThanOrEqualTo(4).isEqualTo(d.getJsonObject("mcp_server_status")
        .getJsonArray("tools").stream().mapToLong(o -> ((JsonObject) o).getLong("calls")).sum());
    double p95 = a.getDouble("p95_response_time_ms");
    assertThat(a.getDouble("average_response_time_ms")).isPositive().isLessThanOrEqualTo(p95);
    double maxWelcomeMs = ((Number) db.one("SELECT max(extract(epoch FROM m.created_at - j.registered_at) * 1000) AS x "
        + "FROM automation_jobs j JOIN messages m ON m.id = j.welcome_message_id "
        + "WHERE j.registered_at > now() - interval '7 days'").get("x")).doubleValue();
    // an estimate within its bucket: at most the upper bound of the bucket that holds the slowest welcome
    assertThat(p95).isLessThanOrEqualTo(Buckets.MILLISECONDS.upper(Buckets.MILLISECONDS.of(maxWelcomeMs)) + 0.1);
    assertThat(a.getJsonObject("welcome_time_ms").getDouble("p50")).isPositive();

    // one entry per day of the window, oldest first, today last; registrations on the day they happened (Shanghai)
    JsonArray trends = a.getJsonArray("daily_trends");
    assertThat(trends).hasSize(7);
    LocalDate today = LocalDate.now(ZONE);
    assertThat(trends.getJsonObject(6).getString("date")).isEqualTo(today.toString());
    assertThat(trends.getJsonObject(0).getString("date")).isEqualTo(today.minusDays(6).toString());
    Map<String, Long> expected = new TreeMap<>();
    for (Map<String, Object> r : db.rows("SELECT registered_at FROM automation_jobs")) {
      String day = ((Timestamp) r.get("registered_at")).toInstant().atZone(ZONE).toLocalDate().toString();
      expected.merge(day, 1L, Long::sum);
    }
    long trendTotal = 0;
    long trendFallbacks = 0;
    long trendClaimed = 0;
    long trendDead = 0;
    for (Object o : trends) {
      JsonObject t = (JsonObject) o;
      assertThat(t.fieldNames()).contains("date", "registrations", "succeeded", "failed", "dead", "fallbacks",
          "claimed");
      assertThat(t.getLong("registrations")).as(t.getString("date"))
          .isEqualTo(expected.getOrDefault(t.getString("date"), 0L));
      trendTotal += t.getLong("registrations");
      trendFallbacks += t.getLong("fallbacks");
      trendClaimed += t.getLong("claimed");
      trendDead += t.getLong("dead");
    }
    assertThat(trendTotal).isEqualTo(6);
    assertThat(trendFallbacks).isEqualTo(2);
    assertThat(trendClaimed).isEqualTo(2);
    assertThat(trendDead).isEqualTo(1);

    JsonObject sources = d.getJsonObject("welcome_sources");
    assertThat(sources.getLong("local-agent")).isEqualTo(4);
    assertThat(sources.getLong("fallback")).isEqualTo(2);
    assertThat(sources.getLong("dify")).isZero();
    assertThat(d.getJsonObject("fallback_reasons").getLong("connect_error")).isEqualTo(2);

    JsonObject mcp = d.getJsonObject("mcp_server_status");
    assertThat(mcp.getString("status")).isEqualTo("up");
    JsonObject profile = mcp.getJsonArray("tools").stream().map(o -> (JsonObject) o)
        .filter(t -> "get_user_profile".equals(t.getString("tool"))).findFirst().orElseThrow();
    assertThat(profile.getLong("errors")).isZero();
    assertThat(profile.getDouble("p95_ms")).isNotNull().isGreaterThanOrEqualTo(0.0);

    JsonObject dify = d.getJsonObject("dify_agent_status");
    assertThat(dify.getJsonObject("breakers")).isNotNull();
    JsonObject closed = config(dify, difyConfigId);
    assertThat(closed.getString("version")).isEqualTo("v2");
    assertThat(closed.getLong("calls")).isEqualTo(2);
    assertThat(closed.getDouble("success_rate")).isZero();
    assertThat(closed.getDouble("fallback_rate")).isEqualTo(1.0);
    assertThat(closed.getValue("p95_ms")).as("no successful call to measure").isNull();
    assertThat(closed.getLong("claimed")).isEqualTo(1);
    assertThat(closed.getString("name")).as("a deleted config keeps its figures, without a name").isNull();
    JsonObject local = config(dify, "local-agent");
    assertThat(local.getLong("calls")).isEqualTo(4);
    assertThat(local.getDouble("success_rate")).isEqualTo(1.0);
    assertThat(local.getDouble("fallback_rate")).isZero();
    assertThat(local.getDouble("p95_ms")).isPositive();
    assertThat(local.getLong("replied_24h")).as("one customer answered the welcome").isEqualTo(1);
    assertThat(local.getDouble("replied_24h_rate")).as("only answered welcomes are due before their 24 h")
        .isEqualTo(1.0);
    assertThat(local.getLong("claimed")).isEqualTo(1);
    assertThat(local.getJsonObject("claim_minutes").getDouble("p50")).isNotNull();

    JsonObject c = d.getJsonObject("consultants");
    assertThat(c.getLong("online")).isZero();
    // waiting is now, not per window: the other test's customers (moved ten days back) wait too
    assertThat(c.getLong("waiting_customers")).isGreaterThanOrEqualTo(4).isEqualTo(db.count(
        "SELECT count(*) FROM conversations WHERE status = 'open' AND is_default"));
    assertThat(c.getLong("escalated")).isZero();
    assertThat(c.getJsonObject("claim_minutes").getDouble("p50")).isNotNull().isGreaterThanOrEqualTo(0.0);
    assertThat(c.getJsonObject("claim_minutes").getDouble("p90")).isNotNull();
    assertThat(c.getJsonObject("first_reply_minutes").getDouble("p50")).isNotNull().isGreaterThanOrEqualTo(0.0);

    JsonArray errors = d.getJsonArray("recent_errors");
    JsonObject error = errors.getJsonObject(0);
    assertThat(error.fieldNames()).contains("at", "job_id", "user_id", "step", "error");
    assertThat(error.getString("user_id")).isEqualTo(deadUser.toString());
    assertThat(error.getString("step")).isEqualTo("consultants_notified");
    assertThat(error.getString("display_name")).isEqualTo("顾客dead_");

    JsonObject health = d.getJsonObject("system_health");
    assertThat(health.getString("database_status")).isEqualTo("up");
    assertThat(health.getString("mcp_status")).isEqualTo("up");
    assertThat(health.getString("dify_status")).isEqualTo("up");
    assertThat(health.getDouble("mcp_response_time_ms")).isNotNull();
    assertThat(health.getDouble("dify_response_time_ms")).isNotNull();
  }

  @Test
  void aRegistrationAt2359AndOneAt0001LandOnDifferentDaysOfTheClinicsZone() {
    // ten days back, outside the other test's 7-day window: 23:59 and 00:01 Shanghai time are one UTC day
    LocalDate day = LocalDate.now(ZONE).minusDays(10);
    ZonedDateTime late = ZonedDateTime.of(day, LocalTime.of(23, 59), ZONE);
    ZonedDateTime early = ZonedDateTime.of(day.plusDays(1), LocalTime.of(0, 1), ZONE);
    assertThat(late.withZoneSameInstant(ZoneId.of("UTC")).toLocalDate())
        .isEqualTo(early.withZoneSameInstant(ZoneId.of("UTC")).toLocalDate());
    UUID a = register("late_");
    UUID b = register("early_");
    Console.awaitJob(db, a, "succeeded");
    Console.awaitJob(db, b, "succeeded");
    db.update("UPDATE automation_jobs SET registered_at = ? WHERE user_id = ?", Timestamp.from(late.toInstant()), a);
    db.update("UPDATE automation_jobs SET registered_at = ? WHERE user_id = ?", Timestamp.from(early.toInstant()), b);

    JsonArray trends = server.http.get(PATH + "?days=30", admin).json().getJsonObject("automation_metrics")
        .getJsonArray("daily_trends");
    assertThat(trends).hasSize(30);
    assertThat(trend(trends, day).getLong("registrations")).isEqualTo(1);
    assertThat(trend(trends, day.plusDays(1)).getLong("registrations")).isEqualTo(1);
    assertThat(trend(trends, day.minusDays(1)).getLong("registrations")).isZero();

    JsonArray one = server.http.get(PATH + "?days=1", admin).json().getJsonObject("automation_metrics")
        .getJsonArray("daily_trends");
    assertThat(one).hasSize(1);
    assertThat(one.getJsonObject(0).getString("date")).isEqualTo(LocalDate.now(ZONE).toString());
  }

  @Test
  void badQueryValuesAre400NamingTheField() {
    for (String bad : new String[] {"0", "91", "abc", "7.5"}) {
      Http.Res res = server.http.get(PATH + "?days=" + bad, admin);
      assertThat(res.status()).as(bad).isEqualTo(400);
      assertThat(res.errorDetails().getString("days")).as(bad).contains("between 1 and 90");
    }
    assertThat(server.http.get(PATH, admin).json().getInteger("days")).isEqualTo(7);
  }

  static JsonObject config(JsonObject dify, String id) {
    return dify.getJsonArray("configs").stream().map(o -> (JsonObject) o).filter(c -> id.equals(c.getString("id")))
        .findFirst().orElseThrow(() -> new AssertionError("no config " + id + " in " + dify.encodePrettily()));
  }

  static JsonObject trend(JsonArray trends, LocalDate day) {
    return trends.stream().map(o -> (JsonObject) o).filter(t -> day.toString().equals(t.getString("date")))
        .findFirst().orElseThrow(() -> new AssertionError("no entry for " + day));
  }
}
