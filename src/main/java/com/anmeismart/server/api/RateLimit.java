package com.anmeismart.server.api;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Per-IP token buckets (bucket4j) in front of the password-hashing routes: a client gets {@code perMinute}
 * requests a minute, refilled gradually, then 429 with {@code Retry-After}. Buckets are per process; in a
 * cluster each node limits on its own, which still bounds the hashing work any one node does.
 */
public final class RateLimit implements Handler<RoutingContext> {

  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final int perMinute;

  private RateLimit(int perMinute) {
    this.perMinute = perMinute;
  }

  /** A limiter whose idle, full buckets are dropped every minute, so the map holds only active clients. */
  public static RateLimit perMinute(Vertx vertx, int perMinute) {
    RateLimit limit = new RateLimit(perMinute);
    vertx.setPeriodic(60_000, id -> limit.buckets.values().removeIf(b -> b.getAvailableTokens() >= perMinute));
    return limit;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String ip = ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().hostAddress();
    ConsumptionProbe probe = buckets.computeIfAbsent(ip, k -> newBucket()).tryConsumeAndReturnRemaining(1);
    if (probe.isConsumed()) {
      ctx.next();
      return;
    }
    long seconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(probe.getNanosToWaitForRefill()) + 1);
    ctx.response().putHeader("Retry-After", Long.toString(seconds));
    ctx.fail(new ApiException(429, "rate_limited", "Too many attempts from this address; retry in " + seconds + " s")
        .withMessageZh("操作过于频繁，请 " + seconds + " 秒后再试"));
  }

  private Bucket newBucket() {
    return Bucket.builder()
        .addLimit(Bandwidth.builder().capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1)).build())
        .build();
  }
}
