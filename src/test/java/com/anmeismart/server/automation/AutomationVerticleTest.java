package com.anmeismart.server.automation;

import com.anmeismart.server.accounts.UserStore;
import com.anmeismart.server.audit.Actor;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.BusCodecs;
import com.anmeismart.server.bus.ClientEvent;
import com.anmeismart.server.bus.NewCustomer;
import com.anmeismart.server.bus.NotifyResult;
import com.anmeismart.server.bus.WelcomeRequest;
import com.anmeismart.server.bus.WelcomeResult;
import com.anmeismart.server.chat.ConversationStore;
import com.anmeismart.server.settings.SettingsStore;
import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.OneVerticle;
import com.anmeismart.server.testing.Poll;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The AutomationVerticle alone on a real database: its partners (the Dify gateway, the notifier, the customer's
 * page) are plain bus consumers here, so each test decides what they answer and sees exactly what the engine sends.
 */
@ExtendWith(VertxExtension.class)
class AutomationVerticleTest {

  OneVerticle env;
  Db db;
  Pool pool;
  final List<WelcomeRequest> welcomeAsks = new CopyOnWriteArrayList<>();
  final List<NewCustomer> notifyAsks = new CopyOnWriteArrayList<>();
  final List<JsonObject> pages = new CopyOnWriteArrayList<>();
  final AtomicBoolean outboxNudged = new AtomicBoolean();
  /** What the gateway does with a request; by default it answers with a Dify-like welcome. */
  BiFunction<WelcomeRequest, Message<WelcomeRequest>, Future<Void>> gateway = (req, msg) -> {
    msg.reply(new WelcomeResult("您好，欢迎来到安美智享！", "dify", "cfg-1", "3", 420, null, false));
    return Future.succeededFuture();
  };
  /** What the notifier does; by default it reaches two consultants. */
  BiFunction<NewCustomer, Message<NewCustomer>, Future<Void>> notifier = (c, msg) -> {
    msg.reply(new NotifyResult(1, 1, 0));
    return Future.succeededFuture();
  };

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext ctx) {
    env = OneVerticle.create(new JsonObject().put("AUTOMATION_SWEEP_MS", "100"));
    db = env.db();
    BusCodecs.register(vertx);
    pool = env.context.database().pool(vertx);
    var bus = vertx.eventBus();
    bus.<WelcomeRequest>consumer(Addresses.WELCOME_GENERATE, msg -> {
      welcomeAsks.add(msg.body());
      // the customer's page listens before the welcome is written, like the real one
      bus.<JsonObject>consumer(Addresses.clientConversation(msg.body().conversationId()), m -> pages.add(m.body()))
          .completion().compose(v -> gateway.apply(msg.body(), msg));
    });
    bus.<NewCustomer>consumer(Addresses.NOTIFY_NEW_CUSTOMER, msg -> {
      notifyAsks.add(msg.body());
      notifier.apply(msg.body(), msg);
    });
    bus.consumer(Addresses.ADMIN_ALERT_OUTBOX, msg -> outboxNudged.set(true));
    ctx.completeNow();
  }

  @AfterEach
  void close() {
    env.close();
  }

  private Future<String> start(Vertx vertx) {
    return vertx.deployVerticle(new AutomationVerticle(env.context));
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  /** A registration as the API makes it: the user and the job in one statement (UserStore + JobStore's part). */
  private UUID register(String username) throws Exception {
    return UUID.fromString(await(new UserStore(pool).insertCustomerWithJob(new UserStore.NewUser(username,
        username + "@example.com", "hash-not-used", "customer", "王小美", null, null, null, List.of("补水"), "wechat")))
        .user().getString("id"));
  }

  private Map<String, Object> job(UUID userId) {
    return db.one("SELECT * FROM automation_jobs WHERE user_id = ?", userId);
  }

  private double inflight() {
    return env.registry().get("automation_jobs_inflight").gauge().value();
  }

  @Test
  void aJobRunsItsStepsThroughItsPartnersAndThePageGetsTheStoredMessage(Vertx vertx) throws Exception {
    await(start(vertx));
    UUID user = register("verticle_ok");
    Map<String, Object> job = Poll.until(Duration.ofSeconds(10), "job succeeded",
        () -> "succeeded".equals(job(user).get("status")) ? job(user) : null);

    assertThat(welcomeAsks).hasSize(1);
    WelcomeRequest ask = welcomeAsks.get(0);
    assertThat(ask.userId()).isEqualTo(user);
    assertThat(ask.conversationId()).isEqualTo(job.get("conversation_id"));
    assertThat(ask.useAgent()).isTrue();
    assertThat(ask.firstTextBy()).isAfter(ask.registeredAt()).isBefore(ask.completeBy());

    assertThat(notifyAsks).hasSize(1);
    NewCustomer told = notifyAsks.get(0);
    assertThat(told.username()).isEqualTo("verticle_ok");
    assertThat(told.jobId()).isEqualTo(job.get("id"));
    assertThat(told.expectedResponseMinutes()).isEqualTo(5);
    assertThat(new JsonObject(job.get("notify_result").toString()))
        .isEqualTo(new NotifyResult(1, 1, 0).toJson());

    // the page's copy is the stored message itself: the same object GET …/messages returns
    JsonArray stored = await(new ConversationStore(pool).messages(ask.conversationId(), 0, 10));
    assertThat(stored).hasSize(1);
    JsonObject live = Poll.until(Duration.ofSeconds(5), "welcome on the page", () -> pages.isEmpty() ? null
        : pages.get(0));
    assertThat(ClientEvent.fromJson(live)).isInstanceOf(ClientEvent.Message.class);
    assertThat(live.getJsonObject("message")).isEqualTo(stored.getJsonObject(0));
    assertThat(live.getJsonObject("message").getLong("seq")).isPositive();
    assertThat(live.getJsonObject("message").getJsonObject("metadata").getString("source")).isEqualTo("dify");
  }

  @Test
  void anEngineThatLostItsLeaseWhileTheWelcomeWasWrittenWritesNothing(Vertx vertx) throws Exception {
    AtomicBoolean answered = new AtomicBoolean();
    gateway = (req, msg) -> pool.preparedQuery("UPDATE automation_jobs SET lease_token = gen_random_uuid() "
            + "WHERE id = $1").execute(Tuple.of(req.jobId()))
        .onSuccess(v -> {
          // another engine took the job over (this one was presumed dead); the late answer arrives now
          msg.reply(new WelcomeResult("迟到的欢迎", "dify", "cfg-1", "3", 9000, null, false));
          answered.set(true);
        }).mapEmpty();
    await(start(vertx));
    UUID user = register("verticle_lost");
    Poll.until(Duration.ofSeconds(10), "the late answer", answered::get);
    Poll.until(Duration.ofSeconds(10), "the engine let the job go", () -> inflight() == 0);

    Map<String, Object> job = job(user);
    assertThat(job.get("status")).isEqualTo("running"); // the new owner's lease, untouched
    assertThat(job.get("welcome")).isNull();
    assertThat(job.get("last_step")).isEqualTo("conversation_created");
    assertThat(db.rows("SELECT step, success FROM automation_job_steps WHERE job_id = ?", job.get("id")))
        .extracting(r -> r.get("step")).containsExactly("conversation_created");
    assertThat(db.count("SELECT count(*) FROM messages")).isZero();
    assertThat(notifyAsks).isEmpty();
    assertThat(pages).isEmpty();
  }

  @Test
  void anEngineThatLostItsLeaseWhileConsultantsWereToldRecordsNoOutcome(Vertx vertx) throws Exception {
    AtomicBoolean answered = new AtomicBoolean();
    notifier = (c, msg) -> pool.preparedQuery("UPDATE automation_jobs SET lease_token = gen_random_uuid() "
            + "WHERE id = $1").execute(Tuple.of(c.jobId()))
        .onSuccess(v -> {
          msg.reply(new NotifyResult(2, 0, 0));
          answered.set(true);
        }).mapEmpty();
    await(start(vertx));
    UUID user = register("verticle_late");
    Poll.until(Duration.ofSeconds(10), "the late answer", answered::get);
    Poll.until(Duration.ofSeconds(10), "the engine let the job go", () -> inflight() == 0);

    Map<String, Object> job = job(user);
    assertThat(job.get("status")).isEqualTo("running");
    assertThat(job.get("notify_result")).isNull();
    assertThat(job.get("finished_at")).isNull();
    assertThat(db.count("SELECT count(*) FROM automation_job_steps WHERE job_id = ? "
        + "AND step = 'consultants_notified'", job.get("id"))).isZero();
  }

  @Test
  void aDeadJobQueuesItsAdminAlertInTheStatementThatMarksItDead(Vertx vertx) throws Exception {
    await(new SettingsStore(pool, vertx.eventBus()).updateAutomation(new JsonObject().put("max_retries", 0),
        Actor.system("test")));
    notifier = (c, msg) -> {
      msg.fail(500, "notification failed: the push service is down");
      return Future.succeededFuture();
    };
    await(start(vertx));
    UUID user = register("verticle_dead");
    // one snapshot: the job is never dead without its alert queued
    Map<String, Object> seen = Poll.until(Duration.ofSeconds(10), "job dead", () -> {
      Map<String, Object> row = db.one("SELECT j.id, j.status, (SELECT count(*) FROM admin_alert_outbox o "
          + "WHERE o.details->>'job_id' = j.id::text) AS alerts FROM automation_jobs j WHERE j.user_id = ?", user);
      return "dead".equals(row.get("status")) ? row : null;
    });
    assertThat(seen.get("alerts")).isEqualTo(1L);
    Map<String, Object> alert = db.one("SELECT kind, message, details::text AS details, delivered_at "
        + "FROM admin_alert_outbox WHERE details->>'job_id' = ?", seen.get("id").toString());
    assertThat(alert.get("kind")).isEqualTo("automation_job_dead");
    assertThat(alert.get("message").toString()).contains("verticle_dead").contains("consultants_notified")
        .contains("the push service is down");
    assertThat(new JsonObject(alert.get("details").toString()).getString("user_id")).isEqualTo(user.toString());
    assertThat(alert.get("delivered_at")).as("no notifier here: it waits in the outbox").isNull();
    Poll.until(Duration.ofSeconds(5), "the notifier nudged", outboxNudged::get);
  }
}
