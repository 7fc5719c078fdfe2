package com.anmeismart.server.notify;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.testing.BridgeClient;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.LogCapture;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import com.anmeismart.server.testing.WeComDouble;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * WeCom (企业微信) on the alert ladder, end to end: the real server (HTTP, bridge, PostgreSQL) sending to the WeCom
 * double over HTTP. Offline consultants get one textcard at once, a page that acknowledges gets none, one that does
 * not gets it within ack_seconds + 1 s; a rate limit is waited out from the row and the card goes once, across a
 * restart too; an unknown WeCom user id is recorded and not tried again; the secret and tokens never show.
 */
class WeComIT {

  static final int ACK_SECONDS = 2;
  static final String PUBLIC = "https://clinic.example";
  static WeComDouble wecom;
  static LogCapture log;
  static TestApp server;
  static String admin;

  static JsonObject env() {
    return new JsonObject().put("WECOM_CORP_ID", WeComDouble.CORP_ID)
        .put("WECOM_AGENT_ID", String.valueOf(WeComDouble.AGENT_ID)).put("WECOM_SECRET", WeComDouble.SECRET)
        .put("WECOM_BASE_URL", wecom.baseUrl()).put("PUBLIC_BASE_URL", PUBLIC);
  }

  @BeforeAll
  static void start() throws Exception {
    wecom = new WeComDouble();
    log = LogCapture.capture();
    server = TestApp.start(env());
    admin = server.adminToken();
    AlertLadderIT.settings(server, new JsonObject().put("ack_seconds", ACK_SECONDS));
  }

  @AfterAll
  static void stop() {
    server.close();
    log.close();
    wecom.close();
  }

  @BeforeEach
  void onlyThisTestsConsultants() {
    wecom.throttle(false);
    Staff.disableAllConsultants(server);
  }

  /** A consultant with a WeCom user id (a member of the double's corp when {@code member}). */
  static Staff consultant(TestApp app, String displayName, String wecomUserid, boolean member) {
    Staff s = Staff.consultant(app, app.adminToken(), displayName);
    Http.Res res = app.http.put("/api/v1/admin/users/" + s.id(), new JsonObject().put("wecom_userid", wecomUserid),
        app.adminToken());
    assertThat(res.status()).as(res.body()).isEqualTo(200);
    if (member) {
      wecom.member(wecomUserid);
    }
    return s;
  }

  static String uid(String prefix) {
    return prefix + UUID.randomUUID().toString().substring(0, 8);
  }

  static String register(TestApp app) {
    return app.register(uid("wc_"), new JsonObject().put("full_name", "王小美").put("source", "website"))
        .getString("id");
  }

  static Map<String, Object> row(TestApp app, String conversation, Staff s) {
    return app.db().one("SELECT status, reason, kind, provider_id, error, attempts FROM offline_sends "
        + "WHERE conversation_id = ?::uuid AND consultant_id = ?::uuid AND channel = 'wecom'", conversation, s.id());
  }

  @Test
  void anOfflineConsultantGetsOneTextcardAtOnce() {
    String userid = uid("li.");
    Staff li = consultant(server, "李顾问", userid, true);
    String conversation = AlertLadderIT.conversationOf(server, register(server));

    WeComDouble.Received card = Poll.until(Duration.ofSeconds(10), "the textcard",
        () -> wecom.acceptedTo(userid).stream().findFirst().orElse(null));
    Instant notified = ((java.sql.Timestamp) server.db().one("SELECT notified_at FROM customer_notices "
        + "WHERE conversation_id = ?::uuid", conversation).get("notified_at")).toInstant();
    assertThat(Duration.between(notified, card.at())).as("the notify step to the card")
        .isLessThan(Duration.ofSeconds(2));
    assertThat(card.problem()).as("within WeCom's limits").isNull();
    JsonObject tc = card.textcard();
    assertThat(tc.getString("title")).isEqualTo("新客户注册");
    assertThat(tc.getString("description")).contains("客户：王小美").contains("来源：website").contains("已等待");
    assertThat(tc.getString("url")).isEqualTo(PUBLIC + "/consultant/#conversation=" + conversation);
    assertThat(tc.getString("btntxt")).isEqualTo("认领");
    assertThat(card.body().getInteger("enable_duplicate_check")).isEqualTo(1);
    assertThat(card.body().getInteger("duplicate_check_interval")).isEqualTo(1800);

    Map<String, Object> row = Poll.until(Duration.ofSeconds(5), "the row says sent", () -> {
      Map<String, Object> r = row(server, conversation, li);
      return "sent".equals(r.get("status")) ? r : null;
    });
    assertThat(row).containsEntry("reason", "offline").containsEntry("kind", "new_customer")
        .containsEntry("attempts", 1).containsEntry("provider_id", card.answer().getString("msgid"));
    assertThat(wecom.to(userid)).hasSize(1);
  }

