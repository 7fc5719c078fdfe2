package com.anmeismart.server.notify;

import com.anmeismart.server.accounts.UserStore;
import com.anmeismart.server.db.InstanceLock;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The notifications inbox and the new-customer notices: all SQL on {@code notifications} and
 * {@code customer_notices}. Writes are idempotent through {@code (user_id, dedupe_key)}: a retried job, a second
 * node consuming the same broadcast, or an escalation run twice finds the rows already there.
 */
public final class Inbox {

  /** Every active user of a role, whether they are online now, and whether they have a Web Push subscription. */
  private static final String RECIPIENTS = "SELECT u.id, " + Presence.onlineCondition("u", "$2") + " AS online, "
      + "EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.user_id = u.id) AS push, u.wecom_userid "
      + "FROM users u WHERE u.role = $1 AND u.is_active";

  /**
   * Writes the recipients' rows (ids chosen by the caller, see {@link #notificationId}) and returns each row, new or
   * already there from an earlier attempt.
   */
  private static final String RECORD = "INSERT INTO notifications (id, user_id, channel, kind, dedupe_key, title, body, "
      + "conversation_id) SELECT r.id, r.user_id, r.channel, $4, $5, $6, $7, $8 "
      + "FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS r(id, user_id, channel) "
      + "ON CONFLICT (user_id, dedupe_key) DO UPDATE SET dedupe_key = EXCLUDED.dedupe_key "
      + "RETURNING id, user_id, pushed_at, (xmax = 0) AS inserted";

  /** Starts a new customer's escalation clock (once). */
  private static final String NOTICE = "INSERT INTO customer_notices (conversation_id, customer_id) VALUES ($1, $2) "
      + "ON CONFLICT (conversation_id) DO NOTHING";
  /** The recipients, in the statement that starts a new customer's escalation clock (once). */
  private static final String NOTICE_AND_RECIPIENTS = "WITH notice AS (INSERT INTO customer_notices (conversation_id, "
      + "customer_id) VALUES ($3, $4) ON CONFLICT (conversation_id) DO NOTHING) " + RECIPIENTS;
  /** An offer that ended (moved on, accepted, withdrawn) is no longer something to act on: it reads as read. */
  private static final String SETTLE = "UPDATE notifications SET read_at = coalesce(read_at, now()) "
      + "WHERE user_id = $1 AND dedupe_key = $2 AND read_at IS NULL";

  private static final String MARK_PUSHED = "UPDATE notifications SET pushed_at = now() WHERE id = ANY($1) "
      + "AND pushed_at IS NULL";

  /**
   * Leases overdue notices of still-open conversations for $3 seconds to instance $4: a notice is escalated by one
   * pass at a time across all nodes, and again by a later pass if that one fails before {@link #ESCALATED}, or at
   * once if its process died (its instance lock is free). Leases nothing while $4's own lock isn't held.
   */
  private static final String CLAIM_OVERDUE = "WITH due AS (SELECT n.conversation_id FROM customer_notices n "
      + "  JOIN conversations c ON c.id = n.conversation_id "
      + "  WHERE n.escalated_at IS NULL AND c.status = 'open' AND n.notified_at < now() - make_interval(secs => $1) "
      + "  AND (n.escalation_leased_until IS NULL OR n.escalation_leased_until < now() "
      + "    OR n.escalation_lease_instance <> $4 AND " + InstanceLock.dead("n.escalation_lease_instance") + ") "
      + "  AND " + InstanceLock.alive("$4") + " "
      + "  ORDER BY n.notified_at LIMIT $2 FOR UPDATE OF n SKIP LOCKED), "
      + "upd AS (UPDATE customer_notices n SET escalation_leased_until = now() + make_interval(secs => $3), "
      + "  escalation_lease_instance = $4 FROM due "
      + "  WHERE n.conversation_id = due.conversation_id RETURNING n.conversation_id, n.customer_id, n.notified_at) "
      + "SELECT upd.conversation_id, upd.customer_id, upd.notified_at, u.username, u.created_at AS registered_at "
      + "FROM upd JOIN users u ON u.id = upd.customer_id";
  private static final String ESCALATED = "UPDATE customer_notices SET escalated_at = now(), "
      + "escalation_leased_until = NULL WHERE conversation_id = $1 AND escalated_at IS NULL";

