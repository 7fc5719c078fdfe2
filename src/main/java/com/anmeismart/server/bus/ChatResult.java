package com.anmeismart.server.bus;

import io.vertx.core.json.JsonObject;

/**
 * The answer of a chat turn.
 *
 * @param source             {@code dify} or {@code local-agent}
 * @param difyConversationId Dify's conversation, to continue it next time
 */
public record ChatResult(String answer, String source, String configId, String difyConversationId, long latencyMs) {

  public JsonObject toJson() {
    return new JsonObject().put("answer", answer).put("source", source).put("config_id", configId)
        .put("dify_conversation_id", difyConversationId).put("latency_ms", latencyMs);
  }

  public static ChatResult fromJson(JsonObject j) {
    return new ChatResult(j.getString("answer"), j.getString("source"), j.getString("config_id"),
        j.getString("dify_conversation_id"), j.getLong("latency_ms", 0L));
  }
}