  @Test
  void anAcknowledgingPageGetsNoWeComAndOneThatDoesNotGetsItWithinAckSecondsPlusOne() {
    String ackId = uid("ack.");
    String lidId = uid("lid.");
    Staff acking = consultant(server, "王顾问", ackId, true);
    Staff silent = consultant(server, "张顾问", lidId, true);
    try (BridgeClient ackPage = AlertLadderIT.online(server, acking);
         BridgeClient silentPage = AlertLadderIT.online(server, silent)) {
      String conversation = AlertLadderIT.conversationOf(server, register(server));
      String notification = AlertLadderIT.liveCopy(ackPage, acking, conversation).getString("notification_id");
      assertThat(server.http.post("/api/v1/notifications/" + notification + "/delivered", new JsonObject(),
          acking.token()).status()).isEqualTo(200);
      AlertLadderIT.liveCopy(silentPage, silent, conversation);
      Instant live = Instant.now();

      WeComDouble.Received card = Poll.until(Duration.ofSeconds(ACK_SECONDS + 5), "the ladder's card",
          () -> wecom.acceptedTo(lidId).stream().findFirst().orElse(null));
      assertThat(Duration.between(live, card.at()).toMillis()).as("card after the live copy (ms)")
          .isLessThanOrEqualTo(ACK_SECONDS * 1000L + 1000);
      assertThat(row(server, conversation, silent)).containsEntry("reason", "unacknowledged");
      Map<String, Object> acked = Poll.until(Duration.ofSeconds(5), "the acknowledged row settles", () -> {
        Map<String, Object> r = row(server, conversation, acking);
        return "skipped".equals(r.get("status")) ? r : null;
      });
      assertThat(acked).containsEntry("error", "acknowledged");
      assertThat(wecom.to(ackId)).as("an acknowledged live copy never goes to WeCom").isEmpty();
    }
  }

  @Test
  void aRateLimitIsWaitedOutFromTheRowAndTheCardGoesOnceEvenAcrossARestart() {
    TestApp first = TestApp.start(env());
    TestApp second = null;
    try {
      AlertLadderIT.settings(first, new JsonObject().put("ack_seconds", ACK_SECONDS));
      Staff.disableAllConsultants(first);
      String userid = uid("rate.");
      Staff zhao = consultant(first, "赵顾问", userid, true);
      wecom.throttle(true);
      String conversation = AlertLadderIT.conversationOf(first, register(first));
      Poll.until(Duration.ofSeconds(10), "a 45009", () -> wecom.to(userid).stream()
          .anyMatch(r -> r.answer().getInteger("errcode") == 45009) ? true : null);
      Map<String, Object> waiting = Poll.until(Duration.ofSeconds(5), "the row waits", () -> {
        Map<String, Object> r = row(first, conversation, zhao);
        return r.get("error") != null ? r : null;
      });
      assertThat(waiting).containsEntry("status", "pending");
      assertThat((String) waiting.get("error")).contains("45009");

      first.close(); // the process that was refused is gone; the row is all that remembers the send
      wecom.throttle(false);
      Instant cleared = Instant.now();
      second = TestApp.start(first.pgUrl, env());
      TestApp after = second;
      WeComDouble.Received card = Poll.until(Duration.ofSeconds(30), "delivered after the limit cleared",
          () -> wecom.acceptedTo(userid).stream().findFirst().orElse(null));
      assertThat(Duration.between(cleared, card.at())).as("within 30 s of the limit clearing")
          .isLessThan(Duration.ofSeconds(30));
      Map<String, Object> sent = Poll.until(Duration.ofSeconds(5), "the row says sent", () -> {
        Map<String, Object> r = row(after, conversation, zhao);
        return "sent".equals(r.get("status")) ? r : null;
      });
      assertThat(sent.get("provider_id")).isEqualTo(card.answer().getString("msgid"));
      assertThat(wecom.acceptedTo(userid)).as("exactly once").hasSize(1);
    } finally {
      wecom.throttle(false);
      if (second != null) {
        second.close();
      }
    }
  }

