package com.anmeismart.server.bus;

import com.anmeismart.server.settings.GuardPhrases;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Ask the DifyGatewayVerticle for a new customer's welcome.
 *
 * @param template      the configured template: the answer whenever no agent can give one
 * @param firstTextBy   the agent's first visible text must arrive by then, or the template is used
 * @param completeBy    the agent's welcome must be complete by then
 * @param useAgent      false: answer with the template without asking any agent
 * @param guardEnabled  check the agent's text before the customer sees it (the welcome guard, SPEC §11)
 * @param guardPhrases  the guard's phrase list (settings {@code welcome_guard_phrases})
 * @param windowFrom    when the first-text window opened: the registration, or the job's start when that came
 *                      after the window (a retry); the gateway sees from it how much of the window it was left
 */
public record WelcomeRequest(UUID userId, UUID conversationId, UUID jobId, Instant registeredAt, String template,
                             Instant firstTextBy, Instant completeBy, boolean useAgent, boolean guardEnabled,
                             List<String> guardPhrases, Instant windowFrom) {

  /** With the guard on and its default phrases, the window opened at the registration. */
  public WelcomeRequest(UUID userId, UUID conversationId, UUID jobId, Instant registeredAt, String template,
                        Instant firstTextBy, Instant completeBy, boolean useAgent) {
    this(userId, conversationId, jobId, registeredAt, template, firstTextBy, completeBy, useAgent, true,
        GuardPhrases.DEFAULT_LIST);
  }

  /** A request whose window opened at the registration. */
  public WelcomeRequest(UUID userId, UUID conversationId, UUID jobId, Instant registeredAt, String template,
                        Instant firstTextBy, Instant completeBy, boolean useAgent, boolean guardEnabled,
                        List<String> guardPhrases) {
    this(userId, conversationId, jobId, registeredAt, template, firstTextBy, completeBy, useAgent, guardEnabled,
        guardPhrases, registeredAt);
  }

  public JsonObject toJson() {
    return new JsonObject().put("user_id", userId.toString()).put("conversation_id", conversationId.toString())
        .put("job_id", jobId.toString()).put("registered_at", registeredAt.toString()).put("template", template)
        .put("first_text_by", firstTextBy.toString()).put("complete_by", completeBy.toString())
        .put("use_agent", useAgent).put("guard_enabled", guardEnabled)
        .put("guard_phrases", new JsonArray(List.copyOf(guardPhrases))).put("window_from", windowFrom.toString());
  }

  public static WelcomeRequest fromJson(JsonObject j) {
    return new WelcomeRequest(UUID.fromString(j.getString("user_id")), UUID.fromString(j.getString("conversation_id")),
        UUID.fromString(j.getString("job_id")), Instant.parse(j.getString("registered_at")), j.getString("template"),
        Instant.parse(j.getString("first_text_by")), Instant.parse(j.getString("complete_by")),
        j.getBoolean("use_agent", true), j.getBoolean("guard_enabled", true),
        j.getJsonArray("guard_phrases") == null ? GuardPhrases.DEFAULT_LIST
            : j.getJsonArray("guard_phrases").stream().map(String::valueOf).toList(),
        Instant.parse(j.getString("window_from", j.getString("registered_at"))));
  }
}
