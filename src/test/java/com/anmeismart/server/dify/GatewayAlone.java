package com.anmeismart.server.dify;

import com.anmeismart.server.audit.Actor;
import com.anmeismart.server.AppContext;
import com.anmeismart.server.Servers;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.BusCodecs;
import com.anmeismart.server.bus.WelcomeRequest;
import com.anmeismart.server.bus.WelcomeResult;
import com.anmeismart.server.config.AppConfig;
import com.anmeismart.server.db.Database;
import com.anmeismart.server.security.SecretBox;
import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.TestPg;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The DifyGatewayVerticle deployed alone on a Vert.x of its own, against the {@link DifyDouble}: no HTTP API, no
 * automation engine. Its partners are plain bus consumers: this class asks for welcomes on
 * {@code dify.welcome.generate} as the engine does, and listens on the customer's {@code client.conversation.<id>}
 * as the page does. Configs and customers are rows in a fresh database (the gateway reads both from PostgreSQL).
 */
final class GatewayAlone implements AutoCloseable {

  static final String SECRETS_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

  /** One answered welcome request, as the engine sees it. */
  record Answer(WelcomeResult result, long millis, List<JsonObject> pushed, long firstPushMs) {
    Answer(WelcomeResult result, long millis, List<JsonObject> pushed) {
      this(result, millis, pushed, -1);
    }

    String reason() {
      return result.fallbackReason();
    }
  }

  final Vertx vertx;
  final DifyDouble dify;
  final Database database;
  final Db db;
  final DifyConfigStore store;
  private final String pgUrl;

  /** A migrated database and the double; {@link #deploy} starts the gateway. Blocks: call from the test thread. */
  GatewayAlone(Vertx vertx) throws Exception {
    this.vertx = vertx;
    this.dify = new DifyDouble();
    this.pgUrl = TestPg.newDatabase();
    this.database = Database.open(config(new JsonObject()));
    database.migrate();
    this.db = new Db(pgUrl);
    this.store = new DifyConfigStore(database.pool(vertx), new SecretBox(SECRETS_KEY));
    BusCodecs.register(vertx);
  }

  AppConfig config(JsonObject extra) {
    return AppConfig.from(new JsonObject().put("PG_URL", pgUrl).put("SECRETS_KEY", SECRETS_KEY).mergeIn(extra));
  }

  /** Deploys the gateway with these settings ({@code DIFY_BREAKER_*}, …); returns the deployment id. */
  String deploy(JsonObject settings) throws Exception {
    AppContext context = new AppContext(config(settings), database, new SimpleMeterRegistry());
    return await(vertx.deployVerticle(new DifyGatewayVerticle(context)));
  }

  /** The one welcome config: the double's app with this scenario; returns the app key (to change its scenario). */
  String welcomeConfig(DifyDouble.Scenario scenario) throws Exception {
    db.update("DELETE FROM dify_configs");
    String key = dify.app(scenario);
    await(store.create(new DifyConfig(null, scenario + "-" + UUID.randomUUID().toString().substring(0, 6), "welcome",
        dify.baseUrl(), null, key, "agent", "streaming", "v1", 100, true, 30_000, null, null), Actor.system("test")));
    vertx.eventBus().publish(Addresses.DIFY_CONFIGS_CHANGED, null);
    return key;
  }

  /**
   * No welcome config, and the double playing the local agent (its port and key are the ones the gateway derives,
   * as if a LocalAgentVerticle were deployed on this Vert.x); {@link #noLocalAgent} undoes it.
   */
  void localAgent(DifyDouble.Scenario scenario) {
    db.update("DELETE FROM dify_configs");
    vertx.eventBus().publish(Addresses.DIFY_CONFIGS_CHANGED, null);
    dify.change(LocalAgentVerticle.apiKey(new SecretBox(SECRETS_KEY)), scenario);
    Servers.ports(vertx).put("LOCAL_AGENT_PORT", dify.port());
  }

