package com.anmeismart.server.bus;

import io.vertx.core.json.JsonObject;

/**
 * How a new customer reached the consultants.
 *
 * @param online  consultants notified live in the browser
 * @param inbox   inbox entries written (offline consultants)
 * @param push    Web Push messages accepted by a push service
 * @param offered consultants offered the customer (assignment modes other than broadcast: 1, or 0 when nobody was
 *                eligible and everyone was told instead)
 */
public record NotifyResult(int online, int inbox, int push, int offered) {

  public NotifyResult(int online, int inbox, int push) {
    this(online, inbox, push, 0);
  }

  /** Consultants reached in any way. */
  public int reached() {
    return online + inbox + offered;
  }

  /** {@code offered} only when an offer was made, so a broadcast's result reads as before. */
  public JsonObject toJson() {
    JsonObject j = new JsonObject().put("online", online).put("inbox", inbox).put("push", push);
    if (offered > 0) {
      j.put("offered", offered);
    }
    return j;
  }

  public static NotifyResult fromJson(JsonObject j) {
    return new NotifyResult(j.getInteger("online", 0), j.getInteger("inbox", 0), j.getInteger("push", 0),
        j.getInteger("offered", 0));
  }
}
