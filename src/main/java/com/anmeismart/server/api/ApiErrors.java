package com.anmeismart.server.api;

import com.anmeismart.server.accounts.PasswordHasher;
import com.anmeismart.server.db.Outage;
import com.anmeismart.server.ops.RateLimitedLog;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.pgclient.PgException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one error mapper: every failure leaves as {@code {"error":{"code","message","message_zh","details"}}} (plus
 * {@code details_zh} when the details name fields) with its status, whichever layer raised it: a handler, the
 * router (404, 405, a path it can't decode), the body handler (413, 417, a broken form body) or Netty's HTTP
 * decoder (400, 414, 431, see {@link #invalidRequest}). Unexpected failures become a 500 with a reference id in the
 * log, never a stack trace, a class name or an SQL state in the response; a database that is down or restarting
 * is a 503 with {@code Retry-After}.
 */
public final class ApiErrors {

  private static final Logger LOG = LoggerFactory.getLogger(ApiErrors.class);
  /** Seconds a client should wait after the database went away (a restart takes a few seconds). */
  static final int OUTAGE_RETRY_AFTER_SECONDS = 5;
  /** During an outage every request fails alike: one line every 10 s says so, with how many were left out. */
  private static final RateLimitedLog OUTAGES = new RateLimitedLog(LOG, 10_000);

  private ApiErrors() {
  }

  /** Failure handler for every API route. */
  public static void handle(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiException e) {
      send(ctx.response(), e.status(), e.code(), e.getMessage(), e.messageZh(), e.details(), e.detailsZh());
    } else if (failure instanceof DecodeException) {
      send(ctx.response(), 400, "invalid_json", "Body is not valid JSON", null, null, null);
    } else if (failure instanceof HttpException e) {
      status(ctx.response(), e.getStatusCode());
    } else if (failure == null) {
      status(ctx.response(), ctx.statusCode() >= 400 ? ctx.statusCode() : 500);
    } else if (failure instanceof DecoderException || (ctx.statusCode() >= 400 && ctx.statusCode() < 500)
        || !ctx.request().isEnded()) {
      // The body could not be received or decoded (a broken chunk, a form body with a bad %-escape, a reset
      // mid-upload: Netty reports the cause bare, e.g. a NumberFormatException), or a handler failed with a 4xx:
      // the client's doing, answered without the library's words and without a stack trace in the log. (Handlers
      // run only once the body handler has the whole body, so a failure before the end is never ours.)
      LOG.debug("{} {}: request refused while reading it: {}", ctx.request().method(), ctx.request().path(),
          Outage.describe(failure));
      status(ctx.response(), ctx.statusCode() >= 400 && ctx.statusCode() < 500 ? ctx.statusCode() : 400);
    } else if (failure instanceof PasswordHasher.Busy busy) {
      // more hashing queued than the wait bound: refused at once rather than queued without limit
      ctx.response().putHeader("Retry-After", Integer.toString(busy.retryAfterSeconds()));
      send(ctx.response(), 503, "server_busy", "Too many sign-ups and logins at once; retry in "
          + busy.retryAfterSeconds() + " s", "服务器繁忙，请 " + busy.retryAfterSeconds() + " 秒后再试", null, null);
    } else if (failure instanceof PgException pg && "57014".equals(pg.getSqlState())) {
      ctx.response().putHeader("Retry-After", "1");
      send(ctx.response(), 503, "service_unavailable", "The database is busy, try again", null, null, null);
    } else if (Outage.isDatabaseUnavailable(failure) || isBusUnavailable(failure)) {
      OUTAGES.warn("{} {} answered 503: {}", ctx.request().method(), ctx.request().path(), Outage.describe(failure));
      ctx.response().putHeader("Retry-After", Integer.toString(OUTAGE_RETRY_AFTER_SECONDS));
      send(ctx.response(), 503, "service_unavailable", "A service this request needs is unavailable, try again shortly",
          null, null, null);
    } else {
      String ref = Long.toHexString(System.nanoTime());
      LOG.error("unhandled failure on {} {} (ref {})", ctx.request().method(), ctx.request().path(), ref, failure);
      send(ctx.response(), 500, "internal_error", "Internal error (ref " + ref + ")", null, null, null);
    }
  }

  /**
   * The router's error handler for {@code status}: requests no route took (404, 405, 415), paths it could not
   * decode (400, where the routing context knows no status of its own), failures of the failure handler.
   */
  public static Handler<RoutingContext> forStatus(int status) {
    return ctx -> {
      if (ctx.failure() != null) {
        handle(ctx); // e.g. a static file handler's failure: mapped (and logged) like any handler's
      } else {
        status(ctx.response(), status);
      }
    };
  }

  /**
   * The HTTP server's handler for requests Netty could not decode (request line too long: 414, headers too large:
   * 431, anything else malformed: 400); the connection is closed after the answer, as Vert.x's default does.
   */
  public static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult() == null ? null : request.decoderResult().cause();
    int status = cause instanceof TooLongHttpLineException ? 414
        : cause instanceof TooLongHttpHeaderException ? 431
        : cause instanceof TooLongFrameException ? 431 : 400;
    HttpServerResponse res = request.response();
    res.putHeader("Connection", "close");
    status(res, status);
    request.connection().close();
  }

  /** An error that has only a status: its catalogue code and texts. */
  static void status(HttpServerResponse res, int status) {
    send(res, status, ErrorCatalogue.statusCode(status), ErrorCatalogue.statusMessage(status), null, null, null);
  }

  static void send(HttpServerResponse res, int status, String code, String message, String messageZh,
                   JsonObject details, JsonObject detailsZh) {
    if (res.ended() || res.closed()) {
      return;
    }
    JsonObject error = new JsonObject().put("code", code).put("message", message)
        .put("message_zh", messageZh != null ? messageZh : ErrorCatalogue.zh(code, status))
        .put("details", details != null ? details : new JsonObject());
    if (detailsZh != null) {
      error.put("details_zh", detailsZh);
    }
    if (status == 401 && !res.headers().contains("WWW-Authenticate")) {
      res.putHeader("WWW-Authenticate", "Bearer");
    }
    res.setStatusCode(status)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .end(new JsonObject().put("error", error).toBuffer());
  }

  /** No verticle answered in time, or none is deployed (yet): the part is unavailable, not broken by the client. */
  private static boolean isBusUnavailable(Throwable t) {
    return t instanceof ReplyException r && (r.failureType() == ReplyFailure.TIMEOUT
        || r.failureType() == ReplyFailure.NO_HANDLERS || r.failureCode() == 503);
  }
}
