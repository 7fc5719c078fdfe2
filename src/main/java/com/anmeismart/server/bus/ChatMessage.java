package com.anmeismart.server.bus;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.UUID;

/**
 * A stored conversation message, in the one shape pages see it: fetched ({@code GET /conversations/{id}/messages})
 * and live ({@link ClientEvent.Message} on {@code client.conversation.<id>}) alike.
 *
 * @param seq      the conversation's order and the {@code ?after=} cursor
 * @param senderId the user who wrote it, null for the AI assistant and the system
 * @param senderType {@code customer}, {@code consultant}, {@code ai} or {@code system}
 * @param kind     {@code text}, {@code welcome} or {@code system}
 */
public record ChatMessage(UUID id, long seq, UUID conversationId, UUID senderId, String senderType, String kind,
                          String content, JsonObject metadata, Instant createdAt) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("seq", seq)
        .put("conversation_id", conversationId.toString())
        .put("sender_id", senderId == null ? null : senderId.toString())
        .put("sender_type", senderType)
        .put("kind", kind)
        .put("content", content)
        .put("metadata", metadata == null ? new JsonObject() : metadata.copy())
        .put("created_at", createdAt.toString());
  }

  public static ChatMessage fromJson(JsonObject j) {
    String sender = j.getString("sender_id");
    return new ChatMessage(UUID.fromString(j.getString("id")), j.getLong("seq"),
        UUID.fromString(j.getString("conversation_id")), sender == null ? null : UUID.fromString(sender),
        j.getString("sender_type"), j.getString("kind"), j.getString("content"),
        j.getJsonObject("metadata", new JsonObject()), Instant.parse(j.getString("created_at")));
  }
}
