package com.anmeismart.server.automation;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.settings.AutomationSettings;
import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The registration automation end to end: real HTTP, real PostgreSQL, the real verticles on the real bus. */
class AutomationIT {

  static TestApp server;
  static Db db;
  static String admin;
  static final List<JsonObject> pushed = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    server = TestApp.start(null);
    db = server.db();
    admin = server.adminToken();
    var bus = server.app.vertx().eventBus();
    // observe what really goes out to customers' pages and to admins
    bus.addOutboundInterceptor(ctx -> {
      if (ctx.message().address().startsWith("client.conversation.")) {
        pushed.add(new JsonObject().put("address", ctx.message().address()).put("body", ctx.message().body()));
      }
      ctx.next();
    });
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @AfterEach
  void defaultSettings() {
    Http.Res res = server.http.put("/api/v1/admin/registration-automation/settings",
        AutomationSettings.DEFAULTS.toJson(), admin);
    assertThat(res.status()).isEqualTo(200);
  }

  static String unique(String prefix) {
    return prefix + UUID.randomUUID().toString().substring(0, 8);
  }

  static Map<String, Object> awaitJob(UUID userId, String status) {
    return Poll.until(Duration.ofSeconds(20), "job of " + userId + " " + status, () ->
        db.one("SELECT * FROM automation_jobs WHERE user_id = ? AND status = ?", userId, status));
  }

  static void putSettings(JsonObject change) {
    Http.Res res = server.http.put("/api/v1/admin/registration-automation/settings", change, admin);
    assertThat(res.status()).as(res.body()).isEqualTo(200);
  }

  @Test
  void registrationGetsItsConversationAndWelcomeExactlyOnce() {
    String username = unique("journey_");
    UUID userId = UUID.fromString(server.register(username, null).getString("id"));
    Map<String, Object> job = awaitJob(userId, "succeeded");

    List<Map<String, Object>> conversations = db.rows("SELECT * FROM conversations WHERE customer_id = ?", userId);
    assertThat(conversations).hasSize(1);
    Map<String, Object> conv = conversations.get(0);
    assertThat(conv.get("is_default")).isEqualTo(true);
    assertThat(conv.get("is_ai_controlled")).isEqualTo(true);
    assertThat(conv.get("status")).isEqualTo("open");
    assertThat(conv.get("assistant_id")).isEqualTo("general_ai_assistant");
    assertThat(conv.get("assistant_name")).isEqualTo("安美智能助手");
    assertThat(job.get("conversation_id")).isEqualTo(conv.get("id"));

    List<Map<String, Object>> messages = db.rows("SELECT * FROM messages WHERE conversation_id = ?", conv.get("id"));
    assertThat(messages).hasSize(1);
    Map<String, Object> welcome = messages.get(0);
    assertThat(welcome.get("kind")).isEqualTo("welcome");
    assertThat(welcome.get("sender_type")).isEqualTo("ai");
    // no Dify config: the built-in local agent writes it
    assertThat((String) welcome.get("content")).contains(username).contains("欢迎来到安美智享");
    JsonObject metadata = new JsonObject(welcome.get("metadata").toString());
    assertThat(metadata.getString("source")).isEqualTo("local-agent");
    assertThat(metadata.getString("job_id")).isEqualTo(job.get("id").toString());

    List<Map<String, Object>> steps = db.rows("SELECT step, success, duration_ms FROM automation_job_steps "
        + "WHERE job_id = ? ORDER BY id", job.get("id"));
    assertThat(steps).extracting(s -> s.get("step"))
        .containsExactly("conversation_created", "welcome_generated", "welcome_sent", "consultants_notified");
    assertThat(steps).allSatisfy(s -> {
      assertThat(s.get("success")).isEqualTo(true);
      assertThat((Integer) s.get("duration_ms")).isGreaterThanOrEqualTo(0);
    });

    String address = Addresses.clientConversation(conv.get("id"));
    JsonObject push = Poll.until(Duration.ofSeconds(5), "welcome pushed", () -> pushed.stream()
        .filter(p -> p.getString("address").equals(address))
        .filter(p -> "message".equals(p.getJsonObject("body").getString("type"))).findFirst().orElse(null));
    JsonObject message = push.getJsonObject("body").getJsonObject("message");
    assertThat(message.getString("id")).isEqualTo(welcome.get("id").toString());
    assertThat(message.getString("content")).isEqualTo(welcome.get("content"));
    // one shape, live and fetched: the page sorts by seq and needs sender_id like every other message
    String customer = server.login(username, "correct-horse");
    JsonObject fetched = server.http.get("/api/v1/conversations/" + conv.get("id") + "/messages", customer).json()
        .getJsonArray("items").getJsonObject(0);
    assertThat(message).isEqualTo(fetched);
    assertThat(message.getLong("seq")).isEqualTo(welcome.get("seq"));
    assertThat(message.containsKey("sender_id")).isTrue();

    Http.Res viaApi = server.http.get("/api/v1/admin/registration-automation/jobs/" + job.get("id"), admin);
    assertThat(viaApi.status()).isEqualTo(200);
    assertThat(viaApi.json().getString("status")).isEqualTo("succeeded");
    assertThat(viaApi.json().getJsonArray("steps")).hasSize(4);
  }

