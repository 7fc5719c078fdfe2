package com.anmeismart.server.api;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.pgclient.PgException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * The one error mapper: every failure leaves as {@code {"error":{"code","message","details"}}} with its status.
 * Unexpected failures become a 500 with a reference id in the log, never a stack trace in the response.
 */
public final class ApiErrors {

  private static final Logger LOG = LoggerFactory.getLogger(ApiErrors.class);

  private static final Map<Integer, String> CODES = Map.ofEntries(
      Map.entry(400, "bad_request"), Map.entry(401, "unauthorized"), Map.entry(403, "forbidden"),
      Map.entry(404, "not_found"), Map.entry(405, "method_not_allowed"), Map.entry(406, "not_acceptable"),
      Map.entry(409, "conflict"), Map.entry(413, "payload_too_large"), Map.entry(415, "unsupported_media_type"),
      Map.entry(429, "rate_limited"), Map.entry(500, "internal_error"), Map.entry(503, "service_unavailable"));

  private static final Map<Integer, String> MESSAGES = Map.ofEntries(
      Map.entry(400, "Bad request"), Map.entry(401, "Authentication required or token invalid"),
      Map.entry(403, "Not allowed"), Map.entry(404, "No such resource"), Map.entry(405, "Method not allowed"),
      Map.entry(406, "Not acceptable"), Map.entry(409, "Conflict"),
      Map.entry(413, "Request body too large"), Map.entry(415, "Content-Type must be application/json"),
      Map.entry(429, "Too many requests"), Map.entry(500, "Internal error"),
      Map.entry(503, "Service unavailable"));

  private ApiErrors() {
  }

  /** Failure handler for every API route. */
  public static void handle(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiException e) {
      send(ctx, e.status(), e.code(), e.getMessage(), e.details());
    } else if (failure instanceof DecodeException) {
      send(ctx, 400, "invalid_json", "Body is not valid JSON", null);
    } else if (failure instanceof HttpException e) {
      send(ctx, e.getStatusCode(), CODES.getOrDefault(e.getStatusCode(), "error"),
          MESSAGES.getOrDefault(e.getStatusCode(), "Request failed"), null);
    } else if (failure == null) {
      int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
      send(ctx, status, CODES.getOrDefault(status, "error"), MESSAGES.getOrDefault(status, "Request failed"), null);
    } else if (failure instanceof PgException pg && "57014".equals(pg.getSqlState())) {
      send(ctx, 503, "service_unavailable", "The database is busy, try again", null);
    } else {
      String ref = Long.toHexString(System.nanoTime());
      LOG.error("unhandled failure on {} {} (ref {})", ctx.request().method(), ctx.request().path(), ref, failure);
      send(ctx, 500, "internal_error", "Internal error (ref " + ref + ")", null);
    }
  }

  /** Error handler for requests no route took (404, 405, 415 …). */
  public static void handleStatus(RoutingContext ctx) {
    int status = ctx.statusCode();
    send(ctx, status, CODES.getOrDefault(status, "error"), MESSAGES.getOrDefault(status, "Request failed"), null);
  }

  static void send(RoutingContext ctx, int status, String code, String message, JsonObject details) {
    HttpServerResponse res = ctx.response();
    if (res.ended() || res.closed()) {
      return;
    }
    JsonObject error = new JsonObject().put("code", code).put("message", message);
    error.put("details", details != null ? details : new JsonObject());
    if (status == 401 && !res.headers().contains("WWW-Authenticate")) {
      res.putHeader("WWW-Authenticate", "Bearer");
    }
    res.setStatusCode(status)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .end(new JsonObject().put("error", error).toBuffer());
  }
}
