package com.anmeismart.server.api;

import com.anmeismart.server.accounts.IdempotencyKeys;
import com.anmeismart.server.accounts.UserStore;
import com.anmeismart.server.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;

import java.util.Optional;

/**
 * A customer registration: the user and its automation job, written together, then a nudge to the automation
 * engines. The response never waits for the job: the row is durable, and a lost nudge only delays the job to
 * the next sweep.
 */
final class Registrations {

  private final UserStore users;
  private final EventBus bus;

  Registrations(UserStore users, EventBus bus) {
    this.users = users;
    this.bus = bus;
  }

  Future<JsonObject> register(UserStore.NewUser user, Optional<IdempotencyKeys.Key> key) {
    return users.insertCustomerWithJob(user, key).map(registered -> {
      bus.publish(Addresses.AUTOMATION_WAKE, null);
      return registered.user();
    });
  }
}
