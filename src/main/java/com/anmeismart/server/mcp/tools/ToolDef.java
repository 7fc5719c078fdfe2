package com.anmeismart.server.mcp.tools;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * One MCP tool: its name, what a model reads about it, its flat input schema (Dify flattens anyOf/oneOf to strings,
 * so properties are primitives with descriptions), and its implementation.
 *
 * @param userScoped the tool reads or writes one customer's data: it accepts a {@code context_token} argument, and
 *                   a context token limits it to that token's user
 */
public record ToolDef(String name, String title, String description, JsonObject inputSchema, boolean userScoped,
                      Handler handler) {

  /** The implementation: a result (JSON object or array) or a failed future ({@link ToolError} for the caller). */
  @FunctionalInterface
  public interface Handler {
    Future<Object> call(ToolCall call);
  }
}
