package com.anmeismart.server.dashboard;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.testing.BridgeClient;
import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The console's customers and jobs (SPEC §9): search by name, phone or email; one customer's timeline with every
 * step, the welcome, the MCP calls made with their context token (the welcome agent's and an admin's test call),
 * each notification per consultant and channel, the claim and the first replies; failed and dead jobs filtered,
 * and retried in a batch by filter (running and finished jobs untouched).
 */
class CustomersAndJobsIT {

  static final String RA = "/api/v1/admin/registration-automation";
  static TestApp server;
  static Db db;
  static String admin;

  @BeforeAll
  static void start() {
    server = TestApp.start(null);
    db = server.db();
    admin = server.adminToken();
    Http.Res res = server.http.put(RA + "/settings", new JsonObject().put("welcome_first_text_seconds", 30)
        .put("welcome_completion_seconds", 60), admin);
    assertThat(res.status()).isEqualTo(200);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void aCustomersTimelineShowsTheirWholeOnboarding() {
    db.update("UPDATE users SET is_active = false WHERE role = 'consultant'");
    Console.Staff online = Console.staff(server, admin, "consultant");
    Console.Staff offline = Console.staff(server, admin, "consultant");
    String username = "tl_" + UUID.randomUUID().toString().substring(0, 8);
    try (BridgeClient page = BridgeClient.connect(server.port("HTTP_PORT"))
        .register(Addresses.clientConsultant(online.id()), online.token())) {
      page.awaitBody(Addresses.clientConsultant(online.id()), "presence");
      JsonObject user = server.register(username, new JsonObject().put("full_name", "林时间线")
          .put("phone", "13912345678").put("interests", new JsonArray().add("补水")).put("source", "wechat"));
      UUID userId = UUID.fromString(user.getString("id"));
      Map<String, Object> job = Console.awaitJob(db, userId, "succeeded");
      String conversation = job.get("conversation_id").toString();
      JsonObject live = page.awaitBody(Addresses.clientConsultant(online.id()), "new_customer");
      String notificationId = live.getString("notification_id");
      assertThat(server.http.post("/api/v1/notifications/" + notificationId + "/delivered", new JsonObject(),
          online.token()).status()).isEqualTo(200);
      assertThat(server.http.post("/api/v1/notifications/" + notificationId + "/read", new JsonObject(),
          online.token()).status()).isEqualTo(200);
      assertThat(server.http.post("/api/v1/conversations/" + conversation + "/claim", new JsonObject(),
          online.token()).status()).isEqualTo(200);
      assertThat(server.http.post("/api/v1/conversations/" + conversation + "/messages",
          new JsonObject().put("content", "您好"), online.token()).status()).isEqualTo(201);
      String customerToken = server.login(username, "correct-horse");
      assertThat(server.http.post("/api/v1/conversations/" + conversation + "/messages",
          new JsonObject().put("content", "你好"), customerToken).status()).isEqualTo(201);

      // an admin's test call of a tool for this customer: through the MCP guard, logged as the admin
      String profileTool = server.http.get("/api/v1/mcp/tools", admin).json().getJsonArray("items").stream()
          .map(o -> (JsonObject) o).filter(t -> "get_user_profile".equals(t.getString("tool_name"))
              && "welcome_tools".equals(t.getString("group_name"))).findFirst().orElseThrow().getString("id");
      Http.Res test = server.http.post("/api/v1/admin/mcp/tools/" + profileTool + "/test", new JsonObject()
          .put("arguments", new JsonObject()).put("customer_id", userId.toString()), admin);
      assertThat(test.status()).as(test.body()).isEqualTo(200);
      assertThat(test.json().getBoolean("is_error")).as(test.body()).isFalse();
      assertThat(test.json().getJsonObject("result").encode()).contains(username);
      Http.Res withoutToken = server.http.post("/api/v1/admin/mcp/tools/" + profileTool + "/test",
          new JsonObject().put("arguments", new JsonObject()), admin);
      assertThat(withoutToken.json().getBoolean("is_error")).isTrue();
      assertThat(withoutToken.json().getString("error")).contains("context token");

      JsonObject t = Poll.until(Duration.ofSeconds(10), "the MCP calls in the timeline", () -> {
        JsonObject j = server.http.get(RA + "/customers/" + userId + "/timeline", admin).json();
        return j.getJsonArray("mcp_calls").stream().anyMatch(c -> ((JsonObject) c).getString("caller")
            .startsWith("admin:")) ? j : null;
      });
      assertThat(t.getJsonObject("customer").getString("display_name")).isEqualTo("林时间线");
      assertThat(t.getJsonObject("customer").getString("registered_at")).isNotNull();
      assertThat(t.getJsonObject("job").getString("status")).isEqualTo("succeeded");
      assertThat(t.getJsonArray("steps").stream().map(o -> ((JsonObject) o).getString("step")).toList())
          .containsExactly("conversation_created", "welcome_generated", "welcome_sent", "consultants_notified");
      assertThat(t.getJsonArray("steps").stream().allMatch(o -> ((JsonObject) o).getBoolean("success"))).isTrue();
      JsonObject welcome = t.getJsonObject("welcome");
      assertThat(welcome.getString("source")).isEqualTo("local-agent");
      assertThat(welcome.getString("config_id")).isEqualTo("local-agent");
      assertThat(welcome.getString("config_name")).isEqualTo("内置智能体");
      assertThat(welcome.getString("config_version")).isEqualTo("1");
      assertThat(welcome.getString("content")).contains("林时间线");

      List<JsonObject> calls = t.getJsonArray("mcp_calls").stream().map(o -> (JsonObject) o).toList();
      assertThat(calls).anyMatch(c -> "get_user_profile".equals(c.getString("tool"))
          && "welcome_tools".equals(c.getString("group")) && c.getString("caller").contains("local-agent")
          && c.getBoolean("success"));
      assertThat(calls).anyMatch(c -> ("admin:" + TestApp.ADMIN).equals(c.getString("caller")));
      // no call without this customer's token is listed
      assertThat(db.count("SELECT count(*) FROM mcp_call_logs WHERE subject_user_id = ?", userId))
          .isEqualTo(calls.size());

      Map<String, JsonObject> notes = t.getJsonArray("notifications").stream().map(o -> (JsonObject) o)
          .collect(Collectors.toMap(n -> n.getJsonObject("recipient").getString("id"), n -> n));
      assertThat(notes).containsOnlyKeys(online.id(), offline.id());
      JsonObject seen = notes.get(online.id());
      assertThat(seen.getString("channel")).isEqualTo("live");
      assertThat(seen.getString("kind")).isEqualTo("new_customer");
      assertThat(seen.getString("delivered_at")).isNotNull();
      assertThat(seen.getString("read_at")).isNotNull();
      assertThat(seen.getJsonObject("recipient").getString("display_name")).isEqualTo("测试consultant");
      assertThat(notes.get(offline.id()).getString("channel")).isEqualTo("inbox");
      assertThat(notes.get(offline.id()).getString("delivered_at")).isNull();

      JsonObject conv = t.getJsonObject("conversation");
      assertThat(conv.getString("status")).isEqualTo("claimed");
      assertThat(conv.getJsonObject("consultant").getString("id")).isEqualTo(online.id());
      assertThat(conv.getString("first_consultant_reply_at")).isNotNull();
      assertThat(conv.getString("first_customer_message_at")).isNotNull();

      List<String> types = t.getJsonArray("events").stream().map(o -> ((JsonObject) o).getString("type")).toList();
      assertThat(types.get(0)).isEqualTo("registered");
      assertThat(types).contains("step", "welcome", "mcp_call", "notification", "claimed", "first_reply",
          "customer_message");
      assertThat(types.indexOf("claimed")).isLessThan(types.indexOf("first_reply"));
      List<Instant> times = t.getJsonArray("events").stream().map(o -> Instant.parse(((JsonObject) o).getString("at")))
          .toList();
      assertThat(times).isSorted();

      for (String q : new String[] {"林时间", "912345", username.substring(3).toUpperCase(), "@example.com"}) {
        JsonArray found = server.http.get(RA + "/customers?q=" + java.net.URLEncoder.encode(q,
            java.nio.charset.StandardCharsets.UTF_8), admin).json().getJsonArray("items");
        assertThat(found.stream().map(o -> ((JsonObject) o).getString("id"))).as(q).contains(userId.toString());
      }
      JsonObject hit = server.http.get(RA + "/customers?q=13912345678", admin).json().getJsonArray("items")
          .getJsonObject(0);
      assertThat(hit.getString("display_name")).isEqualTo("林时间线");
      assertThat(hit.getString("consultant_name")).isEqualTo("测试consultant");
      assertThat(server.http.get(RA + "/customers?q=%25", admin).json().getJsonArray("items").stream()
          .map(o -> ((JsonObject) o).getString("id"))).as("% is a character, not a wildcard")
          .doesNotContain(userId.toString());
      assertThat(server.http.get(RA + "/customers/" + UUID.randomUUID() + "/timeline", admin).status())
          .isEqualTo(404);
    }
  }

  @Test
  void deadJobsAreListedByFilterAndRetriedInABatchUntilTheySucceed() {
    Http.Res set = server.http.put(RA + "/settings", new JsonObject().put("max_retries", 0), admin);
    assertThat(set.status()).isEqualTo(200);
    UUID succeeded = UUID.fromString(server.register("ok_" + UUID.randomUUID().toString().substring(0, 8), null)
        .getString("id"));
    Map<String, Object> before = Console.awaitJob(db, succeeded, "succeeded");
    List<UUID> dead = new ArrayList<>();
    server.app.undeploy("NotificationVerticle").toCompletionStage().toCompletableFuture().join();
    try {
      for (int i = 0; i < 3; i++) {
        dead.add(UUID.fromString(server.register("dead_" + UUID.randomUUID().toString().substring(0, 8), null)
            .getString("id")));
      }
      dead.forEach(u -> Console.awaitJob(db, u, "dead"));
    } finally {
      server.app.deploy("NotificationVerticle").toCompletionStage().toCompletableFuture().join();
      server.http.put(RA + "/settings", new JsonObject().put("max_retries", 3), admin);
    }

    JsonObject list = server.http.get(RA + "/jobs?status=dead&step=consultants_notified&error_contains=NOBODY",
        admin).json();
    assertThat(list.getLong("total")).isEqualTo(3);
    JsonObject item = list.getJsonArray("items").getJsonObject(0);
    assertThat(item.getString("failed_step")).isEqualTo("consultants_notified");
    assertThat(item.getString("display_name")).startsWith("dead_");
    assertThat(server.http.get(RA + "/jobs?status=dead&step=welcome_generated", admin).json().getLong("total"))
        .isZero();
    String future = Instant.now().plusSeconds(3600).toString();
    assertThat(server.http.get(RA + "/jobs?status=dead&from=" + future, admin).json().getLong("total")).isZero();

    // bad filters: 400 naming the field, nothing retried
    Http.Res badStatus = server.http.post(RA + "/jobs/retry", new JsonObject().put("status", "running"), admin);
    assertThat(badStatus.status()).isEqualTo(400);
    assertThat(badStatus.errorDetails().containsKey("status")).isTrue();
    Http.Res badFrom = server.http.post(RA + "/jobs/retry", new JsonObject().put("from", "yesterday"), admin);
    assertThat(badFrom.status()).isEqualTo(400);
    assertThat(badFrom.errorDetails().containsKey("from")).isTrue();
    Http.Res badQuery = server.http.get(RA + "/jobs?step=nope", admin);
    assertThat(badQuery.status()).isEqualTo(400);
    assertThat(badQuery.errorDetails().containsKey("step")).isTrue();
    assertThat(db.count("SELECT count(*) FROM automation_jobs WHERE status = 'dead'")).isEqualTo(3);

    // a filter that matches nothing retries nothing
    assertThat(server.http.post(RA + "/jobs/retry", new JsonObject().put("step", "welcome_generated"), admin).json()
        .getInteger("retried")).isZero();

    Http.Res retried = server.http.post(RA + "/jobs/retry", new JsonObject().put("status", "dead")
        .put("step", "consultants_notified").put("error_contains", "nobody is listening")
        .put("from", Instant.now().minusSeconds(600).toString()).put("to", Instant.now().plusSeconds(60).toString()),
        admin);
    assertThat(retried.status()).as(retried.body()).isEqualTo(200);
    assertThat(retried.json().getInteger("retried")).isEqualTo(3);
    // audited with the change: who, the filter, the jobs it restarted
    Map<String, Object> audit = db.one("SELECT actor_kind, before, after FROM audit_log WHERE action = 'job.retry_batch'");
    assertThat(audit.get("actor_kind")).isEqualTo("user");
    assertThat(new JsonObject(String.valueOf(audit.get("before"))).getString("error_contains"))
        .isEqualTo("nobody is listening");
    assertThat(new JsonObject(String.valueOf(audit.get("after"))).getJsonArray("job_ids")).hasSize(3);
    assertThat(db.count("SELECT count(*) FROM audit_log WHERE action = 'job.retry_batch'"))
        .as("the batch that matched nothing left no row").isEqualTo(1);
    dead.forEach(u -> Console.awaitJob(db, u, "succeeded"));
    // the succeeded job was not touched
    Map<String, Object> after = db.one("SELECT * FROM automation_jobs WHERE user_id = ?", succeeded);
    assertThat(after.get("updated_at")).isEqualTo(before.get("updated_at"));
    assertThat(after.get("attempts")).isEqualTo(before.get("attempts"));
  }
}
