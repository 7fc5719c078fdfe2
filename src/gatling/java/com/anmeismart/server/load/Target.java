package com.anmeismart.server.load;

import static io.gatling.javaapi.http.HttpDsl.http;

import io.gatling.javaapi.http.HttpProtocolBuilder;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server under test and the simulations' parameters, all Java system properties ({@code -Dkey=value}; bench/gatling.sh
 * turns its {@code key=value} arguments into them). Nothing here starts a server: the simulations are black-box
 * clients of the REST API, the SockJS bridge and the MCP endpoint, so they run the same against the fat jar, an
 * external PostgreSQL or several nodes.
 */
public final class Target {

  /**
   * The REST API and bridge ({@code HTTP_PORT}); a comma-separated list for several nodes (bench/cluster.sh): each
   * virtual user gets one of them for its HTTP requests and one for its socket, in turn (Gatling's baseUrls and
   * wsBaseUrls), so a user's socket is often on another node than its requests, as behind a load balancer.
   */
  public static final List<String> BASE_URLS = List.of(System.getProperty("baseUrl", "http://127.0.0.1:8080")
      .split(","));
  /** The first node's API: set-up calls (accounts, keys) made once. */
  public static final String BASE_URL = BASE_URLS.get(0);
  /** The MCP server ({@code MCP_PORT}); a comma-separated list for several nodes: each request picks the next. */
  private static final List<String> MCP_URLS = List.of(System.getProperty("mcpUrl", "http://127.0.0.1:8000")
      .split(","));
  private static final AtomicLong MCP_TURN = new AtomicLong();
  /** An admin account of the server (bench/gatling.sh creates it through {@code ADMIN_USERNAME}/{@code ADMIN_PASSWORD}). */
  public static final String ADMIN = System.getProperty("adminUsername", "admin");
  public static final String ADMIN_PASSWORD = System.getProperty("adminPassword", "admin-dev-password");
  /** Every account the simulations create gets this password. */
  public static final String PASSWORD = "load-test-password";
  /** Names unique to this run, so runs against a kept database (PG_URL) never collide; new for each simulation. */
  private static volatile String run = newRun();

  private Target() {
  }

  /** The HTTP and WebSocket protocol every simulation shares. */
  public static HttpProtocolBuilder protocol() {
    return http.baseUrls(BASE_URLS)
        .wsBaseUrls(BASE_URLS.stream().map(u -> u.replaceFirst("^http", "ws")).toList())
        // bridge frames that no check waits for are kept (with their arrival time) for the Bridge scans
        .wsUnmatchedInboundMessageBufferSize(10_000)
        .acceptHeader("application/json")
        .contentTypeHeader("application/json");
  }

  /**
   * The MCP endpoint's base for the next request: with several nodes, the next one in turn, like a load balancer
   * without stickiness (Dify's initialize, initialized, tools/call and DELETE of one session land on different nodes).
   */
  public static String mcpUrl() {
    return MCP_URLS.get((int) (MCP_TURN.getAndIncrement() % MCP_URLS.size()));
  }

  /** A user name unique in this run: {@code prefix + run + "_" + n} (3–32 characters, as registration requires). */
  public static String name(String prefix, long n) {
    return prefix + run + "_" + n;
  }

  /** Starts a new run's names (each simulation, also several in one JVM). */
  static void startRun() {
    run = newRun();
  }

  private static String newRun() {
    return Long.toString(System.currentTimeMillis() % 2_000_000_000L, 36)
        + Long.toString(Math.floorMod(System.nanoTime(), 1_296L), 36);
  }

  public static String param(String key, String def) {
    String v = System.getProperty(key);
    return v == null || v.isBlank() ? def : v;
  }

  public static int intParam(String key, int def) {
    return Integer.getInteger(key, def);
  }

  public static double doubleParam(String key, double def) {
    String v = System.getProperty(key);
    return v == null || v.isBlank() ? def : Double.parseDouble(v);
  }

  public static Duration secondsParam(String key, long def) {
    return Duration.ofMillis(Math.round(doubleParam(key, def) * 1000));
  }
}
