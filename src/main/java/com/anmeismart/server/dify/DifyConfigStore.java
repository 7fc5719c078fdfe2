package com.anmeismart.server.dify;

import com.anmeismart.server.audit.Actor;
import com.anmeismart.server.audit.AuditStore;
import com.anmeismart.server.security.SecretBox;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * All SQL on Dify configs and users' A/B assignments. App keys are sealed with {@link SecretBox} at rest. Admin
 * changes are written with their audit row in one transaction (the key never in it: {@value AuditStore#MASK} when it
 * was set or changed).
 */
public final class DifyConfigStore {

  private static final String COLUMNS = "id, name, purpose, base_url, app_id, api_key_enc, mode, response_mode, "
      + "version, weight, enabled, timeout_ms, created_at, updated_at";
  private static final String LIST = "SELECT " + COLUMNS + " FROM dify_configs ORDER BY purpose, created_at, id";
  private static final String ENABLED = "SELECT " + COLUMNS + " FROM dify_configs WHERE enabled AND purpose = $1 "
      + "AND weight > 0 ORDER BY id";
  private static final String GET = "SELECT " + COLUMNS + " FROM dify_configs WHERE id = $1";
  private static final String LOCK = GET + " FOR UPDATE";
  private static final String EXPORT = "SELECT name, purpose, base_url, app_id, mode, response_mode, version, "
      + "weight, enabled, timeout_ms FROM dify_configs ORDER BY name";
  private static final String INSERT = "INSERT INTO dify_configs (name, purpose, base_url, app_id, api_key_enc, mode, "
      + "response_mode, version, weight, enabled, timeout_ms, created_by) "
      + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING " + COLUMNS;
  private static final String UPDATE = "UPDATE dify_configs SET name = $2, purpose = $3, base_url = $4, app_id = $5, "
      + "api_key_enc = $6, mode = $7, response_mode = $8, version = $9, weight = $10, enabled = $11, timeout_ms = $12, "
      + "updated_at = now() WHERE id = $1 RETURNING " + COLUMNS;
  private static final String DELETE = "DELETE FROM dify_configs WHERE id = $1";
  private static final String ASSIGNED = "SELECT config_id FROM dify_user_assignments WHERE user_id = $1 AND purpose = $2";
  private static final String ASSIGN = "INSERT INTO dify_user_assignments (user_id, purpose, config_id) VALUES ($1, $2, $3) "
      + "ON CONFLICT (user_id, purpose) DO UPDATE SET config_id = EXCLUDED.config_id, assigned_at = now()";

  private final Pool pool;
  private final SecretBox box;

  public DifyConfigStore(Pool pool, SecretBox box) {
    this.pool = pool;
    this.box = box;
  }

  public Future<List<DifyConfig>> list() {
    return pool.query(LIST).execute().map(this::configs);
  }

  /** Enabled configs of a purpose with a weight above zero. */
  public Future<List<DifyConfig>> enabled(String purpose) {
    return pool.preparedQuery(ENABLED).execute(Tuple.of(purpose)).map(this::configs);
  }

  public Future<Optional<DifyConfig>> get(UUID id) {
    return pool.preparedQuery(GET).execute(Tuple.of(id)).map(rows -> configs(rows).stream().findFirst());
  }

  /** @throws DuplicateNameException (failed future) when the name is taken */
  public Future<DifyConfig> create(DifyConfig c, Actor actor) {
    return pool.withTransaction(tx -> tx.preparedQuery(INSERT).execute(Tuple.from(new Object[] {c.name(),
            c.purpose(), c.baseUrl(), c.appId(), box.encrypt(c.apiKey()), c.mode(), c.responseMode(), c.version(),
            c.weight(), c.enabled(), c.timeoutMs(), actor.id()}))
        .compose(rows -> {
          DifyConfig created = configs(rows).get(0);
          return AuditStore.record(tx, actor, "dify.config.create", "dify_config", created.id(), null,
              audited(created, true)).map(created);
        }))
        .recover(DifyConfigStore::duplicate);
  }

  /** The config with the changes applied; empty when it no longer exists. */
  public Future<Optional<DifyConfig>> update(DifyConfig c, Actor actor) {
    return pool.withTransaction(tx -> tx.preparedQuery(LOCK).execute(Tuple.of(c.id())).compose(found -> {
      if (found.size() == 0) {
        return Future.succeededFuture(Optional.<DifyConfig>empty());
      }
      DifyConfig before = configs(found).get(0);
      return tx.preparedQuery(UPDATE).execute(Tuple.from(new Object[] {c.id(), c.name(), c.purpose(), c.baseUrl(),
              c.appId(), box.encrypt(c.apiKey()), c.mode(), c.responseMode(), c.version(), c.weight(), c.enabled(),
              c.timeoutMs()}))
          .compose(rows -> {
            DifyConfig after = configs(rows).get(0);
            boolean keyChanged = !before.apiKey().equals(after.apiKey());
            return AuditStore.record(tx, actor, "dify.config.update", "dify_config", c.id(), audited(before, false),
                audited(after, keyChanged)).map(Optional.of(after));
          });
    })).recover(DifyConfigStore::duplicate);
  }

  public Future<Boolean> delete(UUID id, Actor actor) {
    return pool.withTransaction(tx -> tx.preparedQuery(LOCK).execute(Tuple.of(id)).compose(found -> {
      if (found.size() == 0) {
        return Future.succeededFuture(false);
      }
      DifyConfig before = configs(found).get(0);
      return tx.preparedQuery(DELETE).execute(Tuple.of(id))
          .compose(rows -> AuditStore.record(tx, actor, "dify.config.delete", "dify_config", id,
              audited(before, false), null))
          .map(true);
    }));
  }

  /** Every config without its key, for an export of the configuration. */
  public Future<JsonArray> export() {
    return pool.query(EXPORT).execute().map(rows -> {
      JsonArray out = new JsonArray();
      rows.forEach(r -> out.add(r.toJson()));
      return out;
    });
  }

  /** A config as the audit log keeps it: no key, not even its last characters; {@code api_key} marks a new key. */
  private static JsonObject audited(DifyConfig c, boolean keySet) {
    JsonObject j = c.toJson();
    j.remove("api_key_hint");
    if (keySet) {
      j.put("api_key", AuditStore.MASK);
    }
    return j;
  }

  public Future<Optional<UUID>> assignment(UUID userId, String purpose) {
    return pool.preparedQuery(ASSIGNED).execute(Tuple.of(userId, purpose))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getUUID("config_id")));
  }

  public Future<Void> assign(UUID userId, String purpose, UUID configId) {
    return pool.preparedQuery(ASSIGN).execute(Tuple.of(userId, purpose, configId)).mapEmpty();
  }

  private List<DifyConfig> configs(RowSet<Row> rows) {
    List<DifyConfig> out = new ArrayList<>(rows.size());
    for (Row r : rows) {
      out.add(new DifyConfig(r.getUUID("id"), r.getString("name"), r.getString("purpose"), r.getString("base_url"),
          r.getString("app_id"), box.decrypt(r.getString("api_key_enc")), r.getString("mode"),
          r.getString("response_mode"), r.getString("version"), r.getInteger("weight"), r.getBoolean("enabled"),
          r.getInteger("timeout_ms"), r.getOffsetDateTime("created_at").toInstant(),
          r.getOffsetDateTime("updated_at").toInstant()));
    }
    return out;
  }

  private static <T> Future<T> duplicate(Throwable t) {
    if (t instanceof PgException pg && "23505".equals(pg.getSqlState())) {
      return Future.failedFuture(new DuplicateNameException());
    }
    return Future.failedFuture(t);
  }

  /** Another config already has this name (names are unique regardless of case). */
  public static final class DuplicateNameException extends RuntimeException {
    DuplicateNameException() {
      super("name taken", null, false, false);
    }
  }
}
