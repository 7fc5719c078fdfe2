package com.anmeismart.server.api;

import com.anmeismart.server.notify.Inbox;
import com.anmeismart.server.notify.NotifyMetrics;
import com.anmeismart.server.notify.PushStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;

/**
 * {@code /notifications} (the inbox: list, read, delivery acknowledgement) and {@code /push} (the VAPID public key,
 * subscriptions). The delivery acknowledgement is how arrival is measured: a page that shows a notification posts
 * {@code /notifications/{id}/delivered}; {@code delivered_at} and the {@code notify_delivery} timer record it.
 */
final class NotificationsApi {

  private static final JsonBodies SUBSCRIPTION = JsonBodies.schema("push-subscription");

  private final Inbox inbox;
  private final PushStore push;
  private final Timer delivery;
  private Future<String> publicKey;

  NotificationsApi(Inbox inbox, PushStore push, MeterRegistry metrics) {
    this.inbox = inbox;
    this.push = push;
    this.delivery = NotifyMetrics.delivery(metrics);
  }

  /**
   * GET /notifications?unread=true&unclaimed=true&limit=&offset= → {items, total, unread}, newest first; each entry
   * with {@code claimed_by} once anyone claimed its customer. {@code unclaimed=true}: only customers still waiting
   * (what a page that reconnects shows).
   */
  void list(RoutingContext ctx) {
    boolean unread = Boolean.TRUE.equals(Params.bool(ctx, "unread"));
    boolean unclaimed = Boolean.TRUE.equals(Params.bool(ctx, "unclaimed"));
    int limit = Params.integer(ctx, "limit", 50, 1, 200);
    int offset = Params.integer(ctx, "offset", 0, 0, 1_000_000);
    inbox.list(Access.userId(ctx), unread, unclaimed, limit, offset)
        .onSuccess(page -> Responses.json(ctx, 200, page)).onFailure(ctx::fail);
  }

  /** POST /notifications/{id}/read → the notification, read (again: no change). */
  void read(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "id");
    inbox.markRead(id, Access.userId(ctx))
        .onSuccess(n -> n.ifPresentOrElse(json -> Responses.json(ctx, 200, json),
            () -> ctx.fail(ApiException.notFound("Notification"))))
        .onFailure(ctx::fail);
  }

  /** POST /notifications/{id}/delivered → the notification with {@code delivered_at} (the first ack counts). */
  void delivered(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "id");
    inbox.markDelivered(id, Access.userId(ctx))
        .onSuccess(n -> n.ifPresentOrElse(json -> {
          if (Boolean.TRUE.equals(json.remove("first"))) {
            delivery.record(Duration.between(Instant.parse(json.getString("created_at")),
                Instant.parse(json.getString("delivered_at"))));
          }
          Responses.json(ctx, 200, json);
        }, () -> ctx.fail(ApiException.notFound("Notification"))))
        .onFailure(ctx::fail);
  }

  /** GET /push/vapid-public-key → {public_key}: base64url, the page's {@code applicationServerKey}. */
  void vapidPublicKey(RoutingContext ctx) {
    if (publicKey == null || publicKey.failed()) {
      publicKey = push.keys().map(keys -> keys.orElseThrow(() -> new ApiException(503, "service_unavailable",
          "Web Push keys are not ready yet").withMessageZh("推送功能尚未就绪，请稍后再试")).publicKey());
    }
    publicKey.onSuccess(key -> Responses.json(ctx, 200, new JsonObject().put("public_key", key)))
        .onFailure(ctx::fail);
  }

  /** POST /push/subscriptions {endpoint, keys:{p256dh, auth}} → 201 (new) or 200 (known endpoint, now yours). */
  void subscribe(RoutingContext ctx) {
    JsonObject body = SUBSCRIPTION.validBody(ctx);
    JsonObject keys = body.getJsonObject("keys");
    String p256dh = keys.getString("p256dh");
    String auth = keys.getString("auth");
    if (decodedLength(p256dh, (byte) 4) != 65) {
      throw ApiException.invalid("keys", "p256dh must be an uncompressed P-256 point (65 bytes, base64url)",
          "p256dh 须为未压缩的 P-256 公钥（65 字节，base64url）");
    } else if (decodedLength(auth, null) != 16) {
      throw ApiException.invalid("keys", "auth must be 16 bytes, base64url", "auth 须为 16 字节（base64url）");
    }
    push.subscribe(Access.userId(ctx), body.getString("endpoint"), p256dh, auth)
        .onSuccess(sub -> Responses.json(ctx, Boolean.TRUE.equals(sub.remove("created")) ? 201 : 200, sub))
        .onFailure(ctx::fail);
  }

  /** DELETE /push/subscriptions?endpoint= → 204; the browser unsubscribed. */
  void unsubscribe(RoutingContext ctx) {
    String endpoint = ctx.queryParams().get("endpoint");
    if (endpoint == null || endpoint.isBlank()) {
      throw ApiException.badRequest("invalid_parameter", "endpoint is required",
          FieldErrors.of("endpoint", "is required", "必填"));
    }
    push.unsubscribe(Access.userId(ctx), endpoint)
        .onSuccess(found -> {
          if (found) {
            ctx.response().setStatusCode(204).end();
          } else {
            ctx.fail(ApiException.notFound("Subscription"));
          }
        })
        .onFailure(ctx::fail);
  }

  /** Length of base64url {@code s} decoded, or -1 when it isn't base64url or doesn't start with {@code first}. */
  private static int decodedLength(String s, Byte first) {
    try {
      byte[] b = Base64.getUrlDecoder().decode(s.replace("=", ""));
      return first != null && (b.length == 0 || b[0] != first) ? -1 : b.length;
    } catch (IllegalArgumentException e) {
      return -1;
    }
  }
}
