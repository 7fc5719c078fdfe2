package com.anmeismart.server.testing;

import io.vertx.core.json.JsonObject;

import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The SPEC §3 error shape, checked strictly: {@code {"error":{"code","message","message_zh","details"}}} with a
 * snake_case code, a zh-CN {@code message_zh}, and for validation errors a {@code details_zh} naming the same fields
 * in zh-CN; and nothing of the server's insides (class names, stack frames, SQL states) anywhere in the body.
 */
public final class ErrorShape {

  /** What must never reach a client: Java/library class names, stack frames, exception names, SQLSTATEs. */
  public static final Pattern INTERNALS = Pattern.compile(
      "(?i)(java\\.|javax\\.|io\\.vertx|io\\.netty|org\\.postgresql|com\\.anmeismart|reactor\\.core|Exception\\b"
          + "|\\bat [a-z]+\\.[a-z]+\\.|\\tat |SQLSTATE|\\(\\d{2}[0-9A-Z]{3}\\)|PgException|ClassCast|NullPointer)");
  private static final Pattern HAN = Pattern.compile("\\p{IsHan}");

  private ErrorShape() {
  }

  /** Asserts {@code body} is the error shape; returns the {@code error} object. */
  public static JsonObject check(int status, String body, String context) {
    assertThat(status).as("status of %s", context).isBetween(400, 599);
    assertThat(INTERNALS.matcher(body).find()).as("internals in the body of %s: %s", context, body).isFalse();
    JsonObject json;
    try {
      json = new JsonObject(body);
    } catch (RuntimeException e) {
      throw new AssertionError("not a JSON object (" + context + "): " + status + " " + body);
    }
    JsonObject error = json.getJsonObject("error");
    assertThat(error).as("error object of %s: %s", context, body).isNotNull();
    assertThat(error.getString("code")).as("code of %s", context).matches("[a-z][a-z0-9_]*");
    assertThat(error.getString("message")).as("message of %s", context).isNotBlank();
    assertThat(error.getString("message_zh")).as("message_zh of %s: %s", context, body).isNotNull();
    assertThat(HAN.matcher(error.getString("message_zh")).find()).as("message_zh is Chinese (%s): %s", context, body)
        .isTrue();
    assertThat(error.getValue("details")).as("details of %s", context).isInstanceOf(JsonObject.class);
    if ("validation_failed".equals(error.getString("code")) || error.containsKey("details_zh")) {
      JsonObject details = error.getJsonObject("details");
      JsonObject zh = error.getJsonObject("details_zh");
      assertThat(zh).as("details_zh of %s: %s", context, body).isNotNull();
      assertThat(zh.fieldNames()).as("details_zh names the fields details names (%s)", context)
          .containsExactlyInAnyOrderElementsOf(details.fieldNames());
      for (String field : zh.fieldNames()) {
        assertThat(HAN.matcher(zh.getString(field)).find()).as("details_zh.%s is Chinese (%s): %s", field, context,
            body).isTrue();
      }
    }
    return error;
  }
}
