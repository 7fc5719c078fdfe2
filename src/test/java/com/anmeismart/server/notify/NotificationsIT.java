package com.anmeismart.server.notify;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.AdminAlert;
import com.anmeismart.server.bus.NewCustomer;
import com.anmeismart.server.bus.NotifyResult;
import com.anmeismart.server.settings.AutomationSettings;
import com.anmeismart.server.testing.BridgeClient;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * R003 end to end over real HTTP, the real bridge and PostgreSQL: the new-customer fan-out (live, inbox), presence
 * with several tabs and abrupt disconnects, idempotent retries, admins told, delivery acknowledgements, the claim
 * race, chat, and the welcome arriving live on the customer's conversation address.
 */
class NotificationsIT {

  static TestApp server;
  static String admin;
  static int port;

  @BeforeAll
  static void start() {
    server = TestApp.start(null);
    admin = server.adminToken();
    port = server.port("HTTP_PORT");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @BeforeEach
  void onlyThisTestsConsultants() {
    Staff.disableAllConsultants(server);
  }

  static String unique(String prefix) {
    return prefix + UUID.randomUUID().toString().substring(0, 8);
  }

  /** A consultant socket on their own address and the broadcast, counted online once the presence notice is back. */
  static BridgeClient online(Staff s) {
    BridgeClient c = BridgeClient.connect(port).register(Addresses.clientConsultant(s.id()), s.token())
        .register(Addresses.CLIENT_CONSULTANTS, s.token());
    c.awaitBody(Addresses.clientConsultant(s.id()), "presence");
    c.awaitListening(server.app.vertx().eventBus(), Addresses.CLIENT_CONSULTANTS);
    return c;
  }

  record Customer(String id, String username, String token, String conversationId) {
  }

  static Customer customer() {
    String name = unique("cust_");
    String id = server.register(name, null).getString("id");
    String conversation = Poll.until(Duration.ofSeconds(10), "conversation", () -> (String) server.db()
        .one("SELECT id::text AS id FROM conversations WHERE customer_id = ?::uuid", id).get("id"));
    return new Customer(id, name, server.login(name, "correct-horse"), conversation);
  }

  static JsonObject notifyResult(String customerId) {
    return new JsonObject((String) Poll.until(Duration.ofSeconds(20), "job succeeded", () -> server.db().one(
        "SELECT notify_result::text AS r FROM automation_jobs WHERE user_id = ?::uuid AND status = 'succeeded'",
        customerId)).get("r"));
  }

  static JsonObject newCustomerFor(BridgeClient c, Staff s, String conversationId) {
    return c.await(Duration.ofSeconds(10), "new_customer for " + conversationId, f -> "rec".equals(f.getString("type"))
        && Addresses.clientConsultant(s.id()).equals(f.getString("address"))
        && "new_customer".equals(f.getJsonObject("body").getString("type"))
        && conversationId.equals(f.getJsonObject("body").getString("conversation_id"))).getJsonObject("body");
  }

  @Test
  void onlineConsultantsGetTheSpecPayloadLiveAndOfflineOnesAnInboxEntry() {
    Staff a = Staff.consultant(server, admin);
    Staff b = Staff.consultant(server, admin);
    try (BridgeClient tab1 = online(a); BridgeClient tab2 = online(a)) {
      Customer cust = customer();
      for (BridgeClient tab : List.of(tab1, tab2)) {
        JsonObject n = newCustomerFor(tab, a, cust.conversationId());
        assertThat(n.fieldNames()).contains("type", "title", "message", "customer", "conversation_id", "link",
            "expected_response_minutes", "timestamp", "action", "notification_id");
        assertThat(n.getString("title")).isEqualTo("新客户注册");
        assertThat(n.getString("action")).isEqualTo("claim_customer");
        assertThat(n.getString("message")).contains(cust.username());
        assertThat(n.getJsonObject("customer").getString("id")).isEqualTo(cust.id());
        assertThat(n.getJsonObject("customer").getString("username")).isEqualTo(cust.username());
        assertThat(Instant.parse(n.getJsonObject("customer").getString("registered_at"))).isBefore(Instant.now());
        assertThat(n.getString("link")).isEqualTo("/consultant/#conversation=" + cust.conversationId());
        assertThat(n.getInteger("expected_response_minutes")).isEqualTo(5);
        assertThat(Instant.parse(n.getString("timestamp"))).isBefore(Instant.now());
      }
      assertThat(notifyResult(cust.id())).isEqualTo(new NotifyResult(1, 1, 0).toJson());

      // A (online) and B (offline) both have it in their inbox; only B's is an offline (inbox channel) entry
      JsonObject aInbox = server.http.get("/api/v1/notifications?unread=true", a.token()).json();
      JsonObject bInbox = server.http.get("/api/v1/notifications?unread=true", b.token()).json();
      assertThat(aInbox.getJsonArray("items").getJsonObject(0).getString("channel")).isEqualTo("live");
      JsonObject bEntry = bInbox.getJsonArray("items").getJsonObject(0);
      assertThat(bEntry.getString("channel")).isEqualTo("inbox");
      assertThat(bEntry.getString("kind")).isEqualTo("new_customer");
      assertThat(bEntry.getString("conversation_id")).isEqualTo(cust.conversationId());
      assertThat(bEntry.getJsonObject("body").getString("action")).isEqualTo("claim_customer");

      // the page acknowledges delivery once; a second ack changes nothing; nobody else can ack it
      String id = newCustomerFor(tab1, a, cust.conversationId()).getString("notification_id");
      Http.Res ack = server.http.post("/api/v1/notifications/" + id + "/delivered", new JsonObject(), a.token());
      assertThat(ack.status()).isEqualTo(200);
      String deliveredAt = ack.json().getString("delivered_at");
      assertThat(deliveredAt).isNotNull();
      assertThat(server.http.post("/api/v1/notifications/" + id + "/delivered", new JsonObject(), a.token()).json()
          .getString("delivered_at")).isEqualTo(deliveredAt);
      assertThat(server.http.post("/api/v1/notifications/" + id + "/delivered", new JsonObject(), b.token()).status())
          .isEqualTo(404);

      // reading: gone from the unread list, still in the full list
      String bId = bEntry.getString("id");
      assertThat(server.http.post("/api/v1/notifications/" + bId + "/read", new JsonObject(), b.token()).json()
          .getString("read_at")).isNotNull();
      assertThat(server.http.get("/api/v1/notifications?unread=true", b.token()).json().getLong("unread")).isZero();
      assertThat(server.http.get("/api/v1/notifications", b.token()).json().getJsonArray("items")).hasSize(1);
      assertThat(server.http.post("/api/v1/notifications/" + bId + "/read", new JsonObject(), a.token()).status())
          .isEqualTo(404);
      assertThat(server.http.get("/api/v1/notifications", cust.token()).status()).isEqualTo(403);

      String metrics = server.metrics();
      assertThat(metrics).containsPattern("notify_sent_total\\{channel=\"live\"} [1-9]")
          .containsPattern("notify_sent_total\\{channel=\"inbox\"} [1-9]")
          .containsPattern("notify_delivery_seconds_count [1-9]")
          .contains("notify_fanout_seconds_bucket");
    }
  }

  @Test
  void presenceFollowsTabsAbruptDisconnectsAndUnregistering() {
    Staff c = Staff.consultant(server, admin);
    BridgeClient tab1 = online(c);
    BridgeClient tab2 = online(c);
    assertThat(presenceRows(c)).isEqualTo(2);
    Poll.until(Duration.ofSeconds(10), "online gauge", () -> server.metrics()
        .contains("notify_consultants_online 1.0"));

    tab1.abort(); // the TCP connection just drops
    Poll.until(Duration.ofSeconds(10), "abrupt disconnect noticed", () -> presenceRows(c) == 1);
    Customer first = customer();
    newCustomerFor(tab2, c, first.conversationId()); // still online through the other tab
    assertThat(notifyResult(first.id())).isEqualTo(new NotifyResult(1, 0, 0).toJson());

    tab2.unregister(Addresses.clientConsultant(c.id()), c.token());
    Poll.until(Duration.ofSeconds(10), "unregistered", () -> presenceRows(c) == 0);
    Customer second = customer();
    assertThat(notifyResult(second.id())).isEqualTo(new NotifyResult(0, 1, 0).toJson());
    tab2.close();
  }

  static long presenceRows(Staff s) {
    return server.db().count("SELECT count(*) FROM bridge_presence WHERE user_id = ?::uuid", s.id());
  }

  @Test
  void aRetriedNotificationWritesNoDuplicates() throws Exception {
    Staff offline = Staff.consultant(server, admin);
    Customer cust = customer();
    notifyResult(cust.id());
    NewCustomer again = new NewCustomer(UUID.fromString(cust.id()), cust.username(),
        UUID.fromString(cust.conversationId()), Instant.now(), UUID.randomUUID(), 5, true, true);
    for (int i = 0; i < 2; i++) {
      NotifyResult r = server.app.vertx().eventBus().<NotifyResult>request(Addresses.NOTIFY_NEW_CUSTOMER, again)
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).body();
      assertThat(r).isEqualTo(new NotifyResult(0, 1, 0));
    }
    assertThat(server.db().count("SELECT count(*) FROM notifications WHERE user_id = ?::uuid AND conversation_id = "
        + "?::uuid", offline.id(), cust.conversationId())).isEqualTo(1);
  }

