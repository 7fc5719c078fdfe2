package com.anmeismart.server.api;

import com.anmeismart.server.dify.WelcomeGuard;
import com.anmeismart.server.mcp.tools.ClinicStore;
import com.anmeismart.server.settings.SettingsStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.List;

/**
 * {@code POST /admin/registration-automation/welcome-guard/preview} (admins and operators; it changes nothing): what
 * the welcome guard would do with a sample welcome — each sentence, whether the customer would see it, the rules that
 * fired — against the catalogue now and the phrase list in force (or the one being edited, {@code phrases}), for a
 * customer named {@code customer_name} (default 王小美). The settings panel's preview.
 */
final class GuardPreviewApi {

  private static final JsonBodies BODY = JsonBodies.schema("welcome-guard-preview");

  private final SettingsStore settings;
  private final ClinicStore clinic;

  GuardPreviewApi(SettingsStore settings, ClinicStore clinic) {
    this.settings = settings;
    this.clinic = clinic;
  }

  void preview(RoutingContext ctx) {
    JsonObject body = BODY.validBody(ctx);
    JsonArray given = body.getJsonArray("phrases");
    Future<List<String>> phrases = given != null ? Future.succeededFuture(given.stream().map(String::valueOf).toList())
        : settings.automation().map(s -> s.welcomeGuardPhrases());
    String name = body.getString("customer_name", "王小美");
    Future.all(phrases, clinic.allServices()).onSuccess(all -> {
      List<WelcomeGuard.Service> catalogue = ((JsonArray) all.resultAt(1)).stream()
          .map(o -> WelcomeGuard.Service.fromJson((JsonObject) o)).toList();
      WelcomeGuard guard = new WelcomeGuard(all.resultAt(0), catalogue);
      Responses.json(ctx, 200, guard.preview(body.getString("text"),
          new WelcomeGuard.Customer(name, name, List.of(), null, null)));
    }).onFailure(ctx::fail);
  }
}
