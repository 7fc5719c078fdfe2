package com.anmeismart.server.api;

import com.anmeismart.server.audit.AuditStore;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /admin/audit?limit=&before=} (admins only, never operators): every admin change, newest first, as
 * {@code {items:[{id, at, actor:{id, display_name, kind}, action, target_type, target_id, before, after}],
 * next_before}}; {@code before} is the id cursor ({@code next_before} of the previous page, null on the last).
 */
final class AuditApi {

  private final AuditStore store;

  AuditApi(AuditStore store) {
    this.store = store;
  }

  void list(RoutingContext ctx) {
    int limit = Params.integer(ctx, "limit", 50, 1, 200);
    Long before = Params.positiveLong(ctx, "before");
    store.list(limit, before).onSuccess(page -> Responses.json(ctx, 200, page)).onFailure(ctx::fail);
  }
}
