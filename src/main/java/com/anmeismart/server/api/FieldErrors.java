package com.anmeismart.server.api;

import io.vertx.core.json.JsonObject;

/**
 * What is wrong with each field of a request, in English ({@code details}, for developers) and zh-CN
 * ({@code details_zh}, shown next to the field by the pages). Both texts are given together, so no field error
 * exists without its zh-CN text. The first error of a field wins.
 */
public final class FieldErrors {

  private final JsonObject english = new JsonObject();
  private final JsonObject chinese = new JsonObject();

  public static FieldErrors of(String field, String english, String chinese) {
    return new FieldErrors().add(field, english, chinese);
  }

  public FieldErrors add(String field, String english, String chinese) {
    if (!this.english.containsKey(field)) {
      this.english.put(field, english);
      this.chinese.put(field, chinese);
    }
    return this;
  }

  public boolean has(String field) {
    return english.containsKey(field);
  }

  public boolean isEmpty() {
    return english.isEmpty();
  }

  /** {@code details}: field → English message. */
  public JsonObject english() {
    return english.copy();
  }

  /** {@code details_zh}: field → zh-CN message. */
  public JsonObject chinese() {
    return chinese.copy();
  }
}
