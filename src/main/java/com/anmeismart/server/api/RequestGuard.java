package com.anmeismart.server.api;

import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.Map;

/**
 * The one place request input enters the API, before any handler sees it.
 * <ul>
 *   <li>{@link #mediaType}, before the body handler: a request that carries a body must carry JSON (415 otherwise).
 *   The API takes no forms, and so the body handler never runs Netty's form decoder (whose failures on a bad
 *   {@code %}-escape would otherwise surface as the decoder's own exception).</li>
 *   <li>{@link #text}, after it: every JSON body is decoded once, here, and every string in it (keys included, at
 *   any depth) must be text PostgreSQL can store: no NUL (U+0000: PostgreSQL's text and jsonb refuse it)
 *   and no unpaired UTF-16 surrogate (it has no UTF-8 form: the driver would write {@code ?} or invalid bytes).
 *   Numbers must be finite; nesting at most {@link #MAX_DEPTH} levels. Query parameters are held to the same rule. A violation is a 400 naming the field,
 *   never a database error later. Handlers get the decoded body from {@link #json}.</li>
 * </ul>
 */
final class RequestGuard {

  private static final String PARSED = RequestGuard.class.getName() + ".json";
  private static final String NO_NUL_EN = "contains a NUL character (\\u0000), which can't be stored";
  private static final String NO_NUL_ZH = "含有无法保存的空字符（\\u0000）";
  private static final String SURROGATE_EN = "contains an unpaired UTF-16 surrogate (not valid Unicode text)";
  private static final String SURROGATE_ZH = "含有无效的 Unicode 字符（不成对的代理项）";
  private static final String NUMBER_EN = "must be a finite number";
  private static final String NUMBER_ZH = "须为有效的数字";
  /**
   * Deepest nesting a body may have. No field of the API needs more than a few levels; a value ~1,000 deep (Jackson
   * parses up to 1,000) overflowed the event loop's stack when the stored value was encoded again for the answer,
   * and the request was never answered (RestFuzzIT's "deep value in a field" on {@code PUT /mcp/tools/{id}}).
   */
  static final int MAX_DEPTH = 64;

  private RequestGuard() {
  }

  /** Before the body handler: a body that is not JSON → 415, without reading it. */
  static Handler<RoutingContext> mediaType() {
    return ctx -> {
      HttpServerRequest req = ctx.request();
      if (hasBody(req) && !isJson(req.getHeader(HttpHeaders.CONTENT_TYPE))) {
        ctx.fail(new ApiException(415, "unsupported_media_type",
            "A request body must be JSON (Content-Type: application/json)"));
      } else {
        ctx.next();
      }
    };
  }

  /** After the body handler: checks the query and decodes and checks a JSON body, once. */
  static void text(RoutingContext ctx) {
    checkQuery(ctx.queryParams());
    Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    if (body != null && body.length() > 0) {
      json(ctx);
    }
    ctx.next();
  }

  /**
   * The request's JSON body, decoded and checked once per request: a value ({@link JsonObject}, {@link JsonArray},
   * string, number, boolean) or null for an empty body. Bad JSON → 400 {@code invalid_json}; text that can't be
   * stored → 400 {@code validation_failed} naming the field.
   */
  static Object json(RoutingContext ctx) {
    if (ctx.data().containsKey(PARSED)) {
      return ctx.get(PARSED);
    }
    Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    Object value = null;
    if (body != null && body.length() > 0) {
      try {
        value = Json.decodeValue(body);
      } catch (DecodeException e) {
        throw ApiException.badRequest("invalid_json", "Body is not valid JSON", null);
      }
      FieldErrors errors = new FieldErrors();
      check(value, null, "", 0, errors);
      if (!errors.isEmpty()) {
        throw ApiException.invalid(errors);
      }
    }
    ctx.put(PARSED, value);
    return value;
  }

  private static void checkQuery(MultiMap query) {
    FieldErrors errors = new FieldErrors();
    for (Map.Entry<String, String> e : query) {
      String field = printable(e.getKey());
      if (!storable(e.getKey()) || !storable(e.getValue())) {
        errors.add(field, "contains text that can't be stored (a NUL character or an unpaired surrogate)",
            "含有无法保存的字符（空字符或无效的 Unicode 字符）");
      }
    }
    if (!errors.isEmpty()) {
      throw ApiException.badRequest("invalid_parameter", "Invalid query parameter", errors);
    }
  }

  /**
   * Walks a decoded value; {@code field} is the top-level field the value belongs to (the name the pages show the
   * error next to), {@code path} its JSON pointer (in the English message, for developers).
   */
  private static void check(Object value, String field, String path, int depth, FieldErrors errors) {
    if ((value instanceof JsonObject || value instanceof JsonArray) && depth >= MAX_DEPTH) {
      errors.add(field != null ? field : "body", "is nested deeper than " + MAX_DEPTH + " levels (at " + path + ")",
          "嵌套层数超过 " + MAX_DEPTH + " 层");
    } else if (value instanceof JsonObject o) {
      for (Map.Entry<String, Object> e : o) {
        String key = e.getKey();
        String childField = field != null ? field : printable(key);
        String childPath = path + "/" + printable(key).replace("~", "~0").replace("/", "~1");
        if (!storable(key)) {
          errors.add(childField, "the key at " + childPath + " " + reason(key), reasonZh(key));
        }
        check(e.getValue(), childField, childPath, depth + 1, errors);
      }
    } else if (value instanceof JsonArray a) {
      for (int i = 0; i < a.size(); i++) {
        check(a.getValue(i), field != null ? field : "body", path + "/" + i, depth + 1, errors);
      }
    } else if (value instanceof String s) {
      if (!storable(s)) {
        String at = path.isEmpty() || path.equals("/" + field) ? "" : " (at " + path + ")";
        errors.add(field != null ? field : "body", reason(s) + at, reasonZh(s));
      }
    } else if (value instanceof Double d && !Double.isFinite(d)
        || value instanceof Float f && !Float.isFinite(f)) {
      errors.add(field != null ? field : "body", NUMBER_EN, NUMBER_ZH);
    }
  }

  /** Text PostgreSQL can store as text or jsonb: no NUL, every surrogate paired. */
  static boolean storable(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) {
        return false;
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else {
          return false;
        }
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  private static String reason(String s) {
    return s.indexOf('\u0000') >= 0 ? NO_NUL_EN : SURROGATE_EN;
  }

  private static String reasonZh(String s) {
    return s.indexOf('\u0000') >= 0 ? NO_NUL_ZH : SURROGATE_ZH;
  }

  /** A name safe to put in a response: bad characters shown as a backslash-u escape, long names cut. */
  private static String printable(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), 64));
    int i = 0;
    for (; i < s.length() && b.length() < 64; i++) {
      char c = s.charAt(i);
      boolean paired = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
      if (c == 0 || (Character.isSurrogate(c) && !paired)) {
        b.append(String.format("\\u%04x", (int) c));
      } else if (paired) {
        b.append(c).append(s.charAt(++i));
      } else {
        b.append(c);
      }
    }
    return i < s.length() ? b + "…" : b.toString();
  }

  private static boolean hasBody(HttpServerRequest req) {
    String length = req.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (req.headers().contains(HttpHeaders.TRANSFER_ENCODING)) {
      return true;
    }
    return length != null && !length.trim().equals("0");
  }

  /** {@code application/json} or any {@code +json} type, with or without parameters. */
  private static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semicolon = contentType.indexOf(';');
    String type = (semicolon >= 0 ? contentType.substring(0, semicolon) : contentType).trim().toLowerCase();
    return type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json"));
  }
}
