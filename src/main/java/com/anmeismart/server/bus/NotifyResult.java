package com.anmeismart.server.bus;

import io.vertx.core.json.JsonObject;

/**
 * How a new customer reached the consultants.
 *
 * @param online consultants notified live in the browser
 * @param inbox  inbox entries written (offline consultants)
 * @param push   Web Push messages accepted by a push service
 */
public record NotifyResult(int online, int inbox, int push) {

  /** Consultants reached in any way. */
  public int reached() {
    return online + inbox;
  }

  public JsonObject toJson() {
    return new JsonObject().put("online", online).put("inbox", inbox).put("push", push);
  }

  public static NotifyResult fromJson(JsonObject j) {
    return new NotifyResult(j.getInteger("online", 0), j.getInteger("inbox", 0), j.getInteger("push", 0));
  }
}
