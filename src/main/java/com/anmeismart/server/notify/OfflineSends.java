package com.anmeismart.server.notify;

import com.anmeismart.server.db.InstanceLock;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code offline_sends}: every message for a consultant on an offline channel (Web Push; WeCom adds its channel),
 * one row per (customer, consultant, channel, kind), so nothing goes out twice on a channel whatever retries,
 * escalations, restarts and nodes do. A row is due at once (the consultant was offline) or {@code ack_seconds} after
 * the live copy (the alert ladder); any node leases due rows, and the lease names its instance, so a dead node's
 * rows are taken over at once. What settles a row before it goes out (the page acknowledged or read the live copy,
 * the customer was claimed, the offer moved on) is decided in the statement that leases it.
 */
public final class OfflineSends {

  /** A send to schedule. {@code dueInMs} 0 = now. */
  public record NewSend(UUID consultantId, UUID customerId, UUID conversationId, String channel, String kind,
                        String reason, UUID notificationId, JsonObject payload, long dueInMs) {
  }

  /**
   * A leased row.
   *
   * @param settled why it must not go out any more ({@code acknowledged}, {@code claimed}, {@code offer_ended}), or
   *                null: send it
   */
  public record Due(UUID id, UUID consultantId, UUID customerId, UUID conversationId, String channel, String kind,
                    String reason, UUID notificationId, JsonObject payload, Instant dueAt, int attempts,
                    String settled) {
  }

  private static final String SCHEDULE = "INSERT INTO offline_sends (consultant_id, customer_id, conversation_id, "
      + "channel, kind, reason, notification_id, payload, due_at) "
      + "SELECT s.consultant_id, s.customer_id, s.conversation_id, s.channel, s.kind, s.reason, s.notification_id, "
      + "s.payload, now() + make_interval(secs => s.due_in / 1000.0) "
      + "FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::jsonb[], "
      + "$9::bigint[]) AS s(consultant_id, customer_id, conversation_id, channel, kind, reason, notification_id, "
      + "payload, due_in) "
      // a row already there (a retried job, another node) stays as it is; returned so a due one is sent now
      + "ON CONFLICT (customer_id, consultant_id, channel, kind) DO UPDATE SET updated_at = offline_sends.updated_at "
      + "RETURNING id, status, due_at <= now() AS due";

  /** Why a leased row must not go out any more, or NULL (see {@link Due#settled}). */
  private static final String SETTLED = "CASE "
      + "WHEN s.reason = 'unacknowledged' AND EXISTS (SELECT 1 FROM notifications n WHERE n.id = s.notification_id "
      + "  AND (n.delivered_at IS NOT NULL OR n.read_at IS NOT NULL)) THEN 'acknowledged' "
      + "WHEN EXISTS (SELECT 1 FROM conversations c WHERE c.id = s.conversation_id AND c.status <> 'open') "
      + "  THEN 'claimed' "
      + "WHEN s.kind = 'offer' AND NOT " + Assignments.liveOfferTo("s.conversation_id", "s.consultant_id")
      + "  THEN 'offer_ended' "
      + "ELSE NULL END";

  /**
   * Leases due pending rows ($4: only these ids, or any when NULL) to instance $3 for $2 seconds: one pass at a
   * time per row across all nodes; a row leased by a dead instance is taken at once. Leases nothing while $3's own
   * lock isn't held.
   */
  private static final String LEASE = "WITH due AS (SELECT s.id FROM offline_sends s "
      + "  WHERE s.status = 'pending' AND s.due_at <= now() AND ($4::uuid[] IS NULL OR s.id = ANY($4)) "
      + "  AND (s.leased_until IS NULL OR s.leased_until < now() "
      + "    OR s.lease_instance <> $3 AND " + InstanceLock.dead("s.lease_instance") + ") "
      + "  AND " + InstanceLock.alive("$3") + " "
      + "  ORDER BY s.due_at LIMIT $1 FOR UPDATE OF s SKIP LOCKED) "
      + "UPDATE offline_sends s SET leased_until = now() + make_interval(secs => $2), lease_instance = $3, "
      + "  attempts = s.attempts + 1, updated_at = now() FROM due WHERE s.id = due.id "
      + "RETURNING s.id, s.consultant_id, s.customer_id, s.conversation_id, s.channel, s.kind, s.reason, "
      + "s.notification_id, s.payload, s.due_at, s.attempts, " + SETTLED + " AS settled";

