package com.anmeismart.server.settings;

import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Set;

/** The settings documents this version knows (any other key is refused, never stored). */
public final class Documents {

  /** The registration automation ({@code /admin/registration-automation/settings}). */
  public static final SettingsDocument<AutomationSettings> AUTOMATION = new SettingsDocument<>() {
    @Override
    public String key() {
      return SettingsStore.AUTOMATION_KEY;
    }

    @Override
    public String label() {
      return "自动化设置";
    }

    @Override
    public AutomationSettings defaults() {
      return AutomationSettings.DEFAULTS;
    }

    @Override
    public JsonObject toJson(AutomationSettings settings) {
      return settings.toJson();
    }

    @Override
    public AutomationSettings fromJson(JsonObject valid) {
      return AutomationSettings.fromJson(valid);
    }

    @Override
    public JsonObject check(JsonObject document) {
      return AutomationSettings.check(document);
    }

    @Override
    public Set<String> fields() {
      return AutomationSettings.FIELDS;
    }

    @Override
    public Read<AutomationSettings> parse(Object stored, AutomationSettings fallback) {
      AutomationSettings.Parsed p = AutomationSettings.parse(stored, fallback);
      return new Read<>(p.settings(), p.problems());
    }
  };

  /** Assignment rules and the alert ladder ({@code /admin/notification-settings}). */
  public static final SettingsDocument<NotificationSettings> NOTIFICATIONS = NotificationSettings.DOCUMENT;

  /** Every document, in the order they are listed and exported. */
  public static final List<SettingsDocument<?>> ALL = List.of(AUTOMATION, NOTIFICATIONS);

  private Documents() {
  }

  /** The document with this key, or null. */
  public static SettingsDocument<?> byKey(String key) {
    for (SettingsDocument<?> d : ALL) {
      if (d.key().equals(key)) {
        return d;
      }
    }
    return null;
  }
}
