package com.anmeismart.server.api;

import io.vertx.ext.web.RoutingContext;

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

  private static ApiException bad(String name, String message, String messageZh) {
    return ApiException.badRequest("invalid_parameter", "Invalid query parameter " + name,
        FieldErrors.of(name, message, messageZh));
  }
}
