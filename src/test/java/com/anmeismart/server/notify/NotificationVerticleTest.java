package com.anmeismart.server.notify;

import com.anmeismart.server.accounts.UserStore;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.BusCodecs;
import com.anmeismart.server.bus.ClientEvent;
import com.anmeismart.server.bus.NewCustomer;
import com.anmeismart.server.bus.NotifyResult;
import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.OneVerticle;
import com.anmeismart.server.testing.Poll;
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

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The NotificationVerticle alone on a real database: the engine that asks it and the pages it talks to are plain
 * bus consumers and requests here.
 */
@ExtendWith(VertxExtension.class)
class NotificationVerticleTest {

  OneVerticle env;
  Db db;
  Pool pool;
  UserStore users;

  @BeforeEach
  void setUp(Vertx vertx) {
    env = OneVerticle.create(null);
    db = env.db();
    BusCodecs.register(vertx);
    pool = env.context.database().pool(vertx);
    users = new UserStore(pool);
  }

  @AfterEach
  void close() {
    env.close();
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private UUID user(String username, String role) throws Exception {
    return UUID.fromString(await(users.insert(new UserStore.NewUser(username, username + "@clinic.example", "h", role,
        null, null, null, null, null, null))).getString("id"));
  }

  private List<JsonObject> listen(Vertx vertx, String address) throws Exception {
    List<JsonObject> got = new CopyOnWriteArrayList<>();
    await(vertx.eventBus().<JsonObject>consumer(address, m -> got.add(m.body())).completion());
    return got;
  }

  private Future<String> deploy(Vertx vertx) {
    return vertx.deployVerticle(new NotificationVerticle(env.context));
  }

  @Test
  void aNewCustomerReachesTheOnlineConsultantLiveAndTheOfflineOneInTheInbox(Vertx vertx) throws Exception {
    UUID online = user("online_li", "consultant");
    UUID offline = user("offline_wang", "consultant");
    await(new Presence(pool, 60).connect(UUID.randomUUID(), online, "test-node", "consultant"));
    UUID customer = UUID.fromString(await(users.insert(new UserStore.NewUser("customer_mei", "mei@example.com", "h",
        "customer", "王小美", "13800138000", null, null, List.of("补水"), "wechat"))).getString("id"));
    UUID conversation = UUID.fromString(await(pool.preparedQuery("INSERT INTO conversations (customer_id, title, "
        + "is_default) VALUES ($1, 't', true) RETURNING id").execute(Tuple.of(customer))).iterator().next()
        .getUUID("id").toString());
    List<JsonObject> page = listen(vertx, Addresses.clientConsultant(online));
    List<JsonObject> otherPage = listen(vertx, Addresses.clientConsultant(offline));
    await(deploy(vertx));

    Instant registered = Instant.parse("2026-12-02T08:00:00Z");
    NotifyResult result = await(vertx.eventBus().<NotifyResult>request(Addresses.NOTIFY_NEW_CUSTOMER,
        new NewCustomer(customer, "customer_mei", conversation, registered, UUID.randomUUID(), 5, true, true),
        new DeliveryOptions().setSendTimeout(10_000))).body();
    assertThat(result).isEqualTo(new NotifyResult(1, 1, 0));

    JsonObject live = Poll.until(Duration.ofSeconds(5), "live copy", () -> page.isEmpty() ? null : page.get(0));
    var notice = (ClientEvent.NewCustomerNotice) ClientEvent.fromJson(live);
    assertThat(notice.customer().id()).isEqualTo(customer);
    assertThat(notice.conversationId()).isEqualTo(conversation);
    // the customer as consultants see them: display name, interests, source, the phone masked
    assertThat(notice.customer().displayName()).isEqualTo("王小美");
    assertThat(notice.customer().interests()).containsExactly("补水");
    assertThat(notice.customer().source()).isEqualTo("wechat");
    assertThat(notice.customer().phoneMasked()).isEqualTo("138****8000");
    assertThat(live.encode()).doesNotContain("13800138000");
    assertThat(notice.message()).contains("王小美").contains("5 分钟");
    assertThat(otherPage).isEmpty();
    List<Map<String, Object>> rows = db.rows("SELECT id, user_id, channel FROM notifications ORDER BY channel");
    assertThat(rows).extracting(r -> r.get("channel")).containsExactly("inbox", "live");
    assertThat(rows.get(1).get("id")).as("the live copy names its own inbox row").isEqualTo(notice.notificationId());
    assertThat(db.count("SELECT count(*) FROM customer_notices WHERE conversation_id = ?", conversation))
        .isEqualTo(1);
  }

  @Test
  void withNoConsultantTheAdminsAreToldBeforeTheReply(Vertx vertx) throws Exception {
    UUID admin = user("admin_zhao", "admin");
    UUID customer = user("customer_lonely", "customer");
    UUID conversation = await(pool.preparedQuery("INSERT INTO conversations (customer_id, title, is_default) "
        + "VALUES ($1, 't', true) RETURNING id").execute(Tuple.of(customer))).iterator().next().getUUID("id");
    List<JsonObject> admins = listen(vertx, Addresses.CLIENT_ADMINS);
    await(deploy(vertx));
    NotifyResult result = await(vertx.eventBus().<NotifyResult>request(Addresses.NOTIFY_NEW_CUSTOMER,
        new NewCustomer(customer, "customer_lonely", conversation, Instant.now(), UUID.randomUUID(), 5, true, true),
        new DeliveryOptions().setSendTimeout(10_000))).body();
    assertThat(result.reached()).isZero();
    // written before the reply came
    assertThat(db.count("SELECT count(*) FROM notifications WHERE user_id = ? AND body->>'kind' = 'no_consultants'",
        admin)).isEqualTo(1);
    JsonObject live = Poll.until(Duration.ofSeconds(5), "admin page", () -> admins.isEmpty() ? null : admins.get(0));
    assertThat(ClientEvent.fromJson(live)).isInstanceOf(ClientEvent.AdminAlertNotice.class);
  }

  @Test
  void alertsACrashLeftInTheOutboxAreDeliveredWhenTheNotifierStartsAndOnlyOnce(Vertx vertx) throws Exception {
    UUID admin = user("admin_qian", "admin");
    // what a job's dead mark queued just before its process died: one fresh row, one whose delivering pass died
    String insert = AlertOutbox.insertFrom("(VALUES (1)) AS one (x)", "true", "'automation_job_dead'", "$1::text",
        "$2::jsonb");
    for (String job : List.of("job-a", "job-b")) {
      await(pool.preparedQuery(insert).execute(Tuple.of("注册自动化失败 " + job, new JsonObject().put("job_id", job))));
    }
    await(pool.query("UPDATE admin_alert_outbox SET leased_until = now() - interval '1 second' "
        + "WHERE details->>'job_id' = 'job-b'").execute());
    List<JsonObject> admins = listen(vertx, Addresses.CLIENT_ADMINS);

    String first = await(deploy(vertx));
    Poll.until(Duration.ofSeconds(10), "both delivered", () ->
        db.count("SELECT count(*) FROM admin_alert_outbox WHERE delivered_at IS NOT NULL") == 2);
    assertThat(db.rows("SELECT body->'details'->>'job_id' AS job FROM notifications WHERE user_id = ? "
        + "AND kind = 'admin_alert' ORDER BY 1", admin)).extracting(r -> r.get("job"))
        .containsExactly("job-a", "job-b");
    Poll.until(Duration.ofSeconds(5), "live on the admin pages", () -> admins.size() == 2);

    // a second start (another node, a restart) finds nothing left to deliver and writes nothing twice
    await(vertx.undeploy(first));
    await(pool.query("UPDATE admin_alert_outbox SET delivered_at = NULL").execute()); // as if the marks were lost
    await(deploy(vertx));
    Poll.until(Duration.ofSeconds(10), "marked again", () ->
        db.count("SELECT count(*) FROM admin_alert_outbox WHERE delivered_at IS NOT NULL") == 2);
    assertThat(db.count("SELECT count(*) FROM notifications WHERE user_id = ? AND kind = 'admin_alert'", admin))
        .isEqualTo(2);
    assertThat(admins).hasSize(2);
  }
}
