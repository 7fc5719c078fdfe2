package com.anmeismart.server.api;

import com.anmeismart.server.config.AppConfig;
import com.anmeismart.server.notify.wecom.WeComStore;
import com.anmeismart.server.settings.Documents;
import com.anmeismart.server.settings.NotificationSettings;
import com.anmeismart.server.settings.SettingsStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;

/**
 * {@code /admin/notification-settings} (SPEC §7): assignment mode, offer and acknowledgement times, the open
 * conversations a consultant may hold, and WeCom. Stored through {@link SettingsStore} like every settings document
 * (the MCP {@code system_config} tool and backup/restore apply the same rules), audited, announced; the notifier
 * applies a change to the next customer, offer and live copy. The WeCom secret is write-only: saved sealed by
 * {@link WeComStore} in the same transaction (omitted = unchanged, {@code ""} = the saved one removed, so
 * {@code WECOM_SECRET} applies again if set), shown only as {@code wecom_secret_set}. The {@code WECOM_*} env values
 * are the defaults of the WeCom fields; GET shows the values in force.
 */
final class NotificationSettingsApi {

  private static final JsonBodies BODY = JsonBodies.schema("notification-settings");

  private final Pool pool;
  private final SettingsStore settings;
  private final WeComStore wecom;
  private final AppConfig env;

  NotificationSettingsApi(Pool pool, SettingsStore settings, WeComStore wecom, AppConfig env) {
    this.pool = pool;
    this.settings = settings;
    this.wecom = wecom;
    this.env = env;
  }

  /** GET → the values in force and {@code stored_document} (whether the stored one is valid, its errors). */
  void get(RoutingContext ctx) {
    settings.document(Documents.NOTIFICATIONS, NotificationSettings.DEFAULTS)
        .compose(doc -> view(doc.settings(), doc.json()).map(j -> j.put("stored_document", doc.storedJson())))
        .onSuccess(j -> Responses.json(ctx, 200, j))
        .onFailure(ctx::fail);
  }

  /**
   * PUT → the new values. The body names the fields to change; omitted fields keep their values, unknown and
   * read-only ones ({@code wecom_secret_set}) are ignored; a bad value is a 400 naming the field and nothing changes.
   */
  void put(RoutingContext ctx) {
    JsonObject body = BODY.validBody(ctx).copy();
    Object secret = body.remove("wecom_secret");
    body.remove("wecom_secret_set");
    var actor = Access.actor(ctx);
    pool.withTransaction(tx -> settings.update(tx, Documents.NOTIFICATIONS, body, actor)
            .compose(saved -> secret instanceof String s ? wecom.saveSecret(tx, s, actor).map(saved)
                : Future.succeededFuture(saved)))
        .compose(saved -> {
          if (saved.changed() || secret != null) {
            settings.announce(SettingsStore.NOTIFICATION_KEY); // the notifier re-reads settings and secret
          }
          return view(saved.settings(), saved.json()).map(j -> j.put("stored_document", new JsonObject()
              .put("valid", true).put("errors", new JsonObject())
              .put("updated_at", saved.updatedAt() == null ? null : saved.updatedAt().toString())));
        })
        .onSuccess(j -> Responses.json(ctx, 200, j))
        .onFailure(t -> ctx.fail(t instanceof SettingsStore.InvalidSettingsException e
            ? ApiException.invalid(BODY.fieldErrors(e.fields())) : t));
  }

  /** The document as in force: the WeCom fields saved, else their env defaults; never the secret. */
  private Future<JsonObject> view(NotificationSettings s, JsonObject json) {
    return wecom.secretSaved().map(saved -> json.copy()
        .put("wecom_enabled", s.wecomEnabled() != null ? s.wecomEnabled()
            : env.wecomCorpId() != null && env.wecomAgentId() != null && env.wecomSecret() != null)
        .put("wecom_corp_id", s.wecomCorpId() != null ? s.wecomCorpId() : env.wecomCorpId())
        .put("wecom_agent_id", s.wecomAgentId() != null ? s.wecomAgentId() : env.wecomAgentId())
        .put("wecom_secret_set", saved || env.wecomSecret() != null));
  }
}
