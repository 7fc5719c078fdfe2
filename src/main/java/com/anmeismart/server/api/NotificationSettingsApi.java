package com.anmeismart.server.api;

import com.anmeismart.server.settings.Documents;
import com.anmeismart.server.settings.NotificationSettings;
import com.anmeismart.server.settings.SettingsStore;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code /admin/notification-settings} (SPEC §7): assignment mode, offer and acknowledgement times, the open
 * conversations a consultant may hold. Stored through {@link SettingsStore} like every settings document (the MCP
 * {@code system_config} tool and backup/restore apply the same rules), audited, announced; the notifier applies a
 * change to the next customer, offer and live copy.
 */
final class NotificationSettingsApi {

  private static final JsonBodies BODY = JsonBodies.schema("notification-settings");

  private final SettingsStore settings;

  NotificationSettingsApi(SettingsStore settings) {
    this.settings = settings;
  }

  /** GET → the values in force and {@code stored_document} (whether the stored one is valid, its errors). */
  void get(RoutingContext ctx) {
    settings.document(Documents.NOTIFICATIONS, NotificationSettings.DEFAULTS)
        .onSuccess(doc -> Responses.json(ctx, 200, doc.json().copy().put("stored_document", doc.storedJson())))
        .onFailure(ctx::fail);
  }

  /**
   * PUT → the new values. The body names the fields to change; omitted fields keep their values, unknown ones are
   * ignored; a bad value is a 400 naming the field and nothing changes.
   */
  void put(RoutingContext ctx) {
    JsonObject body = BODY.validBody(ctx);
    settings.update(Documents.NOTIFICATIONS, body, Access.actor(ctx))
        .onSuccess(saved -> Responses.json(ctx, 200, saved.json().copy().put("stored_document", new JsonObject()
            .put("valid", true).put("errors", new JsonObject())
            .put("updated_at", saved.updatedAt() == null ? null : saved.updatedAt().toString()))))
        .onFailure(t -> ctx.fail(t instanceof SettingsStore.InvalidSettingsException e
            ? ApiException.invalid(BODY.fieldErrors(e.fields())) : t));
  }
}
