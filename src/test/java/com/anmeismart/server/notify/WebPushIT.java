package com.anmeismart.server.notify;

import com.anmeismart.server.settings.AutomationSettings;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.PushServiceDouble;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The offline path: an offline consultant gets an inbox entry and a Web Push message that a local push service
 * accepts after checking the VAPID JWT and decrypting the RFC 8291 payload; gone subscriptions are dropped; the
 * web_push switch is respected; the subscription API validates what browsers send.
 */
class WebPushIT {

  static TestApp server;
  static String admin;
  static PushServiceDouble pushService;

  @BeforeAll
  static void start() throws Exception {
    server = TestApp.start(null);
    admin = server.adminToken();
    pushService = new PushServiceDouble();
  }

  @AfterAll
  static void stop() throws Exception {
    pushService.close();
    server.close();
  }

  static Map<String, Object> finishedJob(String userId) {
    return Poll.until(Duration.ofSeconds(20), "job finished", () -> server.db().one(
        "SELECT notify_result::text AS result, conversation_id::text AS conversation_id FROM automation_jobs "
            + "WHERE user_id = ?::uuid AND status = 'succeeded'", userId));
  }

  /** Many pushes encrypted at once (two crypto threads): every one decrypts (the library's encryptor is per thread). */
  @Test
  void pushesEncryptedAtTheSameTimeAllDecrypt() {
    Staff.disableAllConsultants(server);
    java.util.List<Staff> offline = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      Staff s = Staff.consultant(server, admin);
      assertThat(server.http.post("/api/v1/push/subscriptions", pushService.subscription("/many/" + s.id()),
          s.token()).status()).isEqualTo(201);
      offline.add(s);
    }
    String customerId = server.register("manycust_" + UUID.randomUUID().toString().substring(0, 8), null)
        .getString("id");
    String conversation = (String) finishedJob(customerId).get("conversation_id");
    java.util.List<PushServiceDouble.Received> pushes = Poll.until(Duration.ofSeconds(30), "40 pushes", () -> {
      var got = pushService.received.stream().filter(r -> r.path().startsWith("/many/")).toList();
      return got.size() >= 40 ? got : null;
    });
    assertThat(pushes).hasSize(40).allSatisfy(r -> {
      assertThat(r.problem()).isNull();
      assertThat(r.payload().getString("conversation_id")).isEqualTo(conversation);
    });
  }

  @Test
  void anOfflineConsultantGetsAnInboxEntryAndAnEncryptedVapidSignedPush() {
    Staff.disableAllConsultants(server);
    Staff offline = Staff.consultant(server, admin);
    Http.Res sub = server.http.post("/api/v1/push/subscriptions", pushService.subscription("/push/" + offline.id()),
        offline.token());
    assertThat(sub.status()).as(sub.body()).isEqualTo(201);
    String vapidKey = server.http.get("/api/v1/push/vapid-public-key", offline.token()).json().getString("public_key");

    String name = "pushcust_" + UUID.randomUUID().toString().substring(0, 8);
    String customerId = server.register(name, null).getString("id");
    Map<String, Object> job = finishedJob(customerId);
    assertThat(new JsonObject((String) job.get("result")))
        .isEqualTo(new JsonObject().put("online", 0).put("inbox", 1).put("push", 1));

    PushServiceDouble.Received push = Poll.until(Duration.ofSeconds(10), "push received", () -> pushService.received
        .stream().filter(r -> r.path().equals("/push/" + offline.id())).findFirst().orElse(null));
    assertThat(push.problem()).isNull();
    assertThat(push.vapidKey()).isEqualTo(vapidKey);
    assertThat(push.jwtClaims().getString("aud")).isEqualTo(pushService.origin());
    assertThat(push.payload().getString("type")).isEqualTo("new_customer");
    assertThat(push.payload().getString("title")).isEqualTo("新客户注册");
    assertThat(push.payload().getString("body")).contains(name);
    assertThat(push.payload().getString("conversation_id")).isEqualTo(job.get("conversation_id"));
    assertThat(push.payload().getString("link")).endsWith("/consultant/#conversation=" + job.get("conversation_id"));

    JsonObject inbox = server.http.get("/api/v1/notifications?unread=true", offline.token()).json();
    assertThat(inbox.getLong("unread")).isEqualTo(1);
    JsonObject entry = inbox.getJsonArray("items").getJsonObject(0);
    assertThat(entry.getString("id")).isEqualTo(push.payload().getString("notification_id"));
    assertThat(entry.getString("channel")).isEqualTo("inbox");
    assertThat(entry.getString("pushed_at")).isNotNull();
    assertThat(entry.getJsonObject("body").getJsonObject("customer").getString("username")).isEqualTo(name);
  }

  @Test
  void goneSubscriptionsAreDroppedAndTheSwitchIsRespected() {
    Staff.disableAllConsultants(server);
    Staff offline = Staff.consultant(server, admin);
    assertThat(server.http.post("/api/v1/push/subscriptions", pushService.subscription("/push/gone"), offline.token())
        .status()).isEqualTo(201);
    String first = server.register("gonecust_" + UUID.randomUUID().toString().substring(0, 8), null).getString("id");
    assertThat(new JsonObject((String) finishedJob(first).get("result")).getInteger("push")).isZero();
    Poll.until(Duration.ofSeconds(10), "gone subscription dropped", () -> server.db().count(
        "SELECT count(*) FROM push_subscriptions WHERE user_id = ?::uuid", offline.id()) == 0);
    assertThat(server.metrics())
        .containsPattern("notify_push_failures_total\\{reason=\"gone\"} [1-9]");

    // the web_push switch off: an inbox entry, no push
    assertThat(server.http.post("/api/v1/push/subscriptions", pushService.subscription("/push/off-" + offline.id()),
        offline.token()).status()).isEqualTo(201);
    assertThat(server.http.put("/api/v1/admin/registration-automation/settings", new JsonObject()
        .put("notifications", new JsonObject().put("web_push", false)), admin).status()).isEqualTo(200);
    try {
      String second = server.register("offcust_" + UUID.randomUUID().toString().substring(0, 8), null).getString("id");
      assertThat(new JsonObject((String) finishedJob(second).get("result")))
          .isEqualTo(new JsonObject().put("online", 0).put("inbox", 1).put("push", 0));
      assertThat(pushService.received.stream().filter(r -> r.path().equals("/push/off-" + offline.id()))).isEmpty();
    } finally {
      server.http.put("/api/v1/admin/registration-automation/settings", AutomationSettings.DEFAULTS.toJson(), admin);
    }
  }

  @Test
  void theSubscriptionApiValidatesAndOnlyStaffMaySubscribe() {
    Staff consultant = Staff.consultant(server, admin);
    JsonObject good = pushService.subscription("/push/api-" + consultant.id());
    assertThat(server.http.post("/api/v1/push/subscriptions", good, consultant.token()).status()).isEqualTo(201);
    assertThat(server.http.post("/api/v1/push/subscriptions", good, consultant.token()).status()).isEqualTo(200);

    Http.Res badKey = server.http.post("/api/v1/push/subscriptions", good.copy().put("keys", good.getJsonObject("keys")
        .copy().put("p256dh", "A".repeat(87))), consultant.token());
    assertThat(badKey.status()).isEqualTo(400);
    assertThat(badKey.errorDetails().fieldNames()).containsExactly("keys");
    Http.Res badEndpoint = server.http.post("/api/v1/push/subscriptions", good.copy().put("endpoint", "ftp://x"),
        consultant.token());
    assertThat(badEndpoint.status()).isEqualTo(400);
    assertThat(badEndpoint.errorDetails().fieldNames()).containsExactly("endpoint");

    String customer = server.login(server.register("subcust_" + UUID.randomUUID().toString().substring(0, 8), null)
        .getString("username"), "correct-horse");
    assertThat(server.http.post("/api/v1/push/subscriptions", good, customer).status()).isEqualTo(403);
    assertThat(server.http.get("/api/v1/push/vapid-public-key", customer).status()).isEqualTo(403);
    assertThat(server.http.get("/api/v1/push/vapid-public-key", null).status()).isEqualTo(401);

    assertThat(server.http.delete("/api/v1/push/subscriptions?endpoint=" + good.getString("endpoint"),
        consultant.token()).status()).isEqualTo(204);
  }

  @Test
  void theVapidKeysSurviveARestart() {
    String before = server.http.get("/api/v1/push/vapid-public-key", admin).json().getString("public_key");
    try (TestApp second = TestApp.start(server.pgUrl, null)) {
      assertThat(second.http.get("/api/v1/push/vapid-public-key", second.adminToken()).json().getString("public_key"))
          .isEqualTo(before);
    }
  }
}
