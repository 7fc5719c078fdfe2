package com.anmeismart.server.cluster;

import com.anmeismart.server.testing.Poll;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A legacy HTTP+SSE MCP client's stream ({@code GET /mcp/sse}): the {@code endpoint} event it starts with, and the
 * JSON-RPC messages that arrive on it afterwards, read on a thread of its own.
 */
final class SseStream implements AutoCloseable {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private final InputStream in;
  private final List<JsonObject> messages = new CopyOnWriteArrayList<>();
  private volatile String endpoint;

  private SseStream(InputStream in) {
    this.in = in;
    Thread reader = new Thread(this::read, "sse-stream");
    reader.setDaemon(true);
    reader.start();
  }

  static SseStream open(int port, String key) throws Exception {
    HttpResponse<InputStream> res = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
            + "/mcp/sse")).header("Authorization", "Bearer " + key).header("Accept", "text/event-stream").build(),
        HttpResponse.BodyHandlers.ofInputStream());
    if (res.statusCode() != 200) {
      throw new AssertionError("GET /mcp/sse → " + res.statusCode());
    }
    return new SseStream(res.body());
  }

  private void read() {
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String event = null;
      String line;
      while ((line = lines.readLine()) != null) {
        if (line.startsWith("event: ")) {
          event = line.substring(7);
        } else if (line.startsWith("data: ")) {
          String data = line.substring(6);
          if ("endpoint".equals(event)) {
            endpoint = data;
          } else {
            messages.add(new JsonObject(data));
          }
        } else if (line.isEmpty()) {
          event = null;
        }
      }
    } catch (Exception e) {
      // the stream was closed
    }
  }

  /** The relative URL the stream's first event names (where to POST messages). */
  String endpoint() {
    return Poll.until(Duration.ofSeconds(10), "the endpoint event", () -> endpoint);
  }

  JsonObject await(Duration timeout, Predicate<JsonObject> match) {
    return Poll.until(timeout, "a message on the SSE stream", () -> messages.stream().filter(match).findFirst()
        .orElse(null));
  }

  @Override
  public void close() throws Exception {
    in.close();
  }
}
