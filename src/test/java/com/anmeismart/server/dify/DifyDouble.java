package com.anmeismart.server.dify;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for Dify's Service API that behaves like the real one (reference/dify.md §5a): bearer keys,
 * Dify's validation and error envelope, agent apps refusing blocking mode, SSE frames {@code data: <json>} and bare
 * {@code event: ping}, the agent event sequence, the stop endpoint and {@code /v1/info}. Each app key selects a
 * {@link Scenario}, so one double serves several configs and every failure the gateway must survive.
 */
public final class DifyDouble implements AutoCloseable {

  /** What an app (an API key) does. */
  public enum Scenario {
    AGENT_OK, CHAT_BLOCKING_OK, TOOL_ERROR_THEN_OK, ERROR_EVENT, HTTP_400, HTTP_401, HTTP_429, HTTP_500, PINGS_ONLY,
    SENTENCES_THEN_STALL, DROP_MID_STREAM, SLOW_HEADERS, MESSAGE_REPLACE,
    /** the whole agent run, sent after {@link #fixedDelayMs} (for measuring the gateway's own overhead) */
    FIXED_DELAY,
    /** the whole agent run, sent when the test calls {@link #openGate()} */
    GATED,
    /** an agent run whose answer is the chunks the test scripted for the key ({@link #scripted}), a gap apart */
    SCRIPTED,
    /**
     * like a real agent app: a tool call, {@link #slowFirstMs} of thinking, then a personal welcome (the inputs'
     * name and interests) streamed in small chunks {@link #slowChunkMs} apart
     */
    SLOW_CHUNKS
  }

  private record Script(List<String> chunks, long gapMs) {
  }

  private final Map<String, Script> scripts = new ConcurrentHashMap<>();

  static final List<String> CHUNKS = List.of("您好，", "欢迎来到", "安美智享！", "我是您的", "专属顾问小美。");
  static final String ANSWER = String.join("", CHUNKS);
  static final String REPLACED = "内容已按规范替换。";

  private final Vertx vertx = Vertx.vertx();
  private volatile HttpServer server;
  private final int port;
  private final Map<String, Scenario> apps = new ConcurrentHashMap<>();
  public final List<JsonObject> requests = new CopyOnWriteArrayList<>();
  final List<String> stops = new CopyOnWriteArrayList<>();
  private final List<HttpServerResponse> gated = new CopyOnWriteArrayList<>();
  private final List<HttpServerResponse> stalled = new CopyOnWriteArrayList<>();
  volatile long pingEveryMs = 100;
  volatile long slowHeadersMs = 3_000;
  public volatile long fixedDelayMs = 200;
  public volatile long slowFirstMs = 1500;
  public volatile long slowChunkMs = 200;

  public DifyDouble() throws Exception {
    this(0);
  }

  /** On a given loopback port (0: a free one); a double restarted on its old port is the same Dify coming back. */
  public DifyDouble(int port) throws Exception {
    server = listen(port);
    this.port = server.actualPort();
  }