  @Test
  void withNoConsultantAtAllTheAdminsAreTold() {
    Staff watcher = Staff.create(server, admin, "admin_", "admin");
    try (BridgeClient adminPage = BridgeClient.connect(port).register(Addresses.CLIENT_ADMINS, watcher.token())) {
      adminPage.awaitListening(server.app.vertx().eventBus(), Addresses.CLIENT_ADMINS);
      Customer cust = customer();
      assertThat(notifyResult(cust.id())).isEqualTo(new NotifyResult(0, 0, 0).toJson());
      // written before the step completed (so a crash in between runs the step, and the alert, again)
      assertThat(server.db().count("SELECT count(*) FROM notifications WHERE user_id = ?::uuid AND kind = "
          + "'admin_alert' AND conversation_id = ?::uuid", watcher.id(), cust.conversationId())).isEqualTo(1);
      JsonObject live = adminPage.awaitBody(Addresses.CLIENT_ADMINS, "admin_alert");
      assertThat(live.getString("kind")).isEqualTo("no_consultants");
      assertThat(live.getJsonObject("details").getString("conversation_id")).isEqualTo(cust.conversationId());
      JsonArray inbox = Poll.until(Duration.ofSeconds(10), "admin inbox", () -> {
        JsonArray items = server.http.get("/api/v1/notifications?unread=true", watcher.token()).json()
            .getJsonArray("items");
        return items.isEmpty() ? null : items;
      });
      assertThat(inbox.getJsonObject(0).getString("kind")).isEqualTo("admin_alert");
      assertThat(inbox.getJsonObject(0).getJsonObject("body").getString("kind")).isEqualTo("no_consultants");
    }
  }

