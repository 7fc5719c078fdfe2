package com.anmeismart.server.notify;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code admin_alert_outbox}: admin alerts that must survive a crash. The statement that raises one (a job marked
 * dead) inserts it with {@link #insertFrom}, this class's fragment; the NotificationVerticle then leases pending
 * alerts ({@link #lease}), writes them to the admins' inboxes (idempotent by dedupe key) and only then marks them
 * {@link #delivered}. A pass that dies in between leaves its lease to run out, and a later pass (any node) delivers.
 */
public final class AlertOutbox {

  private static final String LEASE = "UPDATE admin_alert_outbox o SET leased_until = now() + make_interval(secs => $2) "
      + "FROM (SELECT id FROM admin_alert_outbox WHERE delivered_at IS NULL "
      + "  AND (leased_until IS NULL OR leased_until < now()) ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) due "
      + "WHERE o.id = due.id RETURNING o.id, o.kind, o.message, o.details, o.created_at";
  private static final String DELIVERED = "UPDATE admin_alert_outbox SET delivered_at = now(), leased_until = NULL "
      + "WHERE id = $1";

  /** A pending alert. */
  public record Pending(long id, String kind, String message, JsonObject details, Instant createdAt) {
  }

  /**
   * The insert of one alert per row of CTE {@code source} when {@code condition} holds, for another store's
   * statement (the automation's dead mark): the alert commits with what raised it.
   *
   * @param kind    SQL expression of the alert kind
   * @param message SQL expression of the admins' message
   * @param details SQL expression of the details (jsonb)
   */
  public static String insertFrom(String source, String condition, String kind, String message, String details) {
    return "INSERT INTO admin_alert_outbox (kind, message, details) SELECT " + kind + ", " + message + ", " + details
        + " FROM " + source + " WHERE " + condition;
  }

  private final Pool pool;

  public AlertOutbox(Pool pool) {
    this.pool = pool;
  }

  /** Up to {@code limit} pending alerts, each leased to the caller for {@code leaseSeconds}. */
  public Future<List<Pending>> lease(int limit, int leaseSeconds) {
    return pool.preparedQuery(LEASE).execute(Tuple.of(limit, (double) leaseSeconds)).map(rows -> {
      List<Pending> out = new ArrayList<>(rows.size());
      for (Row r : rows) {
        Object details = r.getValue("details");
        out.add(new Pending(r.getLong("id"), r.getString("kind"), r.getString("message"),
            details instanceof JsonObject o ? o : new JsonObject(), r.getOffsetDateTime("created_at").toInstant()));
      }
      return out;
    });
  }

  public Future<Void> delivered(long id) {
    return pool.preparedQuery(DELIVERED).execute(Tuple.of(id)).mapEmpty();
  }
}
