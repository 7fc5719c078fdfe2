package com.anmeismart.server.automation;

import com.anmeismart.server.AppContext;
import com.anmeismart.server.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Runs the registration automation jobs. */
public final class AutomationVerticle extends VerticleBase {

  private final AppContext app;

  public AutomationVerticle(AppContext app) {
    this.app = app;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().consumer(Addresses.AUTOMATION_WAKE, msg -> { }).completion();
  }
}