  void noLocalAgent() {
    Servers.ports(vertx).remove("LOCAL_AGENT_PORT");
  }

  /** A customer row to welcome. */
  UUID customer() {
    String name = "gw_" + UUID.randomUUID().toString().substring(0, 8);
    return (UUID) db.one("INSERT INTO users (username, email, password_hash, role, full_name, interests, source) "
        + "VALUES (?, ?, 'not-a-login', 'customer', '王小美', '{补水}', 'wechat') RETURNING id", name,
        name + "@example.com").get("id");
  }

  /** Asks for a welcome as the engine does, with the first text due {@code firstTextMs} from now. */
  Future<Answer> welcome(long firstTextMs) {
    return welcome(firstTextMs, 0, true);
  }

  /** The same, with the welcome guard on or off; the answer says when the page got its first text. */
  Future<Answer> welcome(long firstTextMs, boolean guard) {
    return welcome(firstTextMs, 0, guard);
  }

  /**
   * The same for a customer who registered {@code spentMs} ago: the window opened then, so the gateway is asked with
   * only {@code firstTextMs} of its {@code spentMs + firstTextMs} left (the job waited in this server meanwhile).
   */
  Future<Answer> welcome(long firstTextMs, long spentMs) {
    return welcome(firstTextMs, spentMs, true);
  }

  private Future<Answer> welcome(long firstTextMs, long spentMs, boolean guard) {
    UUID customer = customer();
    UUID conversation = UUID.randomUUID();
    List<JsonObject> pushed = new CopyOnWriteArrayList<>();
    long[] t0 = {System.nanoTime()};
    long[] first = {-1};
    var page = vertx.eventBus().<JsonObject>consumer(Addresses.clientConversation(conversation), m -> {
      if (first[0] < 0) {
        first[0] = (System.nanoTime() - t0[0]) / 1_000_000;
      }
      pushed.add(m.body());
    });
    return page.completion()
        .compose(v -> {
          // the window is set as the request leaves: the test's own set-up (a row, a consumer) is not held against
          // the gateway, which tells from the window's remainder whether a miss counts against the breaker
          Instant now = Instant.now();
          t0[0] = System.nanoTime();
          WelcomeRequest request = new WelcomeRequest(customer, conversation, UUID.randomUUID(),
              now.minusMillis(spentMs), "模板欢迎语", now.plusMillis(firstTextMs), now.plusMillis(firstTextMs * 3), true,
              guard, com.anmeismart.server.settings.GuardPhrases.DEFAULT_LIST);
          return vertx.eventBus().<WelcomeResult>request(Addresses.WELCOME_GENERATE, request,
              new DeliveryOptions().setSendTimeout(firstTextMs * 3 + 10_000));
        })
        .map(reply -> new Answer(reply.body(), (System.nanoTime() - t0[0]) / 1_000_000, pushed, first[0]))
        .eventually(page::unregister);
  }

  /** The one welcome config: an app of the double that streams these chunks, {@code gapMs} apart. */
  void scriptedConfig(List<String> chunks, long gapMs) throws Exception {
    db.update("DELETE FROM dify_configs");
    String key = dify.scripted(chunks, gapMs);
    await(store.create(new DifyConfig(null, "scripted-" + UUID.randomUUID().toString().substring(0, 6), "welcome",
        dify.baseUrl(), null, key, "agent", "streaming", "v1", 100, true, 30_000, null, null), Actor.system("test")));
    vertx.eventBus().publish(Addresses.DIFY_CONFIGS_CHANGED, null);
  }

  /** The gateway's breaker states by name, from {@code dify.status}. */
  JsonObject breakers() throws Exception {
    return await(vertx.eventBus().<JsonObject>request(Addresses.DIFY_STATUS, null)).body().getJsonObject("breakers");
  }

  static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    dify.close();
    database.close();
  }
}
