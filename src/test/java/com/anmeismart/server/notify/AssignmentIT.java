package com.anmeismart.server.notify;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.testing.BridgeClient;
import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import com.anmeismart.server.testing.TestPg;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The assignment rules (PRD §8.1.2) over real HTTP, the real bridge and PostgreSQL: round robin takes turns,
 * least loaded skips a consultant at max_open_conversations, an offer not accepted in time moves to the next and a
 * late acceptance is a 409, others' claims wait while an offer is live, nobody online means everyone is told, and
 * two processes on one database never offer one customer to two consultants.
 */
class AssignmentIT {

  static TestApp server;
  static String admin;

  @BeforeAll
  static void start() {
    server = TestApp.start(null);
    admin = server.adminToken();
  }

  @AfterAll
  static void stop() {
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

  static BridgeClient online(TestApp app, Staff s) {
    BridgeClient c = BridgeClient.connect(app.port("HTTP_PORT")).register(Addresses.clientConsultant(s.id()),
        s.token()).register(Addresses.CLIENT_CONSULTANTS, s.token());
    c.awaitBody(Addresses.clientConsultant(s.id()), "presence");
    c.awaitListening(app.app.vertx().eventBus(), Addresses.CLIENT_CONSULTANTS);
    return c;
  }

  /** Registers a customer and waits until their job is done (the first offer made); returns the conversation. */
  static String customer(TestApp app) {
    String id = app.register("assign_" + UUID.randomUUID().toString().substring(0, 8), null).getString("id");
    return (String) Poll.until(Duration.ofSeconds(20), "job succeeded", () -> app.db().one(
        "SELECT conversation_id::text AS c FROM automation_jobs WHERE user_id = ?::uuid AND status = 'succeeded'",
        id)).get("c");
  }

  static JsonObject notifyResult(String conversation) {
    return new JsonObject((String) server.db().one("SELECT notify_result::text AS r FROM automation_jobs "
        + "WHERE conversation_id = ?::uuid", UUID.fromString(conversation)).get("r"));
  }

  /** Who was offered the customer, in order. */
  static List<String> offeredTo(Db db, String conversation) {
    return db.rows("SELECT consultant_id::text AS c FROM assignment_events WHERE conversation_id = ?::uuid "
        + "AND event = 'offered' ORDER BY id", UUID.fromString(conversation)).stream()
        .map(r -> (String) r.get("c")).toList();
  }

  static JsonObject offerFrame(BridgeClient page, Staff s, String conversation) {
    return page.await(Duration.ofSeconds(15), "offer of " + conversation, f -> "rec".equals(f.getString("type"))
        && Addresses.clientConsultant(s.id()).equals(f.getString("address"))
        && "offer".equals(f.getJsonObject("body").getString("type"))
        && conversation.equals(f.getJsonObject("body").getString("conversation_id"))).getJsonObject("body");
  }

  @Test
  void roundRobinOffersTakeTurnsOverThreeConsultants() {
    settings(server, new JsonObject().put("assignment_mode", "round_robin").put("offer_seconds", 600)
        .put("max_open_conversations", 20));
    Staff a = Staff.consultant(server, admin, "甲顾问");
    Staff b = Staff.consultant(server, admin, "乙顾问");
    Staff c = Staff.consultant(server, admin, "丙顾问");
    Map<String, Staff> byId = Map.of(a.id(), a, b.id(), b, c.id(), c);
    try (BridgeClient pa = online(server, a); BridgeClient pb = online(server, b); BridgeClient pc = online(server, c)) {
      Map<String, BridgeClient> pages = Map.of(a.id(), pa, b.id(), pb, c.id(), pc);
      List<String> order = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        String conversation = customer(server);
        List<String> offered = offeredTo(server.db(), conversation);
        assertThat(offered).as("one offer per customer").hasSize(1);
        String to = offered.get(0);
        order.add(to);
        JsonObject offer = offerFrame(pages.get(to), byId.get(to), conversation);
        assertThat(offer.getString("notification_id")).isNotNull();
        assertThat(offer.getJsonObject("customer").getString("display_name")).isNotBlank();
        assertThat(Duration.between(Instant.now(), Instant.parse(offer.getString("expires_at"))).toSeconds())
            .isBetween(590L, 600L);
        assertThat(notifyResult(conversation).getInteger("offered")).isEqualTo(1);
      }
      assertThat(order.subList(0, 3)).as("each of the three once").containsExactlyInAnyOrder(a.id(), b.id(), c.id());
      assertThat(order.subList(3, 6)).as("then the same turns again").isEqualTo(order.subList(0, 3));
      // nobody but the offered consultant heard of these customers
      for (BridgeClient page : List.of(pa, pb, pc)) {
        assertThat(page.count(f -> "rec".equals(f.getString("type")) && f.getValue("body") instanceof JsonObject o
            && "new_customer".equals(o.getString("type")))).isZero();
      }
    } finally {
      settings(server, new JsonObject().put("assignment_mode", "broadcast"));
    }
  }

