package com.anmeismart.server.automation;

import com.anmeismart.server.ops.LogFields;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.UUID;

/**
 * A job this engine holds a lease on, with the progress earlier attempts left (a step whose result is here is
 * not run again).
 *
 * @param attempt    this claim's number (1 = first run)
 * @param leaseToken the fencing token every write of this claim must name
 * @param welcome    the generated welcome ({@link com.anmeismart.server.bus.WelcomeResult} JSON), or null
 */
record ClaimedJob(UUID id, UUID userId, String username, int attempt, UUID leaseToken, Instant registeredAt,
                  UUID conversationId, JsonObject welcome, UUID welcomeMessageId) {

  ClaimedJob withConversation(UUID conversation) {
    return new ClaimedJob(id, userId, username, attempt, leaseToken, registeredAt, conversation, welcome,
        welcomeMessageId);
  }

  ClaimedJob withWelcome(JsonObject generated) {
    return new ClaimedJob(id, userId, username, attempt, leaseToken, registeredAt, conversationId, generated,
        welcomeMessageId);
  }

  /** Ids for log lines (PRD §6.2). */
  /** The same ids as log fields (job_id, user_id, conversation_id) for the lines logged about this job. */
  LogFields logFields() {
    return LogFields.of("job_id", id, "user_id", userId, "conversation_id", conversationId);
  }

  String ids() {
    return "job_id=" + id + ", user_id=" + userId + ", conversation_id=" + conversationId;
  }
}