  @Test
  void theRegistrationResponseDoesNotWaitForTheJob() {
    // with the engine stopped, registration still answers 201 and leaves a pending job behind
    server.app.undeploy("AutomationVerticle").toCompletionStage().toCompletableFuture().join();
    try {
      UUID userId = UUID.fromString(server.register(unique("nowait_"), null).getString("id"));
      assertThat(db.one("SELECT status FROM automation_jobs WHERE user_id = ?", userId).get("status"))
          .isEqualTo("pending");
      assertThat(db.count("SELECT count(*) FROM conversations WHERE customer_id = ?", userId)).isZero();
      server.app.deploy("AutomationVerticle").toCompletionStage().toCompletableFuture().join();
      awaitJob(userId, "succeeded");
    } finally {
      server.app.deploy("AutomationVerticle").toCompletionStage().toCompletableFuture().join();
    }
  }

  @Test
  void settingsAreValidatedFieldByField() {
    Http.Res res = server.http.put("/api/v1/admin/registration-automation/settings", new JsonObject()
        .put("rollout_percent", 101).put("retry_delays_seconds", new JsonArray()).put("max_retries", -1)
        .put("notifications", new JsonObject().put("consultants", "yes")).put("welcome_template", "")
        .put("escalation_minutes", 0).put("enabled", "true"), admin);
    assertThat(res.status()).isEqualTo(400);
    assertThat(res.errorCode()).isEqualTo("validation_failed");
    assertThat(res.errorDetails().fieldNames()).containsExactlyInAnyOrder("rollout_percent", "retry_delays_seconds",
        "max_retries", "notifications", "welcome_template", "escalation_minutes", "enabled");
    // nothing was stored
    JsonObject inForce = server.http.get("/api/v1/admin/registration-automation/settings", admin).json();
    assertThat(((JsonObject) inForce.remove("stored_document")).getBoolean("valid")).isTrue();
    assertThat(inForce).isEqualTo(AutomationSettings.DEFAULTS.toJson());
  }

  @Test
  void settingsNeedAnAdmin() {
    String customer = server.login(server.register(unique("nosy_"), null).getString("username"), "correct-horse");
    assertThat(server.http.get("/api/v1/admin/registration-automation/settings", customer).status()).isEqualTo(403);
    assertThat(server.http.put("/api/v1/admin/registration-automation/settings", new JsonObject(), null).status())
        .isEqualTo(401);
  }

