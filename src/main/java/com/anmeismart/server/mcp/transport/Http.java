package com.anmeismart.server.mcp.transport;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpSchema;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/** Request checks and JSON-RPC parsing shared by the HTTP transports. */
final class Http {

  private static final TypeRef<HashMap<String, Object>> MAP = new TypeRef<>() { };

  private Http() {
  }

  static boolean isJson(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    return type != null && type.toLowerCase().startsWith("application/json");
  }

  /** Whether the Accept header lists {@code type} (or a wildcard covering it). */
  static boolean accepts(RoutingContext ctx, String type) {
    String accept = ctx.request().getHeader("Accept");
    if (accept == null) {
      return false;
    }
    String a = accept.toLowerCase();
    return a.contains(type) || a.contains("*/*") || a.contains(type.substring(0, type.indexOf('/') + 1) + "*");
  }

  /**
   * The body as one JSON-RPC message, or null after answering 400: -32700 for text that is not JSON, -32600 for
   * JSON that is not a single JSON-RPC 2.0 message (batches were removed from the protocol in 2025-06-18).
   */
  static McpSchema.JSONRPCMessage message(RoutingContext ctx, McpJsonMapper mapper) {
    HttpServerResponse res = ctx.response();
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      JsonRpc.fail(res, 400, JsonRpc.PARSE_ERROR, "Parse error: empty body");
      return null;
    }
    if (body.getByte(firstNonSpace(body)) == '[') {
      JsonRpc.fail(res, 400, JsonRpc.INVALID_REQUEST, "Invalid Request: batches are not supported");
      return null;
    }
    Map<String, Object> map;
    try {
      map = mapper.readValue(body.getBytes(), MAP);
    } catch (IOException | RuntimeException e) {
      JsonRpc.fail(res, 400, JsonRpc.PARSE_ERROR, "Parse error: the body is not a JSON object");
      return null;
    }
    if (map == null || !"2.0".equals(map.get("jsonrpc"))) {
      JsonRpc.fail(res, 400, JsonRpc.INVALID_REQUEST, "Invalid Request: jsonrpc must be \"2.0\"");
      return null;
    }
    try {
      Object id = map.get("id");
      // Requests and notifications are built from the parsed map directly: what convertValue would do (the
      // records take jsonrpc, method, id and params as they are, and check them in their constructors), without
      // walking the whole message through Jackson a second time.
      if (map.get("method") instanceof String method) {
        if (!map.containsKey("id")) {
          return new McpSchema.JSONRPCNotification(McpSchema.JSONRPC_VERSION, method, map.get("params"));
        }
        if (!(id instanceof String || id instanceof Number)) {
          JsonRpc.fail(res, 400, JsonRpc.INVALID_REQUEST, "Invalid Request: id must be a string or a number");
          return null;
        }
        return new McpSchema.JSONRPCRequest(McpSchema.JSONRPC_VERSION, method, id, map.get("params"));
      }
      if (map.containsKey("result") || map.containsKey("error")) {
        return mapper.convertValue(map, McpSchema.JSONRPCResponse.class);
      }
    } catch (RuntimeException e) {
      // reported below
    }
    JsonRpc.fail(res, 400, JsonRpc.INVALID_REQUEST, "Invalid Request: not a JSON-RPC request, notification or "
        + "response");
    return null;
  }

  private static int firstNonSpace(Buffer b) {
    for (int i = 0; i < b.length(); i++) {
      if (!Character.isWhitespace(b.getByte(i))) {
        return i;
      }
    }
    return 0;
  }

  static String json(McpJsonMapper mapper, Object value) {
    try {
      return mapper.writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A JSON-RPC error answering request {@code id}, with HTTP 400. */
  static void rpcError(HttpServerResponse res, McpJsonMapper mapper, Object id, int code, String message) {
    if (res.ended() || res.closed()) {
      return;
    }
    res.setStatusCode(400).putHeader("Content-Type", "application/json").end(json(mapper,
        McpSchema.JSONRPCResponse.error(id, new McpSchema.JSONRPCResponse.JSONRPCError(code, message, null))));
  }
}
