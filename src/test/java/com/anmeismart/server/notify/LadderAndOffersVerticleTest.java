package com.anmeismart.server.notify;

import com.anmeismart.server.accounts.UserStore;
import com.anmeismart.server.audit.Actor;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.BusCodecs;
import com.anmeismart.server.bus.ClientEvent;
import com.anmeismart.server.bus.NewCustomer;
import com.anmeismart.server.bus.NotifyResult;
import com.anmeismart.server.settings.Documents;
import com.anmeismart.server.settings.SettingsStore;
import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.OneVerticle;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.PushServiceDouble;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The NotificationVerticle alone on a real database, for the alert ladder and the offers: the engine that asks it is
 * a bus request, the consultants' pages are plain consumers of their addresses, presence is the rows the bridge would
 * write, and the push service is a local double (VAPID checked, payload decrypted).
 */
@ExtendWith(VertxExtension.class)
class LadderAndOffersVerticleTest {

  OneVerticle env;
  Db db;
  Pool pool;
  UserStore users;
  PushServiceDouble pushService;

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    env = OneVerticle.create(null);
    db = env.db();
    BusCodecs.register(vertx);
    pool = env.context.database().pool(vertx);
    users = new UserStore(pool);
    pushService = new PushServiceDouble();
  }

  @AfterEach
  void close() throws Exception {
    pushService.close();
    env.close();
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private UUID consultant(String username, boolean online, boolean push) throws Exception {
    UUID id = UUID.fromString(await(users.insert(new UserStore.NewUser(username, username + "@clinic.example", "h",
        "consultant", null, null, null, null, null, null, username + "顾问", null))).getString("id"));
    if (online) {
      await(new Presence(pool, 60).connect(UUID.randomUUID(), id, "test-node", "consultant"));
    }
    if (push) {
      JsonObject sub = pushService.subscription("/push/" + id);
      await(new PushStore(pool).subscribe(id, sub.getString("endpoint"), sub.getJsonObject("keys").getString("p256dh"),
          sub.getJsonObject("keys").getString("auth")));
    }
    return id;
  }

  private NewCustomer customer(String username) throws Exception {
    UUID id = UUID.fromString(await(users.insert(new UserStore.NewUser(username, username + "@example.com", "h",
        "customer", "客户" + username, null, null, null, List.of("水光针"), "douyin"))).getString("id"));
    UUID conversation = await(pool.preparedQuery("INSERT INTO conversations (customer_id, title, is_default) "
        + "VALUES ($1, 't', true) RETURNING id").execute(Tuple.of(id))).iterator().next().getUUID("id");
    return new NewCustomer(id, username, conversation, Instant.now(), UUID.randomUUID(), 5, true, true);
  }

  private List<JsonObject> page(Vertx vertx, UUID consultant) throws Exception {
    List<JsonObject> got = new CopyOnWriteArrayList<>();
    await(vertx.eventBus().<JsonObject>consumer(Addresses.clientConsultant(consultant), m -> got.add(m.body()))
        .completion());
    return got;
  }

  private void settings(JsonObject change) throws Exception {
    await(new SettingsStore(pool, null).update(Documents.NOTIFICATIONS, change, Actor.system("test")));
  }

  private NotifyResult notify(Vertx vertx, NewCustomer c) throws Exception {
    return await(vertx.eventBus().<NotifyResult>request(Addresses.NOTIFY_NEW_CUSTOMER, c,
        new DeliveryOptions().setSendTimeout(10_000))).body();
  }

  private static JsonObject ofType(List<JsonObject> page, String type) {
    return Poll.until(Duration.ofSeconds(10), type, () -> page.stream().filter(b -> type.equals(b.getString("type")))
        .findFirst().orElse(null));
  }

  @Test
  void aLiveCopyNotAcknowledgedGoesOutByPushAfterAckSecondsAndAnAcknowledgedOneNever(Vertx vertx) throws Exception {
    settings(new JsonObject().put("ack_seconds", 2));
    UUID silent = consultant("silent", true, true);
    UUID quick = consultant("quick", true, true);
    UUID away = consultant("away", false, true);
    List<JsonObject> quickPage = page(vertx, quick);
    await(vertx.deployVerticle(new NotificationVerticle(env.context)));

    NewCustomer c = customer("mei");
    NotifyResult result = notify(vertx, c);
    assertThat(result).as("two live copies, one inbox entry pushed at once").isEqualTo(new NotifyResult(2, 1, 1));
    assertThat(pushService.on("/push/" + away)).hasSize(1);
    // the quick page acknowledges its live copy (what POST /notifications/{id}/delivered records)
    String ack = ofType(quickPage, "new_customer").getString("notification_id");
    await(new Inbox(pool, 60).markDelivered(UUID.fromString(ack), quick));

    PushServiceDouble.Received push = Poll.until(Duration.ofSeconds(6), "the ladder's push",
        () -> pushService.on("/push/" + silent).stream().findFirst().orElse(null));
    Instant live = ((Timestamp) db.one("SELECT created_at FROM notifications WHERE user_id = ? AND kind = "
        + "'new_customer'", silent).get("created_at")).toInstant();
    assertThat(Duration.between(live, push.at()).toMillis()).isBetween(2000L, 3000L);
    Poll.until(Duration.ofSeconds(6), "the quick one's row settled", () -> "skipped".equals(db.one(
        "SELECT status FROM offline_sends WHERE consultant_id = ?", quick).get("status")));
    assertThat(pushService.on("/push/" + quick)).isEmpty();
    assertThat(db.rows("SELECT reason, status FROM offline_sends WHERE consultant_id = ?", away))
        .extracting(r -> r.get("reason") + ":" + r.get("status")).containsExactly("offline:sent");
  }

  @Test
  void anOfferMovesOnWhenItRunsOutThenEveryoneIsTold(Vertx vertx) throws Exception {
    settings(new JsonObject().put("assignment_mode", "round_robin").put("offer_seconds", 3).put("ack_seconds", 10));
    UUID first = consultant("first", true, false);
    UUID second = consultant("second", true, false);
    List<JsonObject> firstPage = page(vertx, first);
    List<JsonObject> secondPage = page(vertx, second);
    await(vertx.deployVerticle(new NotificationVerticle(env.context)));

    NewCustomer c = customer("lan");
    assertThat(notify(vertx, c)).isEqualTo(new NotifyResult(0, 0, 0, 1));
    // round robin: never offered before, the lower id first
    // PostgreSQL orders uuids byte by byte (unsigned), as their text sorts; UUID.compareTo compares signed longs,
    // which disagrees whenever exactly one of them starts with 8-f
    UUID a = first.toString().compareTo(second.toString()) < 0 ? first : second;
    List<JsonObject> aPage = a == first ? firstPage : secondPage;
    List<JsonObject> bPage = a == first ? secondPage : firstPage;
    var offer = (ClientEvent.Offer) ClientEvent.fromJson(ofType(aPage, "offer"));
    assertThat(offer.conversationId()).isEqualTo(c.conversationId());
    assertThat(offer.customer().displayName()).isEqualTo("客户lan");
    assertThat(offer.customer().interests()).containsExactly("水光针");
    assertThat(offer.notificationId()).isNotNull();
    assertThat(bPage).isEmpty();

    JsonObject ended = ofType(aPage, "offer_ended");
    assertThat(ended.getString("reason")).isEqualTo("expired");
    var moved = (ClientEvent.Offer) ClientEvent.fromJson(ofType(bPage, "offer"));
    assertThat(Duration.between(offer.expiresAt(), moved.timestamp()).toMillis()).as("moved when it ran out")
        .isBetween(0L, 1500L);
    // a retried job changes nothing: the assignment carries on
    assertThat(notify(vertx, c).offered()).isEqualTo(1);
    assertThat(db.count("SELECT count(*) FROM assignment_events WHERE event = 'offered'")).isEqualTo(2);

    // nobody left: everyone is told, and the second's offer ends
    JsonObject told = ofType(aPage, "new_customer");
    assertThat(told.getString("conversation_id")).isEqualTo(c.conversationId().toString());
    ofType(bPage, "new_customer");
    assertThat(db.rows("SELECT event, detail FROM assignment_events ORDER BY id")).extracting(r -> r.get("event")
        + (r.get("detail") == null ? "" : ":" + r.get("detail"))).containsExactly("offered", "expired", "offered",
        "expired", "broadcast:all_timed_out");
    Poll.until(Duration.ofSeconds(5), "broadcast done", () -> db.count("SELECT count(*) FROM customer_assignments "
        + "WHERE state = 'broadcast' AND broadcast_at IS NOT NULL") == 1);
    // the ended offers read as read in the inbox; the broadcast entries are new
    assertThat(db.count("SELECT count(*) FROM notifications WHERE kind = 'offer' AND read_at IS NOT NULL")).isEqualTo(2);
    assertThat(db.count("SELECT count(*) FROM notifications WHERE kind = 'new_customer' AND read_at IS NULL"))
        .isEqualTo(2);
  }
}
