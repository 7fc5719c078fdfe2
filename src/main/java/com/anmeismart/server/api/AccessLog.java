package com.anmeismart.server.api;

import com.anmeismart.server.ops.LogFields;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A request id for every request on the API port ({@code X-Request-Id}: the caller's when it sends a plausible one,
 * as a proxy does, else a new UUID; in the response and in {@code ctx.get("request_id")}), and, when
 * {@code ACCESS_LOG} is on, one log line per request when its response ends: method, path (never the query
 * string, which may carry a token), status, duration, bytes, with {@code request_id} and the caller's
 * {@code user_id} as log fields. Vert.x's LoggerHandler writes its own line format with no such fields.
 */
final class AccessLog implements Handler<RoutingContext> {

  static final String REQUEST_ID = "request_id";
  private static final String HEADER = "X-Request-Id";
  private static final Pattern INBOUND = Pattern.compile("[A-Za-z0-9._:-]{8,64}");
  private static final Logger LOG = LoggerFactory.getLogger("access");

  private final boolean enabled;

  AccessLog(boolean enabled) {
    this.enabled = enabled;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String inbound = ctx.request().getHeader(HEADER);
    String id = inbound != null && INBOUND.matcher(inbound).matches() ? inbound : UUID.randomUUID().toString();
    ctx.put(REQUEST_ID, id);
    ctx.response().putHeader(HEADER, id);
    if (enabled) {
      long t0 = System.nanoTime();
      ctx.addEndHandler(ar -> {
        Object user = ctx.user() == null ? null : ctx.user().get("sub");
        try (LogFields fields = LogFields.of(REQUEST_ID, id, "user_id", user)) {
          LOG.info("{} {} {} {} ms {} bytes", ctx.request().method(), ctx.request().path(),
              ctx.response().getStatusCode(), (System.nanoTime() - t0) / 1_000_000, ctx.response().bytesWritten());
        }
      });
    }
    ctx.next();
  }
}