  private HttpServer listen(int on) throws Exception {
    HttpServer s = vertx.createHttpServer().requestHandler(this::handle);
    s.listen(on, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return s;
  }

  public int port() {
    return server.actualPort();
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port + "/v1";
  }

  /**
   * Dify disappears: the port stops listening (new connections are refused) and open connections and streams are
   * closed, as when its host goes away. {@link #reappear} listens on the same port again.
   */
  public void disappear() throws Exception {
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  public void reappear() throws Exception {
    server = listen(port);
  }

  /** Registers an app key and what it does; returns the key. */
  public String app(Scenario scenario) {
    String key = "app-" + scenario.name().toLowerCase() + "-" + UUID.randomUUID().toString().substring(0, 6);
    apps.put(key, scenario);
    return key;
  }

  /** An app that answers with these chunks, {@code gapMs} apart (as a model streams tokens); returns its key. */
  public String scripted(List<String> chunks, long gapMs) {
    String key = app(Scenario.SCRIPTED);
    scripts.put(key, new Script(List.copyOf(chunks), gapMs));
    return key;
  }

  public void change(String key, Scenario scenario) {
    apps.put(key, scenario);
  }

  /** Answers every request waiting at the gate ({@link Scenario#GATED}) with the whole agent run. */
  public void openGate() {
    vertx.runOnContext(v -> {
      gated.forEach(res -> new Stream(res).agentRun(false).end());
      gated.clear();
    });
  }

  /** Drops the connection of every stream that is only pinging ({@link Scenario#PINGS_ONLY}), as a crashed app
   * does. */
  void dropStalled() {
    vertx.runOnContext(v -> {
      stalled.forEach(HttpServerResponse::reset);
      stalled.clear();
    });
  }

  /** Requests that reached chat-messages with this key. */
  List<JsonObject> requestsFor(String key) {
    return requests.stream().filter(r -> key.equals(r.getString("key"))).toList();
  }

  private void handle(HttpServerRequest req) {
    req.body().onSuccess(buffer -> {
      String auth = req.getHeader("Authorization");
      Scenario scenario = auth != null && auth.startsWith("Bearer ") ? apps.get(auth.substring(7)) : null;
      HttpServerResponse res = req.response();
      if (scenario == null) {
        res.putHeader("WWW-Authenticate", "Bearer realm=\"api\"");
        error(res, 401, "unauthorized", "Access token is invalid");
        return;
      }
      String path = req.path();
      if (req.method().name().equals("GET") && path.equals("/v1/info")) {
        json(res, 200, new JsonObject().put("name", "double " + scenario).put("description", "").put("tags",
            new JsonArray()).put("mode", "agent-chat").put("author_name", "test"));
      } else if (path.matches("/v1/chat-messages/[^/]+/stop")) {
        stops.add(path.split("/")[3]);
        json(res, 200, new JsonObject().put("result", "success"));
      } else if (path.equals("/v1/chat-messages") && req.method().name().equals("POST")) {
        chat(req, res, scenario, buffer.length() == 0 ? null : buffer.toString());
      } else {
        error(res, 404, "not_found", "Not Found");
      }
    });
  }

  private void chat(HttpServerRequest req, HttpServerResponse res, Scenario scenario, String raw) {
    JsonObject body;
    try {
      body = raw == null ? null : new JsonObject(raw);
    } catch (RuntimeException e) {
      body = null;
    }
    String key = req.getHeader("Authorization").substring(7);
    requests.add(new JsonObject().put("key", key).put("body", body)
        .put("x_context_token", req.getHeader("X-Context-Token")).put("x_trace_id", req.getHeader("X-Trace-Id")));
    if (body == null) {
      error(res, 400, "bad_request", "Invalid JSON payload received or JSON payload is empty.");
      return;
    }
    if (body.getString("user") == null) {
      error(res, 400, "invalid_param", "Arg user must be provided.");
      return;
    }
    if (!(body.getValue("inputs") instanceof JsonObject) || body.getString("query") == null) {
      error(res, 400, "invalid_param", "inputs and query are required");
      return;
    }
    boolean streaming = "streaming".equals(body.getString("response_mode"));
    boolean agent = scenario != Scenario.CHAT_BLOCKING_OK;
    if (agent && !streaming) {
      error(res, 400, "invalid_param", "Agent Chat App does not support blocking mode");
      return;
    }
    switch (scenario) {
      case HTTP_400 -> error(res, 400, "provider_not_initialize", "Provider Token not initialized");
      case HTTP_401 -> error(res, 401, "unauthorized", "Access token is invalid");
      case HTTP_429 -> error(res, 429, "too_many_requests", "Too many requests. Please try again later. "
          + "The current maximum concurrent requests allowed is 1.");
      case HTTP_500 -> error(res, 500, "internal_server_error", "Internal Server Error, please contact support.");
      case CHAT_BLOCKING_OK -> {
        if (streaming) {
          new Stream(res).message("message", ANSWER).end();
        } else {
          json(res, 200, new JsonObject().put("event", "message").put("task_id", UUID.randomUUID().toString())
              .put("id", UUID.randomUUID().toString()).put("message_id", UUID.randomUUID().toString())
              .put("conversation_id", UUID.randomUUID().toString()).put("mode", "chat").put("answer", ANSWER)
              .put("metadata", new JsonObject().put("usage", usage())).put("created_at", now()));
        }
      }
      case SLOW_HEADERS -> vertx.setTimer(slowHeadersMs, id -> new Stream(res).agentRun(false).end());
      case FIXED_DELAY -> vertx.setTimer(fixedDelayMs, id -> new Stream(res).agentRun(false).end());
      case GATED -> gated.add(res);
      case SCRIPTED -> {
        Stream s = new Stream(res);
        s.thought("", "", "");
        scriptedChunks(s, scripts.get(key), 0);
      }
      case SLOW_CHUNKS -> slow(res, body.getJsonObject("inputs"));
      default -> stream(res, scenario);
    }
  }

  private void scriptedChunks(Stream s, Script script, int i) {
    if (i == script.chunks().size()) {
      s.end();
      return;
    }
    s.chunk(script.chunks().get(i));
    if (script.gapMs() <= 0) {
      scriptedChunks(s, script, i + 1);
    } else {
      vertx.setTimer(script.gapMs(), id -> scriptedChunks(s, script, i + 1));
    }
  }

  private void stream(HttpServerResponse res, Scenario scenario) {
    Stream s = new Stream(res);
    switch (scenario) {
      case AGENT_OK -> s.agentRun(false).end();
      case TOOL_ERROR_THEN_OK -> s.agentRun(true).end();
      case ERROR_EVENT -> {
        s.thought("", "", "").chunk(CHUNKS.get(0));
        s.send(new JsonObject().put("event", "error").put("conversation_id", s.conversationId)
            .put("message_id", s.messageId).put("created_at", now()).put("code", "completion_request_error")
            .put("status", 400).put("message", "[openai] Error: rate limited upstream"));
        res.end();
      }
      case PINGS_ONLY -> {
        s.thought("", "", "");
        s.pingForever();
      }
      case SENTENCES_THEN_STALL -> {
        s.thought("", "", "").chunk("您好，欢迎来到安美智享！").chunk("我是您的专属");
        s.pingForever();
      }
      case DROP_MID_STREAM -> {
        s.thought("", "", "").chunk(CHUNKS.get(0)).chunk(CHUNKS.get(1));
        res.reset();
      }
      case MESSAGE_REPLACE -> {
        s.thought("", "", "").chunk(CHUNKS.get(0)).chunk(CHUNKS.get(1));
        s.send(s.base("message_replace").put("answer", REPLACED).put("reason", "moderation"));
        s.end();
      }
      default -> throw new IllegalStateException(scenario.toString());
    }
  }

  /** The welcome in chunks of four characters, {@link #slowChunkMs} apart, after {@link #slowFirstMs}. */
  private void slow(HttpServerResponse res, JsonObject inputs) {
    Stream s = new Stream(res);
    String input = new JsonObject().put("user_id", inputs.getString("user_id")).encode();
    s.thought("", "", "").thought("get_user_profile", input, "");
    String name = inputs.getString("full_name") != null ? inputs.getString("full_name") : inputs.getString("username");
    String interests = inputs.getString("interests", "");
    // several sentences: the welcome guard releases the stream sentence by sentence, so a page sees it grow per
    // sentence (as with a real agent's welcome)
    String text = name + "您好，欢迎来到安美智享！" + (interests.isEmpty() ? "" : "看到您对" + interests + "感兴趣。")
        + "我是您的专属AI咨询助手，有任何问题都可以随时问我。专业顾问也会尽快与您联系。";
    java.util.List<String> chunks = new java.util.ArrayList<>();
    for (int i = 0; i < text.length(); i += 4) {
      chunks.add(text.substring(i, Math.min(text.length(), i + 4)));
    }
    vertx.setTimer(slowFirstMs, t -> {
      s.thought("get_user_profile", input, "{\"username\":\"" + inputs.getString("username") + "\"}");
      next(s, chunks, 0);
    });
  }

  private void next(Stream s, java.util.List<String> chunks, int i) {
    if (s.res.closed()) {
      return;
    }
    if (i == chunks.size()) {
      s.end();
      return;
    }
    s.chunk(chunks.get(i));
    vertx.setTimer(slowChunkMs, t -> next(s, chunks, i + 1));
  }

  /** One SSE response, in Dify's framing. */
  private final class Stream {
    final HttpServerResponse res;
    final String taskId = UUID.randomUUID().toString();
    final String messageId = UUID.randomUUID().toString();
    final String conversationId = UUID.randomUUID().toString();
    final String thoughtId = UUID.randomUUID().toString();

    Stream(HttpServerResponse res) {
      this.res = res;
      res.setChunked(true).putHeader("Content-Type", "text/event-stream; charset=utf-8")
          .putHeader("Cache-Control", "no-cache");
    }

    JsonObject base(String event) {
      return new JsonObject().put("event", event).put("task_id", taskId).put("message_id", messageId)
          .put("conversation_id", conversationId).put("created_at", now());
    }

    Stream send(JsonObject event) {
      if (!res.closed() && !res.ended()) {
        res.write("data: " + event.encode() + "\n\n");
      }
      return this;
    }

    Stream thought(String tool, String toolInput, String observation) {
      return send(base("agent_thought").put("id", thoughtId).put("position", 1).put("thought", "")
          .put("tool", tool).put("tool_labels", new JsonObject()).put("tool_input", toolInput)
          .put("observation", observation).put("message_files", new JsonArray()));
    }

    Stream chunk(String text) {
      return send(base("agent_message").put("id", messageId).put("answer", text));
    }

    Stream message(String event, String text) {
      return send(base(event).put("id", messageId).put("answer", text));
    }

    /** The function-calling agent's sequence: empty thought, tool call, observation, the answer, the end. */
    Stream agentRun(boolean toolFails) {
      thought("", "", "");
      String input = new JsonObject().put("get_user_profile", new JsonObject().put("user_id", "x")).encode();
      thought("get_user_profile", input, "");
      thought("get_user_profile", input, toolFails
          ? "tool invoke error: Failed to connect to MCP server: connection refused"
          : "{\"username\":\"someone\"}");
      res.write("event: ping\n\n");
      CHUNKS.forEach(this::chunk);
      return this;
    }

    void end() {
      send(base("message_end").put("id", messageId).put("metadata", new JsonObject().put("usage", usage())
          .put("retriever_resources", new JsonArray())).put("files", new JsonArray()));
      res.end();
    }

    void pingForever() {
      stalled.add(res);
      long id = vertx.setPeriodic(pingEveryMs, t -> {
        if (!res.closed() && !res.ended()) {
          res.write("event: ping\n\n");
        }
      });
      res.closeHandler(v -> {
        vertx.cancelTimer(id);
        stalled.remove(res);
      });
    }
  }

  private static JsonObject usage() {
    return new JsonObject().put("prompt_tokens", 120).put("prompt_unit_price", "0.001").put("prompt_price_unit", "0.001")
        .put("prompt_price", "0.00012").put("completion_tokens", 40).put("completion_unit_price", "0.002")
        .put("completion_price_unit", "0.001").put("completion_price", "0.00008").put("total_tokens", 160)
        .put("total_price", "0.0002").put("currency", "USD").put("latency", 0.42);
  }

  private static long now() {
    return System.currentTimeMillis() / 1000;
  }

  private static void error(HttpServerResponse res, int status, String code, String message) {
    json(res, status, new JsonObject().put("code", code).put("message", message).put("status", status));
  }

  private static void json(HttpServerResponse res, int status, JsonObject body) {
    res.setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
