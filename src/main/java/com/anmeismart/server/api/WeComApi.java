package com.anmeismart.server.api;

import com.anmeismart.server.accounts.UserStore;
import com.anmeismart.server.audit.Actor;
import com.anmeismart.server.audit.AuditStore;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.WeComTest;
import com.anmeismart.server.bus.WeComTestResult;
import com.anmeismart.server.notify.wecom.WeComStore;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;

/**
 * The console's WeCom panel: {@code GET /admin/wecom/status} (the channel's state as the notifier sees it, and the
 * staff whose WeCom user id WeCom refused) and {@code POST /admin/wecom/test} ("send a test message to me": a card
 * to the asking admin's own WeCom user id, audited as {@code wecom.test_message} with WeCom's answer, never a
 * token or the secret).
 */
final class WeComApi {

  /** Above the WeCom client's own timeout (a token fetch and a send, each within PUSH_TIMEOUT_MS). */
  private static final long BUS_TIMEOUT_MS = 30_000;

  private final Pool pool;
  private final UserStore users;
  private final WeComStore store;
  private final EventBus bus;

  WeComApi(Pool pool, UserStore users, WeComStore store, EventBus bus) {
    this.pool = pool;
    this.users = users;
    this.store = store;
    this.bus = bus;
  }

  void status(RoutingContext ctx) {
    Future<JsonObject> state = bus.<JsonObject>request(Addresses.WECOM_STATUS, null,
            new DeliveryOptions().setSendTimeout(BUS_TIMEOUT_MS)).map(m -> m.body())
        .recover(t -> Future.succeededFuture(new JsonObject().put("token", "unknown")
            .put("error", "the notifier did not answer")));
    Future.all(state, store.problems())
        .onSuccess(all -> Responses.json(ctx, 200, ((JsonObject) all.resultAt(0)).copy()
            .put("recipient_problems", all.resultAt(1))))
        .onFailure(ctx::fail);
  }

  void test(RoutingContext ctx) {
    Actor actor = Access.actor(ctx);
    users.findById(actor.id())
        .compose(found -> {
          JsonObject me = found.orElseThrow(() -> ApiException.notFound("user"));
          String wecomUserid = me.getString("wecom_userid");
          if (wecomUserid == null) {
            return Future.failedFuture(ApiException.conflict("wecom_no_userid",
                "Your account has no WeCom user id; set it under staff first", null));
          }
          String name = me.getString("display_name", me.getString("full_name", me.getString("username")));
          return bus.<WeComTestResult>request(Addresses.WECOM_TEST, new WeComTest(actor.id(), wecomUserid, name),
                  new DeliveryOptions().setSendTimeout(BUS_TIMEOUT_MS))
              .map(m -> m.body())
              .compose(r -> pool.withTransaction(tx -> AuditStore.record(tx, actor, "wecom.test_message", "user",
                      actor.id(), null, new JsonObject().put("wecom_userid", wecomUserid).put("sent", r.sent())
                          .put("msgid", r.msgid()).put("errcode", r.errcode()).put("error", r.error())))
                  .map(r));
        })
        .onSuccess(r -> {
          if (r.sent()) {
            Responses.json(ctx, 200, r.toJson());
          } else if (r.errcode() == -1 && r.error() != null && r.error().startsWith("WeCom is off")) {
            ctx.fail(ApiException.conflict("wecom_not_configured", r.error(), r.toJson()));
          } else {
            ctx.fail(new ApiException(502, "wecom_refused", "WeCom did not deliver the test message: " + r.error(),
                r.toJson()));
          }
        })
        .onFailure(ctx::fail);
  }
}
