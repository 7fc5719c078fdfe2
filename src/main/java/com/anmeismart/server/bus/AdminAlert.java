package com.anmeismart.server.bus;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * Something an administrator has to look at.
 *
 * @param kind    snake_case kind, e.g. {@code automation_job_dead}
 * @param details ids and figures for the admin (never secrets)
 */
public record AdminAlert(String kind, String message, JsonObject details, Instant at) {

  public JsonObject toJson() {
    return new JsonObject().put("kind", kind).put("message", message).put("details", details).put("at", at.toString());
  }

  public static AdminAlert fromJson(JsonObject j) {
    return new AdminAlert(j.getString("kind"), j.getString("message"), j.getJsonObject("details", new JsonObject()),
        Instant.parse(j.getString("at")));
  }
}
