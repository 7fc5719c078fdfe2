package com.anmeismart.server.api;

import io.vertx.core.json.JsonObject;

/**
 * A failure the client caused or must know about, carried to {@link ApiErrors} which writes the one error shape
 * {@code {"error":{"code","message","message_zh","details"[,"details_zh"]}}}. The zh-CN message comes from
 * {@link ErrorCatalogue} by code (or {@link #withMessageZh} when it must say more); field errors come as
 * {@link FieldErrors}, English and zh-CN together. No stack trace: it is control flow, not a bug.
 */
public final class ApiException extends RuntimeException {

  private final int status;
  private final String code;
  private final JsonObject details;
  private final JsonObject detailsZh;
  private final String messageZh;

  private ApiException(int status, String code, String message, JsonObject details, JsonObject detailsZh,
                       String messageZh) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.details = details;
    this.detailsZh = detailsZh;
    this.messageZh = messageZh;
  }

  /** {@code details} here is data about the error (ids, states), not field messages: those are {@link FieldErrors}. */
  public ApiException(int status, String code, String message, JsonObject details) {
    this(status, code, message, details, null, null);
  }

  public ApiException(int status, String code, String message) {
    this(status, code, message, null);
  }

  /** An error whose {@code details} name fields: English in {@code details}, zh-CN in {@code details_zh}. */
  public static ApiException withFields(int status, String code, String message, FieldErrors fields) {
    return new ApiException(status, code, message, fields.english(), fields.chinese(), null);
  }

  /** The same error with a zh-CN message of its own instead of the catalogue's (e.g. naming a wait time). */
  public ApiException withMessageZh(String zh) {
    return new ApiException(status, code, getMessage(), details, detailsZh, zh);
  }

  public static ApiException badRequest(String code, String message, FieldErrors fields) {
    return fields == null ? new ApiException(400, code, message) : withFields(400, code, message, fields);
  }

  /** 400 {@code validation_failed} naming the fields that are wrong. */
  public static ApiException invalid(FieldErrors fields) {
    return withFields(400, "validation_failed", "Some fields are invalid", fields);
  }

  /** 400 for one wrong field. */
  public static ApiException invalid(String field, String english, String chinese) {
    return invalid(FieldErrors.of(field, english, chinese));
  }

  public static ApiException notFound(String what) {
    return new ApiException(404, "not_found", what + " not found");
  }

  public static ApiException conflict(String code, String message, JsonObject details) {
    return new ApiException(409, code, message, details);
  }

  /** 409 about fields (a name already taken): {@code details} and {@code details_zh} name them. */
  public static ApiException conflictOn(String code, String message, FieldErrors fields) {
    return withFields(409, code, message, fields);
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

  /** zh-CN per field, when {@link #details()} names fields; else null. */
  public JsonObject detailsZh() {
    return detailsZh;
  }

  /** This error's own zh-CN message, or null for the catalogue's. */
  public String messageZh() {
    return messageZh;
  }
}
