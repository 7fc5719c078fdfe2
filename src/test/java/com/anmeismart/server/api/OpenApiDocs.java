package com.anmeismart.server.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Reading the OpenAPI document in tests: its operations, their parameters, local {@code $ref}s resolved. */
final class OpenApiDocs {

  static final List<String> METHODS = List.of("get", "put", "post", "delete", "patch");

  private OpenApiDocs() {
  }

  /** "METHOD /path" (OpenAPI path, relative to /api/v1) → operation, in document order. */
  static Map<String, JsonObject> operations(JsonObject doc) {
    Map<String, JsonObject> out = new LinkedHashMap<>();
    doc.getJsonObject("paths").forEach(path -> {
      JsonObject item = (JsonObject) path.getValue();
      for (String method : METHODS) {
        if (item.getValue(method) instanceof JsonObject operation) {
          out.put(method.toUpperCase(Locale.ROOT) + " " + path.getKey(), operation);
        }
      }
    });
    return out;
  }

  /** The operation's parameters and its path's, {@code $ref}s resolved. */
  static List<JsonObject> parameters(JsonObject doc, String op) {
    String path = op.substring(op.indexOf(' ') + 1);
    JsonObject item = doc.getJsonObject("paths").getJsonObject(path);
    List<JsonObject> out = new ArrayList<>();
    for (JsonArray list : new JsonArray[] {item.getJsonArray("parameters"),
        operations(doc).get(op).getJsonArray("parameters")}) {
      if (list != null) {
        list.forEach(p -> out.add(resolve(doc, (JsonObject) p)));
      }
    }
    return out;
  }

  /** A local reference ({@code #/components/…}) followed, else the object itself. */
  static JsonObject resolve(JsonObject doc, JsonObject node) {
    String ref = node.getString("$ref");
    if (ref == null || !ref.startsWith("#/")) {
      return node;
    }
    Object at = doc;
    for (String part : ref.substring(2).split("/")) {
      at = ((JsonObject) at).getValue(part);
    }
    return resolve(doc, (JsonObject) at);
  }
}
