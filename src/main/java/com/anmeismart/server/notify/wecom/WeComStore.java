package com.anmeismart.server.notify.wecom;

import com.anmeismart.server.audit.Actor;
import com.anmeismart.server.audit.AuditStore;
import com.anmeismart.server.security.SecretBox;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code wecom_secret} and {@code wecom_recipient_problems} (V16): the WeCom app secret saved in the console, sealed
 * with {@code SECRETS_KEY} ({@link SecretBox}, as the Dify app keys are), and the staff whose WeCom user id WeCom
 * refused. A secret change is audited as set/cleared, never with the value.
 */
public final class WeComStore {

  private static final String GET_SECRET = "SELECT sealed FROM wecom_secret WHERE id";
  private static final String PUT_SECRET = "INSERT INTO wecom_secret (id, sealed, updated_by) VALUES (true, $1, $2) "
      + "ON CONFLICT (id) DO UPDATE SET sealed = EXCLUDED.sealed, updated_by = EXCLUDED.updated_by, updated_at = now()";
  private static final String CLEAR_SECRET = "DELETE FROM wecom_secret WHERE id RETURNING 1";
  private static final String PROBLEM = "INSERT INTO wecom_recipient_problems (user_id, wecom_userid, errcode, error) "
      + "VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET wecom_userid = EXCLUDED.wecom_userid, "
      + "errcode = EXCLUDED.errcode, error = EXCLUDED.error, seen_at = now()";
  private static final String REACHED = "DELETE FROM wecom_recipient_problems WHERE user_id = $1";
  /** Refused ids are skipped while the account still has them (an admin who fixes the id makes it tried again). */
  private static final String REFUSED = "SELECT user_id, wecom_userid FROM wecom_recipient_problems";
  /** The staff whose current WeCom id was refused, by name, for the console. */
  private static final String PROBLEMS = "SELECT p.user_id, coalesce(u.display_name, u.full_name, u.username) AS name, "
      + "u.role, p.wecom_userid, p.errcode, p.error, p.seen_at FROM wecom_recipient_problems p "
      + "JOIN users u ON u.id = p.user_id WHERE lower(u.wecom_userid) = lower(p.wecom_userid) ORDER BY p.seen_at DESC";

  private final Pool pool;
  private final SecretBox box;

  public WeComStore(Pool pool, SecretBox box) {
    this.pool = pool;
    this.box = box;
  }

  /** The saved secret, unsealed; empty when none is saved (the env value applies). */
  public Future<Optional<String>> secret() {
    return pool.preparedQuery(GET_SECRET).execute().map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      try {
        return Optional.of(box.decrypt(rows.iterator().next().getString("sealed")));
      } catch (IllegalArgumentException e) {
        // sealed under another SECRETS_KEY: as if none were saved; the status says the token can't be had
        return Optional.empty();
      }
    });
  }

  /** Whether a secret is saved (without unsealing it). */
  public Future<Boolean> secretSaved() {
    return pool.preparedQuery(GET_SECRET).execute().map(rows -> rows.size() > 0);
  }

  /**
   * Saves ({@code secret} non-empty) or clears ({@code ""}) the secret on the caller's transaction, with an audit row
   * that says which, never the value.
   */
  public Future<Void> saveSecret(SqlClient tx, String secret, Actor actor) {
    Future<Boolean> written = secret.isEmpty()
        ? tx.preparedQuery(CLEAR_SECRET).execute().map(rows -> rows.size() > 0)
        : tx.preparedQuery(PUT_SECRET).execute(Tuple.of(box.encrypt(secret), actor.id())).map(true);
    return written.compose(changed -> !changed ? Future.<Void>succeededFuture()
        : AuditStore.record(tx, actor, secret.isEmpty() ? "settings.wecom_secret_cleared" : "settings.wecom_secret_set",
            "settings", "notification_settings", null, new JsonObject().put("wecom_secret_set", !secret.isEmpty())));
  }

  /** WeCom refused this staff member's id ({@code errcode} 81013, or listed in {@code invaliduser}). */
  public Future<Void> refused(UUID userId, String wecomUserid, Integer errcode, String error) {
    return pool.preparedQuery(PROBLEM).execute(Tuple.of(userId, wecomUserid, errcode,
        error.length() > 500 ? error.substring(0, 500) : error)).mapEmpty();
  }

  /** A message reached this staff member: any recorded problem is over. */
  public Future<Void> reached(UUID userId) {
    return pool.preparedQuery(REACHED).execute(Tuple.of(userId)).mapEmpty();
  }

  /** Every refused id: staff member → the WeCom user id WeCom refused for them. */
  public Future<Map<UUID, String>> refusedIds() {
    return pool.preparedQuery(REFUSED).execute().map(rows -> {
      Map<UUID, String> out = new HashMap<>();
      for (Row r : rows) {
        out.put(r.getUUID("user_id"), r.getString("wecom_userid"));
      }
      return out;
    });
  }

  /** {@code [{user_id, display_name, role, wecom_userid, errcode, error, seen_at}]} for the console. */
  public Future<JsonArray> problems() {
    return pool.preparedQuery(PROBLEMS).execute().map(rows -> {
      JsonArray out = new JsonArray();
      for (Row r : rows) {
        out.add(new JsonObject().put("user_id", r.getUUID("user_id").toString()).put("display_name",
                r.getString("name")).put("role", r.getString("role")).put("wecom_userid", r.getString("wecom_userid"))
            .put("errcode", r.getInteger("errcode")).put("error", r.getString("error"))
            .put("seen_at", r.getOffsetDateTime("seen_at").toInstant().toString()));
      }
      return out;
    });
  }
}