  @Test
  void deadJobAlertsReachEveryAdminsInboxUnlessSwitchedOff() {
    String jobId = UUID.randomUUID().toString();
    server.app.vertx().eventBus().publish(Addresses.ADMIN_ALERTS, new AdminAlert("automation_job_dead",
        "Registration automation failed", new JsonObject().put("job_id", jobId), Instant.now()));
    Poll.until(Duration.ofSeconds(10), "alert in the admin's inbox", () -> server.db().count(
        "SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = ? "
            + "AND n.body->'details'->>'job_id' = ?", TestApp.ADMIN, jobId) == 1);

    assertThat(server.http.put("/api/v1/admin/registration-automation/settings", new JsonObject()
        .put("notifications", new JsonObject().put("admins", false)), admin).status()).isEqualTo(200);
    try {
      String quiet = UUID.randomUUID().toString();
      String marker = UUID.randomUUID().toString();
      double offBefore = adminAlerts("switched_off");
      server.app.vertx().eventBus().publish(Addresses.ADMIN_ALERTS, new AdminAlert("automation_job_dead", "quiet",
          new JsonObject().put("job_id", quiet), Instant.now()));
      Poll.until(Duration.ofSeconds(10), "alert handled while switched off",
          () -> adminAlerts("switched_off") > offBefore);
      assertThat(server.http.put("/api/v1/admin/registration-automation/settings", AutomationSettings.DEFAULTS.toJson(),
          admin).status()).isEqualTo(200);
      server.app.vertx().eventBus().publish(Addresses.ADMIN_ALERTS, new AdminAlert("automation_job_dead", "marker",
          new JsonObject().put("job_id", marker), Instant.now()));
      Poll.until(Duration.ofSeconds(10), "marker alert", () -> server.db().count(
          "SELECT count(*) FROM notifications WHERE body->'details'->>'job_id' = ?", marker) > 0);
      assertThat(server.db().count("SELECT count(*) FROM notifications WHERE body->'details'->>'job_id' = ?", quiet))
          .isZero();
    } finally {
      server.http.put("/api/v1/admin/registration-automation/settings", AutomationSettings.DEFAULTS.toJson(), admin);
    }
  }

