package com.anmeismart.server.chat;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.util.Optional;
import java.util.UUID;

/**
 * Conversations and their messages as the pages see them: all SQL of the chat context. The claim is one
 * conditional UPDATE, so exactly one consultant wins however many try at once (and on however many nodes).
 */
public final class ConversationStore {

  private static final String CONVERSATION_COLUMNS = "c.id, c.customer_id, cu.username AS customer_username, "
      + "cu.created_at AS customer_registered_at, c.title, c.status, c.consultant_id, co.username AS consultant_username, "
      + "c.claimed_at, c.is_ai_controlled, c.is_default, c.created_at, c.updated_at, "
      + "(SELECT max(m.seq) FROM messages m WHERE m.conversation_id = c.id) AS last_seq";
  private static final String FROM = " FROM conversations c JOIN users cu ON cu.id = c.customer_id "
      + "LEFT JOIN users co ON co.id = c.consultant_id ";
  /** Customers see theirs; consultants what they claimed plus new unclaimed ones; admins everything. */
  private static final String LIST = "SELECT " + CONVERSATION_COLUMNS + ", count(*) OVER () AS total" + FROM
      + "WHERE CASE $1 WHEN 'customer' THEN c.customer_id = $2 "
      + "  WHEN 'consultant' THEN (c.consultant_id = $2 OR (c.status = 'open' AND c.is_default)) "
      + "  WHEN 'admin' THEN true ELSE false END "
      + "AND ($3::text IS NULL OR c.status = $3) ORDER BY c.created_at DESC, c.id LIMIT $4 OFFSET $5";
  private static final String GET = "SELECT " + CONVERSATION_COLUMNS + FROM + "WHERE c.id = $1";
  private static final String OWNS = "SELECT 1 FROM conversations WHERE id = $1 AND customer_id = $2";
  private static final String MESSAGES = "SELECT seq, id, conversation_id, sender_id, sender_type, kind, content, "
      + "metadata, created_at FROM messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
  /**
   * Inserts only while the sender still may write (customer owner, or the claiming consultant), and records the
   * conversation's first consultant reply and first customer message (the dashboard's response times) with it.
   */
  private static final String SEND = "WITH ok AS (SELECT id FROM conversations WHERE id = $1 AND status <> 'closed' "
      + "  AND (customer_id = $2 OR consultant_id = $2)), "
      + "ins AS (INSERT INTO messages (conversation_id, sender_id, sender_type, kind, content) "
      + "  SELECT id, $2, $3, 'text', $4 FROM ok "
      + "  RETURNING seq, id, conversation_id, sender_id, sender_type, kind, content, metadata, created_at), "
      + "touch AS (UPDATE conversations SET updated_at = now(), "
      + "  first_consultant_reply_at = CASE WHEN $3 = 'consultant' THEN coalesce(first_consultant_reply_at, now()) "
      + "    ELSE first_consultant_reply_at END, "
      + "  first_customer_message_at = CASE WHEN $3 = 'customer' THEN coalesce(first_customer_message_at, now()) "
      + "    ELSE first_customer_message_at END "
      + "  WHERE id IN (SELECT conversation_id FROM ins)) "
      + "SELECT * FROM ins";
  private static final String CLAIM = "UPDATE conversations SET status = 'claimed', consultant_id = $2, "
      + "claimed_at = now(), is_ai_controlled = false, updated_at = now() WHERE id = $1 AND status = 'open' "
      + "RETURNING id";

  private final Pool pool;

  public ConversationStore(Pool pool) {
    this.pool = pool;
  }

  public Future<JsonObject> list(String role, UUID userId, String status, int limit, int offset) {
    return pool.preparedQuery(LIST).execute(Tuple.of(role, userId, status, limit, offset)).map(rows -> {
      JsonArray items = new JsonArray();
      long total = 0;
      for (Row r : rows) {
        items.add(conversation(r));
        total = r.getLong("total");
      }
      return new JsonObject().put("items", items).put("total", total).put("limit", limit).put("offset", offset);
    });
  }

  public Future<Optional<JsonObject>> get(UUID id) {
    return pool.preparedQuery(GET).execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(conversation(rows.iterator().next())));
  }

  /** Whether the customer owns the conversation (the bridge's check for {@code client.conversation.<id>}). */
  public Future<Boolean> owns(UUID conversationId, UUID customerId) {
    return pool.preparedQuery(OWNS).execute(Tuple.of(conversationId, customerId)).map(rows -> rows.size() > 0);
  }

  /** Messages after the cursor {@code afterSeq}, oldest first. */
  public Future<JsonArray> messages(UUID conversationId, long afterSeq, int limit) {
    return pool.preparedQuery(MESSAGES).execute(Tuple.of(conversationId, afterSeq, limit)).map(rows -> {
      JsonArray items = new JsonArray();
      rows.forEach(r -> items.add(message(r)));
      return items;
    });
  }

  /** The stored message, or empty when the sender may not write (any more). */
  public Future<Optional<JsonObject>> send(UUID conversationId, UUID senderId, String senderType, String content) {
    return pool.preparedQuery(SEND).execute(Tuple.of(conversationId, senderId, senderType, content))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(message(rows.iterator().next())));
  }

  /** True when this consultant's claim won; false when the conversation was not open (claimed, closed, absent). */
  public Future<Boolean> claim(UUID conversationId, UUID consultantId) {
    return pool.preparedQuery(CLAIM).execute(Tuple.of(conversationId, consultantId)).map(rows -> rows.size() > 0);
  }

  private static JsonObject conversation(Row r) {
    UUID consultant = r.getUUID("consultant_id");
    return new JsonObject()
        .put("id", r.getUUID("id").toString())
        .put("customer", new JsonObject().put("id", r.getUUID("customer_id").toString())
            .put("username", r.getString("customer_username"))
            .put("registered_at", iso(r, "customer_registered_at")))
        .put("title", r.getString("title"))
        .put("status", r.getString("status"))
        .put("consultant", consultant == null ? null : new JsonObject().put("id", consultant.toString())
            .put("username", r.getString("consultant_username")))
        .put("claimed_at", iso(r, "claimed_at"))
        .put("is_ai_controlled", r.getBoolean("is_ai_controlled"))
        .put("is_default", r.getBoolean("is_default"))
        .put("last_seq", r.getLong("last_seq"))
        .put("created_at", iso(r, "created_at"))
        .put("updated_at", iso(r, "updated_at"));
  }

  /** A message as stored and as pushed on {@code client.conversation.<id>}. */
  public static JsonObject message(Row r) {
    UUID sender = r.getUUID("sender_id");
    return new JsonObject()
        .put("id", r.getUUID("id").toString())
        .put("seq", r.getLong("seq"))
        .put("conversation_id", r.getUUID("conversation_id").toString())
        .put("sender_id", sender == null ? null : sender.toString())
        .put("sender_type", r.getString("sender_type"))
        .put("kind", r.getString("kind"))
        .put("content", r.getString("content"))
        .put("metadata", r.getJsonObject("metadata"))
        .put("created_at", iso(r, "created_at"));
  }

  private static String iso(Row r, String column) {
    var t = r.getOffsetDateTime(column);
    return t == null ? null : t.toInstant().toString();
  }
}
