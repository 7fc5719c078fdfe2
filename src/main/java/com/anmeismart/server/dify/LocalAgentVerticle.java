package com.anmeismart.server.dify;

import com.anmeismart.server.AppContext;
import com.anmeismart.server.Servers;
import com.anmeismart.server.mcp.McpKeys;
import com.anmeismart.server.security.ContextTokens;
import com.anmeismart.server.security.SecretBox;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The embedded default agent on {@code LOCAL_AGENT_PORT} (loopback only): a server that speaks Dify's Service API
 * the way a Dify agent app does — {@code POST /v1/chat-messages} streaming {@code agent_thought} (each tool call
 * and its observation), {@code agent_message} chunks and {@code message_end}; the stop endpoint; {@code /v1/info};
 * {@code /v1/parameters}. Like Dify, it reads the customer through this server's MCP endpoint as an MCP client
 * (a fresh session per tool call, the welcome group's key, the context token; see {@link McpToolClient}), and a
 * tool failure becomes an observation, not a failed run. It writes with {@link WelcomeWriter}: no LLM needed, so
 * the default run crosses every real protocol of production.
 */
public final class LocalAgentVerticle extends VerticleBase {

  public static final String VERSION = "1";
  private static final String WELCOME_GROUP = "welcome_tools";

  private final AppContext app;
  private final Set<String> stopped = ConcurrentHashMap.newKeySet();
  private String apiKey;
  private McpKeys mcpKeys;
  private McpToolClient mcp;

  public LocalAgentVerticle(AppContext app) {
    this.app = app;
  }

  /** The bearer key of the local agent, derived from {@code SECRETS_KEY} (the gateway derives the same). */
  static String apiKey(SecretBox box) {
    return "app-local-" + box.keyedHash("local-agent-key", VERSION).substring(0, 40);
  }

  @Override
  public Future<?> start() {
    SecretBox box = new SecretBox(app.config().secretsKey());
    apiKey = apiKey(box);
    mcpKeys = new McpKeys(app.database().pool(vertx), box);
    mcp = new McpToolClient(vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
        .setConnectTimeout(5_000), new PoolOptions().setHttp1MaxSize(32)));
    Router router = Router.router(vertx);
    router.route("/v1/*").handler(this::authenticate);
    router.post("/v1/*").handler(BodyHandler.create(false).setBodyLimit(64 * 1024));
    router.post("/v1/chat-messages").handler(this::chat);
    router.post("/v1/chat-messages/:task/stop").handler(ctx -> {
      stopped.add(ctx.pathParam("task"));
      ctx.json(new JsonObject().put("result", "success"));
    });
    router.get("/v1/info").handler(ctx -> ctx.json(new JsonObject().put("name", "AnmeiSmart local welcome agent")
        .put("description", "Writes new customers' welcomes from their profile, read through MCP")
        .put("tags", new JsonArray()).put("mode", "agent-chat").put("author_name", "AnmeiSmart")));
    router.get("/v1/parameters").handler(ctx -> ctx.json(new JsonObject().put("opening_statement", "")
        .put("user_input_form", new JsonArray()
            .add(new JsonObject().put("text-input", new JsonObject().put("variable", "user_id").put("required", true)))
            .add(new JsonObject().put("paragraph", new JsonObject().put("variable", "context_token")
                .put("required", true))))));
    return Servers.listen(vertx, vertx.createHttpServer().requestHandler(router), "LOCAL_AGENT_PORT",
        app.config().localAgentPort(), "127.0.0.1")
        .compose(server -> warmUp(new ContextTokens(vertx, box)));
  }

  /**
   * The two MCP sessions of a welcome (get_user_profile, service_info) once, with the warm-up token: see
   * {@link WarmUp}. Skipped when this process runs no MCP server (a part tested alone).
   */
  private Future<Void> warmUp(ContextTokens tokens) {
    Integer port = Servers.ports(vertx).get("MCP_PORT");
    if (port == null) {
      return Future.succeededFuture();
    }
    String base = "http://127.0.0.1:" + port;
    String token = tokens.issueWarmUp();
    return WarmUp.run(vertx, "the local agent's MCP sessions", () -> mcpKeys.keyOf(WELCOME_GROUP)
        .compose(key -> mcp.call(vertx.getOrCreateContext(), base, key, token, "get_user_profile", Map.of())
            .compose(profile -> mcp.call(vertx.getOrCreateContext(), base, key, token, "service_info",
                Map.of("keyword", "补水")))));
  }

  private void authenticate(RoutingContext ctx) {
    if (("Bearer " + apiKey).equals(ctx.request().getHeader("Authorization"))) {
      ctx.next();
      return;
    }
    ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"api\"");
    difyError(ctx, 401, "unauthorized", "Access token is invalid");
  }

  private void chat(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      body = null;
    }
    if (body == null) {
      difyError(ctx, 400, "bad_request", "Invalid JSON payload received or JSON payload is empty.");
      return;
    }
    if (body.getString("user") == null) {
      difyError(ctx, 400, "invalid_param", "Arg user must be provided.");
      return;
    }
    if (body.getValue("inputs") == null || body.getString("query", "").isBlank()) {
      difyError(ctx, 400, "invalid_param", body.getValue("inputs") == null ? "inputs is required" : "query is required");
      return;
    }
    if (!"streaming".equals(body.getString("response_mode"))) {
      difyError(ctx, 400, "invalid_param", "Agent Chat App does not support blocking mode");
      return;
    }
    JsonObject inputs = body.getJsonObject("inputs");
    String contextToken = inputs.getString("context_token", ctx.request().getHeader("X-Context-Token"));
    new Run(ctx.response(), inputs, contextToken).start();
  }

  /** One streamed answer. */
  private final class Run {
    private final HttpServerResponse res;
    private final JsonObject inputs;
    private final String contextToken;
    private final String taskId = UUID.randomUUID().toString();
    private final String messageId = UUID.randomUUID().toString();
    private final String conversationId = UUID.randomUUID().toString();
    private final long createdAt = System.currentTimeMillis() / 1000;

    Run(HttpServerResponse res, JsonObject inputs, String contextToken) {
      this.res = res;
      this.inputs = inputs;
      this.contextToken = contextToken;
    }

    void start() {
      res.setChunked(true).putHeader("Content-Type", "text/event-stream; charset=utf-8")
          .putHeader("Cache-Control", "no-cache");
      String thought = UUID.randomUUID().toString();
      send(thought("agent_thought", thought, 1, "", "", "", ""));
      Map<String, Object> profileArgs = inputs.getString("user_id") == null ? Map.of()
          : Map.of("user_id", inputs.getString("user_id"));
      tool(thought, 1, "get_user_profile", profileArgs)
          .compose(profile -> {
            List<?> interests = profile.getJsonArray("interests", new JsonArray()).getList();
            if (interests.isEmpty()) {
              return Future.succeededFuture(new JsonObject[] {profile, null});
            }
            return tool(UUID.randomUUID().toString(), 2, "service_info",
                Map.of("keyword", String.valueOf(interests.get(0))))
                .map(service -> new JsonObject[] {profile, WelcomeWriter.firstService(service)});
          })
          .onComplete(ar -> {
            JsonObject profile = ar.succeeded() ? ar.result()[0] : new JsonObject();
            JsonObject service = ar.succeeded() ? ar.result()[1] : null;
            writeAnswer(profile.isEmpty() ? fromInputs() : profile, service);
          });
    }

    /** Calls one tool the way Dify does and streams the thought; a failure is an observation and an empty result. */
    private Future<JsonObject> tool(String thoughtId, int position, String name, Map<String, Object> args) {
      send(thought("agent_thought", thoughtId, position, "查询" + name, name,
          new JsonObject().put(name, new JsonObject(args)).encode(), ""));
      // read per call, like Dify's stored header: a rotated key applies at once
      return mcpKeys.keyOf(WELCOME_GROUP)
          .compose(key -> mcp.call(vertx.getOrCreateContext(),
              "http://127.0.0.1:" + Servers.ports(vertx).get("MCP_PORT"), key, contextToken, name, args))
          .map(result -> {
            send(thought("agent_thought", thoughtId, position, "", name, "",
                result.isError() ? "tool invoke error: " + result.text() : result.text()));
            if (result.isError()) {
              return new JsonObject();
            }
            try {
              return new JsonObject(result.text());
            } catch (RuntimeException notAnObject) {
              return new JsonObject();
            }
          })
          .recover(t -> {
            send(thought("agent_thought", thoughtId, position, "", name, "",
                "tool invoke error: Failed to connect to MCP server: " + t.getMessage()));
            return Future.succeededFuture(new JsonObject());
          });
    }

    private JsonObject fromInputs() {
      return new JsonObject().put("username", inputs.getString("username"))
          .put("full_name", inputs.getString("full_name")).put("interests", inputs.getString("interests"))
          .put("source", inputs.getString("source"));
    }

    private void writeAnswer(JsonObject profile, JsonObject service) {
      for (String sentence : WelcomeWriter.write(profile, service, ZonedDateTime.now(app.config().timeZone()))) {
        if (stopped.remove(taskId)) {
          res.end();
          return;
        }
        send(new JsonObject().put("event", "agent_message").put("id", messageId).put("answer", sentence));
      }
      send(new JsonObject().put("event", "message_end").put("id", messageId)
          .put("metadata", new JsonObject().put("usage", new JsonObject().put("prompt_tokens", 0)
              .put("completion_tokens", 0).put("total_tokens", 0).put("total_price", "0").put("currency", "USD")
              .put("latency", 0.0)))
          .put("files", new JsonArray()));
      res.end();
    }

    private JsonObject thought(String event, String id, int position, String thought, String tool, String toolInput,
                               String observation) {
      return new JsonObject().put("event", event).put("id", id).put("position", position).put("thought", thought)
          .put("tool", tool).put("tool_input", toolInput).put("observation", observation)
          .put("message_files", new JsonArray());
    }

    private void send(JsonObject event) {
      if (res.ended() || res.closed()) {
        return;
      }
      event.put("task_id", taskId).put("message_id", messageId).put("conversation_id", conversationId)
          .put("created_at", createdAt);
      res.write("data: " + event.encode() + "\n\n");
    }
  }

  private static void difyError(RoutingContext ctx, int status, String code, String message) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("code", code).put("message", message).put("status", status).encode());
  }
}