  /** The notify_admin_alerts_total counter of an outcome (0 before the first). */
  static double adminAlerts(String outcome) {
    var m = java.util.regex.Pattern.compile("notify_admin_alerts_total\\{outcome=\"" + outcome + "\"} ([0-9.]+)")
        .matcher(server.metrics());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  @Test
  void theFirstClaimWinsAndEveryConsultantHearsIt() throws Exception {
    List<Staff> team = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      team.add(Staff.consultant(server, admin));
    }
    try (BridgeClient watcher = online(team.get(0))) {
      Customer cust = customer();
      // every claim waits at the gate, then all go at once
      ExecutorService threads = Executors.newFixedThreadPool(team.size());
      CountDownLatch gate = new CountDownLatch(1);
      List<CompletableFuture<Http.Res>> claims = team.stream().map(s -> CompletableFuture.supplyAsync(() -> {
        try {
          gate.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return server.http.post("/api/v1/conversations/" + cust.conversationId() + "/claim", new JsonObject(),
            s.token());
      }, threads)).toList();
      gate.countDown();
      List<Http.Res> results = new ArrayList<>();
      for (CompletableFuture<Http.Res> f : claims) {
        results.add(f.get(30, TimeUnit.SECONDS));
      }
      threads.shutdown();
      assertThat(results.stream().filter(r -> r.status() == 200)).hasSize(1);
      assertThat(results.stream().filter(r -> r.status() == 409)).hasSize(team.size() - 1);
      Http.Res won = results.stream().filter(r -> r.status() == 200).findFirst().orElseThrow();
      String winner = won.json().getJsonObject("consultant").getString("id");
      assertThat(won.json().getString("status")).isEqualTo("claimed");
      results.stream().filter(r -> r.status() == 409).forEach(r -> {
        assertThat(r.errorCode()).isEqualTo("already_claimed");
        assertThat(r.errorDetails().getJsonObject("consultant").getString("id")).isEqualTo(winner);
      });
      JsonObject claimed = watcher.awaitBody(Addresses.CLIENT_CONSULTANTS, "claimed");
      assertThat(claimed.getString("conversation_id")).isEqualTo(cust.conversationId());
      assertThat(claimed.getJsonObject("consultant").getString("id")).isEqualTo(winner);
      assertThat(server.db().one("SELECT consultant_id::text AS c FROM conversations WHERE id = ?::uuid",
          cust.conversationId()).get("c")).isEqualTo(winner);

      assertThat(server.http.post("/api/v1/conversations/" + cust.conversationId() + "/claim", new JsonObject(),
          cust.token()).status()).isEqualTo(403);
      assertThat(server.http.post("/api/v1/conversations/" + UUID.randomUUID() + "/claim", new JsonObject(),
          team.get(0).token()).status()).isEqualTo(404);
    }
  }

  @Test
  void chatBetweenTheCustomerAndTheClaimingConsultantIsLiveAndPrivate() {
    Staff mine = Staff.consultant(server, admin);
    Staff other = Staff.consultant(server, admin);
    Customer cust = customer();
    String path = "/api/v1/conversations/" + cust.conversationId();
    try (BridgeClient consultantPage = online(mine); BridgeClient customerPage = BridgeClient.connect(port)) {
      customerPage.register(Addresses.clientConversation(cust.conversationId()), cust.token());
      customerPage.awaitListening(server.app.vertx().eventBus(), Addresses.clientConversation(cust.conversationId()));

      // before the claim: consultants may read the new conversation but not write in it
      assertThat(server.http.get(path + "/messages", other.token()).status()).isEqualTo(200);
      assertThat(server.http.post(path + "/messages", new JsonObject().put("content", "hi"), mine.token()).status())
          .isEqualTo(403);
      assertThat(server.http.post(path + "/claim", new JsonObject(), mine.token()).status()).isEqualTo(200);
      assertThat(customerPage.awaitBody(Addresses.clientConversation(cust.conversationId()), "claimed")
          .getJsonObject("consultant").getString("username")).isEqualTo(mine.username());

      Http.Res sent = server.http.post(path + "/messages", new JsonObject().put("content", "您好，我是您的顾问"), mine.token());
      assertThat(sent.status()).isEqualTo(201);
      JsonObject live = customerPage.await(Duration.ofSeconds(10), "consultant message", f -> "rec".equals(
          f.getString("type")) && "message".equals(f.getJsonObject("body").getString("type"))
          && "consultant".equals(f.getJsonObject("body").getJsonObject("message").getString("sender_type")));
      assertThat(live.getJsonObject("body").getJsonObject("message").getString("content")).isEqualTo("您好，我是您的顾问");

      assertThat(server.http.post(path + "/messages", new JsonObject().put("content", "想了解光子嫩肤"), cust.token())
          .status()).isEqualTo(201);
      JsonObject atConsultant = consultantPage.await(Duration.ofSeconds(10), "customer message", f -> "rec".equals(
          f.getString("type")) && "message".equals(f.getJsonObject("body").getString("type"))
          && "customer".equals(f.getJsonObject("body").getJsonObject("message").getString("sender_type")));
      assertThat(atConsultant.getString("address")).isEqualTo(Addresses.clientConsultant(mine.id()));

      // history with the ?after= cursor: welcome, consultant, customer
      JsonObject all = server.http.get(path + "/messages", cust.token()).json();
      assertThat(all.getJsonArray("items").stream().map(o -> ((JsonObject) o).getString("sender_type")))
          .containsExactly("ai", "consultant", "customer");
      long afterFirst = all.getJsonArray("items").getJsonObject(0).getLong("seq");
      JsonObject rest = server.http.get(path + "/messages?after=" + afterFirst, mine.token()).json();
      assertThat(rest.getJsonArray("items")).hasSize(2);
      assertThat(rest.getLong("next_after")).isEqualTo(all.getLong("next_after"));

      // after the claim: other consultants neither read nor write; other customers neither
      assertThat(server.http.get(path + "/messages", other.token()).status()).isEqualTo(403);
      assertThat(server.http.post(path + "/messages", new JsonObject().put("content", "x"), other.token()).status())
          .isEqualTo(403);
      Customer stranger = customer();
      assertThat(server.http.get(path + "/messages", stranger.token()).status()).isEqualTo(403);
      assertThat(server.http.post(path + "/messages", new JsonObject().put("content", " "), cust.token()).status())
          .isEqualTo(400);
      assertThat(server.http.get(path + "/messages?after=-1", cust.token()).status()).isEqualTo(400);
      assertThat(server.http.get("/api/v1/conversations/" + UUID.randomUUID() + "/messages", cust.token()).status())
          .isEqualTo(404);

      // lists: the customer sees theirs; the consultant theirs (claimed) and open new ones, not others' claimed
      JsonArray custList = server.http.get("/api/v1/conversations", cust.token()).json().getJsonArray("items");
      assertThat(custList.stream().map(o -> ((JsonObject) o).getString("id"))).containsExactly(cust.conversationId());
      JsonArray otherList = server.http.get("/api/v1/conversations", other.token()).json().getJsonArray("items");
      assertThat(otherList.stream().map(o -> ((JsonObject) o).getString("id"))).doesNotContain(cust.conversationId())
          .contains(stranger.conversationId());
      assertThat(server.http.get("/api/v1/conversations?status=claimed", mine.token()).json().getJsonArray("items")
          .stream().map(o -> ((JsonObject) o).getString("id"))).contains(cust.conversationId());
    }
  }

  @Test
  void theWelcomeArrivesLiveOnTheCustomersConversationAddress() {
    // hold the welcome back (no writer on the bus) until the customer's page listens, then let it through
    assertThat(server.http.put("/api/v1/admin/registration-automation/settings", new JsonObject()
        .put("retry_delays_seconds", new JsonArray().add(0.3)).put("max_retries", 20), admin).status()).isEqualTo(200);
    server.app.undeploy("DifyGatewayVerticle").toCompletionStage().toCompletableFuture().join();
    try {
      Customer cust = customer();
      try (BridgeClient page = BridgeClient.connect(port)) {
        page.register(Addresses.clientConversation(cust.conversationId()), cust.token());
        page.awaitListening(server.app.vertx().eventBus(), Addresses.clientConversation(cust.conversationId()));
        assertThat(server.db().count("SELECT count(*) FROM messages WHERE conversation_id = ?::uuid",
            cust.conversationId())).isZero();
        server.app.deploy("DifyGatewayVerticle").toCompletionStage().toCompletableFuture().join();
        JsonObject message = page.awaitBody(Addresses.clientConversation(cust.conversationId()), "message")
            .getJsonObject("message");
        assertThat(message.getString("kind")).isEqualTo("welcome");
        assertThat(message.getString("sender_type")).isEqualTo("ai");
        // what the page received is what was stored (the local agent wrote it: no Dify config here)
        assertThat(message.getString("content")).isEqualTo(server.db().one("SELECT content FROM messages "
            + "WHERE conversation_id = ?::uuid AND kind = 'welcome'", cust.conversationId()).get("content"));
        assertThat(message.getJsonObject("metadata").getString("source")).isEqualTo("local-agent");
      }
    } finally {
      server.app.deploy("DifyGatewayVerticle").toCompletionStage().toCompletableFuture().join();
      server.http.put("/api/v1/admin/registration-automation/settings", AutomationSettings.DEFAULTS.toJson(), admin);
    }
  }
}
