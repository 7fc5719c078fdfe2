package com.anmeismart.server.audit;

import com.anmeismart.server.accounts.UserStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.Set;
import java.util.UUID;

/**
 * {@code audit_log}: all SQL on it. The owner of each changed table records its change here, on the transaction of
 * the change ({@link #record}), so a change and its audit row commit together or not at all. Secrets never get in:
 * the owners leave them out, and {@link #record} masks any field with a secret's name as a second line of defence.
 */
public final class AuditStore {

  /** What stands for a secret that was set or changed. */
  public static final String MASK = "******";

  /** Field names that hold secrets, wherever they appear in a before/after document. */
  private static final Set<String> SECRET_FIELDS = Set.of("api_key", "api_key_enc", "api_key_hash", "password",
      "password_hash", "secret", "wecom_secret", "access_token", "context_token", "private_key");

  /** A user's name is taken from the account (UserStore's fragment) at the time of the change; else $2. */
  private static final String INSERT = "INSERT INTO audit_log (actor_id, actor_name, actor_kind, action, target_type, "
      + "target_id, before, after) VALUES ($1, left(coalesce(" + UserStore.displayNameOf("$1") + ", $2), 200), $3, $4, "
      + "$5, $6, $7, $8)";
  private static final String LIST = "SELECT id, at, actor_id, actor_name, actor_kind, action, target_type, target_id, "
      + "before, after FROM audit_log WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2";

  private final Pool pool;

  public AuditStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * Records a change on {@code tx}, the transaction that makes it.
   *
   * @param targetId the changed thing's id (a UUID, a settings key…), or null
   * @param before   the state before (null for a creation or a view), without secrets
   * @param after    the state after (null for a deletion or a view), without secrets
   */
  public static Future<Void> record(SqlClient tx, Actor actor, String action, String targetType, Object targetId,
                                    JsonObject before, JsonObject after) {
    return tx.preparedQuery(INSERT).execute(Tuple.tuple().addUUID(actor.id()).addString(actor.name())
            .addString(actor.kind()).addString(action).addString(targetType)
            .addString(targetId == null ? null : targetId.toString())
            .addValue(before == null ? null : redact(before)).addValue(after == null ? null : redact(after)))
        .mapEmpty();
  }

  /**
   * A page of the log, newest first: rows with an id below {@code before} (null: from the newest), at most
   * {@code limit}; {@code next_before} is the cursor of the next page, null on the last.
   */
  public Future<JsonObject> list(int limit, Long before) {
    return pool.preparedQuery(LIST).execute(Tuple.of(before, limit + 1)).map(rows -> {
      JsonArray items = new JsonArray();
      Long next = null;
      for (Row r : rows) {
        if (items.size() == limit) {
          next = items.getJsonObject(limit - 1).getLong("id");
          break;
        }
        items.add(toJson(r));
      }
      return new JsonObject().put("items", items).put("next_before", next);
    });
  }

  private static JsonObject toJson(Row r) {
    UUID actor = r.getUUID("actor_id");
    return new JsonObject()
        .put("id", r.getLong("id"))
        .put("at", r.getOffsetDateTime("at").toInstant().toString())
        .put("actor", new JsonObject().put("id", actor == null ? null : actor.toString())
            .put("display_name", r.getString("actor_name")).put("kind", r.getString("actor_kind")))
        .put("action", r.getString("action"))
        .put("target_type", r.getString("target_type"))
        .put("target_id", r.getString("target_id"))
        .put("before", r.getJsonObject("before"))
        .put("after", r.getJsonObject("after"));
  }

  /** A copy with every secret-named field that holds a value replaced by {@link #MASK}, at any depth. */
  static JsonObject redact(JsonObject doc) {
    JsonObject out = new JsonObject();
    for (String name : doc.fieldNames()) {
      Object v = doc.getValue(name);
      if (SECRET_FIELDS.contains(name) && v != null) {
        out.put(name, MASK);
      } else {
        out.put(name, redactValue(v));
      }
    }
    return out;
  }

  private static Object redactValue(Object v) {
    if (v instanceof JsonObject o) {
      return redact(o);
    }
    if (v instanceof JsonArray a) {
      JsonArray out = new JsonArray();
      a.forEach(x -> out.add(redactValue(x)));
      return out;
    }
    return v;
  }
}
