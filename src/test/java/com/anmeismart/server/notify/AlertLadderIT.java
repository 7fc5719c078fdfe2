package com.anmeismart.server.notify;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.NewCustomer;
import com.anmeismart.server.bus.NotifyResult;
import com.anmeismart.server.testing.BridgeClient;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.PushServiceDouble;
import com.anmeismart.server.testing.TestApp;
import com.anmeismart.server.testing.TestPg;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The alert ladder over real HTTP, the real bridge, PostgreSQL and a push service double that checks VAPID and
 * decrypts: a live copy the page never acknowledges goes out by Web Push within ack_seconds + 1 s; an acknowledged
 * one never does; a page that reconnects gets what still waits (not what was claimed or read meanwhile); the same
 * alert never goes twice on a channel, across job retries and restarts; escalations climb the same ladder.
 */
class AlertLadderIT {

  static final int ACK_SECONDS = 2;
  static TestApp server;
  static String admin;
  static PushServiceDouble pushService;

  @BeforeAll
  static void start() throws Exception {
    server = TestApp.start(new JsonObject().put("ESCALATION_CHECK_MS", "200"));
    admin = server.adminToken();
    pushService = new PushServiceDouble();
    settings(server, new JsonObject().put("ack_seconds", ACK_SECONDS));
  }

  @AfterAll
  static void stop() throws Exception {
    pushService.close();
    server.close();
  }

  @BeforeEach
  void onlyThisTestsConsultants() {
    Staff.disableAllConsultants(server);
  }

  static void settings(TestApp app, JsonObject change) {
    Http.Res res = app.http.put("/api/v1/admin/notification-settings", change, app.adminToken());
    assertThat(res.status()).as(res.body()).isEqualTo(200);
  }

  /** A consultant with a Web Push subscription at {@code /push/<id>} on the double. */
  static Staff subscribed(TestApp app, String displayName) {
    Staff s = Staff.consultant(app, app.adminToken(), displayName);
    Http.Res sub = app.http.post("/api/v1/push/subscriptions", pushService.subscription("/push/" + s.id()), s.token());
    assertThat(sub.status()).as(sub.body()).isEqualTo(201);
    return s;
  }

  static BridgeClient online(TestApp app, Staff s) {
    BridgeClient c = BridgeClient.connect(app.port("HTTP_PORT")).register(Addresses.clientConsultant(s.id()),
        s.token());
    c.awaitBody(Addresses.clientConsultant(s.id()), "presence");
    return c;
  }

  static String register(TestApp app, String prefix) {
    return app.register(prefix + UUID.randomUUID().toString().substring(0, 8), null).getString("id");
  }

  static String conversationOf(TestApp app, String customerId) {
    return Poll.until(Duration.ofSeconds(15), "notified", () -> (String) app.db().one(
        "SELECT conversation_id::text AS c FROM customer_notices WHERE customer_id = ?::uuid", customerId).get("c"));
  }

  static JsonObject liveCopy(BridgeClient page, Staff s, String conversation) {
    return page.await(Duration.ofSeconds(15), "live copy", f -> "rec".equals(f.getString("type"))
        && Addresses.clientConsultant(s.id()).equals(f.getString("address"))
        && conversation.equals(f.getJsonObject("body").getString("conversation_id"))).getJsonObject("body");
  }

  @Test
  void anOnlinePageThatNeverAcknowledgesGetsThePushWithinAckSecondsPlusOne() {
    Staff li = subscribed(server, "李顾问");
    try (BridgeClient lidClosed = online(server, li)) {
      String customer = register(server, "ladder_");
      String conversation = conversationOf(server, customer);
      JsonObject live = liveCopy(lidClosed, li, conversation);
      String notification = live.getString("notification_id");

      PushServiceDouble.Received push = Poll.until(Duration.ofSeconds(ACK_SECONDS + 5), "the ladder's push",
          () -> pushService.on("/push/" + li.id()).stream().findFirst().orElse(null));
      assertThat(push.problem()).isNull();
      assertThat(push.payload().getString("notification_id")).isEqualTo(notification);
      assertThat(push.payload().getString("conversation_id")).isEqualTo(conversation);
      assertThat(push.payload().getString("body")).contains("新客户");
      Instant liveAt = ((Timestamp) server.db().one("SELECT created_at FROM notifications WHERE id = ?::uuid",
          notification).get("created_at")).toInstant();
      long afterLive = Duration.between(liveAt, push.at()).toMillis();
      assertThat(afterLive).as("push after the live copy (ms)")
          .isBetween(ACK_SECONDS * 1000L, ACK_SECONDS * 1000L + 1000);

      Map<String, Object> row = server.db().one("SELECT status, reason, kind, channel, provider_id, attempts "
          + "FROM offline_sends WHERE conversation_id = ?::uuid AND consultant_id = ?::uuid", conversation, li.id());
      assertThat(row).containsEntry("status", "sent").containsEntry("reason", "unacknowledged")
          .containsEntry("kind", "new_customer").containsEntry("channel", "web_push").containsEntry("attempts", 1);
      assertThat((String) row.get("provider_id")).startsWith(pushService.origin() + "/message/");
      assertThat(server.db().one("SELECT pushed_at FROM notifications WHERE id = ?::uuid", notification)
          .get("pushed_at")).isNotNull();
      assertThat(server.metrics())
          .containsPattern("notify_offline_sends_total\\{channel=\"web_push\",kind=\"new_customer\",outcome=\"sent\","
              + "reason=\"unacknowledged\"} [1-9]")
          .contains("notify_offline_send_lateness_seconds_bucket");
    }
  }

