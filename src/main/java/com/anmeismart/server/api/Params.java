package com.anmeismart.server.api;

import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Path and query parameters, checked: a bad one is a 400 naming it (or a 404 for a malformed id). */
final class Params {

  private Params() {
  }

  /** A path id that is not a UUID names nothing that exists: 404, like an unknown id. */
  static UUID uuid(RoutingContext ctx, String name) {
    try {
      return UUID.fromString(ctx.pathParam(name));
    } catch (RuntimeException e) {
      throw ApiException.notFound("Resource");
    }
  }

  static int integer(RoutingContext ctx, String name, int def, int min, int max) {
    String s = ctx.queryParams().get(name);
    if (s == null || s.isEmpty()) {
      return def;
    }
    try {
      int v = Integer.parseInt(s);
      if (v >= min && v <= max) {
        return v;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw bad(name, "must be an integer between " + min + " and " + max, "须为 " + min + " 到 " + max + " 之间的整数");
  }

  /** An optional whole number ≥ 1 (an id cursor); null when absent. */
  static Long positiveLong(RoutingContext ctx, String name) {
    String s = ctx.queryParams().get(name);
    if (s == null || s.isEmpty()) {
      return null;
    }
    try {
      long v = Long.parseLong(s);
      if (v >= 1) {
        return v;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw bad(name, "must be a whole number of at least 1", "须为不小于 1 的整数");
  }

  static Boolean bool(RoutingContext ctx, String name) {
    String s = ctx.queryParams().get(name);
    if (s == null || s.isEmpty()) {
      return null;
    }
    if (s.equals("true") || s.equals("false")) {
      return Boolean.valueOf(s);
    }
    throw bad(name, "must be true or false", "须为 true 或 false");
  }

  static String oneOf(RoutingContext ctx, String name, Set<String> allowed) {
    String s = ctx.queryParams().get(name);
    if (s == null || s.isEmpty()) {
      return null;
    }
    if (allowed.contains(s)) {
      return s;
    }
    List<String> sorted = allowed.stream().sorted().toList();
    throw bad(name, "must be one of " + sorted, "须为以下之一：" + String.join("、", sorted));
  }

  /** A text of at most {@code max} characters, or null when absent or blank. */
  static String text(RoutingContext ctx, String name, int max) {
    String s = ctx.queryParams().get(name);
    if (s == null || s.isBlank()) {
      return null;
    }
    if (s.length() > max) {
      throw bad(name, "must be at most " + max + " characters", "最多 " + max + " 个字符");
    }
    return s.strip();
  }

  /** An ISO-8601 instant with its offset ({@code 2026-12-01T00:00:00Z}, {@code …+08:00}), or null when absent. */
  static Instant instant(RoutingContext ctx, String name) {
    String s = ctx.queryParams().get(name);
    if (s == null || s.isEmpty()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      throw bad(name, "must be an ISO-8601 instant, e.g. 2026-12-01T00:00:00Z",
          "须为带时区的 ISO-8601 时间，例如 2026-12-01T00:00:00Z");
    }
  }

  private static ApiException bad(String name, String message, String messageZh) {
    return ApiException.badRequest("invalid_parameter", "Invalid query parameter " + name,
        FieldErrors.of(name, message, messageZh));
  }
}
