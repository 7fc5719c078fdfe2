package com.anmeismart.server.mcp;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** A raw Streamable HTTP client for tests: every header and body under the test's control. */
public final class McpClient {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  public final String url;
  final String key;
  public String sessionId;
  private final AtomicInteger ids = new AtomicInteger();

  public McpClient(int port, String key) {
    this.url = "http://127.0.0.1:" + port + "/mcp";
    this.key = key;
  }

  public record Res(int status, String body, String contentType, String sessionId) {
    public JsonObject json() {
      if (contentType != null && contentType.startsWith("text/event-stream")) {
        for (String line : body.split("\n")) {
          if (line.startsWith("data: ")) {
            return new JsonObject(line.substring(6));
          }
        }
      }
      return new JsonObject(body);
    }
  }

  public Res post(String body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    if (sessionId != null) {
      b.header("Mcp-Session-Id", sessionId);
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.setHeader(headers[i], headers[i + 1]);
    }
    return send(b.build());
  }

  public Res delete() {
    return send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key)
        .header("Mcp-Session-Id", sessionId).DELETE().build());
  }

  static Res send(HttpRequest req) {
    try {
      HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
      return new Res(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(null),
          r.headers().firstValue("Mcp-Session-Id").orElse(null));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A stateless-era (2026-07-28) request, with the metadata and headers that revision requires; no session. */
  Res stateless(String method, JsonObject params, String clientName) {
    JsonObject meta = new JsonObject().put("io.modelcontextprotocol/protocolVersion", "2026-07-28")
        .put("io.modelcontextprotocol/clientCapabilities", new JsonObject())
        .put("io.modelcontextprotocol/clientInfo", new JsonObject().put("name", clientName).put("version", "1"));
    JsonObject p = (params == null ? new JsonObject() : params.copy()).put("_meta", meta);
    java.util.List<String> headers = new java.util.ArrayList<>(java.util.List.of("MCP-Protocol-Version",
        "2026-07-28", "Mcp-Method", method));
    if (p.getValue("name") instanceof String name) {
      headers.addAll(java.util.List.of("Mcp-Name", name));
    }
    String session = sessionId;
    sessionId = null;
    try {
      return post(new JsonObject().put("jsonrpc", "2.0").put("id", ids.incrementAndGet()).put("method", method)
          .put("params", p).encode(), headers.toArray(String[]::new));
    } finally {
      sessionId = session;
    }
  }

  public JsonObject request(String method, JsonObject params) {
    JsonObject msg = new JsonObject().put("jsonrpc", "2.0").put("id", ids.incrementAndGet()).put("method", method);
    if (params != null) {
      msg.put("params", params);
    }
    Res r = post(msg.encode());
    if (r.status() != 200) {
      throw new AssertionError(method + " → HTTP " + r.status() + ": " + r.body());
    }
    return r.json();
  }

  public McpClient open() {
    return open("2025-06-18");
  }

  /** initialize (at {@code version}) and initialized: a handshake-era session. */
  public McpClient open(String version) {
    Res r = post(new JsonObject().put("jsonrpc", "2.0").put("id", 0).put("method", "initialize")
        .put("params", new JsonObject().put("protocolVersion", version).put("capabilities", new JsonObject())
            .put("clientInfo", new JsonObject().put("name", "java-it").put("version", "1"))).encode());
    if (r.status() != 200) {
      throw new AssertionError("initialize → HTTP " + r.status() + ": " + r.body());
    }
    sessionId = r.sessionId();
    Res n = post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    if (n.status() != 202) {
      throw new AssertionError("initialized → " + n.status());
    }
    return this;
  }

  public java.util.List<String> toolNames() {
    return request("tools/list", null).getJsonObject("result").getJsonArray("tools").stream()
        .map(o -> ((JsonObject) o).getString("name")).sorted().toList();
  }

  /** The JSON-RPC response of tools/call. */
  public JsonObject call(String tool, JsonObject args) {
    return request("tools/call", new JsonObject().put("name", tool).put("arguments", args));
  }

  /** The tool's result, parsed; fails when it is an error. */
  public JsonObject result(String tool, JsonObject args) {
    JsonObject res = call(tool, args);
    JsonObject result = res.getJsonObject("result");
    if (result == null || Boolean.TRUE.equals(result.getBoolean("isError"))) {
      throw new AssertionError(tool + " failed: " + res.encode());
    }
    return new JsonObject(result.getJsonArray("content").getJsonObject(0).getString("text"));
  }

  /** The error text of an isError result; fails when the call succeeded. */
  public String toolError(String tool, JsonObject args) {
    JsonObject res = call(tool, args);
    JsonObject result = res.getJsonObject("result");
    if (result == null || !Boolean.TRUE.equals(result.getBoolean("isError"))) {
      throw new AssertionError(tool + " should have failed: " + res.encode());
    }
    return result.getJsonArray("content").getJsonObject(0).getString("text");
  }
}
