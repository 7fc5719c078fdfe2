package com.anmeismart.server.dify;

import com.anmeismart.server.AppContext;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.WelcomeRequest;
import com.anmeismart.server.bus.WelcomeResult;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * Writes welcome messages. Until an agent is wired in, the answer is the configured template, flagged
 * {@code source: "fallback"}: the same answer every agent failure will fall back to.
 */
public final class DifyGatewayVerticle extends VerticleBase {

  private final AppContext app;

  public DifyGatewayVerticle(AppContext app) {
    this.app = app;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<WelcomeRequest>consumer(Addresses.WELCOME_GENERATE,
        msg -> msg.reply(WelcomeResult.fallback(msg.body().template(), 0, "no_agent_configured"))).completion();
  }
}
