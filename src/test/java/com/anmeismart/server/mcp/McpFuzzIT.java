package com.anmeismart.server.mcp;

import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded JSON-RPC fuzzing of {@code /mcp} in both protocol eras (handshake-era session, no session, legacy SSE
 * messages, stateless 2026-07-28 requests with right, wrong and missing headers): random methods, ids, params with
 * NUL, lone surrogates, huge and deep values, broken and non-object bodies. Bounded in time. Every answer is below 500
 * and names no Java internals; afterwards the server serves both eras, and no call-log row was lost. Reproduce a run
 * or try another with {@code -Dmcp.fuzz.seed=<seed>} (the seed is logged at the start).
 */
class McpFuzzIT {

  private static final Pattern INTERNALS = Pattern.compile("(?i)\\b(java|javax|tools\\.jackson|com\\.fasterxml|"
      + "io\\.modelcontextprotocol|io\\.vertx|io\\.netty|reactor\\.core)\\.[a-z]|\\w+Exception\\b|\\.java:\\d+|"
      + "\\bat [a-z]+(\\.[a-z]+)+\\(");
  private static final String[] METHODS = {"initialize", "ping", "tools/list", "tools/call", "tools/call",
      "tools/call", "logging/setLevel", "server/discover", "notifications/initialized", "notifications/cancelled",
      "notifications/roots/list_changed", "completion/complete", "resources/read", "prompts/get", "resources/list",
      "", "TOOLS/LIST", "x".repeat(300), "rpc.discover"};
  private static final String[] TOOLS = {"service_info", "get_user_profile", "appointment_booking", "basic_inquiry",
      "plan_generation", "", "no_such_tool"};
  private static final String[] NASTY = {"\u0000", "a\u0000b", "\uD800", "\uDC00x", "\uD800\u4E2D", "😀",
      "\u202Eevil", "'; DROP TABLE users; --", "{{#sys.query#}}", "\\u0000", "%00", "\r\n\r\nX-Injected: 1", ""};
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private Random random;

  @Test
  void randomFramesInBothErasNeverGet5xxOrInternalsAndTheServerStaysWell() throws Exception {
    long seed = Long.getLong("mcp.fuzz.seed", 20261202L);
    LoggerFactory.getLogger(McpFuzzIT.class).info("MCP fuzz seed {} (rerun with -Dmcp.fuzz.seed={})", seed, seed);
    random = new Random(seed);
    try (TestApp server = TestApp.start(null)) {
      int port = server.port("MCP_PORT");
      String project = keyOf(server, "project_tools");
      String welcome = keyOf(server, "welcome_tools");
      McpClient session = new McpClient(port, project).open("2025-11-25");
      SseListener sse = new SseListener(port, project);
      long frames = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(12);
      List<String> failures = new ArrayList<>();
      java.util.Map<Integer, Integer> statuses = new java.util.TreeMap<>();
      while (frames < 800 && System.nanoTime() < deadline) {
        frames++;
        String key = random.nextInt(4) == 0 ? welcome : project;
        HttpRequest request = frame(port, key, session.sessionId, sse.sessionId);
        HttpResponse<String> res = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        statuses.merge(res.statusCode(), 1, Integer::sum);
        String what = request.method() + " " + request.uri().getPath() + " → " + res.statusCode() + " "
            + abbreviate(res.body());
        if (res.statusCode() >= 500 || INTERNALS.matcher(res.body()).find()) {
          failures.add(what);
        }
      }
      LoggerFactory.getLogger(McpFuzzIT.class).info("{} frames, answers by HTTP status: {}", frames, statuses);
      assertThat(failures).as("seed %d: %d frames", seed, frames).isEmpty();
      assertThat(frames).as("a meaningful number of frames in the time").isGreaterThan(100);
      String streamed = sse.close();
      assertThat(INTERNALS.matcher(streamed).find()).as("seed %d, SSE stream: %s", seed, abbreviate(streamed))
          .isFalse();

      // the server is well: both eras answer, and every call-log row was written
      assertThat(server.management().get("/ready", null).status()).isEqualTo(200);
      McpClient fresh = new McpClient(port, project).open("2025-11-25");
      assertThat(fresh.result("service_info", new JsonObject().put("keyword", "补水")).getInteger("count"))
          .isPositive();
      McpClient.Res modern = new McpClient(port, project).stateless("tools/list", null, "after-fuzz");
      assertThat(modern.status()).isEqualTo(200);
      Poll.until(Duration.ofSeconds(10), "the call log drained", () -> server.metrics().lines().noneMatch(l -> l.startsWith("mcp_call_log_dropped_total") && !l.endsWith(" 0.0")));
      assertThat(server.db().count("SELECT count(*) FROM mcp_call_logs")).isPositive();
    }
  }

