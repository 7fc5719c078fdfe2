package com.anmeismart.server.bus;

import io.vertx.core.json.JsonObject;

import java.util.UUID;

/**
 * One chat turn with the Dify app configured for {@code purpose} (general use of the gateway beyond welcomes).
 *
 * @param difyConversationId Dify's conversation to continue, or null for a new one
 * @param timeoutMs          how long the caller waits at most
 */
public record ChatRequest(String purpose, UUID userId, String query, JsonObject inputs, String difyConversationId,
                          long timeoutMs) {

  public JsonObject toJson() {
    return new JsonObject().put("purpose", purpose).put("user_id", userId.toString()).put("query", query)
        .put("inputs", inputs).put("dify_conversation_id", difyConversationId).put("timeout_ms", timeoutMs);
  }

  public static ChatRequest fromJson(JsonObject j) {
    return new ChatRequest(j.getString("purpose"), UUID.fromString(j.getString("user_id")), j.getString("query"),
        j.getJsonObject("inputs", new JsonObject()), j.getString("dify_conversation_id"), j.getLong("timeout_ms"));
  }
}
