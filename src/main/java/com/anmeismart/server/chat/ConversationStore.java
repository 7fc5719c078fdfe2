package com.anmeismart.server.chat;

import com.anmeismart.server.accounts.UserStore;
import com.anmeismart.server.bus.ChatMessage;
import com.anmeismart.server.bus.CustomerCard;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Conversations and their messages: all SQL on {@code conversations} and {@code messages}. The claim is one
 * conditional UPDATE, so exactly one consultant wins however many try at once (and on however many nodes). The
 * registration automation writes the default conversation and the welcome in the statements that record its steps
 * (one statement each, so the effect and the step commit together): those statements compose the fragments here
 * ({@link #defaultConversationCtes}, {@link #welcomeMessageCtes}), so the SQL on these tables stays in this class.
 */
public final class ConversationStore {

  /** A message row's columns, in the order {@link #message} reads them. */
  public static final String MESSAGE_COLUMNS = "seq, id, conversation_id, sender_id, sender_type, kind, content, "
      + "metadata, created_at";

  private static final String CONVERSATION_COLUMNS = "c.id, c.customer_id, cu.username AS customer_username, "
      + UserStore.displayName("cu") + " AS customer_name, cu.interests AS customer_interests, "
      + "cu.source AS customer_source, cu.phone AS customer_phone, "
      + "cu.created_at AS customer_registered_at, c.title, c.status, c.consultant_id, co.username AS consultant_username, "
      + UserStore.displayName("co") + " AS consultant_name, "
      + "c.claimed_at, c.is_ai_controlled, c.is_default, c.created_at, c.updated_at, "
      + "(SELECT max(m.seq) FROM messages m WHERE m.conversation_id = c.id) AS last_seq, "
      + "a.state AS assignment_state, a.offered_to, a.expires_at AS offer_expires_at";
  /** With the customer's assignment (notify/Assignments' table, read here): who has the offer, until when. */
  private static final String FROM = " FROM conversations c JOIN users cu ON cu.id = c.customer_id "
      + "LEFT JOIN users co ON co.id = c.consultant_id LEFT JOIN customer_assignments a ON a.conversation_id = c.id ";
  /** Customers see theirs; consultants what they claimed plus new unclaimed ones; admins everything. */
  private static final String LIST = "SELECT " + CONVERSATION_COLUMNS + ", count(*) OVER () AS total" + FROM
      + "WHERE CASE $1 WHEN 'customer' THEN c.customer_id = $2 "
      + "  WHEN 'consultant' THEN (c.consultant_id = $2 OR (c.status = 'open' AND c.is_default)) "
      + "  WHEN 'admin' THEN true ELSE false END "
      + "AND ($3::text IS NULL OR c.status = $3) ORDER BY c.created_at DESC, c.id LIMIT $4 OFFSET $5";
  private static final String GET = "SELECT " + CONVERSATION_COLUMNS + FROM + "WHERE c.id = $1";
  private static final String OWNS = "SELECT 1 FROM conversations WHERE id = $1 AND customer_id = $2";
  private static final String MESSAGES = "SELECT " + MESSAGE_COLUMNS + " FROM messages WHERE conversation_id = $1 "
      + "AND seq > $2 ORDER BY seq LIMIT $3";
  /**
   * Inserts only while the sender still may write (customer owner, or the claiming consultant), and records the
   * conversation's first consultant reply and first customer message (the dashboard's response times) with it.
   */
  private static final String SEND = "WITH ok AS (SELECT id FROM conversations WHERE id = $1 AND status <> 'closed' "
      + "  AND (customer_id = $2 OR consultant_id = $2)), "
      + "ins AS (INSERT INTO messages (conversation_id, sender_id, sender_type, kind, content) "
      + "  SELECT id, $2, $3, 'text', $4 FROM ok "
      + "  RETURNING " + MESSAGE_COLUMNS + "), "
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
  /** Only the consultant who claimed it closes it; closed, it no longer counts as theirs to answer. */
  private static final String CLOSE = "UPDATE conversations SET status = 'closed', updated_at = now() "
      + "WHERE id = $1 AND consultant_id = $2 AND status = 'claimed' RETURNING updated_at";

  // ---- what the MCP tools read ------------------------------------------------------------------------------

  private static final String CUSTOMER_CONVERSATIONS = "SELECT c.id, c.title, c.status, c.is_default, c.consultant_id, "
      + "c.created_at, c.updated_at, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS messages, "
      + "(SELECT m.content FROM messages m WHERE m.conversation_id = c.id ORDER BY m.seq DESC LIMIT 1) AS last_message "
      + "FROM conversations c WHERE c.customer_id = $1 ORDER BY c.created_at DESC LIMIT $2";
  private static final String CONVERSATION = "SELECT id, customer_id, title, status, consultant_id, created_at "
      + "FROM conversations WHERE id = $1";
  private static final String LATEST_MESSAGES = "SELECT seq, id, sender_type, kind, content, created_at FROM messages "
      + "WHERE conversation_id = $1 ORDER BY seq DESC LIMIT $2";
  private static final String CUSTOMER_FIGURES = "SELECT "
      + "(SELECT count(*) FROM conversations c WHERE c.customer_id = $1) AS conversations, "
      + "(SELECT c.id FROM conversations c WHERE c.customer_id = $1 AND c.is_default) AS default_conversation_id, "
      + "(SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id "
      + "  WHERE c.customer_id = $1 AND m.sender_type = 'customer') AS customer_messages";
  private static final String OPEN_COUNT = "SELECT count(*) AS n FROM conversations WHERE status = 'open'";

  /**
   * The automation's conversation step, as common table expressions for the statement that records the step: CTE
   * {@code ins} creates the customer's default conversation (AI assistant in control, open) unless it exists, and
   * {@code conv} is its id, new or existing. Nothing is inserted unless the CTE named {@code guard} has a row (the
   * job's lease), so an engine that lost its lease writes nothing. The other arguments name the statement's
   * parameters ({@code $n}) that hold the customer id, the title and the assistant's id and name.
   */
  public static String defaultConversationCtes(String guard, String customer, String title, String assistantId,
                                               String assistantName) {
    return "ins AS (INSERT INTO conversations (customer_id, title, assistant_id, assistant_name, is_ai_controlled, "
        + "status, is_default) SELECT " + customer + "::uuid, " + title + "::text, " + assistantId + "::text, "
        + assistantName + "::text, true, 'open', true WHERE EXISTS (SELECT 1 FROM " + guard + ") "
        + "ON CONFLICT (customer_id) WHERE is_default DO NOTHING RETURNING id), "
        + "conv AS (SELECT id FROM ins UNION ALL SELECT id FROM conversations WHERE customer_id = " + customer
        + "::uuid AND is_default)";
  }

  /**
   * The automation's welcome, as common table expressions for the statement that records the step: CTE {@code ins}
   * stores it as the conversation's one AI welcome message unless it exists, and {@code msg} is that message
   * ({@link #MESSAGE_COLUMNS}), new or existing. Nothing is inserted unless the CTE named {@code guard} has a row.
   */
  public static String welcomeMessageCtes(String guard, String conversation, String content, String metadata) {
    return "ins AS (INSERT INTO messages (conversation_id, sender_type, kind, content, metadata) SELECT "
        + conversation + "::uuid, 'ai', 'welcome', " + content + "::text, " + metadata + "::jsonb "
        + "WHERE EXISTS (SELECT 1 FROM " + guard + ") "
        + "ON CONFLICT (conversation_id) WHERE kind = 'welcome' DO NOTHING RETURNING " + MESSAGE_COLUMNS + "), "
        + "msg AS (SELECT " + MESSAGE_COLUMNS + " FROM ins UNION ALL SELECT " + MESSAGE_COLUMNS + " FROM messages "
        + "WHERE conversation_id = " + conversation + "::uuid AND kind = 'welcome')";
  }

  /**
   * The open conversations of the consultant named by SQL expression {@code consultant} (claimed, not closed), as
   * an SQL expression: what {@code max_open_conversations} counts (the assignment rules' statement composes it).
   */
  public static String openLoadOf(String consultant) {
    return "(SELECT count(*) FROM conversations oc WHERE oc.consultant_id = " + consultant
        + " AND oc.status = 'claimed')";
  }

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
      rows.forEach(r -> items.add(message(r).toJson()));
      return items;
    });
  }

  /** The stored message, or empty when the sender may not write (any more). */
  public Future<Optional<ChatMessage>> send(UUID conversationId, UUID senderId, String senderType, String content) {
    return pool.preparedQuery(SEND).execute(Tuple.of(conversationId, senderId, senderType, content))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(message(rows.iterator().next())));
  }

  /** True when this consultant's claim won; false when the conversation was not open (claimed, closed, absent). */
  public Future<Boolean> claim(UUID conversationId, UUID consultantId) {
    return claim(pool, conversationId, consultantId);
  }

  /**
   * The claim on the caller's transaction (notify/Assignments: a claim or an accepted offer commits with the
   * assignment row it settles). One conditional UPDATE: the first claim wins, on any node.
   */
  public static Future<Boolean> claim(SqlClient tx, UUID conversationId, UUID consultantId) {
    return tx.preparedQuery(CLAIM).execute(Tuple.of(conversationId, consultantId)).map(rows -> rows.size() > 0);
  }

  /** The claiming consultant closes the conversation; empty when it is not theirs to close (any more). */
  public Future<Optional<Instant>> close(UUID conversationId, UUID consultantId) {
    return pool.preparedQuery(CLOSE).execute(Tuple.of(conversationId, consultantId)).map(rows -> rows.size() == 0
        ? Optional.empty() : Optional.of(rows.iterator().next().getOffsetDateTime("updated_at").toInstant()));
  }

  /**
   * A conversation as the API shows it: the customer's card (display name, interests, source, the phone masked, and
   * the phone itself, which the API leaves out for anyone but the customer, the claiming consultant and admins), the
   * consultant by display name, and the assignment's offer while one is live.
   */
  private static JsonObject conversation(Row r) {
    UUID consultant = r.getUUID("consultant_id");
    String[] interests = r.getArrayOfStrings("customer_interests");
    String assignment = r.getString("assignment_state");
    UUID offeredTo = r.getUUID("offered_to");
    return new JsonObject()
        .put("id", r.getUUID("id").toString())
        .put("customer", new JsonObject().put("id", r.getUUID("customer_id").toString())
            .put("username", r.getString("customer_username"))
            .put("display_name", r.getString("customer_name"))
            .put("interests", new JsonArray(interests == null ? List.of() : List.of(interests)))
            .put("source", r.getString("customer_source"))
            .put("phone", r.getString("customer_phone"))
            .put("phone_masked", CustomerCard.mask(r.getString("customer_phone")))
            .put("registered_at", iso(r, "customer_registered_at")))
        .put("title", r.getString("title"))
        .put("status", r.getString("status"))
        .put("consultant", consultant == null ? null : new JsonObject().put("id", consultant.toString())
            .put("username", r.getString("consultant_username")).put("display_name", r.getString("consultant_name")))
        .put("assignment", assignment == null ? null : new JsonObject().put("state", assignment)
            .put("offered_to", "offering".equals(assignment) && offeredTo != null ? offeredTo.toString() : null)
            .put("expires_at", "offering".equals(assignment) ? iso(r, "offer_expires_at") : null))
        .put("claimed_at", iso(r, "claimed_at"))
        .put("is_ai_controlled", r.getBoolean("is_ai_controlled"))
        .put("is_default", r.getBoolean("is_default"))
        .put("last_seq", r.getLong("last_seq"))
        .put("created_at", iso(r, "created_at"))
        .put("updated_at", iso(r, "updated_at"));
  }

  /** A message row ({@link #MESSAGE_COLUMNS}) as fetched and as pushed on {@code client.conversation.<id>}. */
  public static ChatMessage message(Row r) {
    return new ChatMessage(r.getUUID("id"), r.getLong("seq"), r.getUUID("conversation_id"), r.getUUID("sender_id"),
        r.getString("sender_type"), r.getString("kind"), r.getString("content"), r.getJsonObject("metadata"),
        r.getOffsetDateTime("created_at").toInstant());
  }

  /** A customer's conversations, newest first, with message counts and the last message (the MCP tools' view). */
  public Future<JsonArray> customerConversations(UUID customer, int limit) {
    return pool.preparedQuery(CUSTOMER_CONVERSATIONS).execute(Tuple.of(customer, limit)).map(rows -> {
      JsonArray out = new JsonArray();
      rows.forEach(r -> {
        UUID consultant = r.getUUID("consultant_id");
        out.add(new JsonObject().put("id", r.getUUID("id").toString()).put("title", r.getString("title"))
            .put("status", r.getString("status")).put("is_default", r.getBoolean("is_default"))
            .put("consultant_id", consultant == null ? null : consultant.toString())
            .put("messages", r.getLong("messages")).put("last_message", r.getString("last_message"))
            .put("created_at", iso(r, "created_at")).put("updated_at", iso(r, "updated_at")));
      });
      return out;
    });
  }

  /** The conversation (with its customer id) and its newest messages, oldest first; empty when unknown. */
  public Future<Optional<JsonObject>> withLatestMessages(UUID id, int limit) {
    return pool.preparedQuery(CONVERSATION).execute(Tuple.of(id)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture(Optional.empty());
      }
      Row c = rows.iterator().next();
      return pool.preparedQuery(LATEST_MESSAGES).execute(Tuple.of(id, limit)).map(ms -> {
        JsonArray messages = new JsonArray();
        ms.forEach(m -> messages.add(0, new JsonObject().put("id", m.getUUID("id").toString())
            .put("sender_type", m.getString("sender_type")).put("kind", m.getString("kind"))
            .put("content", m.getString("content")).put("created_at", iso(m, "created_at"))));
        UUID consultant = c.getUUID("consultant_id");
        return Optional.of(new JsonObject().put("id", id.toString())
            .put("customer_id", c.getUUID("customer_id").toString()).put("title", c.getString("title"))
            .put("status", c.getString("status"))
            .put("consultant_id", consultant == null ? null : consultant.toString())
            .put("created_at", iso(c, "created_at"))
            .put("messages", messages));
      });
    });
  }

  /** {@code {conversations, default_conversation_id, customer_messages}} of one customer. */
  public Future<JsonObject> customerFigures(UUID customer) {
    return pool.preparedQuery(CUSTOMER_FIGURES).execute(Tuple.of(customer)).map(rows -> {
      Row r = rows.iterator().next();
      UUID conv = r.getUUID("default_conversation_id");
      return new JsonObject().put("conversations", r.getLong("conversations"))
          .put("default_conversation_id", conv == null ? null : conv.toString())
          .put("customer_messages", r.getLong("customer_messages"));
    });
  }

  /** Conversations open now (waiting for a consultant or the AI's). */
  public Future<Long> openCount() {
    return pool.query(OPEN_COUNT).execute().map(rows -> rows.iterator().next().getLong("n"));
  }

  private static String iso(Row r, String column) {
    var t = r.getOffsetDateTime(column);
    return t == null ? null : t.toInstant().toString();
  }
}
