package com.anmeismart.server.bus;

import io.vertx.core.json.JsonObject;

import java.util.UUID;

/**
 * "Send a test message to me" (the console's notification settings): a WeCom text card to the asking admin.
 *
 * @param userId      the admin
 * @param wecomUserid the admin's WeCom user id
 * @param displayName the admin's name, for the card
 */
public record WeComTest(UUID userId, String wecomUserid, String displayName) {

  public JsonObject toJson() {
    return new JsonObject().put("user_id", userId.toString()).put("wecom_userid", wecomUserid)
        .put("display_name", displayName);
  }

  public static WeComTest fromJson(JsonObject j) {
    return new WeComTest(UUID.fromString(j.getString("user_id")), j.getString("wecom_userid"),
        j.getString("display_name"));
  }
}
