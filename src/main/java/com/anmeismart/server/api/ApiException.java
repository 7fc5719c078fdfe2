package com.anmeismart.server.api;

import io.vertx.core.json.JsonObject;

/**
 * A failure the client caused or must know about, carried to {@link ApiErrors} which writes the one error shape
 * {@code {"error":{"code","message","details"}}}. No stack trace: it is control flow, not a bug.
 */
public final class ApiException extends RuntimeException {

  private final int status;
  private final String code;
  private final JsonObject details;

  public ApiException(int status, String code, String message, JsonObject details) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  public ApiException(int status, String code, String message) {
    this(status, code, message, null);
  }

  public static ApiException badRequest(String code, String message, JsonObject details) {
    return new ApiException(400, code, message, details);
  }

  /** 400 naming the fields that are wrong: {@code details} maps field → message. */
  public static ApiException invalid(JsonObject fieldErrors) {
    return new ApiException(400, "validation_failed", "Some fields are invalid", fieldErrors);
  }

  public static ApiException notFound(String what) {
    return new ApiException(404, "not_found", what + " not found");
  }

  public static ApiException conflict(String code, String message, JsonObject details) {
    return new ApiException(409, code, message, details);
  }

  public static ApiException forbidden(String message) {
    return new ApiException(403, "forbidden", message);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public JsonObject details() {
    return details;
  }
}
