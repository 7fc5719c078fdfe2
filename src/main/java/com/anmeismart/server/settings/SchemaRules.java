package com.anmeismart.server.settings;

import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * A settings document's rules: the JSON Schema the admin API publishes for its PUT body (in
 * {@code resources/schemas}), applied field by field with the property's {@code x-error} text.
 */
final class SchemaRules {

  private final JsonObject schema;
  private final Validator validator;

  SchemaRules(String name) {
    schema = load(name);
    validator = Validator.create(JsonSchema.of(schema.copy()), new JsonSchemaOptions().setDraft(Draft.DRAFT202012)
        .setBaseUri("app:///").setOutputFormat(OutputFormat.Basic));
  }

  /** Field → message for what is wrong with a (partial) document; unknown fields are not problems. */
  JsonObject check(JsonObject doc) {
    JsonObject problems = new JsonObject();
    OutputUnit out = validator.validate(doc);
    if (Boolean.TRUE.equals(out.getValid())) {
      return problems;
    }
    JsonObject properties = schema.getJsonObject("properties");
    if (out.getErrors() != null) {
      for (OutputUnit e : out.getErrors()) {
        String field = topField(e.getInstanceLocation());
        if (field.isEmpty() || problems.containsKey(field)) {
          continue;
        }
        JsonObject prop = properties.getJsonObject(field);
        String message = prop == null ? null : prop.getString("x-error");
        problems.put(field, message != null ? message : e.getError());
      }
    }
    if (problems.isEmpty()) {
      problems.put("document", "must be a JSON object of settings");
    }
    return problems;
  }

  private static String topField(String location) {
    if (location == null) {
      return "";
    }
    String s = location.startsWith("#") ? location.substring(1) : location;
    s = s.startsWith("/") ? s.substring(1) : s;
    int slash = s.indexOf('/');
    return (slash >= 0 ? s.substring(0, slash) : s).replace("~1", "/").replace("~0", "~");
  }

  private static JsonObject load(String name) {
    try (InputStream in = SchemaRules.class.getResourceAsStream("/schemas/" + name + ".json")) {
      if (in == null) {
        throw new IllegalStateException("missing schema " + name);
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
