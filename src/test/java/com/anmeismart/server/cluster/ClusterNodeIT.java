package com.anmeismart.server.cluster;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.notify.Presence;
import com.anmeismart.server.testing.BridgeClient;
import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.JarProcess;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import com.anmeismart.server.testing.TestPg;
import com.hazelcast.multimap.MultiMap;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.spi.cluster.hazelcast.impl.HazelcastRegistrationInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two clustered servers in this JVM on one PostgreSQL: what a node reports about itself and the cluster
 * ({@code /ready}, the {@code node} label, node names), the guard against stale subscriptions, and a graceful stop:
 * the node leaves the cluster at once and its unfinished jobs are taken over at once.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterNodeIT {

  /** Short, so a node's presence heartbeat (every third of it) comes within a second. */
  private static final int PRESENCE_TTL = 3;
  private static String pgUrl;
  private static Db db;
  private static TestApp first;
  private static TestApp second;

  @BeforeAll
  static void start() throws Exception {
    pgUrl = TestPg.newDatabase();
    db = new Db(pgUrl);
    int p1 = JarProcess.freePort();
    int p2 = JarProcess.freePort();
    String members = "127.0.0.1:" + p1 + ",127.0.0.1:" + p2;
    first = TestApp.start(pgUrl, node("first", p1, members));
    second = TestApp.start(pgUrl, node("second", p2, members));
    Poll.until(Duration.ofSeconds(30), "two members", () -> members(first) == 2 && members(second) == 2);
  }

  private static JsonObject node(String name, int port, String members) {
    return new JsonObject().put("CLUSTER", "true").put("CLUSTER_PORT", String.valueOf(port))
        .put("CLUSTER_BUS_PORT", "0").put("CLUSTER_MEMBERS", members).put("NODE_NAME", name)
        .put("AUTOMATION_SWEEP_MS", "500").put("PRESENCE_TTL_SECONDS", String.valueOf(PRESENCE_TTL));
  }

  private static JsonObject cluster(TestApp app) {
    return app.management().get("/ready", null).json().getJsonArray("checks").stream().map(o -> (JsonObject) o)
        .filter(c -> "cluster".equals(c.getString("id"))).findFirst().orElseThrow();
  }

  private static int members(TestApp app) {
    return cluster(app).getJsonObject("data").getInteger("members");
  }

  @AfterAll
  static void stop() {
    for (TestApp app : new TestApp[] {first, second}) {
      if (app != null) {
        app.close();
      }
    }
  }

  @Test
  @Order(1)
  void readyReportsTheClusterAndEveryMetricNamesTheNode() {
    JsonObject check = cluster(first);
    assertThat(check.getString("status")).isEqualTo("UP");
    JsonObject data = check.getJsonObject("data");
    assertThat(data.getInteger("members")).isEqualTo(2);
    assertThat(data.getString("node")).isEqualTo("first");
    assertThat(data.getBoolean("clustered")).isTrue();
    assertThat(data.getJsonArray("member_names").getList()).containsExactlyInAnyOrder("first", "second");
    assertThat(data.getString("cluster_name")).isEqualTo("anmeismart-"
        + db.one("SELECT deployment_id::text AS id FROM deployment").get("id"));
    assertThat(data.getString("node_id")).isEqualTo(first.app.context().node().id());

    String metrics = first.management().get("/metrics", null).body();
    List<String> samples = metrics.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
    assertThat(samples).isNotEmpty().allSatisfy(l -> assertThat(l).contains("node=\"first\""));
    assertThat(second.management().get("/metrics", null).body()).contains("node=\"second\"")
        .doesNotContain("node=\"first\"");
  }

  @Test
  @Order(2)
  void aStaleSubscriptionOfAGoneNodeIsSweptAway() throws Exception {
    // what vertx-hazelcast #196 leaves behind: an address still listed for a node that is gone
    String address = "stale-test." + UUID.randomUUID();
    second.app.vertx().eventBus().consumer(address, m -> m.reply("ok")).completion()
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    ClusterNode node = first.app.context().node();
    MultiMap<String, Object> subs = node.hazelcast().getMultiMap(StaleSubscriptions.SUBS_MAP);
    subs.put(address, new HazelcastRegistrationInfo(new RegistrationInfo("gone-" + UUID.randomUUID(), 1, false)));
    // sends go round-robin over the listed nodes: the gone one swallows some
    List<Boolean> answered = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      answered.add(request(address));
    }
    assertThat(answered).as("sends to the gone node fail").contains(false).contains(true);

    assertThat(StaleSubscriptions.sweep(node.hazelcast(), new HashSet<>(node.memberIds()))).isEqualTo(1);
    Poll.until(Duration.ofSeconds(10), "every send answered", () -> {
      for (int i = 0; i < 6; i++) {
        if (!request(address)) {
          return false;
        }
      }
      return true;
    });
    assertThat(StaleSubscriptions.nodesWithSubscriptions(node.hazelcast())).isSubsetOf(node.memberIds());
  }

  private static boolean request(String address) {
    try {
      first.app.vertx().eventBus().request(address, "hi", new DeliveryOptions().setSendTimeout(2_000))
          .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /**
   * What the other nodes do when one leaves (ClusterVerticle: Presence#expireProcess) makes its consultants
   * offline at once; when it had only been cut off (a network partition: alive, still on PostgreSQL, its sockets
   * open), its next heartbeat makes them online again (vert.x #4394: a partition heals).
   */
  @Test
  @Order(3)
  void theSocketsOfANodeThatLeftGoOfflineAndComeBackWhenItWasOnlyCutOff() throws Exception {
    String admin = first.adminToken();
    String username = "cut_c_" + UUID.randomUUID().toString().substring(0, 8);
    assertThat(first.http.post("/api/v1/admin/users", new JsonObject().put("username", username)
        .put("email", username + "@clinic.example").put("password", "staff-password").put("role", "consultant"),
        admin).status()).isEqualTo(201);
    String token = first.login(username, "staff-password");
    String consultantId = first.http.get("/api/v1/auth/me", token).json().getString("id");
    BridgeClient socket = BridgeClient.connect(second.port("HTTP_PORT"))
        .register(Addresses.clientConsultant(consultantId), token);
    String fresh = "SELECT count(*) FROM bridge_presence WHERE user_id = ?::uuid AND seen_at > now() - "
        + "make_interval(secs => " + PRESENCE_TTL + ")";
    Poll.until(Duration.ofSeconds(10), "the socket online", () -> db.count(fresh, consultantId) == 1);

    String secondId = second.app.context().node().id();
    int expired = new Presence(first.app.context().database().pool(first.app.vertx()), PRESENCE_TTL)
        .expireProcess(secondId).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(expired).isPositive();
    assertThat(db.count(fresh, consultantId)).as("offline once its node left").isZero();
    Poll.until(Duration.ofSeconds(5), "online again at the node's next heartbeat", () -> db.count(fresh,
        consultantId) == 1);
    socket.close();
  }

  @Test
  @Order(4)
  void aGracefulStopLeavesTheClusterAtOnceAndHandsItsJobsBack() throws Exception {
    String admin = first.adminToken();
    String username = "stop_c_" + UUID.randomUUID().toString().substring(0, 8);
    assertThat(first.http.post("/api/v1/admin/users", new JsonObject().put("username", username)
        .put("email", username + "@clinic.example").put("password", "staff-password").put("role", "consultant"),
        admin).status()).isEqualTo(201);
    String token = first.login(username, "staff-password");
    String consultantId = first.http.get("/api/v1/auth/me", token).json().getString("id");
    BridgeClient socket = BridgeClient.connect(first.port("HTTP_PORT"))
        .register(Addresses.clientConsultant(consultantId), token);
    Poll.until(Duration.ofSeconds(10), "the socket online", () -> db.count(
        "SELECT count(*) FROM bridge_presence WHERE user_id = ?::uuid", consultantId) == 1);
    int leaving = first.instance();
    List<UUID> users = new ArrayList<>();
    try (Connection lock = TestPg.jdbc(pgUrl)) {
      lock.setAutoCommit(false);
      lock.createStatement().execute("LOCK TABLE messages IN SHARE ROW EXCLUSIVE MODE");
      Poll.until(Duration.ofSeconds(60), "jobs held by the node to stop", () -> {
        users.add(UUID.fromString(first.register("stop_" + UUID.randomUUID().toString().substring(0, 8), null)
            .getString("id")));
        return db.count("SELECT count(*) FROM automation_jobs WHERE status = 'running' AND lease_instance = ? "
            + "AND last_step = 'welcome_generated'", leaving) > 0;
      });
      long t0 = System.nanoTime();
      first.close();
      first = null;
      long stopped = System.nanoTime();
      // a member that leaves says so (no failure detection to wait for)
      Poll.until(Duration.ofSeconds(2), "the other node alone", () -> members(second) == 1);
      assertThat(db.count("SELECT count(*) FROM automation_jobs WHERE status = 'running' AND lease_instance = ?",
          leaving)).as("its jobs handed back").isZero();
      assertThat(db.count("SELECT count(*) FROM bridge_presence WHERE user_id = ?::uuid", consultantId)).isZero();
      lock.rollback();
      Poll.until(Duration.ofSeconds(30), "every job done", () -> db.count("SELECT count(*) FROM automation_jobs "
          + "WHERE status = 'succeeded' AND user_id = ANY(?::uuid[])",
          (Object) users.stream().map(UUID::toString).toArray(String[]::new)) == users.size());
      long done = System.nanoTime();
      org.slf4j.LoggerFactory.getLogger(ClusterNodeIT.class).info("graceful stop took {} ms; its jobs done {} ms "
          + "after it stopped", (stopped - t0) / 1_000_000, (done - stopped) / 1_000_000);
    }
    Poll.until(Duration.ofSeconds(10), "the page's socket closed", socket::isClosed);
    Http.Res ready = second.management().get("/ready", null);
    assertThat(ready.status()).isEqualTo(200);
  }
}