  @Test
  void anUnknownWeComUserIsRecordedShownAndNotTriedAgain() {
    String ghost = uid("ghost.");
    Staff zhou = consultant(server, "周顾问", ghost, false);
    String first = AlertLadderIT.conversationOf(server, register(server));
    Map<String, Object> failed = Poll.until(Duration.ofSeconds(10), "the refused row", () -> {
      Map<String, Object> r = row(server, first, zhou);
      return "failed".equals(r.get("status")) ? r : null;
    });
    assertThat((String) failed.get("error")).contains("81013");
    assertThat(failed).containsEntry("attempts", 1);
    JsonObject status = server.http.get("/api/v1/admin/wecom/status", admin).json();
    JsonArray problems = status.getJsonArray("recipient_problems");
    assertThat(problems.stream().map(o -> (JsonObject) o).filter(p -> p.getString("user_id").equals(zhou.id())))
        .singleElement().satisfies(p -> {
          assertThat(p.getString("display_name")).isEqualTo("周顾问");
          assertThat(p.getString("wecom_userid")).isEqualTo(ghost);
          assertThat(p.getInteger("errcode")).isEqualTo(81013);
        });

    String second = AlertLadderIT.conversationOf(server, register(server));
    Map<String, Object> skipped = Poll.until(Duration.ofSeconds(10), "the next alert's row", () -> {
      Map<String, Object> r = row(server, second, zhou);
      return r != null && !"pending".equals(r.get("status")) ? r : null;
    });
    assertThat(skipped).containsEntry("status", "failed");
    assertThat((String) skipped.get("error")).contains("not tried again");
    assertThat(wecom.to(ghost)).as("WeCom was asked once, not again").hasSize(1);

    // the admin fixes the id: the next alert is tried, reaches them, and the problem is gone from the console
    String fixed = uid("zhou.");
    assertThat(server.http.put("/api/v1/admin/users/" + zhou.id(), new JsonObject().put("wecom_userid", fixed),
        admin).status()).isEqualTo(200);
    wecom.member(fixed);
    AlertLadderIT.conversationOf(server, register(server));
    Poll.until(Duration.ofSeconds(10), "delivered to the fixed id", () -> wecom.acceptedTo(fixed).isEmpty() ? null
        : true);
    Poll.until(Duration.ofSeconds(5), "the problem cleared", () -> server.http.get("/api/v1/admin/wecom/status",
        admin).json().getJsonArray("recipient_problems").stream()
        .noneMatch(o -> ((JsonObject) o).getString("user_id").equals(zhou.id())) ? true : null);
  }

  @Test
  void aHundredOfflineConsultantsShareOneTokenFetch() {
    for (int i = 0; i < 100; i++) {
      String name = uid("bulk");
      wecom.member(name);
      server.db().update("INSERT INTO users (username, email, password_hash, role, display_name, wecom_userid) "
          + "VALUES (?, ?, 'x', 'consultant', ?, ?)", name, name + "@clinic.example", "顾问" + i, name);
    }
    wecom.expireTokens(); // the process's cached token is dead: the hundred sends must share one new one
    int fetches = wecom.tokenFetches.get();
    int sends = wecom.sends.size();
    AlertLadderIT.conversationOf(server, register(server));
    Poll.until(Duration.ofSeconds(20), "a hundred cards", () -> wecom.sends.subList(sends, wecom.sends.size())
        .stream().filter(WeComDouble.Received::accepted).count() >= 100 ? true : null);
    assertThat(wecom.tokenFetches.get() - fetches).as("one token fetch for a hundred sends").isEqualTo(1);
    assertThat(wecom.sends.subList(sends, wecom.sends.size())).allMatch(r -> r.problem() == null);
  }

