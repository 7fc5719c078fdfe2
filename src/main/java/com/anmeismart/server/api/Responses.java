package com.anmeismart.server.api;

import com.anmeismart.server.accounts.UserStore;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Writing successful JSON responses, and the few failure translations shared by handlers. */
final class Responses {

  private Responses() {
  }

  static void json(RoutingContext ctx, int status, Object body) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json; charset=utf-8")
        .end(body instanceof JsonObject o ? o.toBuffer() : io.vertx.core.json.Json.encodeToBuffer(body));
  }

  /** A duplicate username or email → 409 naming the field; anything else passes through. */
  static Throwable duplicateToConflict(Throwable t) {
    if (t instanceof UserStore.DuplicateException d) {
      String code = d.field() + "_taken"; // username_taken, email_taken (ErrorCatalogue has both)
      return ApiException.conflictOn(code, "This " + d.field() + " is already registered",
          FieldErrors.of(d.field(), "is already registered", ErrorCatalogue.zh(code, 409)));
    }
    return t;
  }
}