  private static final String COLUMNS = "id, kind, channel, title, body, conversation_id, created_at, delivered_at, "
      + "pushed_at, read_at";
  /**
   * A user's entries with the state of their customer now: {@code claimed_by} once anyone claimed (the entry that
   * said "waiting" must not keep saying it), and with $5 only the customers still waiting (a page that reconnects).
   */
  private static final String LIST = "SELECT n.id, n.kind, n.channel, n.title, n.body, n.conversation_id, n.created_at, "
      + "n.delivered_at, n.pushed_at, n.read_at, c.status AS conversation_status, c.consultant_id, "
      + UserStore.displayName("co") + " AS consultant_name, count(*) OVER () AS total "
      + "FROM notifications n LEFT JOIN conversations c ON c.id = n.conversation_id "
      + "LEFT JOIN users co ON co.id = c.consultant_id "
      + "WHERE n.user_id = $1 AND ($2 = false OR n.read_at IS NULL) "
      + "AND ($5 = false OR n.conversation_id IS NULL OR c.status = 'open') "
      + "ORDER BY n.created_at DESC, n.id LIMIT $3 OFFSET $4";
  private static final String UNREAD = "SELECT count(*) AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL";
  private static final String READ = "UPDATE notifications SET read_at = coalesce(read_at, now()) "
      + "WHERE id = $1 AND user_id = $2 RETURNING " + COLUMNS;
  private static final String DELIVERED = "UPDATE notifications SET delivered_at = coalesce(delivered_at, now()) "
      + "WHERE id = $1 AND user_id = $2 RETURNING " + COLUMNS + ", delivered_at = now() AS first";

  /** Someone a notification is for, whether they are online now, and whether they subscribed to Web Push. */
  /** @param wecomUserid the staff member's WeCom user id, or null (no WeCom cards) */
  public record Recipient(UUID userId, boolean online, boolean push, String wecomUserid) {
  }

  /** A recipient's row as written: new now, or there from an earlier attempt (and then maybe already pushed). */
  public record Written(UUID notificationId, UUID userId, boolean inserted, boolean pushed) {
  }

  /** A notice whose conversation waited too long. */
  public record Overdue(UUID conversationId, UUID customerId, String username, Instant registeredAt,
                        Instant notifiedAt) {
  }

  private final Pool pool;
  private final int presenceTtlSeconds;

  public Inbox(Pool pool, int presenceTtlSeconds) {
    this.pool = pool;
    this.presenceTtlSeconds = presenceTtlSeconds;
  }

  /** Starts a new customer's escalation clock (once), on the caller's transaction (an offer's). */
  public static Future<Void> startNotice(SqlClient tx, UUID conversationId, UUID customerId) {
    return tx.preparedQuery(NOTICE).execute(Tuple.of(conversationId, customerId)).mapEmpty();
  }

  /** Marks the user's entry of {@code dedupeKey} read (an offer that ended), on the caller's transaction. */
  public static Future<Void> settle(SqlClient tx, UUID userId, String dedupeKey) {
    return tx.preparedQuery(SETTLE).execute(Tuple.of(userId, dedupeKey)).mapEmpty();
  }

  public Future<List<Recipient>> recipients(String role) {
    return pool.preparedQuery(RECIPIENTS).execute(Tuple.of(role, presenceTtlSeconds)).map(Inbox::recipients);
  }

  /** The recipients of a new customer's notification; the same statement starts its escalation clock (once). */
  public Future<List<Recipient>> noticeAndRecipients(String role, UUID conversationId, UUID customerId) {
    return pool.preparedQuery(NOTICE_AND_RECIPIENTS)
        .execute(Tuple.of(role, presenceTtlSeconds, conversationId, customerId)).map(Inbox::recipients);
  }

  private static List<Recipient> recipients(RowSet<Row> rows) {
    List<Recipient> out = new ArrayList<>(rows.size());
    for (Row r : rows) {
      out.add(new Recipient(r.getUUID("id"), r.getBoolean("online"), r.getBoolean("push"),
          r.getString("wecom_userid")));
    }
    return out;
  }

  /**
   * The id of a user's notification: derived from the user and the dedupe key, so it is known before the row is
   * written (the live copy carries it at once) and the same on every retry.
   */
  public static UUID notificationId(UUID userId, String dedupeKey) {
    return UUID.nameUUIDFromBytes((userId + "|" + dedupeKey).getBytes(StandardCharsets.UTF_8));
  }

  /** Each recipient's {@link #notificationId}, in the recipients' order. */
  public static UUID[] notificationIds(List<Recipient> recipients, String dedupeKey) {
    UUID[] ids = new UUID[recipients.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = notificationId(recipients.get(i).userId(), dedupeKey);
    }
    return ids;
  }

  /**
   * Writes one row per recipient (channel live when online, else inbox); idempotent per user and dedupe key.
   * {@code ids} are the recipients' {@link #notificationIds} for {@code dedupeKey}.
   */
  public Future<List<Written>> record(List<Recipient> recipients, UUID[] ids, String kind, String dedupeKey,
                                      String title, JsonObject body, UUID conversationId) {
    return record(pool, recipients, ids, kind, dedupeKey, title, body, conversationId);
  }

