package com.anmeismart.server.dify;

import com.anmeismart.server.AppContext;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.WelcomeRequest;
import com.anmeismart.server.bus.WelcomeResult;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Writes welcome messages. */
public final class DifyGatewayVerticle extends VerticleBase {

  private final AppContext app;

  public DifyGatewayVerticle(AppContext app) {
    this.app = app;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<WelcomeRequest>consumer(Addresses.WELCOME_GENERATE,
        msg -> msg.reply(WelcomeResult.fallback("", 0, "not_configured"))).completion();
  }
}
