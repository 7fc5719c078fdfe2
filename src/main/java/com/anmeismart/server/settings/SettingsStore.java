package com.anmeismart.server.settings;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

import java.util.UUID;

/** {@code system_settings}: all SQL on it. One row per settings document, a JSON value. */
public final class SettingsStore {

  public static final String AUTOMATION_KEY = "registration_automation";

  private static final String GET = "SELECT value FROM system_settings WHERE key = $1";
  private static final String PUT = "INSERT INTO system_settings (key, value, updated_by, updated_at) "
      + "VALUES ($1, $2, $3, now()) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, "
      + "updated_by = EXCLUDED.updated_by, updated_at = now()";

  private final Pool pool;

  public SettingsStore(Pool pool) {
    this.pool = pool;
  }

  /** The stored settings merged over the defaults (all defaults when nothing is stored). */
  public Future<AutomationSettings> automation() {
    return pool.preparedQuery(GET).execute(Tuple.of(AUTOMATION_KEY)).map(rows -> rows.size() == 0
        ? AutomationSettings.DEFAULTS
        : AutomationSettings.fromJson(rows.iterator().next().getJsonObject("value")));
  }

  public Future<AutomationSettings> saveAutomation(AutomationSettings settings, UUID by) {
    return pool.preparedQuery(PUT).execute(Tuple.of(AUTOMATION_KEY, settings.toJson(), by)).map(settings);
  }
}
