package com.anmeismart.server.bus;

import io.vertx.core.json.JsonObject;

/**
 * What became of a {@link WeComTest}.
 *
 * @param sent    WeCom accepted the message for the admin
 * @param msgid   WeCom's message id when sent
 * @param errcode WeCom's errcode when it refused (0 when sent; -1 when WeCom did not answer or is not configured)
 * @param error   why not, in English (no secret, no token), or null
 */
public record WeComTestResult(boolean sent, String msgid, int errcode, String error) {

  public JsonObject toJson() {
    return new JsonObject().put("sent", sent).put("msgid", msgid).put("errcode", errcode).put("error", error);
  }

  public static WeComTestResult fromJson(JsonObject j) {
    return new WeComTestResult(j.getBoolean("sent", false), j.getString("msgid"), j.getInteger("errcode", -1),
        j.getString("error"));
  }
}