  /** {@link #record} on the caller's transaction (an offer, written with the assignment row that makes it). */
  public static Future<List<Written>> record(SqlClient client, List<Recipient> recipients, UUID[] ids, String kind,
                                             String dedupeKey, String title, JsonObject body, UUID conversationId) {
    if (recipients.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    UUID[] users = new UUID[recipients.size()];
    String[] channels = new String[recipients.size()];
    for (int i = 0; i < users.length; i++) {
      Recipient r = recipients.get(i);
      users[i] = r.userId();
      channels[i] = r.online() ? "live" : "inbox";
    }
    return client.preparedQuery(RECORD)
        .execute(Tuple.of(ids, users, channels, kind, dedupeKey, title, body, conversationId))
        .map(rows -> {
          List<Written> out = new ArrayList<>(rows.size());
          for (Row r : rows) {
            out.add(new Written(r.getUUID("id"), r.getUUID("user_id"), r.getBoolean("inserted"),
                r.getOffsetDateTime("pushed_at") != null));
          }
          return out;
        });
  }

  public Future<Void> markPushed(List<UUID> notificationIds) {
    if (notificationIds.isEmpty()) {
      return Future.succeededFuture();
    }
    return pool.preparedQuery(MARK_PUSHED).execute(Tuple.of(notificationIds.toArray(UUID[]::new))).mapEmpty();
  }

  /** Overdue notices, each leased to instance {@code instance} for {@code leaseSeconds}; see {@link #escalated}. */
  public Future<List<Overdue>> claimOverdue(double afterSeconds, int limit, int leaseSeconds, int instance) {
    return pool.preparedQuery(CLAIM_OVERDUE).execute(Tuple.of(afterSeconds, limit, (double) leaseSeconds, instance))
        .map(rows -> {
          List<Overdue> out = new ArrayList<>(rows.size());
          for (Row r : rows) {
            out.add(new Overdue(r.getUUID("conversation_id"), r.getUUID("customer_id"), r.getString("username"),
                r.getOffsetDateTime("registered_at").toInstant(), r.getOffsetDateTime("notified_at").toInstant()));
          }
          return out;
        });
  }

  /** The customer was announced again: their notice is done for good. */
  public Future<Void> escalated(UUID conversationId) {
    return pool.preparedQuery(ESCALATED).execute(Tuple.of(conversationId)).mapEmpty();
  }

  /**
   * A user's notifications, newest first, with the unread count; each with {@code claimed_by: {id, display_name}}
   * once anyone claimed its customer. {@code waitingOnly}: only entries whose customer is still unclaimed.
   */
  public Future<JsonObject> list(UUID userId, boolean unreadOnly, boolean waitingOnly, int limit, int offset) {
    return pool.preparedQuery(LIST).execute(Tuple.of(userId, unreadOnly, limit, offset, waitingOnly)).compose(rows -> {
      JsonArray items = new JsonArray();
      long total = 0;
      for (Row r : rows) {
        UUID by = r.getUUID("consultant_id");
        items.add(toJson(r).put("conversation_status", r.getString("conversation_status"))
            .put("claimed_by", by == null ? null : new JsonObject().put("id", by.toString())
                .put("display_name", r.getString("consultant_name"))));
        total = r.getLong("total");
      }
      long found = total;
      return pool.preparedQuery(UNREAD).execute(Tuple.of(userId)).map(unread -> new JsonObject().put("items", items)
          .put("total", found).put("unread", unread.iterator().next().getLong("n")).put("limit", limit)
          .put("offset", offset));
    });
  }

  /** Marks one of the user's notifications read; empty when it is not theirs or does not exist. */
  public Future<Optional<JsonObject>> markRead(UUID id, UUID userId) {
    return pool.preparedQuery(READ).execute(Tuple.of(id, userId))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(toJson(rows.iterator().next())));
  }

  /**
   * Records that the user's page showed it; the first acknowledgement counts, later ones change nothing. Empty when
   * it is not theirs. The JSON has {@code first: true} on the acknowledgement that set {@code delivered_at}.
   */
  public Future<Optional<JsonObject>> markDelivered(UUID id, UUID userId) {
    return pool.preparedQuery(DELIVERED).execute(Tuple.of(id, userId)).map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      Row r = rows.iterator().next();
      return Optional.of(toJson(r).put("first", r.getBoolean("first")));
    });
  }

  static JsonObject toJson(Row r) {
    return new JsonObject()
        .put("id", r.getUUID("id").toString())
        .put("kind", r.getString("kind"))
        .put("channel", r.getString("channel"))
        .put("title", r.getString("title"))
        .put("body", r.getJsonObject("body"))
        .put("conversation_id", r.getUUID("conversation_id") == null ? null : r.getUUID("conversation_id").toString())
        .put("created_at", iso(r, "created_at"))
        .put("delivered_at", iso(r, "delivered_at"))
        .put("pushed_at", iso(r, "pushed_at"))
        .put("read_at", iso(r, "read_at"));
  }

  private static String iso(Row r, String column) {
    var t = r.getOffsetDateTime(column);
    return t == null ? null : t.toInstant().toString();
  }
}
