package com.anmeismart.server.api;

import com.anmeismart.server.accounts.UserStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/** A customer registration: the new user row. */
final class Registrations {

  private final UserStore users;

  Registrations(UserStore users) {
    this.users = users;
  }

  Future<JsonObject> register(UserStore.NewUser user) {
    return users.insert(user);
  }
}
