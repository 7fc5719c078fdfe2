package com.anmeismart.server.dify;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * The Dify breaker against a stalled app (pings only, no text), at a given arrival rate: how many welcomes wait for
 * the first-text deadline before the breaker fails fast. The gateway runs alone ({@link GatewayAlone}) with the
 * product's breaker settings (env {@code DIFY_BREAKER_MAX_FAILURES}, {@code DIFY_BREAKER_RESET_MS} if set) and the
 * product's first-text deadline (3 s less the 150 ms delivery margin). Arrivals are open-loop: one every
 * {@code interval} ms whether or not earlier ones have answered, as registrations come.
 * {@code bench/run.sh com.anmeismart.server.dify.BreakerBench [interval ms (60000)] [registrations (8)]}
 */
public final class BreakerBench {

  private static final long FIRST_TEXT_MS = 2_850;

  public static void main(String[] args) throws Exception {
    long interval = args.length > 0 ? Long.parseLong(args[0]) : 60_000;
    int count = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    Vertx vertx = Vertx.vertx();
    try (GatewayAlone gateway = new GatewayAlone(vertx)) {
      JsonObject settings = new JsonObject();
      for (String key : List.of("DIFY_BREAKER_MAX_FAILURES", "DIFY_BREAKER_RESET_MS")) {
        if (System.getenv(key) != null) {
          settings.put(key, System.getenv(key));
        }
      }
      gateway.deploy(settings);
      gateway.welcomeConfig(DifyDouble.Scenario.PINGS_ONLY);
      List<Future<GatewayAlone.Answer>> answers = new ArrayList<>();
      long t0 = System.currentTimeMillis();
      for (int i = 0; i < count; i++) {
        long due = t0 + i * interval;
        Promise<Void> wait = Promise.promise();
        vertx.setTimer(Math.max(1, due - System.currentTimeMillis()), id -> wait.complete());
        wait.future().toCompletionStage().toCompletableFuture().join();
        answers.add(gateway.welcome(FIRST_TEXT_MS));
      }
      int stalledBeforeFast = -1;
      int stalled = 0;
      int fast = 0;
      boolean wasFast = false;
      for (int i = 0; i < answers.size(); i++) {
        GatewayAlone.Answer a = GatewayAlone.await(answers.get(i));
        boolean failFast = "breaker_open".equals(a.reason());
        if (failFast && stalledBeforeFast < 0) {
          stalledBeforeFast = stalled;
        }
        if (failFast) {
          fast++;
        } else {
          stalled++;
        }
        if (count <= 40 || i == 0 || failFast != wasFast) { // long runs: only where it changes
          System.out.printf("  #%d at %.1f s: %d ms, %s%n", i + 1, i * interval / 1000.0, a.millis(), a.reason());
        }
        wasFast = failFast;
      }
      System.out.printf("%nbreaker bench: one registration every %d ms, %d in all, stalled app; settings %s%n",
          interval, count, settings.isEmpty() ? "defaults" : settings.encode());
      System.out.printf("  waited for the deadline: %d; failed fast (breaker_open): %d; stalled before the first "
          + "fail-fast: %s; requests that reached the app: %d%n", stalled, fast,
          stalledBeforeFast < 0 ? "never failed fast" : String.valueOf(stalledBeforeFast),
          gateway.dify.requests.size());
      System.out.println("  breaker at the end: " + gateway.breakers().encode());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
    System.exit(0);
  }
}