  @Test
  void theSecretIsWriteOnlySealedAndNeverShownAndTheTestMessageIsAudited() {
    String path = "/api/v1/admin/notification-settings";
    JsonObject shown = server.http.get(path, admin).json();
    assertThat(shown.getBoolean("wecom_enabled")).as("on by env").isTrue();
    assertThat(shown.getString("wecom_corp_id")).isEqualTo(WeComDouble.CORP_ID);
    assertThat(shown.getInteger("wecom_agent_id")).isEqualTo(WeComDouble.AGENT_ID);
    assertThat(shown.getBoolean("wecom_secret_set")).isTrue();

    // a saved secret wins over env, sealed at rest; WeCom refuses this one, and the status says so
    String other = "another-secret-" + UUID.randomUUID();
    Http.Res put = server.http.put(path, new JsonObject().put("wecom_secret", other).put("wecom_secret_set", false),
        admin);
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    assertThat(put.body()).doesNotContain(other);
    String sealed = (String) server.db().one("SELECT sealed FROM wecom_secret").get("sealed");
    assertThat(sealed).doesNotContain(other).isNotBlank();
    JsonObject refused = Poll.until(Duration.ofSeconds(10), "the status sees the saved secret", () -> {
      JsonObject s = server.http.get("/api/v1/admin/wecom/status", admin).json();
      return "unavailable".equals(s.getString("token")) ? s : null;
    });
    assertThat(refused.getString("error")).contains("40001").doesNotContain(other);
    assertThat(server.http.put(path, new JsonObject().put("wecom_secret", "bad secret with spaces"), admin).status())
        .isEqualTo(400);
    // "" clears it: the env secret applies again
    assertThat(server.http.put(path, new JsonObject().put("wecom_secret", ""), admin).status()).isEqualTo(200);
    assertThat(server.db().count("SELECT count(*) FROM wecom_secret")).isZero();
    Poll.until(Duration.ofSeconds(10), "the token again", () -> "ok".equals(server.http.get(
        "/api/v1/admin/wecom/status", admin).json().getString("token")) ? true : null);
    JsonObject ready = server.management().get("/ready", null).json();
    JsonObject check = ready.getJsonArray("checks").stream().map(o -> (JsonObject) o)
        .filter(c -> c.getString("id").equals("wecom")).findFirst().orElseThrow();
    assertThat(check.getString("status")).isEqualTo("UP");
    assertThat(check.getJsonObject("data").getString("token")).isEqualTo("ok");

    // "send a test message to me": the admin needs a WeCom id; the card reaches them; the audit says so
    Http.Res none = server.http.post("/api/v1/admin/wecom/test", new JsonObject(), admin);
    assertThat(none.status()).isEqualTo(409);
    assertThat(none.errorCode()).isEqualTo("wecom_no_userid");
    String adminId = server.http.get("/api/v1/auth/me", admin).json().getString("id");
    String mine = uid("root.");
    wecom.member(mine);
    assertThat(server.http.put("/api/v1/admin/users/" + adminId, new JsonObject().put("wecom_userid", mine), admin)
        .status()).isEqualTo(200);
    Http.Res test = server.http.post("/api/v1/admin/wecom/test", new JsonObject(), admin);
    assertThat(test.status()).as(test.body()).isEqualTo(200);
    assertThat(test.json().getString("msgid")).isEqualTo(wecom.acceptedTo(mine).get(0).answer().getString("msgid"));
    assertThat(wecom.acceptedTo(mine).get(0).textcard().getString("title")).isEqualTo("企业微信通知测试");
    JsonObject audit = server.http.get("/api/v1/admin/audit?limit=5", admin).json().getJsonArray("items").stream()
        .map(o -> (JsonObject) o).filter(a -> a.getString("action").equals("wecom.test_message")).findFirst()
        .orElseThrow();
    assertThat(audit.getJsonObject("after").getBoolean("sent")).isTrue();
    Staff consultant = Staff.consultant(server, admin);
    assertThat(server.http.post("/api/v1/admin/wecom/test", new JsonObject(), consultant.token()).status())
        .isEqualTo(403);

    // neither the secrets nor any token WeCom issued shows in the log, the audit, the metrics or /ready
    String everything = LogCapture.describe(log.events(e -> true))
        + server.db().rows("SELECT before::text, after::text, action FROM audit_log")
        + server.metrics() + server.management().get("/ready", null).body()
        + server.http.get(path, admin).body() + server.http.get("/api/v1/admin/wecom/status", admin).body();
    assertThat(everything).contains("wecom.test_message").doesNotContain(WeComDouble.SECRET).doesNotContain(other);
    List<String> tokens = wecom.sends.stream().map(WeComDouble.Received::token).filter(t -> t != null).distinct()
        .toList();
    assertThat(tokens).isNotEmpty();
    for (String token : tokens) {
      assertThat(everything).doesNotContain(token);
    }
    assertThat(server.db().rows("SELECT action FROM audit_log WHERE action LIKE 'settings.wecom_secret%'"))
        .extracting(r -> r.get("action")).contains("settings.wecom_secret_set", "settings.wecom_secret_cleared");
  }
}
