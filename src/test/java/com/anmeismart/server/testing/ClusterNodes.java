package com.anmeismart.server.testing;

import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Server processes ({@link JarProcess}) forming one cluster ({@code CLUSTER=true}) on loopback and one PostgreSQL:
 * every port picked free up front, each node named, the members list naming every node started so far. Nodes start
 * in parallel. The nodes share the test servers' secrets and have a known admin ({@link TestApp#ADMIN}).
 */
public final class ClusterNodes implements AutoCloseable {

  /** One running node. */
  public record Node(String name, JarProcess process, int mcpPort, int clusterPort) {

    public Http http() {
      return process.http();
    }

    public int httpPort() {
      return process.httpPort;
    }

    public Http management() {
      return process.management();
    }

    /** The node's {@code /ready} check of that id, e.g. {@code cluster} or {@code instance}. */
    public JsonObject check(String id) {
      return management().get("/ready", null).json().getJsonArray("checks").stream().map(o -> (JsonObject) o)
          .filter(c -> id.equals(c.getString("id"))).findFirst().orElseThrow();
    }

    /** Its PostgreSQL instance number (db/InstanceLock), stamped on the jobs it leases. */
    public int instance() {
      return check("instance").getJsonObject("data").getInteger("number");
    }
  }

  /**
   * Three server JVMs and the tests on a CI machine of two cores: the C1 compiler only and the serial collector, so
   * their start-up compiles and collects with less CPU (their speed after start matters little to the tests).
   */
  public static final List<String> TEST_JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

  private final String pgUrl;
  private final Map<String, String> env;
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final List<String> members = new CopyOnWriteArrayList<>();

  private final List<String> jvmOptions;

  private ClusterNodes(String pgUrl, Map<String, String> env, List<String> jvmOptions) {
    this.pgUrl = pgUrl;
    this.env = env;
    this.jvmOptions = jvmOptions;
  }

  /**
   * Starts these nodes together ({@link #TEST_JVM_OPTIONS}) and waits until every one is ready and sees all of
   * them.
   */
  public static ClusterNodes start(String pgUrl, Map<String, String> env, String... names) throws Exception {
    return start(TEST_JVM_OPTIONS, pgUrl, env, names);
  }

  /** As {@link #start(String, Map, String...)} with these JVM options (none: the JVM's defaults, for benches). */
  public static ClusterNodes start(List<String> jvmOptions, String pgUrl, Map<String, String> env, String... names)
      throws Exception {
    ClusterNodes cluster = new ClusterNodes(pgUrl, env, jvmOptions);
    cluster.add(names);
    return cluster;
  }

  /** Starts more nodes (joining the running ones) and waits until they are ready and the cluster has them all. */
  public List<Node> add(String... names) throws Exception {
    Map<String, Integer> clusterPorts = new LinkedHashMap<>();
    for (String name : names) {
      int port = JarProcess.freePort();
      clusterPorts.put(name, port);
      members.add("127.0.0.1:" + port);
    }
    List<Node> started = new ArrayList<>();
    for (String name : names) {
      Map<String, String> all = new HashMap<>(env);
      int mcp = JarProcess.freePort();
      all.putAll(Map.of("PG_URL", pgUrl, "CLUSTER", "true", "CLUSTER_HOST", "127.0.0.1",
          "CLUSTER_PORT", String.valueOf(clusterPorts.get(name)), "CLUSTER_BUS_PORT", "0",
          "CLUSTER_MEMBERS", String.join(",", members), "NODE_NAME", name, "MCP_PORT", String.valueOf(mcp),
          "ADMIN_USERNAME", TestApp.ADMIN, "ADMIN_PASSWORD", TestApp.ADMIN_PASSWORD));
      Node node = new Node(name, JarProcess.start(all, jvmOptions), mcp, clusterPorts.get(name));
      nodes.put(name, node);
      started.add(node);
    }
    CompletableFuture.allOf(started.stream().map(n -> CompletableFuture.runAsync(
        () -> n.process().awaitReady(Duration.ofSeconds(120)))).toArray(CompletableFuture[]::new)).join();
    awaitMembers(Duration.ofSeconds(60));
    return started;
  }

  /** Waits until every live node's {@code /ready} counts exactly the live nodes as members. */
  public void awaitMembers(Duration timeout) {
    Poll.until(timeout, live().size() + " members seen by every node", () -> live().stream()
        .allMatch(n -> n.check("cluster").getJsonObject("data").getInteger("members") == live().size()));
  }

  public Node node(String name) {
    return nodes.get(name);
  }

  /** The nodes whose process is alive. */
  public List<Node> live() {
    return nodes.values().stream().filter(n -> n.process().process.isAlive()).toList();
  }

  @Override
  public void close() {
    nodes.values().forEach(n -> {
      try {
        n.process().close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }
}