  @Test
  void leastLoadedSkipsTheConsultantWhoIsFullAndThenTellsEveryone() {
    Staff full = Staff.consultant(server, admin, "满顾问");
    Staff x = Staff.consultant(server, admin, "闲顾问甲");
    Staff y = Staff.consultant(server, admin, "闲顾问乙");
    String busy = customer(server); // broadcast for now: full claims it
    assertThat(server.http.post("/api/v1/conversations/" + busy + "/claim", new JsonObject(), full.token()).status())
        .isEqualTo(200);
    settings(server, new JsonObject().put("assignment_mode", "least_loaded").put("offer_seconds", 600)
        .put("max_open_conversations", 1));
    try (BridgeClient pf = online(server, full); BridgeClient px = online(server, x); BridgeClient py = online(server, y)) {
      String first = customer(server);
      String second = customer(server);
      List<String> offered = List.of(offeredTo(server.db(), first).get(0), offeredTo(server.db(), second).get(0));
      assertThat(offered).as("the free ones, one each (a live offer counts as open)")
          .containsExactlyInAnyOrder(x.id(), y.id());
      // everyone is at max now: the third customer is told to all of them
      String third = customer(server);
      assertThat(offeredTo(server.db(), third)).isEmpty();
      assertThat(server.db().one("SELECT state, broadcast_at IS NOT NULL AS done FROM customer_assignments "
          + "WHERE conversation_id = ?::uuid", UUID.fromString(third))).containsEntry("state", "broadcast")
          .containsEntry("done", true);
      assertThat(server.db().one("SELECT detail FROM assignment_events WHERE conversation_id = ?::uuid "
          + "AND event = 'broadcast'", UUID.fromString(third)).get("detail")).isEqualTo("nobody_eligible");
      for (Staff s : List.of(full, x, y)) {
        assertThat(server.db().count("SELECT count(*) FROM notifications WHERE user_id = ?::uuid AND "
            + "conversation_id = ?::uuid AND kind = 'new_customer'", UUID.fromString(s.id()), UUID.fromString(third)))
            .isEqualTo(1);
      }
      assertThat(pf.count(f -> f.getValue("body") instanceof JsonObject o && "offer".equals(o.getString("type"))))
          .isZero();
    } finally {
      settings(server, new JsonObject().put("assignment_mode", "broadcast").put("max_open_conversations", 20));
    }
  }