  private static final String FINISH = "UPDATE offline_sends SET status = $2, provider_id = $3, error = $4, "
      + "sent_at = CASE WHEN $2 = 'sent' THEN now() END, leased_until = NULL, updated_at = now() "
      + "WHERE id = $1 AND status = 'pending'";
  private static final String RETRY = "UPDATE offline_sends SET error = $2, due_at = now() + make_interval(secs => $3), "
      + "leased_until = NULL, updated_at = now() WHERE id = $1 AND status = 'pending'";

  private final Pool pool;

  public OfflineSends(Pool pool) {
    this.pool = pool;
  }

  /** Schedules the sends; returns the ids of the rows (new or already there) that are pending and due now. */
  public Future<List<UUID>> schedule(List<NewSend> sends) {
    return schedule(pool, sends);
  }

  /** {@link #schedule} on the caller's transaction (an offer, with the assignment row that makes it). */
  public static Future<List<UUID>> schedule(SqlClient client, List<NewSend> sends) {
    if (sends.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    int n = sends.size();
    UUID[] consultants = new UUID[n];
    UUID[] customers = new UUID[n];
    UUID[] conversations = new UUID[n];
    String[] channels = new String[n];
    String[] kinds = new String[n];
    String[] reasons = new String[n];
    UUID[] notifications = new UUID[n];
    JsonObject[] payloads = new JsonObject[n];
    Long[] dueIn = new Long[n];
    for (int i = 0; i < n; i++) {
      NewSend s = sends.get(i);
      consultants[i] = s.consultantId();
      customers[i] = s.customerId();
      conversations[i] = s.conversationId();
      channels[i] = s.channel();
      kinds[i] = s.kind();
      reasons[i] = s.reason();
      notifications[i] = s.notificationId();
      payloads[i] = s.payload();
      dueIn[i] = s.dueInMs();
    }
    return client.preparedQuery(SCHEDULE).execute(Tuple.tuple().addArrayOfUUID(consultants)
            .addArrayOfUUID(customers).addArrayOfUUID(conversations).addArrayOfString(channels)
            .addArrayOfString(kinds).addArrayOfString(reasons).addArrayOfUUID(notifications)
            .addArrayOfJsonObject(payloads).addArrayOfLong(dueIn))
        .map(rows -> {
          List<UUID> due = new ArrayList<>();
          for (Row r : rows) {
            if ("pending".equals(r.getString("status")) && r.getBoolean("due")) {
              due.add(r.getUUID("id"));
            }
          }
          return due;
        });
  }

  /** Up to {@code limit} due rows (only {@code ids} when given), leased to {@code instance}. */
  public Future<List<Due>> lease(int limit, int leaseSeconds, int instance, List<UUID> ids) {
    return pool.preparedQuery(LEASE).execute(Tuple.of(limit, (double) leaseSeconds, instance,
        ids == null ? null : ids.toArray(UUID[]::new))).map(rows -> {
          List<Due> out = new ArrayList<>(rows.size());
          for (Row r : rows) {
            Object payload = r.getValue("payload");
            out.add(new Due(r.getUUID("id"), r.getUUID("consultant_id"), r.getUUID("customer_id"),
                r.getUUID("conversation_id"), r.getString("channel"), r.getString("kind"), r.getString("reason"),
                r.getUUID("notification_id"), payload instanceof JsonObject o ? o : new JsonObject(),
                r.getOffsetDateTime("due_at").toInstant(), r.getInteger("attempts"), r.getString("settled")));
          }
          return out;
        });
  }

  /** The provider took it (its message id, if it gave one). */
  public Future<Void> sent(UUID id, String providerId) {
    return finish(id, "sent", clip(providerId, 2048), null);
  }

  /** It will not go out: failed for good, or settled (acknowledged, claimed, offer ended). */
  public Future<Void> failed(UUID id, String error) {
    return finish(id, "failed", null, clip(error, 500));
  }

  public Future<Void> skipped(UUID id, String reason) {
    return finish(id, "skipped", null, clip(reason, 500));
  }

  /** It may go out later: due again in {@code delaySeconds}, from the row (any node). */
  public Future<Void> retry(UUID id, String error, double delaySeconds) {
    return pool.preparedQuery(RETRY).execute(Tuple.of(id, clip(error, 500), delaySeconds)).mapEmpty();
  }

  private Future<Void> finish(UUID id, String status, String providerId, String error) {
    return pool.preparedQuery(FINISH).execute(Tuple.of(id, status, providerId, error)).mapEmpty();
  }

  private static String clip(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }
}
