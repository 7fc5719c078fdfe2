package com.anmeismart.server.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The OpenAPI 3.1 document of {@code /api/v1}, assembled once from {@code resources/openapi/api.json}:
 * <ul>
 *   <li>Request body schemas stay where the API has always kept them, one file each in {@code resources/schemas}:
 *   the source document names them with standard relative references ({@code "register": {"$ref":
 *   "../schemas/register.json"}} in {@code components/schemas}), and they are inlined here, so the served document
 *   is self-contained. {@link JsonBodies} takes its schemas from this document, never from the files directly: a
 *   body schema not in the document can't be used to validate, so every validated body is documented.</li>
 *   <li>The responses every operation can give are added where the operation doesn't describe them itself: 400
 *   (any query or body), 401 and 403 (operations that need a token), 404 (operations on a path id), 413 and 415
 *   (operations with a body), 500 and 503 (all). So adding an operation is a small edit: its path, method,
 *   {@code x-roles}, body reference, success response and any 409/429.</li>
 *   <li>Each operation's {@code x-roles} is repeated as a sentence at the end of its description, for viewers that
 *   don't show extensions.</li>
 * </ul>
 */
public final class OpenApi {

  private static final String SOURCE = "/openapi/api.json";
  /** How the source document points at a body schema file, relative to itself. */
  private static final String SCHEMA_FILES = "../schemas/";
  private static final List<String> METHODS = List.of("get", "put", "post", "delete", "patch", "head", "options");
  private static final OpenApi INSTANCE = new OpenApi(read(SOURCE));

  private final JsonObject document;
  private final Set<String> bodySchemas = new LinkedHashSet<>();
  private final Buffer encoded;

  private OpenApi(JsonObject source) {
    this.document = source;
    inlineBodySchemas();
    document.getJsonObject("paths", new JsonObject()).forEach(path -> {
      JsonObject item = (JsonObject) path.getValue();
      for (String method : METHODS) {
        if (item.getValue(method) instanceof JsonObject operation) {
          complete(path.getKey(), item, operation);
        }
      }
    });
    this.encoded = document.toBuffer();
  }

  /** The document as served (assembled at class load, from the classpath). */
  public static OpenApi get() {
    return INSTANCE;
  }

  /** A copy of the assembled document. */
  public JsonObject document() {
    return document.copy();
  }

  /** The request body schema {@code name} ({@code components/schemas/<name>}, from {@code schemas/<name>.json}). */
  JsonObject bodySchema(String name) {
    if (!bodySchemas.contains(name)) {
      throw new IllegalStateException("request schema " + name + " is not in the OpenAPI document: add \"" + name
          + "\": {\"$ref\": \"" + SCHEMA_FILES + name + ".json\"} to components/schemas of " + SOURCE
          + " and reference it from its operation's requestBody");
    }
    return document.getJsonObject("components").getJsonObject("schemas").getJsonObject(name).copy();
  }

  /** GET /api/v1/openapi.json: public, the bytes encoded once. */
  void serve(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "application/json; charset=utf-8").end(encoded);
  }

  private void inlineBodySchemas() {
    JsonObject schemas = document.getJsonObject("components").getJsonObject("schemas");
    for (String name : schemas.fieldNames()) {
      JsonObject schema = schemas.getJsonObject(name);
      String ref = schema.size() == 1 ? schema.getString("$ref") : null;
      if (ref != null && ref.startsWith(SCHEMA_FILES)) {
        JsonObject file = read("/schemas/" + ref.substring(SCHEMA_FILES.length()));
        // the document's dialect is JSON Schema 2020-12 already (OpenAPI 3.1); the files say so for editors
        file.remove("$schema");
        schemas.put(name, file);
        bodySchemas.add(name);
      }
    }
  }

  private void complete(String path, JsonObject item, JsonObject operation) {
    JsonObject given = operation.getJsonObject("responses", new JsonObject());
    JsonObject all = given.copy();
    boolean secured = !operation.getJsonArray("security", document.getJsonArray("security", new JsonArray())).isEmpty();
    add(all, "400", "BadRequest");
    if (secured) {
      add(all, "401", "Unauthorized");
      add(all, "403", "Forbidden");
    }
    if (path.contains("{")) {
      add(all, "404", "NotFound");
    }
    if (operation.containsKey("requestBody")) {
      add(all, "413", "PayloadTooLarge");
      add(all, "415", "UnsupportedMediaType");
    }
    add(all, "500", "InternalError");
    add(all, "503", "ServiceUnavailable");
    JsonObject sorted = new JsonObject();
    all.fieldNames().stream().sorted(Comparator.naturalOrder()).forEach(code -> sorted.put(code, all.getValue(code)));
    operation.put("responses", sorted);

    JsonArray roles = operation.getJsonArray("x-roles");
    String who = roles == null ? "Public: no token needed."
        : "Roles: " + String.join(", ", roles.stream().map(String::valueOf).toList()) + ".";
    String description = operation.getString("description");
    operation.put("description", description == null ? who : description + "\n\n" + who);
  }

  private static void add(JsonObject responses, String status, String component) {
    if (!responses.containsKey(status)) {
      responses.put(status, new JsonObject().put("$ref", "#/components/responses/" + component));
    }
  }

  private static JsonObject read(String resource) {
    try (InputStream in = OpenApi.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing " + resource);
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