  @Test
  void anOfferNotAcceptedInTimeMovesOnAndALateAcceptanceIs409() {
    settings(server, new JsonObject().put("assignment_mode", "round_robin").put("offer_seconds", 3));
    Staff a = Staff.consultant(server, admin, "慢顾问");
    Staff b = Staff.consultant(server, admin, "快顾问");
    Map<String, Staff> byId = Map.of(a.id(), a, b.id(), b);
    try (BridgeClient pa = online(server, a); BridgeClient pb = online(server, b)) {
      Map<String, BridgeClient> pages = Map.of(a.id(), pa, b.id(), pb);
      String conversation = customer(server);
      Staff first = byId.get(offeredTo(server.db(), conversation).get(0));
      Staff next = first == a ? b : a;
      offerFrame(pages.get(first.id()), first, conversation);
      // while the first offer is live, the other consultant's claim waits
      Http.Res early = server.http.post("/api/v1/conversations/" + conversation + "/claim", new JsonObject(),
          next.token());
      assertThat(early.status()).isEqualTo(409);
      assertThat(early.errorCode()).isEqualTo("offer_pending");
      assertThat(early.json().getJsonObject("error").getString("message_zh")).contains("分配");

      JsonObject moved = offerFrame(pages.get(next.id()), next, conversation);
      List<Map<String, Object>> events = server.db().rows("SELECT event, consultant_id::text AS c, at "
          + "FROM assignment_events WHERE conversation_id = ?::uuid ORDER BY id", UUID.fromString(conversation));
      assertThat(events).extracting(e -> e.get("event")).containsExactly("offered", "expired", "offered");
      long waited = ((Timestamp) events.get(2).get("at")).getTime() - ((Timestamp) events.get(0).get("at")).getTime();
      assertThat(waited).as("moved after offer_seconds (ms)").isBetween(3000L, 4500L);
      pages.get(first.id()).await(Duration.ofSeconds(5), "offer ended", f -> f.getValue("body") instanceof JsonObject o
          && "offer_ended".equals(o.getString("type")) && conversation.equals(o.getString("conversation_id")));

      Http.Res late = server.http.post("/api/v1/conversations/" + conversation + "/accept", new JsonObject(),
          first.token());
      assertThat(late.status()).isEqualTo(409);
      assertThat(late.errorCode()).isEqualTo("offer_expired");
      Http.Res accepted = server.http.post("/api/v1/conversations/" + conversation + "/accept", new JsonObject(),
          next.token());
      assertThat(accepted.status()).as(accepted.body()).isEqualTo(200);
      assertThat(accepted.json().getJsonObject("consultant").getString("display_name"))
          .isEqualTo(next == a ? "慢顾问" : "快顾问");
      assertThat(moved.getString("notification_id")).isNotNull();
      // everyone hears who took the customer, by display name
      JsonObject claimed = pages.get(first.id()).await(Duration.ofSeconds(5), "claimed", f -> f.getValue("body")
          instanceof JsonObject o && "claimed".equals(o.getString("type"))
          && conversation.equals(o.getString("conversation_id"))).getJsonObject("body");
      assertThat(claimed.getJsonObject("consultant").getString("display_name"))
          .isEqualTo(accepted.json().getJsonObject("consultant").getString("display_name"));
      assertThat(server.http.post("/api/v1/conversations/" + conversation + "/claim", new JsonObject(),
          first.token()).errorCode()).isEqualTo("already_claimed");
      assertThat(server.db().rows("SELECT event FROM assignment_events WHERE conversation_id = ?::uuid ORDER BY id",
          UUID.fromString(conversation))).extracting(e -> e.get("event"))
          .containsExactly("offered", "expired", "offered", "accepted");

      // the timeline shows it all
      String customer = (String) server.db().one("SELECT customer_id::text AS c FROM conversations WHERE id = ?::uuid",
          UUID.fromString(conversation)).get("c");
      JsonObject timeline = server.http.get("/api/v1/admin/registration-automation/customers/" + customer
          + "/timeline", admin).json();
      assertThat(timeline.getJsonArray("assignment").stream().map(o -> ((JsonObject) o).getString("event")))
          .containsExactly("offered", "expired", "offered", "accepted");

      // the claiming consultant closes it; then it no longer counts as open
      Http.Res closed = server.http.post("/api/v1/conversations/" + conversation + "/close", new JsonObject(),
          next.token());
      assertThat(closed.status()).isEqualTo(200);
      assertThat(closed.json().getString("status")).isEqualTo("closed");
      assertThat(server.http.post("/api/v1/conversations/" + conversation + "/close", new JsonObject(),
          first.token()).errorCode()).isEqualTo("conversation_not_yours");
    } finally {
      settings(server, new JsonObject().put("assignment_mode", "broadcast").put("offer_seconds", 60));
    }
  }

