package com.anmeismart.server.api;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Idle timeouts on the HTTP and MCP ports (issue #10 point 5: an idle connection was still open after 60 s), and
 * their interplay with the long-lived streams: with the timeouts set to 2 s (HTTP) and 3 s (MCP), a connection that
 * sends nothing is closed within about that, while a SockJS WebSocket (kept busy by SockJS heartbeats at half the
 * timeout, no client pings needed) and MCP event streams (keep-alive comments every second) stay open well past
 * them and still carry messages.
 */
class IdleTimeoutIT {

  static TestApp server;
  static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() {
    server = TestApp.start(new JsonObject().put("HTTP_IDLE_TIMEOUT_SECONDS", "2").put("MCP_IDLE_TIMEOUT_SECONDS", "3")
        .put("MCP_SSE_KEEPALIVE_SECONDS", "1"));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** Seconds until the server closes a connection on which the client sent {@code request} (maybe nothing). */
  static double secondsUntilClosed(int port, String request) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(20_000);
      long start = System.nanoTime();
      InputStream in = socket.getInputStream();
      if (!request.isEmpty()) {
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      }
      byte[] buf = new byte[4096];
      try {
        while (in.read(buf) >= 0) {
          // the response to the request, if any; then the wait for the close
        }
      } catch (SocketTimeoutException e) {
        return Double.POSITIVE_INFINITY;
      } catch (IOException e) {
        // reset: closed too
      }
      return (System.nanoTime() - start) / 1e9;
    }
  }

  @Test
  void idleConnectionsAreClosedOnBothPorts() throws IOException {
    // before: no idle timeout at all (open after 60 s)
    int http = server.port("HTTP_PORT");
    int mcp = server.port("MCP_PORT");
    assertThat(secondsUntilClosed(http, "")).as("HTTP, nothing sent").isBetween(1.5, 8.0);
    assertThat(secondsUntilClosed(http, "GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\n\r\n"))
        .as("HTTP, a keep-alive connection after its answer").isBetween(1.5, 8.0);
    assertThat(secondsUntilClosed(mcp, "")).as("MCP, nothing sent").isBetween(2.5, 10.0);
  }

  @Test
  void aSockJsWebSocketOutlivesTheIdleTimeoutOnHeartbeatsAndStillDelivers() throws Exception {
    String admin = server.adminToken();
    String name = "idle_" + UUID.randomUUID().toString().substring(0, 8);
    Http.Res staff = server.http.post("/api/v1/admin/users", new JsonObject().put("username", name)
        .put("email", name + "@clinic.example").put("password", "staff-password").put("role", "consultant"), admin);
    String id = staff.json().getString("id");
    String token = server.login(name, "staff-password");

    // the framed SockJS WebSocket transport, as sockjs-client opens it (not the raw /websocket endpoint)
    BlockingQueue<String> frames = new LinkedBlockingQueue<>();
    WebSocket ws = CLIENT.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + server.port("HTTP_PORT")
        + "/eventbus/000/" + UUID.randomUUID().toString().replace("-", "") + "/websocket"), new WebSocket.Listener() {
          private final StringBuilder text = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
              frames.add(text.toString());
              text.setLength(0);
            }
            socket.request(1);
            return null;
          }

          @Override
          public CompletionStage<?> onClose(WebSocket socket, int code, String reason) {
            frames.add("closed " + code);
            return null;
          }
        }).get(10, TimeUnit.SECONDS);
    try {
      assertThat(frames.poll(10, TimeUnit.SECONDS)).isEqualTo("o");
      String address = Addresses.clientConsultant(UUID.fromString(id));
      String register = new JsonObject().put("type", "register").put("address", address)
          .put("headers", new JsonObject().put("Authorization", "Bearer " + token)).encode();
      ws.sendText(new JsonArray().add(register).encode(), true).get(10, TimeUnit.SECONDS);
      // five heartbeats, one a second: 5 s of no client traffic, more than twice the 2 s idle timeout
      int heartbeats = 0;
      while (heartbeats < 5) {
        String frame = frames.poll(10, TimeUnit.SECONDS);
        assertThat(frame).as("a frame within 10 s (heartbeats so far: %d)", heartbeats).isNotNull()
            .doesNotStartWith("closed").doesNotStartWith("c[");
        if (frame.equals("h")) {
          heartbeats++;
        }
      }
      String probe = UUID.randomUUID().toString();
      server.app.vertx().eventBus().publish(address, new JsonObject().put("type", "probe").put("probe", probe));
      String delivered = null;
      for (int i = 0; i < 10 && delivered == null; i++) {
        String frame = frames.poll(10, TimeUnit.SECONDS);
        assertThat(frame).isNotNull().doesNotStartWith("closed");
        delivered = frame.contains(probe) ? frame : null;
      }
      assertThat(delivered).as("the socket still delivers after the idle timeout passed").startsWith("a[");
    } finally {
      ws.abort();
    }
  }

  @Test
  void mcpEventStreamsOutliveTheIdleTimeoutOnKeepAlives() throws Exception {
    String admin = server.adminToken();
    String group = server.http.get("/api/v1/mcp/groups", admin).json().getJsonArray("items").stream()
        .map(o -> (JsonObject) o).filter(g -> g.getString("name").equals("project_tools")).findFirst().orElseThrow()
        .getString("id");
    String key = server.http.get("/api/v1/mcp/groups/" + group + "/api-key", admin).json().getString("api_key");
    String base = "http://127.0.0.1:" + server.port("MCP_PORT");

    // the legacy SSE transport: GET /mcp/sse
    try (Stream<String> legacy = open(HttpRequest.newBuilder(URI.create(base + "/mcp/sse"))
        .header("Authorization", "Bearer " + key).header("Accept", "text/event-stream").GET().build())) {
      assertKeepsAlive(legacy.iterator(), 5);
    }

    // Streamable HTTP: initialize, then the GET stream of the session
    HttpResponse<String> init = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/mcp"))
        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("jsonrpc", "2.0").put("id", 1)
            .put("method", "initialize").put("params", new JsonObject().put("protocolVersion", "2025-03-26")
                .put("capabilities", new JsonObject())
                .put("clientInfo", new JsonObject().put("name", "idle-test").put("version", "1"))).encode()))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(init.statusCode()).as(init.body()).isEqualTo(200);
    String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
    try (Stream<String> stream = open(HttpRequest.newBuilder(URI.create(base + "/mcp"))
        .header("Authorization", "Bearer " + key).header("Mcp-Session-Id", session)
        .header("Mcp-Protocol-Version", "2025-03-26").header("Accept", "text/event-stream").GET().build())) {
      assertKeepsAlive(stream.iterator(), 5);
    }
  }

  private static Stream<String> open(HttpRequest request) throws Exception {
    HttpResponse<Stream<String>> res = CLIENT.send(request, HttpResponse.BodyHandlers.ofLines());
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    return res.body();
  }

  /** Reads {@code n} keep-alive comments (one a second): the stream stays open past the 3 s idle timeout. */
  private static void assertKeepsAlive(Iterator<String> lines, int n) {
    long start = System.nanoTime();
    int pings = 0;
    while (pings < n) {
      assertThat(lines.hasNext()).as("stream open after %d keep-alives", pings).isTrue();
      if (lines.next().startsWith(": ping")) {
        pings++;
      }
    }
    assertThat((System.nanoTime() - start) / 1e9).as("seconds the stream lived").isGreaterThan(3.5);
  }
}
