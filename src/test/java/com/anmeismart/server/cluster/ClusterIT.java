package com.anmeismart.server.cluster;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.dify.DifyDouble;
import com.anmeismart.server.mcp.McpClient;
import com.anmeismart.server.testing.BridgeClient;
import com.anmeismart.server.testing.ClusterNodes;
import com.anmeismart.server.testing.ClusterNodes.Node;
import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import com.anmeismart.server.testing.TestPg;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clustered mode end to end (SPEC §10): server processes ({@code java -jar}) on Hazelcast over loopback, one
 * PostgreSQL. The tests run in order on one cluster, the last ones killing nodes: a registration crosses nodes to a
 * consultant's and the customer's sockets; a claim race through two nodes; 60 registrations spread over the nodes,
 * each done once; an MCP session used on every node; admin changes on every node within a second; two nodes killed
 * at once mid-burst, their jobs finished by the survivor within 5 s, nothing lost or done twice, their consultants
 * back on the survivor with what they missed, new registrations reaching every consultant.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterIT.class);
  private static final String SETTINGS = "/api/v1/admin/registration-automation/settings";
  private static final Duration LIVE = Duration.ofSeconds(20);

  private static String pgUrl;
  private static Db db;
  private static ClusterNodes cluster;
  private static DifyDouble dify;
  private static String admin;
  private static Staff c1;
  private static Staff c2;
  private static Staff c3;
  private static final List<BridgeClient> sockets = new ArrayList<>();
  private static final AtomicInteger seq = new AtomicInteger();

  record Staff(String id, String username, String token) {
  }

  @BeforeAll
  static void cluster() throws Exception {
    pgUrl = TestPg.newDatabase();
    db = new Db(pgUrl);
    dify = new DifyDouble();
    cluster = ClusterNodes.start(pgUrl, Map.of("AUTOMATION_SWEEP_MS", "1000"), "node-a", "node-b", "node-c");
    admin = login(a(), TestApp.ADMIN, TestApp.ADMIN_PASSWORD);
    c1 = consultant("c1");
    c2 = consultant("c2");
    c3 = consultant("c3");
  }

  @AfterAll
  static void stop() throws Exception {
    sockets.forEach(BridgeClient::close);
    if (cluster != null) {
      cluster.close();
    }
    if (dify != null) {
      dify.close();
    }
  }

  private static Node a() {
    return cluster.node("node-a");
  }

  private static Node b() {
    return cluster.node("node-b");
  }

  private static Node c() {
    return cluster.node("node-c");
  }

  @Test
  @Order(1)
  void aRegistrationOnOneNodeReachesAConsultantOnAnotherAndTheCustomerOnAThird() {
    // the welcome waits at a gated Dify (the first-text deadline at its maximum) while the customer's page connects
    assertThat(a().http().put(SETTINGS, new JsonObject().put("welcome_first_text_seconds", 60)
        .put("welcome_completion_seconds", 120), admin).status()).isEqualTo(200);
    String key = dify.app(DifyDouble.Scenario.GATED);
    Http.Res config = a().http().post("/api/v1/dify/configs", new JsonObject().put("name", "cluster-welcome")
        .put("base_url", dify.baseUrl()).put("api_key", key).put("version", "v1"), admin);
    assertThat(config.status()).as(config.body()).isEqualTo(201);

    BridgeClient consultant = consultantSocket(c(), c1);
    int asked = dify.requests.size();
    String name = username();
    UUID user = register(a(), name);
    UUID conversation = conversationOf(user);
    Poll.until(LIVE, "the welcome waiting at Dify", () -> dify.requests.size() > asked);

    String token = login(b(), name, "correct-horse");
    String address = Addresses.clientConversation(conversation);
    BridgeClient customer = socket(b()).register(address, token);
    // the customer's socket on B hears what node A publishes: its own chat messages, posted through A
    Poll.until(LIVE, "a message posted on node-a on the customer's socket on node-b", () -> {
      String probe = "探针 " + seq.incrementAndGet();
      assertThat(a().http().post("/api/v1/conversations/" + conversation + "/messages",
          new JsonObject().put("content", probe), token).status()).isEqualTo(201);
      return customer.count(f -> body(f, address, "message") && probe.equals(f.getJsonObject("body")
          .getJsonObject("message").getString("content"))) > 0;
    });

    dify.openGate();
    JsonObject welcome = customer.await(LIVE, "the welcome on node-b", f -> body(f, address, "message")
        && "welcome".equals(f.getJsonObject("body").getJsonObject("message").getString("kind")))
        .getJsonObject("body").getJsonObject("message");
    assertThat(welcome.getString("content")).contains("安美智享");
    assertThat(customer.count(f -> body(f, address, "welcome_chunk"))).as("the streamed welcome too").isPositive();
    JsonObject notice = consultant.await(LIVE, "the new customer on node-c", f -> body(f,
        Addresses.clientConsultant(c1.id()), "new_customer")).getJsonObject("body");
    assertThat(notice.getString("conversation_id")).isEqualTo(conversation.toString());
    assertThat(notice.getJsonObject("customer").getString("username")).isEqualTo(name);
    LOG.info("registration on node-a, job on instance {}, consultant on node-c, customer on node-b",
        db.one("SELECT lease_instance FROM automation_jobs WHERE user_id = ?", user).get("lease_instance"));
    dify.change(key, DifyDouble.Scenario.AGENT_OK);
  }

  @Test
  @Order(2)
  void aClaimRaceThroughTwoNodesHasOneWinnerAndEveryoneHearsIt() throws Exception {
    BridgeClient onC = consultantSocket(c(), c1);
    BridgeClient onA = consultantSocket(a(), c2);
    BridgeClient onB = consultantSocket(b(), c3);
    UUID user = register(b(), username());
    UUID conversation = conversationOf(user);
    Poll.until(LIVE, "the job done", () -> jobDone(user));
    CompletableFuture<Http.Res> viaA = CompletableFuture.supplyAsync(() -> a().http()
        .post("/api/v1/conversations/" + conversation + "/claim", new JsonObject(), c2.token()));
    CompletableFuture<Http.Res> viaC = CompletableFuture.supplyAsync(() -> c().http()
        .post("/api/v1/conversations/" + conversation + "/claim", new JsonObject(), c1.token()));
    List<Integer> statuses = List.of(viaA.get().status(), viaC.get().status());
    assertThat(statuses).containsExactlyInAnyOrder(200, 409);
    String winner = viaA.get().status() == 200 ? c2.id() : c1.id();
    Predicate<JsonObject> claimed = f -> body(f, Addresses.CLIENT_CONSULTANTS, "claimed")
        && conversation.toString().equals(f.getJsonObject("body").getString("conversation_id"));
    for (BridgeClient socket : List.of(onA, onB, onC)) {
      JsonObject event = socket.await(LIVE, "the claim on every node", claimed).getJsonObject("body");
      assertThat(event.getJsonObject("consultant").getString("id")).isEqualTo(winner);
    }
    assertThat(db.one("SELECT consultant_id::text AS c FROM conversations WHERE id = ?", conversation).get("c"))
        .isEqualTo(winner);
    for (BridgeClient socket : List.of(onA, onB, onC)) {
      assertThat(socket.count(claimed)).as("one claim event, once").isEqualTo(1);
    }
  }

  @Test
  @Order(3)
  void sixtyRegistrationsSpreadOverTheNodesRunOnceEachAndReachEveryConsultantOnce() throws Exception {
    BridgeClient onC = consultantSocket(c(), c1);
    BridgeClient onB = consultantSocket(b(), c3);
    List<Node> nodes = List.of(a(), b(), c());
    List<CompletableFuture<UUID>> registered = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      Node node = nodes.get(i % 3);
      registered.add(CompletableFuture.supplyAsync(() -> register(node, username())));
    }
    List<UUID> users = registered.stream().map(CompletableFuture::join).toList();
    Poll.until(Duration.ofSeconds(90), "60 jobs done", () -> users.stream().allMatch(ClusterIT::jobDone));
    Set<String> conversations = new HashSet<>();
    for (UUID user : users) {
      assertDoneOnce(user);
      conversations.add(conversationOf(user).toString());
    }
    for (BridgeClient socket : List.of(onC, onB)) {
      Poll.until(LIVE, "60 new customers on the socket", () -> notices(socket, conversations).size() == 60);
    }
    for (BridgeClient socket : List.of(onC, onB)) {
      List<String> seen = notices(socket, conversations);
      assertThat(new HashSet<>(seen)).as("each customer once").hasSize(seen.size());
    }
    for (Staff s : List.of(c1, c3)) {
      assertThat(db.count("SELECT count(*) FROM notifications WHERE user_id = ?::uuid AND kind = 'new_customer' "
          + "AND conversation_id::text = ANY(?::text[])", s.id(), (Object) conversations.toArray(String[]::new)))
          .isEqualTo(60);
    }
    Map<Object, Long> byInstance = users.stream().collect(Collectors.groupingBy(u -> db.one(
        "SELECT lease_instance FROM automation_jobs WHERE user_id = ?", u).get("lease_instance"),
        Collectors.counting()));
    LOG.info("60 registrations: jobs by instance {}", byInstance);
    assertThat(byInstance).as("more than one node's engine ran them").hasSizeGreaterThan(1);
  }

  @Test
  @Order(4)
  void anMcpSessionOpenedOnOneNodeServesOnEveryNode() throws Exception {
    String key = a().http().get("/api/v1/mcp/groups/" + groupId("welcome_tools") + "/api-key", admin).json()
        .getString("api_key");
    // Dify's per-call sequence, each request on another node (a load balancer without stickiness)
    McpClient onA = new McpClient(a().mcpPort(), key);
    McpClient.Res init = onA.post(new JsonObject().put("jsonrpc", "2.0").put("id", 0).put("method", "initialize")
        .put("params", new JsonObject().put("protocolVersion", "2025-06-18").put("capabilities", new JsonObject())
            .put("clientInfo", new JsonObject().put("name", "dify").put("version", "1.9.0"))).encode());
    assertThat(init.status()).isEqualTo(200);
    String session = init.sessionId();
    onA.sessionId = session;
    McpClient onB = on(b(), key, session);
    McpClient onC = on(c(), key, session);
    assertThat(onB.post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}").status()).isEqualTo(202);
    assertThat(onC.toolNames()).contains("service_info");
    JsonObject info = onB.call("service_info", new JsonObject());
    assertThat(info.getJsonObject("result")).as(info.encode()).isNotNull();
    assertThat(onA.toolNames()).isEqualTo(onC.toolNames());
    assertThat(onC.delete().status()).isEqualTo(200);
    for (McpClient client : List.of(onA, onB, onC)) {
      Poll.until(LIVE, "the ended session gone on " + client.url, () -> client.post(
          "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\"}").status() == 404);
    }
    // another key does not find it on any node
    McpClient stranger = on(b(), a().http().get("/api/v1/mcp/groups/" + groupId("consultation_tools") + "/api-key",
        admin).json().getString("api_key"), onA.open().sessionId);
    assertThat(stranger.post("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/list\"}").status()).isEqualTo(404);

    // legacy HTTP+SSE: the stream on node-a, the messages POSTed to node-b and node-c
    try (SseStream stream = SseStream.open(a().mcpPort(), key)) {
      String endpoint = stream.endpoint();
      for (Node node : List.of(b(), c())) {
        int id = seq.incrementAndGet();
        Http.Res posted = new Http("http://127.0.0.1:" + node.mcpPort()).raw("POST", endpoint, "application/json",
            new JsonObject().put("jsonrpc", "2.0").put("id", id).put("method", "initialize").put("params",
                new JsonObject().put("protocolVersion", "2024-11-05").put("capabilities", new JsonObject())
                    .put("clientInfo", new JsonObject().put("name", "dify").put("version", "1"))).encode()
                .getBytes(), key);
        assertThat(posted.status()).as(node.name() + ": " + posted.body()).isEqualTo(202);
        JsonObject answer = stream.await(LIVE, m -> Integer.valueOf(id).equals(m.getValue("id")));
        assertThat(answer.getJsonObject("result").getString("protocolVersion")).isEqualTo("2024-11-05");
      }
      Http.Res unknown = new Http("http://127.0.0.1:" + c().mcpPort()).raw("POST",
          "/mcp/message?sessionId=" + UUID.randomUUID(), "application/json",
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}".getBytes(), key);
      assertThat(unknown.status()).isEqualTo(404);
    }
  }

  @Test
  @Order(5)
  void adminChangesReachEveryNodeWithinASecond() {
    // MCP: a tool switched off on node-a is gone from the lists of node-b and node-c
    String key = a().http().get("/api/v1/mcp/groups/" + groupId("consultation_tools") + "/api-key", admin).json()
        .getString("api_key");
    List<McpClient> sessions = List.of(new McpClient(b().mcpPort(), key).open(),
        new McpClient(c().mcpPort(), key).open());
    String tool = a().http().get("/api/v1/mcp/tools?group_id=" + groupId("consultation_tools"), admin).json()
        .getJsonArray("items").stream().map(o -> (JsonObject) o)
        .filter(t -> t.getString("tool_name").equals("customer_analysis")).findFirst().orElseThrow().getString("id");
    assertThat(a().http().put("/api/v1/mcp/tools/" + tool, new JsonObject().put("enabled", false), admin).status())
        .isEqualTo(200);
    long off = System.nanoTime();
    for (McpClient s : sessions) {
      Poll.until(Duration.ofSeconds(5), "the tool gone on " + s.url,
          () -> !s.toolNames().contains("customer_analysis"));
    }
    long toolMs = (System.nanoTime() - off) / 1_000_000;
    assertThat(a().http().put("/api/v1/mcp/tools/" + tool, new JsonObject().put("enabled", true), admin).status())
        .isEqualTo(200);

    // MCP: a key rotated on node-a without a grace period (a leaked key) stops working on node-b and node-c
    Http.Res rotated = a().http().post("/api/v1/mcp/groups/" + groupId("consultation_tools") + "/regenerate-key",
        new JsonObject().put("grace_seconds", 0), admin);
    assertThat(rotated.status()).isEqualTo(200);
    long rotatedAt = System.nanoTime();
    for (Node node : List.of(b(), c())) {
      Poll.until(Duration.ofSeconds(5), "the old key refused on " + node.name(), () -> new McpClient(node.mcpPort(),
          key).post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\"}").status() == 401);
      assertThat(new McpClient(node.mcpPort(), rotated.json().getString("api_key")).open().toolNames())
          .contains("customer_analysis");
    }
    long keyMs = (System.nanoTime() - rotatedAt) / 1_000_000;

    // automation settings saved on node-a: welcomes on every node's engine follow at once
    String template = "欢迎 " + UUID.randomUUID().toString().substring(0, 6);
    assertThat(a().http().put(SETTINGS, new JsonObject().put("welcome_use_agent", false)
        .put("welcome_template", template), admin).status()).isEqualTo(200);
    List<UUID> templated = registerUntilEveryEngineRanOne();
    for (UUID user : templated) {
      assertThat(welcomeOf(user).get("content").toString()).as("welcome of " + user).contains(template);
    }

    // a Dify config switched off on node-a: every node's gateway stops using it (the local agent answers)
    assertThat(a().http().put(SETTINGS, new JsonObject().put("welcome_use_agent", true), admin).status())
        .isEqualTo(200);
    String config = a().http().get("/api/v1/dify/configs", admin).json().getJsonArray("items").getJsonObject(0)
        .getString("id");
    assertThat(a().http().put("/api/v1/dify/configs/" + config, new JsonObject().put("enabled", false), admin)
        .status()).isEqualTo(200);
    int asked = dify.requests.size();
    for (UUID user : registerUntilEveryEngineRanOne()) {
      assertThat(new JsonObject(welcomeOf(user).get("metadata").toString()).getString("source"))
          .as("welcome of " + user).isEqualTo("local-agent");
    }
    assertThat(dify.requests.size()).as("nobody asked the switched-off Dify app").isEqualTo(asked);
    LOG.info("admin changes on node-a: tool list on node-b and node-c after {} ms, old key refused after {} ms",
        toolMs, keyMs);
    assertThat(toolMs).as("a tool change on every node").isLessThan(1_000);
    assertThat(keyMs).as("a key rotation on every node").isLessThan(1_000);
  }

  /**
   * Two of the three nodes killed at once while holding jobs mid-burst (SIGKILL, no goodbye): the survivor finishes
   * every job within 5 s, each once; the killed nodes' consultants count as offline at once, their pages reconnect
   * to the survivor and find what they missed in their inbox; new registrations reach every consultant (no stale
   * subscription of a dead node in the way: vertx-hazelcast #196).
   */
  @Test
  @Order(6)
  void twoNodesKilledAtOnceMidBurstLeaveASurvivorThatFinishesTheirJobsOnceAndServesEverything() throws Exception {
    Node survivor = a();
    BridgeClient onB = consultantSocket(b(), c1);
    BridgeClient onC = consultantSocket(c(), c3);
    BridgeClient onA = consultantSocket(survivor, c2);
    List<Node> victims = List.of(b(), c());
    List<String> dead = victims.stream().map(ClusterIT::nodeId).toList();
    List<Integer> deadInstances = victims.stream().map(Node::instance).toList();
    assertThat(presenceOf(dead)).as("the sockets on the nodes to kill count as online").isPositive();
    List<UUID> users = new ArrayList<>();
    long killed;
    try (Connection lock = TestPg.jdbc(pgUrl)) {
      // welcomes can't be stored meanwhile: every job stops inside welcome_sent, two steps done
      lock.setAutoCommit(false);
      lock.createStatement().execute("LOCK TABLE messages IN SHARE ROW EXCLUSIVE MODE");
      List<CompletableFuture<UUID>> burst = new ArrayList<>();
      for (int i = 0; i < 15; i++) {
        Node via = List.of(a(), b(), c()).get(i % 3);
        burst.add(CompletableFuture.supplyAsync(() -> register(via, username())));
      }
      burst.forEach(f -> users.add(f.join()));
      String[] ids = users.stream().map(UUID::toString).toArray(String[]::new);
      Poll.until(Duration.ofSeconds(60), "every job inside welcome_sent", () -> db.count("SELECT count(*) FROM "
          + "automation_jobs WHERE status = 'running' AND last_step = 'welcome_generated' "
          + "AND user_id::text = ANY(?::text[])", (Object) ids) == users.size());
      assertThat(db.count("SELECT count(*) FROM automation_jobs WHERE lease_instance = ANY(?::int[]) "
          + "AND user_id::text = ANY(?::text[])", deadInstances.toArray(Integer[]::new), ids))
          .as("jobs held by the nodes to kill").isPositive();
      CompletableFuture<Void> killB = CompletableFuture.runAsync(() -> kill(b()));
      CompletableFuture<Void> killC = CompletableFuture.runAsync(() -> kill(c()));
      CompletableFuture.allOf(killB, killC).join();
      killed = System.nanoTime();
      lock.rollback();
    }
    Poll.until(Duration.ofSeconds(60), "every job done", () -> users.stream().allMatch(ClusterIT::jobDone));
    long doneMs = (System.nanoTime() - killed) / 1_000_000;
    users.forEach(ClusterIT::assertDoneOnce);
    cluster.awaitMembers(Duration.ofSeconds(30));
    long aloneMs = (System.nanoTime() - killed) / 1_000_000;
    Poll.until(Duration.ofSeconds(30), "the dead nodes' sockets offline", () -> presenceOf(dead) == 0);
    long offlineMs = (System.nanoTime() - killed) / 1_000_000;
    LOG.info("node-b and node-c killed mid-burst: their jobs done by node-a {} ms after, node-a alone after {} ms, "
        + "their sockets offline after {} ms", doneMs, aloneMs, offlineMs);
    Poll.until(LIVE, "the pages' sockets closed", () -> onB.isClosed() && onC.isClosed());

    // the pages reconnect to the survivor and find what they missed in their inbox
    BridgeClient c1Again = consultantSocket(survivor, c1);
    BridgeClient c3Again = consultantSocket(survivor, c3);
    Set<String> conversations = users.stream().map(u -> conversationOf(u).toString()).collect(Collectors.toSet());
    for (Staff s : List.of(c1, c3)) {
      JsonObject inbox = survivor.http().get("/api/v1/notifications?limit=200", s.token()).json();
      Set<String> missed = inbox.getJsonArray("items").stream()
          .map(o -> ((JsonObject) o).getString("conversation_id")).filter(conversations::contains)
          .collect(Collectors.toSet());
      assertThat(missed).as("the inbox of " + s.username()).isEqualTo(conversations);
    }

    // a new registration reaches every consultant
    UUID user = register(survivor, username());
    String conversation = conversationOf(user).toString();
    for (var pair : Map.of(c1Again, c1, c3Again, c3, onA, c2).entrySet()) {
      pair.getKey().await(LIVE, "the new customer", f -> body(f, Addresses.clientConsultant(pair.getValue().id()),
          "new_customer") && conversation.equals(f.getJsonObject("body").getString("conversation_id")));
    }
    Poll.until(LIVE, "the job done", () -> jobDone(user));
    assertDoneOnce(user);
    assertThat(doneMs).as("the killed nodes' jobs finished by the survivor").isLessThan(5_000);
  }

  // --- helpers -----------------------------------------------------------------------------------------------

  private static void kill(Node node) {
    try {
      node.process().kill9();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The node's Vert.x node id, which prefixes its bridge sockets' presence rows. */
  private static String nodeId(Node node) {
    return node.check("cluster").getJsonObject("data").getString("node_id");
  }

  /** The sockets on those nodes that count as online. */
  private static long presenceOf(List<String> nodeIds) {
    // online: a row younger than PRESENCE_TTL_SECONDS (60 here); a node that left has its rows aged, not deleted
    return db.count("SELECT count(*) FROM bridge_presence WHERE split_part(node, '/', 1) = ANY(?::text[]) "
        + "AND seen_at > now() - interval '60 seconds'", (Object) nodeIds.toArray(String[]::new));
  }

  private static McpClient on(Node node, String key, String session) {
    McpClient client = new McpClient(node.mcpPort(), key);
    client.sessionId = session;
    return client;
  }

  private static String groupId(String name) {
    return a().http().get("/api/v1/mcp/groups", admin).json().getJsonArray("items").stream()
        .map(o -> (JsonObject) o).filter(g -> g.getString("name").equals(name)).findFirst().orElseThrow()
        .getString("id");
  }

  /**
   * Registers customers through the nodes in turn until each node's engine ran at least one of their jobs (every
   * engine is woken by every registration; which one claims a job is up to the race); returns them all.
   */
  private static List<UUID> registerUntilEveryEngineRanOne() {
    List<Node> nodes = cluster.live();
    Set<Object> instances = nodes.stream().map(Node::instance).collect(Collectors.toSet());
    List<UUID> users = new ArrayList<>();
    Poll.until(Duration.ofSeconds(60), "a job on every node", () -> {
      List<CompletableFuture<UUID>> round = nodes.stream()
          .map(n -> CompletableFuture.supplyAsync(() -> register(n, username()))).toList();
      round.forEach(f -> users.add(f.join()));
      Poll.until(LIVE, "the round done", () -> users.stream().allMatch(ClusterIT::jobDone));
      Set<Object> ran = users.stream().map(u -> db.one("SELECT lease_instance FROM automation_jobs WHERE user_id = ?",
          u).get("lease_instance")).collect(Collectors.toSet());
      return ran.containsAll(instances);
    });
    return users;
  }

  private static Map<String, Object> welcomeOf(UUID user) {
    return db.one("SELECT m.content, m.metadata::text AS metadata FROM messages m JOIN conversations c "
        + "ON c.id = m.conversation_id WHERE c.customer_id = ? AND m.kind = 'welcome'", user);
  }

  private static boolean jobDone(UUID user) {
    return db.count("SELECT count(*) FROM automation_jobs WHERE user_id = ? AND status = 'succeeded'", user) == 1;
  }

  private static void assertDoneOnce(UUID user) {
    Map<String, Object> job = db.one("SELECT * FROM automation_jobs WHERE user_id = ?", user);
    assertThat(db.count("SELECT count(*) FROM conversations WHERE customer_id = ?", user)).isEqualTo(1);
    assertThat(db.count("SELECT count(*) FROM messages WHERE conversation_id = ? AND kind = 'welcome'",
        job.get("conversation_id"))).isEqualTo(1);
    assertThat(db.rows("SELECT step FROM automation_job_steps WHERE job_id = ? AND success ORDER BY id",
        job.get("id"))).extracting(s -> s.get("step"))
        .containsExactly("conversation_created", "welcome_generated", "welcome_sent", "consultants_notified");
  }

  private static UUID conversationOf(UUID user) {
    return Poll.until(LIVE, "the conversation of " + user, () -> {
      List<Map<String, Object>> rows = db.rows("SELECT id FROM conversations WHERE customer_id = ?", user);
      return rows.isEmpty() ? null : (UUID) rows.get(0).get("id");
    });
  }

  private static List<String> notices(BridgeClient socket, Set<String> conversations) {
    return socket.frames.stream().filter(f -> "rec".equals(f.getString("type"))
            && f.getValue("body") instanceof JsonObject b && "new_customer".equals(b.getString("type"))
            && conversations.contains(b.getString("conversation_id")))
        .map(f -> f.getJsonObject("body").getString("conversation_id")).toList();
  }

  private static boolean body(JsonObject frame, String address, String type) {
    return "rec".equals(frame.getString("type")) && address.equals(frame.getString("address"))
        && frame.getValue("body") instanceof JsonObject b && type.equals(b.getString("type"));
  }

  private static String username() {
    return "cl_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  private static UUID register(Node node, String username) {
    Http.Res res = node.http().post("/api/v1/auth/register", new JsonObject().put("username", username)
        .put("email", username + "@example.com").put("password", "correct-horse"), null);
    assertThat(res.status()).as(res.body()).isEqualTo(201);
    return UUID.fromString(res.json().getString("id"));
  }

  private static String login(Node node, String username, String password) {
    Http.Res res = node.http().post("/api/v1/auth/login", new JsonObject().put("username_or_email", username)
        .put("password", password), null);
    assertThat(res.status()).as(res.body()).isEqualTo(200);
    return res.json().getString("access_token");
  }

  private static Staff consultant(String prefix) {
    String username = prefix + "_" + UUID.randomUUID().toString().substring(0, 8);
    Http.Res res = a().http().post("/api/v1/admin/users", new JsonObject().put("username", username)
        .put("email", username + "@clinic.example").put("password", "staff-password").put("role", "consultant")
        .put("full_name", "顾问" + prefix), admin);
    assertThat(res.status()).as(res.body()).isEqualTo(201);
    return new Staff(res.json().getString("id"), username, login(b(), username, "staff-password"));
  }

  private static BridgeClient socket(Node node) {
    BridgeClient socket = BridgeClient.connect(node.httpPort());
    sockets.add(socket);
    return socket;
  }

  /** A consultant page's socket on that node, listening (the bridge's presence event has arrived on it). */
  private static BridgeClient consultantSocket(Node node, Staff s) {
    String own = Addresses.clientConsultant(s.id());
    BridgeClient socket = socket(node).register(own, s.token()).register(Addresses.CLIENT_CONSULTANTS, s.token());
    socket.await(LIVE, "presence on " + node.name(), f -> body(f, own, "presence"));
    return socket;
  }
}
