package com.anmeismart.server.settings;

import com.anmeismart.server.audit.Actor;
import com.anmeismart.server.audit.AuditStore;
import com.anmeismart.server.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * {@code system_settings}: all SQL on it, and the one way to change a settings document. A change is checked
 * against the document's rules (the JSON Schema the admin API publishes), written with its audit row in one
 * transaction, and announced on {@link Addresses#SETTINGS_CHANGED} once committed, whoever makes it (the admin
 * API, an MCP admin tool, an import). Only documented documents exist ({@link Documents#ALL}): today
 * {@value #AUTOMATION_KEY} and {@value #NOTIFICATION_KEY}.
 */
public final class SettingsStore {

  public static final String AUTOMATION_KEY = "registration_automation";
  public static final String NOTIFICATION_KEY = "notification_settings";
  /** The settings documents this version knows; any other key is refused, never stored. */
  public static final List<String> DOCUMENTS = List.of(AUTOMATION_KEY, NOTIFICATION_KEY);

  private static final String GET = "SELECT value, updated_at FROM system_settings WHERE key = $1";
  private static final String LOCK = "SELECT value, updated_at FROM system_settings WHERE key = $1 FOR UPDATE";
  private static final String PUT = "INSERT INTO system_settings (key, value, updated_by, updated_at) "
      + "VALUES ($1, $2, $3, now()) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, "
      + "updated_by = EXCLUDED.updated_by, updated_at = now() RETURNING updated_at";
  /** Documented documents only: rows under other keys (written by an older version) are nothing anyone reads. */
  private static final String ALL = "SELECT key, value, updated_at FROM system_settings WHERE key = ANY($1) "
      + "ORDER BY key";

  /**
   * A settings document as stored and as in force.
   *
   * @param settings  what runs: the stored values, with each invalid one replaced by the fallback's
   * @param json      {@code settings} as JSON (the API's view)
   * @param stored    the stored document as it is, or null when none is stored (the defaults apply)
   * @param problems  field → message for what is wrong with the stored document; empty when it is valid
   * @param updatedAt when it was last written, or null
   */
  public record Document<T>(T settings, JsonObject json, Object stored, JsonObject problems, Instant updatedAt) {
    public boolean valid() {
      return problems.isEmpty();
    }

    /** The admin API's view of the stored document: {@code {valid, errors, value?}} (the value only when invalid). */
    public JsonObject storedJson() {
      JsonObject j = new JsonObject().put("valid", valid()).put("errors", problems.copy())
          .put("updated_at", updatedAt == null ? null : updatedAt.toString());
      if (!valid()) {
        boolean json = stored instanceof JsonObject || stored instanceof JsonArray || stored instanceof String
            || stored instanceof Number || stored instanceof Boolean;
        j.put("value", json ? stored : null);
      }
      return j;
    }
  }

  /** A change was refused: field → message, nothing was written. */
  public static final class InvalidSettingsException extends RuntimeException {
    private final JsonObject fields;

    public InvalidSettingsException(JsonObject fields) {
      super("invalid settings: " + fields.fieldNames(), null, false, false);
      this.fields = fields;
    }

    public JsonObject fields() {
      return fields;
    }
  }

  /** The key names no settings document of this version. */
  public static final class UnknownDocumentException extends RuntimeException {
    public UnknownDocumentException(String key) {
      super("unknown settings document " + key + "; the documents are " + DOCUMENTS, null, false, false);
    }
  }

  /**
   * A saved change.
   *
   * @param json      {@code settings} as JSON
   * @param changed   false when the values were already in force and the stored document valid: nothing was written
   * @param ignored   fields of the change that no setting has (ignored, as the admin API ignores unknown fields)
   * @param updatedAt when the document was written (or last written, when nothing changed)
   */
  public record Saved<T>(T settings, JsonObject json, boolean changed, List<String> ignored, Instant updatedAt) {
  }

  private final Pool pool;
  private final EventBus bus;

  /** @param bus where changes are announced; null for a reader (an engine's cache) that never writes */
  public SettingsStore(Pool pool, EventBus bus) {
    this.pool = pool;
    this.bus = bus;
  }

  /** The stored document, read safely: an invalid one yields {@code fallback}'s values for its invalid fields. */
  public <T> Future<Document<T>> document(SettingsDocument<T> doc, T fallback) {
    return pool.preparedQuery(GET).execute(Tuple.of(doc.key())).map(rows -> read(doc, rows.size() == 0 ? null
        : rows.iterator().next(), fallback));
  }

  /** The automation document, read safely (see {@link #document}). */
  public Future<Document<AutomationSettings>> automationDocument(AutomationSettings fallback) {
    return document(Documents.AUTOMATION, fallback);
  }

  /** The automation settings in force (the defaults for what is missing or invalid). */
  public Future<AutomationSettings> automation() {
    return automationDocument(AutomationSettings.DEFAULTS).map(Document::settings);
  }

  /** Changes the automation settings; see {@link #update(SettingsDocument, JsonObject, Actor)}. */
  public Future<Saved<AutomationSettings>> updateAutomation(JsonObject changes, Actor actor) {
    return update(Documents.AUTOMATION, changes, actor);
  }

  /** The same on the caller's transaction; see {@link #update(SqlClient, SettingsDocument, JsonObject, Actor)}. */
  public Future<Saved<AutomationSettings>> updateAutomation(SqlClient tx, JsonObject changes, Actor actor) {
    return update(tx, Documents.AUTOMATION, changes, actor);
  }

  /**
   * Changes a document: the fields {@code changes} names replace the values in force (the automation's
   * {@code notifications} switch by switch), the result must meet the rules as a whole, and it is stored with its
   * audit row, then announced. A stored document that no longer validates can always be overwritten this way: the
   * change applies over the values in force, not over the broken ones.
   *
   * @throws InvalidSettingsException (failed future) naming every wrong field; nothing is written
   */
  public <T> Future<Saved<T>> update(SettingsDocument<T> doc, JsonObject changes, Actor actor) {
    return pool.withTransaction(tx -> update(tx, doc, changes, actor))
        .onSuccess(saved -> {
          if (saved.changed()) {
            announce(doc.key());
          }
        });
  }

  /**
   * The same on the caller's transaction (an import that changes several owners' rows at once); the caller calls
   * {@link #announce} after the commit.
   */
  public <T> Future<Saved<T>> update(SqlClient tx, SettingsDocument<T> doc, JsonObject changes, Actor actor) {
    JsonObject given = withoutNulls(changes);
    JsonObject problems = doc.check(given);
    if (!problems.isEmpty()) {
      return Future.failedFuture(new InvalidSettingsException(problems));
    }
    List<String> ignored = given.fieldNames().stream().filter(f -> !doc.fields().contains(f)).sorted().toList();
    return tx.preparedQuery(LOCK).execute(Tuple.of(doc.key())).compose(rows -> {
      Document<T> current = read(doc, rows.size() == 0 ? null : rows.iterator().next(), doc.defaults());
      JsonObject merged = current.json().copy().mergeIn(given, true);
      JsonObject wrong = doc.check(merged);
      if (!wrong.isEmpty()) {
        return Future.failedFuture(new InvalidSettingsException(wrong));
      }
      T next = doc.fromJson(merged);
      JsonObject nextJson = doc.toJson(next);
      if (current.stored() != null && current.valid() && next.equals(current.settings())) {
        return Future.succeededFuture(new Saved<>(next, nextJson, false, ignored, current.updatedAt()));
      }
      JsonObject before = current.stored() instanceof JsonObject o ? o : null;
      return tx.preparedQuery(PUT).execute(Tuple.tuple().addString(doc.key()).addValue(nextJson)
              .addUUID(actor.id()))
          .compose(put -> AuditStore.record(tx, actor, "settings.update", "settings", doc.key(), before, nextJson)
              .map(v -> new Saved<>(next, nextJson, true, ignored,
                  put.iterator().next().getOffsetDateTime("updated_at").toInstant())));
    });
  }

  /** Tells every engine and cache (in every process) that a document changed. */
  public void announce(String key) {
    if (bus != null) {
      bus.publish(Addresses.SETTINGS_CHANGED, key);
    }
  }

  /** Every stored settings document as {@code {key, value, updated_at}}, for an export of the configuration. */
  public Future<JsonArray> export() {
    return pool.preparedQuery(ALL).execute(Tuple.of(DOCUMENTS.toArray(String[]::new))).map(rows -> {
      JsonArray out = new JsonArray();
      for (Row r : rows) {
        out.add(new JsonObject().put("key", r.getString("key")).put("value", r.getValue("value"))
            .put("updated_at", r.getOffsetDateTime("updated_at").toInstant().toString()));
      }
      return out;
    });
  }

  private static <T> Document<T> read(SettingsDocument<T> doc, Row row, T fallback) {
    if (row == null) {
      return new Document<>(doc.defaults(), doc.toJson(doc.defaults()), null, new JsonObject(), null);
    }
    Object stored = row.getValue("value");
    OffsetDateTime at = row.getOffsetDateTime("updated_at");
    SettingsDocument.Read<T> parsed = doc.parse(stored, fallback);
    return new Document<>(parsed.settings(), doc.toJson(parsed.settings()), stored, parsed.problems(),
        at == null ? null : at.toInstant());
  }

  /** As the admin API reads a body: a field given as null counts as not given. */
  private static JsonObject withoutNulls(JsonObject changes) {
    JsonObject out = new JsonObject();
    changes.forEach(e -> {
      if (e.getValue() != null) {
        out.put(e.getKey(), e.getValue());
      }
    });
    return out;
  }
}