  @Test
  void anAcknowledgedLiveCopyIsNeverPushed() {
    Staff wang = subscribed(server, "王顾问");
    try (BridgeClient page = online(server, wang)) {
      String customer = register(server, "acked_");
      String conversation = conversationOf(server, customer);
      String notification = liveCopy(page, wang, conversation).getString("notification_id");
      Http.Res ack = Poll.until(Duration.ofSeconds(5), "the inbox row", () -> {
        Http.Res r = server.http.post("/api/v1/notifications/" + notification + "/delivered", new JsonObject(),
            wang.token());
        return r.status() == 200 ? r : null;
      });
      assertThat(ack.json().getString("delivered_at")).isNotNull();
      // at its due time the row is settled, not sent
      Map<String, Object> row = Poll.until(Duration.ofSeconds(ACK_SECONDS + 5), "the row settled", () ->
          server.db().one("SELECT status, error FROM offline_sends WHERE conversation_id = ?::uuid "
              + "AND consultant_id = ?::uuid AND status <> 'pending'", conversation, wang.id()));
      assertThat(row).containsEntry("status", "skipped").containsEntry("error", "acknowledged");
      assertThat(pushService.on("/push/" + wang.id())).isEmpty();
    }
  }

  @Test
  void aPageThatReconnectsGetsOnlyTheCustomersStillWaiting() {
    Staff away = Staff.consultant(server, admin, "赵顾问");
    Staff other = Staff.consultant(server, admin, "钱顾问");
    // away's laptop is closed: both customers arrive in the inbox
    String first = conversationOf(server, register(server, "waiting_"));
    String second = conversationOf(server, register(server, "taken_"));
    String third = conversationOf(server, register(server, "read_"));
    assertThat(server.http.post("/api/v1/conversations/" + second + "/claim", new JsonObject(), other.token())
        .status()).isEqualTo(200);
    JsonArray all = server.http.get("/api/v1/notifications?unread=true", away.token()).json().getJsonArray("items");
    JsonObject thirdEntry = find(all, third);
    assertThat(server.http.post("/api/v1/notifications/" + thirdEntry.getString("id") + "/read", new JsonObject(),
        away.token()).status()).isEqualTo(200);

    // the page comes back: what still waits, without what was claimed or read meanwhile
    JsonArray missed = server.http.get("/api/v1/notifications?unread=true&unclaimed=true", away.token()).json()
        .getJsonArray("items");
    assertThat(missed.stream().map(o -> ((JsonObject) o).getString("conversation_id")))
        .containsExactly(first);
    assertThat(find(missed, first).getValue("claimed_by")).isNull();
    // the full inbox says who took the claimed one, by display name (the entry no longer says "waiting")
    JsonObject taken = find(server.http.get("/api/v1/notifications?unread=true", away.token()).json()
        .getJsonArray("items"), second);
    assertThat(taken.getJsonObject("claimed_by")).isEqualTo(new JsonObject().put("id", other.id())
        .put("display_name", "钱顾问"));
    assertThat(taken.getString("conversation_status")).isEqualTo("claimed");
  }

  static JsonObject find(JsonArray items, String conversation) {
    return items.stream().map(o -> (JsonObject) o).filter(o -> conversation.equals(o.getString("conversation_id")))
        .findFirst().orElseThrow(() -> new AssertionError("no entry for " + conversation + " in " + items.encode()));
  }