  private static String keyOf(TestApp server, String group) {
    String admin = server.adminToken();
    String id = server.http.get("/api/v1/mcp/groups", admin).json().getJsonArray("items").stream()
        .map(o -> (JsonObject) o).filter(g -> g.getString("name").equals(group)).findFirst().orElseThrow()
        .getString("id");
    return server.http.get("/api/v1/mcp/groups/" + id + "/api-key", admin).json().getString("api_key");
  }

  /** One random frame: the era, the headers, the message and how its body is written. */
  private HttpRequest frame(int port, String key, String sessionId, String sseSession) {
    String method = pick(METHODS);
    JsonObject msg = new JsonObject();
    if (random.nextInt(30) > 0) {
      msg.put("jsonrpc", random.nextInt(40) == 0 ? "1.0" : "2.0");
    }
    if (!method.startsWith("notifications/") || random.nextInt(5) == 0) {
      msg.put("id", id());
    }
    msg.put("method", method);
    boolean stateless = random.nextInt(3) == 0;
    JsonObject params = params(method);
    if (stateless && params != null && random.nextInt(6) > 0) {
      JsonObject meta = new JsonObject();
      if (random.nextInt(8) > 0) {
        meta.put("io.modelcontextprotocol/protocolVersion", pick("2026-07-28", "2026-07-28", "2025-11-25",
            "v999.0.0", "", "2026-07-28\u0000"));
      }
      if (random.nextInt(8) > 0) {
        meta.put("io.modelcontextprotocol/clientCapabilities", random.nextInt(6) == 0 ? "no" : new JsonObject());
      }
      if (random.nextBoolean()) {
        meta.put("io.modelcontextprotocol/clientInfo", random.nextInt(5) == 0 ? value(2)
            : new JsonObject().put("name", pick(NASTY) + "fuzz").put("version", "1"));
      }
      params.put("_meta", random.nextInt(15) == 0 ? value(1) : meta);
    }
    if (params != null) {
      msg.put("params", random.nextInt(20) == 0 ? value(2) : params);
    }
    byte[] body = body(msg);
    String path = "/mcp";
    HttpRequest.Builder b = HttpRequest.newBuilder().timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + key).header("Accept", random.nextInt(25) == 0 ? "text/html"
            : "application/json, text/event-stream")
        .header("Content-Type", random.nextInt(30) == 0 ? "text/plain" : "application/json");
    int era = random.nextInt(10);
    if (stateless) {
      if (random.nextInt(6) > 0) {
        b.header("MCP-Protocol-Version", pick("2026-07-28", "2026-07-28", "2025-06-18", "1999-01-01", "garbage"));
      }
      if (random.nextInt(6) > 0) {
        b.header("Mcp-Method", random.nextInt(5) == 0 ? pick(METHODS).replaceAll("[^ -~]", "") : safe(method));
      }
      if (random.nextBoolean()) {
        String name = params != null && params.getValue("name") instanceof String s ? s : "service_info";
        b.header("Mcp-Name", random.nextInt(4) == 0 ? "=?base64?" + Base64.getEncoder().encodeToString(
            name.getBytes(StandardCharsets.UTF_8)) + "?=" : random.nextInt(5) == 0 ? "=?base64?***?=" : safe(name));
      }
    } else if (era < 8 && sessionId != null) {
      b.header("Mcp-Session-Id", random.nextInt(30) == 0 ? "not-a-session" : sessionId);
      if (random.nextInt(5) == 0) {
        b.header("MCP-Protocol-Version", pick("2025-11-25", "2025-03-26", "2030-01-01"));
      }
    } else if (era == 8 && sseSession != null) {
      path = "/mcp/message?sessionId=" + sseSession;
    }
    return b.uri(URI.create("http://127.0.0.1:" + port + path)).POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
  }

  private JsonObject params(String method) {
    int shape = random.nextInt(6);
    if (shape == 0) {
      return null;
    }
    JsonObject p = new JsonObject();
    switch (method) {
      case "tools/call" -> {
        p.put("name", random.nextInt(8) == 0 ? value(1) : pick(TOOLS));
        if (random.nextInt(6) > 0) {
          JsonObject args = new JsonObject();
          for (String arg : List.of("keyword", "user_id", "action", "date", "question", "limit", "context_token",
              "slot_id", "customer_id", "include_details")) {
            if (random.nextInt(3) == 0) {
              args.put(arg, value(2));
            }
          }
          p.put("arguments", random.nextInt(10) == 0 ? value(1) : args);
        }
      }
      case "logging/setLevel" -> p.put("level", random.nextBoolean() ? pick("debug", "info", "warning", "loud")
          : value(1));
      case "initialize" -> p.put("protocolVersion", random.nextBoolean() ? "2025-11-25" : value(1))
          .put("capabilities", random.nextBoolean() ? new JsonObject() : value(1))
          .put("clientInfo", random.nextBoolean() ? new JsonObject().put("name", "f").put("version", "1") : value(1));
      case "tools/list" -> {
        if (random.nextInt(3) == 0) {
          p.put("cursor", value(1));
        }
      }
      default -> {
        for (int i = random.nextInt(3); i > 0; i--) {
          p.put(pick("requestId", "reason", "uri", "name", pick(NASTY)), value(2));
        }
      }
    }
    return p;
  }

  /** Mostly valid ids (so most frames get past the envelope), sometimes every kind of wrong one. */
  private Object id() {
    return switch (random.nextInt(16)) {
      case 0 -> "id-" + pick(NASTY);
      case 1 -> null;
      case 2 -> new JsonObject().put("a", 1);
      case 3 -> new JsonArray().add(1);
      case 4 -> 1.5;
      case 5 -> new java.math.BigInteger("123456789012345678901234567890");
      case 6 -> true;
      case 7, 8, 9 -> "r" + random.nextInt(1_000);
      default -> random.nextInt(1_000_000);
    };
  }

  private Object value(int depth) {
    int kind = random.nextInt(depth > 0 ? 11 : 8);
    return switch (kind) {
      case 0 -> null;
      case 1 -> random.nextBoolean();
      case 2 -> random.nextLong();
      case 3 -> random.nextDouble() * 1e300;
      case 4 -> pick(NASTY) + pick("", "补水", "00000000-0000-4000-8000-00000000d001", "x".repeat(5_000));
      case 5 -> new java.math.BigDecimal("1e400");
      case 6 -> pick(NASTY);
      case 7 -> "s" + random.nextInt(100);
      case 8 -> {
        JsonArray a = new JsonArray();
        for (int i = random.nextInt(4); i > 0; i--) {
          a.add(value(depth - 1));
        }
        yield a;
      }
      default -> {
        JsonObject o = new JsonObject();
        for (int i = random.nextInt(4); i > 0; i--) {
          o.put(pick("a", "name", "level", "_meta", pick(NASTY)), value(depth - 1));
        }
        yield o;
      }
    };
  }

  /** The message's JSON, sometimes broken: cut short, a byte changed, wrapped in a batch, or deeply nested. */
  private byte[] body(JsonObject msg) {
    byte[] json = msg.encode().getBytes(StandardCharsets.UTF_8);
    return switch (random.nextInt(40)) {
      case 0 -> java.util.Arrays.copyOf(json, random.nextInt(json.length));
      case 1 -> {
        byte[] b = json.clone();
        b[random.nextInt(b.length)] = (byte) random.nextInt(256);
        yield b;
      }
      case 2 -> ("[" + msg.encode() + "]").getBytes(StandardCharsets.UTF_8);
      case 3 -> ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":" + "[".repeat(3_000)
          + "]".repeat(3_000) + "}").getBytes(StandardCharsets.UTF_8);
      case 4 -> new byte[0];
      default -> json;
    };
  }

  @SafeVarargs
  private <T> T pick(T... options) {
    return options[random.nextInt(options.length)];
  }

  /** A header value HTTP can carry (visible ASCII). */
  private static String safe(String s) {
    String v = s.replaceAll("[^!-~ ]", "");
    return v.isBlank() ? "x" : v;
  }

  private static String abbreviate(String s) {
    return s.length() > 300 ? s.substring(0, 300) + "…" : s;
  }

  /** A legacy SSE connection whose session the fuzz posts to; everything it receives is kept for the check. */
  private static final class SseListener {
    final String sessionId;
    private final InputStream in;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private final Thread reader;

    SseListener(int port, String key) throws Exception {
      HttpResponse<InputStream> res = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
              + "/mcp/sse")).header("Authorization", "Bearer " + key).header("Accept", "text/event-stream").build(),
          HttpResponse.BodyHandlers.ofInputStream());
      in = res.body();
      // the first event names the endpoint: "event: endpoint\ndata: /mcp/message?sessionId=<id>\n\n"
      StringBuilder first = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0 && !(c == '\n' && first.indexOf("sessionId=") >= 0)) {
        first.append((char) c);
      }
      sessionId = first.substring(first.indexOf("sessionId=") + "sessionId=".length()).strip();
      reader = new Thread(() -> {
        byte[] buf = new byte[8192];
        try {
          int n;
          while ((n = in.read(buf)) >= 0) {
            synchronized (received) {
              received.write(buf, 0, n);
            }
          }
        } catch (Exception e) {
          // closed at the end
        }
      }, "fuzz-sse");
      reader.setDaemon(true);
      reader.start();
    }

    String close() throws Exception {
      in.close();
      reader.join(5_000);
      synchronized (received) {
        return received.toString(StandardCharsets.UTF_8);
      }
    }
  }
}
