package com.anmeismart.server.bus;

import io.vertx.core.json.JsonObject;

/**
 * What a test call of a tool gave.
 *
 * @param unknown    the group does not hold the tool enabled (an MCP client would get "unknown tool")
 * @param error      the tool answered with an error ({@code isError})
 * @param text       the tool's JSON text, or its error message
 * @param durationMs how long the call took
 */
public record ToolTestResult(boolean unknown, boolean error, String text, long durationMs) {

  public JsonObject toJson() {
    return new JsonObject().put("unknown", unknown).put("error", error).put("text", text)
        .put("duration_ms", durationMs);
  }

  public static ToolTestResult fromJson(JsonObject j) {
    return new ToolTestResult(j.getBoolean("unknown", false), j.getBoolean("error", false), j.getString("text"),
        j.getLong("duration_ms", 0L));
  }
}
