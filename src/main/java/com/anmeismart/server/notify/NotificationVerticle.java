package com.anmeismart.server.notify;

import com.anmeismart.server.AppContext;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.NewCustomer;
import com.anmeismart.server.bus.NotifyResult;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Tells consultants about new customers. */
public final class NotificationVerticle extends VerticleBase {

  private final AppContext app;

  public NotificationVerticle(AppContext app) {
    this.app = app;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<NewCustomer>consumer(Addresses.NOTIFY_NEW_CUSTOMER,
        msg -> msg.reply(new NotifyResult(0, 0, 0))).completion();
  }
}