  @Test
  void aPartialUpdateKeepsTheRestAndAppliesToTheNextJob() {
    // an agent that can't be reached: the welcome is the template
    Http.Res dify = server.http.post("/api/v1/dify/configs", new JsonObject().put("name", unique("unreachable_"))
        .put("base_url", "http://127.0.0.1:1/v1").put("api_key", "k"), admin);
    assertThat(dify.status()).isEqualTo(201);
    String template = "欢迎您！这是测试模板。";
    putSettings(new JsonObject().put("welcome_template", template).put("assistant_name", "小美")
        .put("notifications", new JsonObject().put("consultants", false)));
    JsonObject now = server.http.get("/api/v1/admin/registration-automation/settings", admin).json();
    assertThat(now.getString("welcome_template")).isEqualTo(template);
    assertThat(now.getJsonObject("notifications").getBoolean("consultants")).isFalse();
    assertThat(now.getJsonObject("notifications").getBoolean("web_push")).as("switch kept").isTrue();
    assertThat(now.getInteger("max_retries")).as("untouched field kept").isEqualTo(3);
    putSettings(new JsonObject().putNull("welcome_template").putNull("enabled"));
    assertThat(server.http.get("/api/v1/admin/registration-automation/settings", admin).json()
        .getString("welcome_template")).as("a null is no value: nothing changes").isEqualTo(template);

    UUID userId = UUID.fromString(server.register(unique("next_"), null).getString("id"));
    Map<String, Object> job = awaitJob(userId, "succeeded");
    assertThat(db.one("SELECT content FROM messages WHERE conversation_id = ?", job.get("conversation_id"))
        .get("content")).isEqualTo(template);
    assertThat(db.one("SELECT assistant_name FROM conversations WHERE id = ?", job.get("conversation_id"))
        .get("assistant_name")).isEqualTo("小美");
    assertThat(job.get("notify_result").toString()).contains("switched off");
    server.http.delete("/api/v1/dify/configs/" + dify.json().getString("id"), admin);
  }

  @Test
  void theAgentSwitchMakesEveryWelcomeTheTemplate() {
    putSettings(new JsonObject().put("welcome_use_agent", false));
    UUID userId = UUID.fromString(server.register(unique("noagent_"), null).getString("id"));
    Map<String, Object> job = awaitJob(userId, "succeeded");
    Map<String, Object> welcome = db.one("SELECT content, metadata::text AS metadata FROM messages "
        + "WHERE conversation_id = ?", job.get("conversation_id"));
    assertThat(welcome.get("content")).isEqualTo(AutomationSettings.DEFAULT_WELCOME);
    JsonObject metadata = new JsonObject((String) welcome.get("metadata"));
    assertThat(metadata.getString("source")).isEqualTo("fallback");
    assertThat(metadata.getString("fallback_reason")).isEqualTo("agent_disabled");
  }

