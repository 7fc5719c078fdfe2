package com.anmeismart.server.dify;

import com.anmeismart.server.security.ContextTokens;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/**
 * The welcome path run once at start, before the server reports ready, so that the first customer after a restart
 * gets the agent's welcome and not the template. A fresh JVM loads ~900 classes on its first welcome (the MCP
 * SDK's client and server sessions, Reactor, Jackson's deserializers for the protocol's records, the HTTP client's
 * first connections) and interprets them: measured on a loaded 2-core machine, the first MCP {@code initialize}
 * alone took 1.5 s and the whole welcome 2.6 s, against the 3 s first-text deadline; the next welcome took 0.2 s.
 * <p>
 * Nobody's data is touched: the calls carry the warm-up context token ({@link ContextTokens#issueWarmUp}), whose
 * subject is no user, so the tools find no customer and the call log and the tool metrics leave them out. A warm-up
 * that fails or takes longer than {@link #BOUND_MS} is logged and the start goes on.
 */
final class WarmUp {

  private static final Logger LOG = LoggerFactory.getLogger(WarmUp.class);
  /** The longest a start waits for one warm-up (it takes well under a second on an idle machine). */
  static final long BOUND_MS = 10_000;

  private WarmUp() {
  }

  /** Runs {@code work}; the returned future succeeds when it ends or after {@link #BOUND_MS}, whatever happened. */
  static Future<Void> run(Vertx vertx, String what, Supplier<Future<?>> work) {
    long t0 = System.nanoTime();
    Promise<Void> done = Promise.promise();
    long timer = vertx.setTimer(BOUND_MS, id -> {
      if (done.tryComplete()) {
        LOG.warn("warm-up of {} still running after {} ms; starting without waiting for it", what, BOUND_MS);
      }
    });
    Future<?> work0;
    try {
      work0 = work.get();
    } catch (RuntimeException e) {
      work0 = Future.failedFuture(e);
    }
    work0.onComplete(ar -> {
      vertx.cancelTimer(timer);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      if (ar.succeeded()) {
        LOG.info("warm-up: {} in {} ms", what, ms);
      } else {
        LOG.warn("warm-up of {} failed after {} ms (the first welcome pays for it instead): {}", what, ms,
            String.valueOf(ar.cause()));
      }
      done.tryComplete();
    });
    return done.future();
  }

  /** A chat request as {@link WelcomeCall} sends one, for the warm-up subject instead of a customer. */
  static JsonObject chatBody(String warmUpToken) {
    return new JsonObject()
        .put("inputs", new JsonObject().put("user_id", ContextTokens.WARM_UP.toString())
            .put("context_token", warmUpToken).put("username", "warm-up").put("full_name", null)
            .put("interests", "").put("source", null))
        .put("query", "warm-up").put("user", "anmei-" + ContextTokens.WARM_UP).put("response_mode", "streaming")
        .put("auto_generate_name", false);
  }
}
