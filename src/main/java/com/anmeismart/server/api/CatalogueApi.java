package com.anmeismart.server.api;

import com.anmeismart.server.mcp.tools.ClinicStore;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /catalogue/services} (public): the active services' names, for the registration form's interest chips.
 * Names and categories only: prices and the rest are for the tools and the consultants.
 */
final class CatalogueApi {

  private final ClinicStore clinic;

  CatalogueApi(ClinicStore clinic) {
    this.clinic = clinic;
  }

  void services(RoutingContext ctx) {
    clinic.serviceNames().onSuccess(items -> Responses.json(ctx, 200, new JsonObject().put("items", items)))
        .onFailure(ctx::fail);
  }
}