  @Test
  void theSameAlertNeverGoesTwiceOnAChannelAcrossRetriesAndRestarts() throws Exception {
    String pgUrl = TestPg.newDatabase();
    Staff sun;
    String customer;
    String conversation;
    int first;
    try (TestApp one = TestApp.start(pgUrl, null)) {
      // long enough that this process is gone before the row is due
      settings(one, new JsonObject().put("ack_seconds", 8));
      sun = subscribed(one, "孙顾问");
      first = one.instance();
      try (BridgeClient page = online(one, sun)) {
        customer = register(one, "restart_");
        conversation = conversationOf(one, customer);
        liveCopy(page, sun, conversation);
        Poll.until(Duration.ofSeconds(10), "the ladder row", () -> one.db().count("SELECT count(*) FROM "
            + "offline_sends WHERE conversation_id = ?::uuid AND status = 'pending'", conversation) == 1);
      }
    }
    assertThat(pushService.on("/push/" + sun.id())).as("nothing before the due time").isEmpty();
    try (TestApp two = TestApp.start(pgUrl, null)) {
      // the next process finds the durable row and sends it when due
      PushServiceDouble.Received push = Poll.until(Duration.ofSeconds(15), "push from the next process",
          () -> pushService.on("/push/" + sun.id()).stream().findFirst().orElse(null));
      assertThat(push.payload().getString("conversation_id")).isEqualTo(conversation);
      // the push service answers after it has the message: the row is marked once the answer is back
      Map<String, Object> row = Poll.until(Duration.ofSeconds(10), "the row marked sent", () -> two.db().one(
          "SELECT lease_instance FROM offline_sends WHERE conversation_id = ?::uuid AND status = 'sent'",
          conversation));
      assertThat(row.get("lease_instance")).isNotEqualTo(first).isEqualTo(two.instance());
      // the job's step retried (a crash before it completed): nothing goes out again
      NewCustomer again = new NewCustomer(UUID.fromString(customer), "x", UUID.fromString(conversation),
          Instant.now(), UUID.randomUUID(), 5, true, true);
      NotifyResult r = two.app.vertx().eventBus().<NotifyResult>request(Addresses.NOTIFY_NEW_CUSTOMER, again)
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).body();
      assertThat(r.push()).isZero();
    }
    // one row per (customer, consultant, channel, kind), sent once
    assertThat(new com.anmeismart.server.testing.Db(pgUrl).rows("SELECT status FROM offline_sends "
        + "WHERE customer_id = ?::uuid", UUID.fromString(customer))).extracting(m -> m.get("status"))
        .containsExactly("sent");
    assertThat(pushService.on("/push/" + sun.id())).hasSize(1);
  }

  @Test
  void anEscalationClimbsTheSameLadderOnceItself() {
    settings(server, new JsonObject().put("ack_seconds", ACK_SECONDS));
    assertThat(server.http.put("/api/v1/admin/registration-automation/settings",
        new JsonObject().put("escalation_minutes", 0.05), admin).status()).isEqualTo(200);
    try {
      Staff zhou = subscribed(server, "周顾问");
      try (BridgeClient page = online(server, zhou)) {
        String conversation = conversationOf(server, register(server, "escalate_"));
        page.await(Duration.ofSeconds(40), "the escalation", f -> "rec".equals(f.getString("type"))
            && f.getJsonObject("body").getBoolean("escalated", false)
            && conversation.equals(f.getJsonObject("body").getString("conversation_id")));
        // this customer's pushes only: customers left unclaimed by earlier tests escalate to 周顾问 too
        Poll.until(Duration.ofSeconds(15), "both pushes", () -> pushService.on("/push/" + zhou.id()).stream()
            .filter(p -> p.payload() != null && p.payload().encode().contains(conversation)).count() == 2);
        Poll.until(Duration.ofSeconds(10), "both rows marked", () -> server.db().count("SELECT count(*) FROM "
            + "offline_sends WHERE conversation_id = ?::uuid AND status = 'sent'", conversation) == 2);
        assertThat(server.db().rows("SELECT kind, reason FROM offline_sends WHERE conversation_id = ?::uuid "
            + "ORDER BY kind", conversation)).extracting(m -> m.get("kind") + ":" + m.get("reason"))
            .containsExactly("escalation:unacknowledged", "new_customer:unacknowledged");
      }
    } finally {
      server.http.put("/api/v1/admin/registration-automation/settings",
          new JsonObject().put("escalation_minutes", 10), admin);
    }
  }
}
