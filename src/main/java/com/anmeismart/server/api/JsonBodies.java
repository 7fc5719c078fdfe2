package com.anmeismart.server.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request body checked against its JSON Schema in the OpenAPI document ({@link OpenApi}; written in
 * {@code resources/schemas}). Errors come back per field, in English
 * ({@code details}) and zh-CN ({@code details_zh}): a property's {@code x-error} / {@code x-error-zh} text when the
 * schema has one (written for people), else the validator's message and the keyword's zh-CN text
 * ({@link SchemaMessages}).
 * Unknown fields are ignored (schemas don't forbid them) and never reach the database.
 */
public final class JsonBodies {

  private final JsonObject schema;
  private final Validator validator;

  private JsonBodies(JsonObject schema) {
    this.schema = schema;
    this.validator = Validator.create(JsonSchema.of(schema),
        new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri("app:///").setOutputFormat(OutputFormat.Basic));
  }

  /** A checker for a schema given as JSON (tests; the API loads its schemas by name). */
  static JsonBodies of(JsonObject schema) {
    return new JsonBodies(schema);
  }

  /**
   * The request body schema {@code name} of the OpenAPI document ({@code components/schemas/<name>}, written in
   * {@code schemas/<name>.json}): requests are checked against what the document publishes (at class or verticle
   * set-up, not per request). A schema the document doesn't contain fails here, at start.
   */
  public static JsonBodies schema(String name) {
    return new JsonBodies(OpenApi.get().bodySchema(name));
  }

  /** The body as a JSON object (decoded and checked once, by {@link RequestGuard}), or 400 {@code invalid_json}. */
  public static JsonObject object(RoutingContext ctx) {
    Object value = RequestGuard.json(ctx);
    if (value == null) {
      throw ApiException.badRequest("invalid_json", "A JSON object body is required", null);
    }
    if (value instanceof JsonObject o) {
      return o;
    }
    throw ApiException.badRequest("invalid_json", "Body must be a JSON object", null);
  }

  /** The request's JSON object body, validated; 400 naming every wrong field otherwise. */
  public JsonObject validBody(RoutingContext ctx) {
    return valid(object(ctx));
  }

  /**
   * The body, checked. A field given as {@code null} counts as not given (forms often send nulls for empty
   * optional fields), unless its schema allows null; so a PUT with a null never stores one.
   */
  public JsonObject valid(JsonObject raw) {
    JsonObject body = raw.copy();
    JsonObject properties = schema.getJsonObject("properties", new JsonObject());
    for (String name : raw.fieldNames()) {
      if (raw.getValue(name) == null && !allowsNull(properties.getJsonObject(name))) {
        body.remove(name);
      }
    }
    FieldErrors fields = new FieldErrors();
    JsonArray required = schema.getJsonArray("required", new JsonArray());
    for (Object name : required) {
      if (body.getValue((String) name) == null) {
        fields.add((String) name, "is required", "必填");
      }
    }
    OutputUnit out = validator.validate(body);
    if (!Boolean.TRUE.equals(out.getValid()) && out.getErrors() != null) {
      // per field, the most specific error (the deepest keyword): "minLength", not the "properties" wrapping it
      Map<String, OutputUnit> worst = new LinkedHashMap<>();
      for (OutputUnit e : out.getErrors()) {
        String field = field(e.getInstanceLocation());
        if (field.isEmpty() || fields.has(field) || body.getValue(field) == null) {
          continue; // a missing optional field: reported by "required" if it had to be there
        }
        OutputUnit seen = worst.get(field);
        if (seen == null || depth(e.getKeywordLocation()) > depth(seen.getKeywordLocation())) {
          worst.put(field, e);
        }
      }
      worst.forEach((field, e) -> fields.add(field, message(field, e.getError()), messageZh(field, e)));
      if (fields.isEmpty() && !out.getErrors().isEmpty()) {
        OutputUnit e = out.getErrors().get(out.getErrors().size() - 1); // about the body as a whole
        fields.add("body", e.getError(), messageZh("", e));
      }
    }
    if (!fields.isEmpty()) {
      throw ApiException.invalid(fields);
    }
    return body;
  }

  /**
   * Field errors found by a store's own check of a whole document against this schema (field → English message):
   * each gets the property's {@code x-error-zh}, else the generic zh-CN text for an invalid value.
   */
  public FieldErrors fieldErrors(JsonObject english) {
    FieldErrors fields = new FieldErrors();
    JsonObject properties = schema.getJsonObject("properties", new JsonObject());
    english.forEach(e -> {
      JsonObject prop = properties.getJsonObject(e.getKey());
      String zh = prop == null ? null : prop.getString("x-error-zh");
      fields.add(e.getKey(), String.valueOf(e.getValue()), zh != null ? zh : "取值无效");
    });
    return fields;
  }

  private static boolean allowsNull(JsonObject property) {
    Object type = property == null ? null : property.getValue("type");
    return type instanceof io.vertx.core.json.JsonArray types && types.contains("null");
  }

  private String message(String field, String fallback) {
    JsonObject prop = schema.getJsonObject("properties", new JsonObject()).getJsonObject(field);
    String custom = prop == null ? null : prop.getString("x-error");
    return custom != null ? custom : fallback;
  }

  /** The property's {@code x-error-zh}, else the keyword's zh-CN text with the schema's limit. */
  private String messageZh(String field, OutputUnit e) {
    JsonObject prop = schema.getJsonObject("properties", new JsonObject()).getJsonObject(field);
    String custom = prop == null ? null : prop.getString("x-error-zh");
    if (custom != null) {
      return custom;
    }
    String location = e.getKeywordLocation() == null ? "" : e.getKeywordLocation();
    String keyword = location.substring(location.lastIndexOf('/') + 1);
    boolean item = depth(e.getInstanceLocation()) > 1;
    return SchemaMessages.zh(keyword, pointer(schema, location), item);
  }

  /** The schema's value at a keyword location such as {@code #/properties/password/minLength}, or null. */
  private static Object pointer(JsonObject schema, String location) {
    String s = location.startsWith("#") ? location.substring(1) : location;
    Object node = schema;
    for (String part : s.split("/")) {
      if (part.isEmpty()) {
        continue;
      }
      String key = part.replace("~1", "/").replace("~0", "~");
      if (node instanceof JsonObject o) {
        node = o.getValue(key);
      } else if (node instanceof JsonArray a && key.chars().allMatch(Character::isDigit)) {
        int i = Integer.parseInt(key);
        node = i < a.size() ? a.getValue(i) : null;
      } else {
        return null;
      }
    }
    return node;
  }

  private static int depth(String location) {
    if (location == null) {
      return 0;
    }
    return (int) location.chars().filter(c -> c == '/').count();
  }

  /** "#/interests/3" or "/interests" → "interests": details name the top-level field. */
  private static String field(String instanceLocation) {
    if (instanceLocation == null) {
      return "";
    }
    String s = instanceLocation.startsWith("#") ? instanceLocation.substring(1) : instanceLocation;
    if (s.startsWith("/")) {
      s = s.substring(1);
    }
    int slash = s.indexOf('/');
    return (slash >= 0 ? s.substring(0, slash) : s).replace("~1", "/").replace("~0", "~");
  }
}