  @Test
  void theEnabledSwitchAndTheRolloutDecide() {
    putSettings(new JsonObject().put("enabled", false));
    UUID off = UUID.fromString(server.register(unique("off_"), null).getString("id"));
    Map<String, Object> skipped = awaitJob(off, "skipped");
    assertThat(skipped.get("last_error").toString()).contains("disabled");
    assertThat(db.count("SELECT count(*) FROM conversations WHERE customer_id = ?", off)).isZero();

    putSettings(new JsonObject().put("enabled", true).put("rollout_percent", 50));
    List<UUID> users = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      users.add(UUID.fromString(server.register(unique("roll_"), null).getString("id")));
    }
    int in = 0;
    for (UUID user : users) {
      boolean expectedIn = Long.remainderUnsigned(user.getLeastSignificantBits(), 100) < 50;
      awaitJob(user, expectedIn ? "succeeded" : "skipped");
      assertThat(db.count("SELECT count(*) FROM conversations WHERE customer_id = ?", user))
          .isEqualTo(expectedIn ? 1 : 0);
      in += expectedIn ? 1 : 0;
    }
    assertThat(in).as("a 50 % rollout over 24 random ids includes some and leaves some out").isBetween(1, 23);
  }

  @Test
  void failuresRetryOnTheConfiguredDelaysThenDieWithAnAlertAndAnAdminCanRetry() {
    putSettings(new JsonObject().put("retry_delays_seconds", new JsonArray().add(0.5).add(1.0)).put("max_retries", 2));
    // the notifier is down: the last step fails on every attempt
    server.app.undeploy("NotificationVerticle").toCompletionStage().toCompletableFuture().join();
    UUID userId;
    Map<String, Object> dead;
    try {
      userId = UUID.fromString(server.register(unique("retry_"), null).getString("id"));
      dead = awaitJob(userId, "dead");
    } finally {
      server.app.deploy("NotificationVerticle").toCompletionStage().toCompletableFuture().join();
    }
    Object jobId = dead.get("id");
    assertThat(dead.get("attempts")).isEqualTo(3);
    assertThat(dead.get("last_error").toString()).contains("consultants_notified").contains("nobody is listening");

    List<Map<String, Object>> failures = db.rows("SELECT created_at FROM automation_job_steps WHERE job_id = ? "
        + "AND NOT success ORDER BY id", jobId);
    assertThat(failures).hasSize(3);
    long firstGap = gapMs(failures.get(0), failures.get(1));
    long secondGap = gapMs(failures.get(1), failures.get(2));
    assertThat(firstGap).as("retry 1 after 0.5 s ± 20 %").isBetween(400L, 2_000L);
    assertThat(secondGap).as("retry 2 after 1.0 s ± 20 %").isBetween(800L, 2_500L);
    // earlier steps succeeded once and were not repeated by the retries
    assertThat(db.count("SELECT count(*) FROM automation_job_steps WHERE job_id = ? AND success", jobId)).isEqualTo(3);

    // the alert was queued with the dead mark and delivered to the admins' inboxes by the notifier (back now)
    assertThat(db.count("SELECT count(*) FROM admin_alert_outbox WHERE kind = 'automation_job_dead' "
        + "AND details->>'job_id' = ?", jobId.toString())).isEqualTo(1);
    JsonObject alert = Poll.until(Duration.ofSeconds(10), "admin alert in the inbox", () -> {
      Map<String, Object> row = db.one("SELECT body::text AS body FROM notifications WHERE kind = 'admin_alert' "
          + "AND body->>'kind' = 'automation_job_dead' AND body->'details'->>'job_id' = ?", jobId.toString());
      return row == null ? null : new JsonObject(row.get("body").toString());
    });
    assertThat(alert.getJsonObject("details").getString("user_id")).isEqualTo(userId.toString());
    assertThat(alert.getString("message")).contains("注册自动化").contains("3 次尝试");
    assertThat(server.metrics()).containsPattern("automation_jobs_dead_total [1-9]");

    Http.Res deadList = server.http.get("/api/v1/admin/registration-automation/jobs?status=dead", admin);
    assertThat(deadList.json().getJsonArray("items").stream().map(o -> ((JsonObject) o).getString("id")))
        .contains(jobId.toString());

    Http.Res retry = server.http.post("/api/v1/admin/registration-automation/jobs/" + jobId + "/retry",
        new JsonObject(), admin);
    assertThat(retry.status()).isEqualTo(202);
    awaitJob(userId, "succeeded");
    assertThat(db.count("SELECT count(*) FROM conversations WHERE customer_id = ?", userId)).isEqualTo(1);
    assertThat(db.count("SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id "
        + "WHERE c.customer_id = ? AND m.kind = 'welcome'", userId)).isEqualTo(1);

    Http.Res again = server.http.post("/api/v1/admin/registration-automation/jobs/" + jobId + "/retry",
        new JsonObject(), admin);
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.errorCode()).isEqualTo("job_not_retryable");
    assertThat(server.http.post("/api/v1/admin/registration-automation/jobs/" + UUID.randomUUID() + "/retry",
        new JsonObject(), admin).status()).isEqualTo(404);
  }

  private static long gapMs(Map<String, Object> a, Map<String, Object> b) {
    return ((Timestamp) b.get("created_at")).getTime() - ((Timestamp) a.get("created_at")).getTime();
  }

  @Test
  void stoppingTheEngineMidJobHandsTheJobBackAndItFinishesOnce() throws Exception {
    UUID userId;
    // hold a lock that blocks welcome messages: the job stops inside welcome_sent
    try (var lock = server.jdbc()) {
      lock.setAutoCommit(false);
      lock.createStatement().execute("LOCK TABLE messages IN SHARE ROW EXCLUSIVE MODE");
      userId = UUID.fromString(server.register(unique("midjob_"), null).getString("id"));
      Poll.until(Duration.ofSeconds(10), "job inside welcome_sent", () ->
          db.one("SELECT 1 FROM automation_jobs WHERE user_id = ? AND status = 'running' "
              + "AND last_step = 'welcome_generated'", userId));
      var undeployed = server.app.undeploy("AutomationVerticle").toCompletionStage().toCompletableFuture();
      // the engine waits a few seconds for the blocked job, then hands it back
      undeployed.get(30, TimeUnit.SECONDS);
      assertThat(db.one("SELECT status FROM automation_jobs WHERE user_id = ?", userId).get("status"))
          .isEqualTo("pending");
      lock.rollback();
    }
    server.app.deploy("AutomationVerticle").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    Map<String, Object> job = awaitJob(userId, "succeeded");
    assertThat(db.count("SELECT count(*) FROM conversations WHERE customer_id = ?", userId)).isEqualTo(1);
    assertThat(db.count("SELECT count(*) FROM messages WHERE conversation_id = ?", job.get("conversation_id")))
        .isEqualTo(1);
    assertThat(db.rows("SELECT step FROM automation_job_steps WHERE job_id = ? AND success ORDER BY id", job.get("id")))
        .extracting(s -> s.get("step"))
        .containsExactly("conversation_created", "welcome_generated", "welcome_sent", "consultants_notified");
  }

  @Test
  void theEnginesWritesSkipTheFlushWaitButRegistrationsDoNot() throws Exception {
    var database = server.app.context().database();
    var vertx = server.app.vertx();
    String redoable = database.redoablePool(vertx).query("SHOW synchronous_commit").execute()
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).iterator().next().getString(0);
    String main = database.pool(vertx).query("SHOW synchronous_commit").execute()
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).iterator().next().getString(0);
    assertThat(redoable).isEqualTo("off");
    assertThat(main).isEqualTo("on");
  }

  @Test
  void adminJobListIsValidated() {
    assertThat(server.http.get("/api/v1/admin/registration-automation/jobs?status=weird", admin).status())
        .isEqualTo(400);
    assertThat(server.http.get("/api/v1/admin/registration-automation/jobs/nope", admin).status()).isEqualTo(404);
    Http.Res all = server.http.get("/api/v1/admin/registration-automation/jobs?limit=5", admin);
    assertThat(all.status()).isEqualTo(200);
    assertThat(all.json().getJsonArray("items").size()).isLessThanOrEqualTo(5);
  }

  @Test
  void metricsShowStepsJobsAndTimeToWelcome() {
    UUID userId = UUID.fromString(server.register(unique("metrics_"), null).getString("id"));
    awaitJob(userId, "succeeded");
    String metrics = Poll.until(Duration.ofSeconds(10), "job gauges refreshed", () -> {
      String body = server.metrics();
      return body.matches("(?s).*automation_jobs\\{status=\"succeeded\"} [1-9].*") ? body : null;
    });
    assertThat(metrics)
        .contains("automation_step_seconds_count{outcome=\"success\",step=\"conversation_created\"}")
        .contains("automation_step_seconds_count{outcome=\"success\",step=\"welcome_sent\"}")
        .contains("automation_registration_to_welcome_seconds_bucket")
        .contains("automation_registration_to_conversation_seconds_count")
        .contains("automation_jobs_finished_total{outcome=\"succeeded\"}");
  }
}
