package com.anmeismart.server.bus;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.UUID;

/**
 * Ask the DifyGatewayVerticle for a new customer's welcome.
 *
 * @param registeredAt when the customer registered: the welcome's deadlines count from here
 */
public record WelcomeRequest(UUID userId, UUID conversationId, UUID jobId, Instant registeredAt) {

  public JsonObject toJson() {
    return new JsonObject().put("user_id", userId.toString()).put("conversation_id", conversationId.toString())
        .put("job_id", jobId.toString()).put("registered_at", registeredAt.toString());
  }

  public static WelcomeRequest fromJson(JsonObject j) {
    return new WelcomeRequest(UUID.fromString(j.getString("user_id")), UUID.fromString(j.getString("conversation_id")),
        UUID.fromString(j.getString("job_id")), Instant.parse(j.getString("registered_at")));
  }
}