  @Test
  void withNobodyOnlineEveryoneIsToldAtOnce() {
    settings(server, new JsonObject().put("assignment_mode", "round_robin").put("offer_seconds", 600));
    try {
      Staff away = Staff.consultant(server, admin, "离线顾问");
      String conversation = customer(server);
      assertThat(offeredTo(server.db(), conversation)).isEmpty();
      assertThat(notifyResult(conversation).getInteger("inbox")).isEqualTo(1);
      JsonObject inbox = server.http.get("/api/v1/notifications?unread=true", away.token()).json();
      assertThat(inbox.getJsonArray("items").getJsonObject(0).getString("kind")).isEqualTo("new_customer");
      // anyone may claim it
      assertThat(server.http.post("/api/v1/conversations/" + conversation + "/claim", new JsonObject(), away.token())
          .status()).isEqualTo(200);
    } finally {
      settings(server, new JsonObject().put("assignment_mode", "broadcast"));
    }
  }

  @Test
  void twoProcessesOnOneDatabaseNeverOfferOneCustomerToTwoConsultants() {
    String pgUrl = TestPg.newDatabase();
    try (TestApp one = TestApp.start(pgUrl, null)) {
      settings(one, new JsonObject().put("assignment_mode", "round_robin").put("offer_seconds", 3));
      try (TestApp two = TestApp.start(pgUrl, null)) {
        twoNodes(one, two);
      }
    }
  }

  private static void twoNodes(TestApp one, TestApp two) {
    {
      String adminOne = one.adminToken();
      Staff a = Staff.consultant(one, adminOne, "一号");
      Staff b = Staff.consultant(one, adminOne, "二号");
      Staff c = Staff.consultant(one, adminOne, "三号");
      // the two processes are not clustered (that is #16): each consultant has a page on each node, so whichever node
      // makes an offer, one of the consultant's pages hears it
      try (BridgeClient pa = online(one, a); BridgeClient pb = online(one, b); BridgeClient pc = online(one, c);
           BridgeClient qa = online(two, a); BridgeClient qb = online(two, b); BridgeClient qc = online(two, c)) {
        List<String> conversations = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
          TestApp node = i % 2 == 0 ? one : two;
          conversations.add(node.register("twonodes_" + i + "_" + UUID.randomUUID().toString().substring(0, 6), null)
              .getString("id"));
        }
        Db db = one.db();
        // every customer is offered to all three in turn (3 s each), then told to everyone
        Poll.until(Duration.ofSeconds(60), "all assignments done", () -> db.count("SELECT count(*) FROM "
            + "customer_assignments WHERE state = 'broadcast' AND broadcast_at IS NOT NULL") == 12);
        for (Map<String, Object> row : db.rows("SELECT conversation_id::text AS c FROM customer_assignments")) {
          String conversation = (String) row.get("c");
          List<String> events = db.rows("SELECT event || ':' || coalesce(consultant_id::text, '') AS e "
              + "FROM assignment_events WHERE conversation_id = ?::uuid ORDER BY id", UUID.fromString(conversation))
              .stream().map(r -> (String) r.get("e")).toList();
          // offered X, expired X, offered Y, expired Y, offered Z, expired Z, broadcast: never two at once
          assertThat(events).as(conversation).hasSize(7);
          for (int i = 0; i < 6; i += 2) {
            assertThat(events.get(i)).startsWith("offered:");
            assertThat(events.get(i + 1)).isEqualTo("expired:" + events.get(i).substring("offered:".length()));
          }
          assertThat(events.get(6)).isEqualTo("broadcast:");
          assertThat(offeredTo(db, conversation)).containsExactlyInAnyOrder(a.id(), b.id(), c.id());
        }
        // each offer reached its consultant once, whichever node made it (never from both)
        Map<String, Long> frames = new HashMap<>();
        for (BridgeClient page : List.of(pa, pb, pc, qa, qb, qc)) {
          page.frames.stream().filter(f -> f.getValue("body") instanceof JsonObject o
                  && "offer".equals(o.getString("type")))
              .forEach(f -> frames.merge(f.getString("address") + " " + f.getJsonObject("body")
                  .getString("conversation_id"), 1L, Long::sum));
        }
        assertThat(frames).hasSize(36);
        assertThat(frames.values().stream().collect(Collectors.toSet())).containsExactly(1L);
        // both nodes made offers (their passes raced for the same rows)
        assertThat(offers(one)).isPositive();
        assertThat(offers(two)).isPositive();
      }
    }
  }

  static double offers(TestApp app) {
    var m = java.util.regex.Pattern.compile("notify_offers_total\\{outcome=\"offered\"} ([0-9.]+)")
        .matcher(app.metrics());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
