package com.anmeismart.server.bus;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.UUID;

/**
 * A customer who just registered and whose conversation waits for a consultant, with the notification settings
 * in force for this job.
 */
public record NewCustomer(UUID customerId, String username, UUID conversationId, Instant registeredAt, UUID jobId,
                          int expectedResponseMinutes, boolean webPush, boolean notifyAdmins) {

  public JsonObject toJson() {
    return new JsonObject().put("customer_id", customerId.toString()).put("username", username)
        .put("conversation_id", conversationId.toString()).put("registered_at", registeredAt.toString())
        .put("job_id", jobId.toString()).put("expected_response_minutes", expectedResponseMinutes)
        .put("web_push", webPush).put("notify_admins", notifyAdmins);
  }

  public static NewCustomer fromJson(JsonObject j) {
    return new NewCustomer(UUID.fromString(j.getString("customer_id")), j.getString("username"),
        UUID.fromString(j.getString("conversation_id")), Instant.parse(j.getString("registered_at")),
        UUID.fromString(j.getString("job_id")), j.getInteger("expected_response_minutes"),
        j.getBoolean("web_push"), j.getBoolean("notify_admins"));
  }
}
