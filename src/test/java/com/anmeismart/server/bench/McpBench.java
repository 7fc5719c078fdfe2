package com.anmeismart.server.bench;

import com.anmeismart.server.App;
import com.anmeismart.server.security.ContextTokens;
import com.anmeismart.server.security.SecretBox;
import com.anmeismart.server.testing.Poll;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Measures {@code tools/call get_user_profile} over Streamable HTTP: throughput and p50/p99 with 1, 8 and 32
 * concurrent clients on one session, then the Dify way (initialize, initialized, tools/call, DELETE for every call)
 * with 8 clients, then the stateless era (revision 2026-07-28: no session, the metadata in every request) with 32.
 * Starts the server in this JVM (embedded PostgreSQL in a temp directory, loopback only); the load generator is a
 * Vert.x HTTP client in the same JVM, so the figures include it. Run: {@code bench/mcp.sh}.
 * Args: [seconds per level (10)] [warm-up seconds (5)].
 */
public final class McpBench {

  private McpBench() {
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    String secrets = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    JsonObject conf = new JsonObject().put("HTTP_PORT", "0").put("MCP_PORT", "0").put("MANAGEMENT_PORT", "0")
        .put("LOCAL_AGENT_PORT", "0").put("DATA_DIR", Files.createTempDirectory("mcp-bench").toString())
        .put("SECRETS_KEY", secrets).put("ADMIN_USERNAME", "bench_admin").put("ADMIN_PASSWORD", "bench-password-1");
    App app = App.start(null, conf).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    try {
      String api = "http://127.0.0.1:" + app.port("HTTP_PORT") + "/api/v1";
      String token = post(api + "/auth/login", new JsonObject().put("username_or_email", "bench_admin")
          .put("password", "bench-password-1"), null).getString("access_token");
      JsonObject user = post(api + "/auth/register", new JsonObject().put("username", "bench_user")
          .put("email", "bench@example.com").put("password", "bench-password-1").put("full_name", "王小美")
          .put("interests", new io.vertx.core.json.JsonArray().add("补水")), null);
      String group = get(api + "/mcp/groups", token).getJsonArray("items").stream().map(o -> (JsonObject) o)
          .filter(g -> g.getString("name").equals("welcome_tools")).findFirst().orElseThrow().getString("id");
      String key = get(api + "/mcp/groups/" + group + "/api-key", token).getString("api_key");
      String ctx = new ContextTokens(app.vertx(), new SecretBox(secrets))
          .issue(UUID.fromString(user.getString("id")), Duration.ofHours(1));
      Load load = new Load(app.port("MCP_PORT"), key, ctx);
      System.out.printf("machine: %d cores, Java %s; %d s per level after %d s warm-up%n",
          Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), seconds, warmup);
      String session = load.initialize().toCompletionStage().toCompletableFuture().get();
      for (int clients : new int[] {1, 8, 32}) {
        load.run(clients, warmup, () -> load.call(session));
        report("tools/call, one session, " + clients + " client(s)", load.run(clients, seconds,
            () -> load.call(session)), seconds);
      }
      load.run(8, warmup, load::difyExchange);
      report("Dify-style exchange (init, initialized, call, DELETE), 8 clients", load.run(8, seconds,
          load::difyExchange), seconds);
      load.run(32, warmup, load::statelessCall);
      report("tools/call, stateless 2026-07-28 (no session), 32 clients", load.run(32, seconds,
          load::statelessCall), seconds);
      load.close();
      // every call is in the call log (the welcome of bench_user adds its own two or three rows)
      long calls = load.succeeded.get();
      long rows = Poll.until(Duration.ofSeconds(10), "a call-log row for every call", () -> {
        long n = get(api + "/admin/mcp/metrics?hours=1", token).getLong("total_calls");
        return n >= calls ? n : null;
      });
      System.out.printf("call log: %d rows for %d successful calls%n", rows, calls);
    } finally {
      app.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
    System.exit(0);
  }

  private static void report(String what, long[] nanos, int seconds) {
    Arrays.sort(nanos);
    double p50 = nanos.length == 0 ? 0 : nanos[(int) (nanos.length * 0.50)] / 1e6;
    double p99 = nanos.length == 0 ? 0 : nanos[Math.min(nanos.length - 1, (int) (nanos.length * 0.99))] / 1e6;
    System.out.printf("%-70s %8.0f /s   p50 %6.2f ms   p99 %6.2f ms   (n=%d)%n", what,
        nanos.length / (double) seconds, p50, p99, nanos.length);
  }

  private static final java.net.http.HttpClient JDK = java.net.http.HttpClient.newHttpClient();

  private static JsonObject post(String url, JsonObject body, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return new JsonObject(JDK.send(b.build(), HttpResponse.BodyHandlers.ofString()).body());
  }

