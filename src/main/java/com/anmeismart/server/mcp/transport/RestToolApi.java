package com.anmeismart.server.mcp.transport;

import com.anmeismart.server.api.ErrorCatalogue;
import com.anmeismart.server.mcp.McpGroup;
import com.anmeismart.server.mcp.McpServers;
import com.anmeismart.server.mcp.ToolRunner;
import com.anmeismart.server.mcp.tools.ToolDef;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.function.Supplier;

/**
 * The PRD's plain REST pair (§3.2.4) beside the MCP endpoints, under the same keys and the same guard:
 * {@code GET /mcp/status}, {@code GET /mcp/tools} (the caller's group's tools) and {@code POST /mcp/call/{tool}}
 * (body = the arguments). Errors use the REST API's shape {@code {"error":{code,message,message_zh,details}}}.
 */
public final class RestToolApi {

  private final ToolRunner runner;
  private final Supplier<JsonObject> sessions;

  public RestToolApi(ToolRunner runner, Supplier<JsonObject> sessions) {
    this.runner = runner;
    this.sessions = sessions;
  }

  /** GET /mcp/status → the server, the caller's group and its tool count, open sessions. */
  public void status(RoutingContext ctx) {
    McpGroup group = McpAuth.group(ctx);
    json(ctx, 200, new JsonObject().put("status", "ok")
        .put("server", new JsonObject().put("name", McpServers.SERVER_NAME).put("version", McpServers.SERVER_VERSION))
        .put("group", group.name()).put("tools_count", runner.visible(group.id()).size())
        .put("protocol_versions", new JsonArray(Versions.ALL))
        .put("transports", new JsonArray().add("streamable-http /mcp (handshake era and stateless 2026-07-28)")
            .add("sse /mcp/sse").add("sse GET /mcp"))
        .put("sessions", sessions.get()));
  }

  /** GET /mcp/tools → {@code {group, tools:[{name, title, description, input_schema}]}}. */
  public void tools(RoutingContext ctx) {
    McpGroup group = McpAuth.group(ctx);
    JsonArray tools = new JsonArray();
    for (ToolDef d : runner.visible(group.id())) {
      tools.add(new JsonObject().put("name", d.name()).put("title", d.title()).put("description", d.description())
          .put("input_schema", d.inputSchema()));
    }
    json(ctx, 200, new JsonObject().put("group", group.name()).put("tools", tools));
  }

  /**
   * POST /mcp/call/{tool} with the arguments as the JSON body (or {@code {"arguments":{…}}}) → 200
   * {@code {tool, is_error, result | error}}; a tool outside the group → 404 like one that does not exist.
   */
  public void call(RoutingContext ctx) {
    JsonObject args;
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      args = new JsonObject();
    } else {
      if (!Http.isJson(ctx)) {
        error(ctx, 415, "unsupported_media_type", "Content-Type must be application/json");
        return;
      }
      try {
        Object v = Json.decodeValue(body);
        if (!(v instanceof JsonObject o)) {
          error(ctx, 400, "invalid_json", "Body must be a JSON object of arguments");
          return;
        }
        args = o.size() == 1 && o.getValue("arguments") instanceof JsonObject a ? a : o;
      } catch (DecodeException e) {
        error(ctx, 400, "invalid_json", "Body is not valid JSON");
        return;
      }
    }
    String tool = ctx.pathParam("tool");
    String caller = ctx.request().getHeader("X-Caller-Id");
    ToolRunner.Caller who = new ToolRunner.Caller(McpAuth.group(ctx).id(), ctx.request().getHeader("X-Context-Token"),
        caller == null ? "rest" : caller, McpAuth.keyUsed(ctx));
    runner.call(who, tool, args).onComplete(ar -> {
      if (ar.failed()) {
        error(ctx, 500, "internal_error", "Internal error");
      } else if (ar.result().throttled()) {
        // SPEC §11: over a quota → 429 with Retry-After, in the REST pair's error shape
        ctx.response().putHeader("Retry-After", Long.toString(Throttled.retryAfterSeconds(ar.result().retryAfterMs())));
        error(ctx, 429, "rate_limited", ar.result().text(),
            new JsonObject().put(ToolRunner.RETRY_AFTER_MS, ar.result().retryAfterMs()));
      } else if (ar.result().unknown()) {
        error(ctx, 404, "unknown_tool", "Unknown tool: " + tool);
      } else if (ar.result().error()) {
        json(ctx, 200, new JsonObject().put("tool", tool).put("is_error", true).put("error", ar.result().text()));
      } else {
        json(ctx, 200, new JsonObject().put("tool", tool).put("is_error", false)
            .put("result", Json.decodeValue(ar.result().text())));
      }
    });
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    if (!ctx.response().ended() && !ctx.response().closed()) {
      ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json; charset=utf-8")
          .end(body.toBuffer());
    }
  }

  static void error(RoutingContext ctx, int status, String code, String message) {
    error(ctx, status, code, message, new JsonObject());
  }

  /** The REST API's error shape, with the catalogue's zh-CN text for {@code code}. */
  static void error(RoutingContext ctx, int status, String code, String message, JsonObject details) {
    if (status == 401) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer");
    }
    json(ctx, status, new JsonObject().put("error", new JsonObject().put("code", code).put("message", message)
        .put("message_zh", ErrorCatalogue.zh(code, status)).put("details", details)));
  }
}
