package com.anmeismart.server.bus;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.UUID;

/**
 * Ask the DifyGatewayVerticle for a new customer's welcome.
 *
 * @param registeredAt when the customer registered: the welcome's deadlines count from here
 * @param template     the configured template: the answer whenever no agent can give one
 */
public record WelcomeRequest(UUID userId, UUID conversationId, UUID jobId, Instant registeredAt, String template) {

  public JsonObject toJson() {
    return new JsonObject().put("user_id", userId.toString()).put("conversation_id", conversationId.toString())
        .put("job_id", jobId.toString()).put("registered_at", registeredAt.toString()).put("template", template);
  }

  public static WelcomeRequest fromJson(JsonObject j) {
    return new WelcomeRequest(UUID.fromString(j.getString("user_id")), UUID.fromString(j.getString("conversation_id")),
        UUID.fromString(j.getString("job_id")), Instant.parse(j.getString("registered_at")), j.getString("template"));
  }
}