  private static JsonObject get(String url, String token) throws Exception {
    return new JsonObject(JDK.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
        .build(), HttpResponse.BodyHandlers.ofString()).body());
  }

  /** The load generator: a Vert.x HTTP client, one connection per concurrent client, keep-alive. */
  private static final class Load {
    private final Vertx vertx = Vertx.vertx();
    private final HttpClient client;
    private final String key;
    private final Buffer callBody;
    private final Buffer statelessBody;
    private final int port;

    Load(int port, String key, String contextToken) {
      this.port = port;
      this.key = key;
      this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
          new PoolOptions().setHttp1MaxSize(64));
      this.callBody = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "tools/call")
          .put("params", new JsonObject().put("name", "get_user_profile")
              .put("arguments", new JsonObject().put("context_token", contextToken))).toBuffer();
      this.statelessBody = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "tools/call")
          .put("params", new JsonObject().put("name", "get_user_profile")
              .put("arguments", new JsonObject().put("context_token", contextToken))
              .put("_meta", new JsonObject().put("io.modelcontextprotocol/protocolVersion", "2026-07-28")
                  .put("io.modelcontextprotocol/clientCapabilities", new JsonObject())
                  .put("io.modelcontextprotocol/clientInfo", new JsonObject().put("name", "bench")
                      .put("version", "1")))).toBuffer();
    }

    private Future<io.vertx.core.http.HttpClientResponse> send(HttpMethod method, String session, Buffer body,
                                                              Promise<Buffer> bodyOut) {
      return send(method, session, body, bodyOut, false);
    }

    /** @param stateless with the 2026-07-28 request headers (and never a session) */
    private Future<io.vertx.core.http.HttpClientResponse> send(HttpMethod method, String session, Buffer body,
                                                              Promise<Buffer> bodyOut, boolean stateless) {
      RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI("/mcp")
          .putHeader("Authorization", "Bearer " + key).putHeader("Content-Type", "application/json")
          .putHeader("Accept", "application/json, text/event-stream");
      if (session != null) {
        o.putHeader("Mcp-Session-Id", session);
      }
      if (stateless) {
        o.putHeader("MCP-Protocol-Version", "2026-07-28").putHeader("Mcp-Method", "tools/call")
            .putHeader("Mcp-Name", "get_user_profile");
      }
      return client.request(o).compose(req -> body == null ? req.send() : req.send(body))
          .compose(res -> res.body().map(b -> {
            if (res.statusCode() >= 300) {
              throw new IllegalStateException(method + " → " + res.statusCode() + " " + b);
            }
            if (bodyOut != null) {
              bodyOut.complete(b);
            }
            return res;
          }));
    }

    Future<String> initialize() {
      Buffer init = new JsonObject().put("jsonrpc", "2.0").put("id", 0).put("method", "initialize")
          .put("params", new JsonObject().put("protocolVersion", "2025-03-26").put("capabilities", new JsonObject())
              .put("clientInfo", new JsonObject().put("name", "Dify").put("version", "bench"))).toBuffer();
      return send(HttpMethod.POST, null, init, null).compose(res -> {
        String session = res.getHeader("Mcp-Session-Id");
        return send(HttpMethod.POST, session, Buffer.buffer("{\"jsonrpc\":\"2.0\",\"method\":"
            + "\"notifications/initialized\"}"), null).map(session);
      });
    }

    /** Successful tool calls, warm-up included: the call log must end up with a row for each. */
    final java.util.concurrent.atomic.AtomicLong succeeded = new java.util.concurrent.atomic.AtomicLong();

    Future<Void> call(String session) {
      Promise<Buffer> body = Promise.promise();
      return send(HttpMethod.POST, session, callBody, body).compose(r -> body.future()).map(this::check);
    }

    /** The same call in the stateless era: no session, the revision's metadata and headers on every request. */
    Future<Void> statelessCall() {
      Promise<Buffer> body = Promise.promise();
      return send(HttpMethod.POST, null, statelessBody, body, true).compose(r -> body.future()).map(this::check);
    }

    private Void check(Buffer b) {
      // Every answer is checked, on its bytes: decoding each one to a String would load the generator, which
      // shares the cores with the server, for nothing.
      byte[] bytes = b.getBytes();
      if (!contains(bytes, RESULT) || contains(bytes, TOOL_ERROR)) {
        throw new IllegalStateException("not a successful tool result: " + b);
      }
      succeeded.incrementAndGet();
      return null;
    }

    private static final byte[] RESULT = "\"result\":{".getBytes(StandardCharsets.UTF_8);
    private static final byte[] TOOL_ERROR = "\"isError\":true".getBytes(StandardCharsets.UTF_8);

    private static boolean contains(byte[] b, byte[] needle) {
      outer:
      for (int i = 0, last = b.length - needle.length; i <= last; i++) {
        for (int j = 0; j < needle.length; j++) {
          if (b[i + j] != needle[j]) {
            continue outer;
          }
        }
        return true;
      }
      return false;
    }

    Future<Void> difyExchange() {
      return initialize().compose(session -> call(session).compose(v -> send(HttpMethod.DELETE, session, null,
          null))).mapEmpty();
    }

    /** Runs {@code clients} loops of {@code op} for {@code seconds}; returns every latency in ns. */
    long[] run(int clients, int seconds, java.util.function.Supplier<Future<Void>> op) throws Exception {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      List<Future<long[]>> loops = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        Promise<long[]> done = Promise.promise();
        vertx.runOnContext(v -> loop(op, end, new long[1 << 16], 0, done));
        loops.add(done.future());
      }
      List<long[]> all = new ArrayList<>();
      for (Future<long[]> f : loops) {
        all.add(f.toCompletionStage().toCompletableFuture().get(seconds + 60L, TimeUnit.SECONDS));
      }
      return all.stream().flatMapToLong(Arrays::stream).toArray();
    }

    private void loop(java.util.function.Supplier<Future<Void>> op, long end, long[] buf, int n,
                      Promise<long[]> done) {
      if (System.nanoTime() >= end) {
        done.complete(Arrays.copyOf(buf, n));
        return;
      }
      long t0 = System.nanoTime();
      op.get().onComplete(ar -> {
        if (ar.failed()) {
          done.fail(ar.cause());
          return;
        }
        long[] b = n < buf.length ? buf : Arrays.copyOf(buf, buf.length * 2);
        b[n] = System.nanoTime() - t0;
        loop(op, end, b, n + 1, done);
      });
    }

    void close() {
      vertx.close();
    }
  }
}
