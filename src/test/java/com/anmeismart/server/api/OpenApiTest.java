package com.anmeismart.server.api;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.OpenAPIVersion;
import io.vertx.openapi.contract.Operation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The OpenAPI document as served: valid OpenAPI 3.1 (parsed and validated against the 3.1 meta-schema by
 * vertx-openapi), holding every request body schema the API validates with (exactly the files of
 * {@code resources/schemas}), every operation with its roles, one error shape for every error response, and
 * {@code Retry-After} on 429 and 503.
 */
class OpenApiTest {

  private static final Set<String> ROLES = Set.of("customer", "consultant", "doctor", "operator", "admin");
  private static final Path SCHEMA_FILES = Path.of("src/main/resources/schemas");

  static Vertx vertx;
  static JsonObject doc;

  @BeforeAll
  static void load() {
    vertx = Vertx.vertx();
    doc = OpenApi.get().document();
  }

  @AfterAll
  static void close() {
    vertx.close();
  }

  @Test
  void theServedDocumentIsValidOpenApi31() throws Exception {
    OpenAPIContract contract = contract(vertx);
    assertThat(contract.getVersion()).isEqualTo(OpenAPIVersion.V3_1);
    assertThat(doc.getJsonArray("servers")).isEqualTo(new JsonArray().add(new JsonObject().put("url", "/api/v1")));
    Map<String, JsonObject> operations = OpenApiDocs.operations(doc);
    assertThat(contract.operations()).hasSize(operations.size());
    assertThat(contract.operations()).extracting(Operation::getOperationId).doesNotContainNull().doesNotHaveDuplicates();
  }

  /**
   * The served document, parsed and validated by vertx-openapi. Its server URL is relative ({@code /api/v1}, which
   * OpenAPI resolves against where the document was fetched from); vertx-openapi 5.0 accepts absolute URLs only,
   * so it is given an absolute one here: nothing else changes.
   */
  static OpenAPIContract contract(Vertx vertx) throws Exception {
    JsonObject served = OpenApi.get().document();
    served.put("servers", new JsonArray().add(new JsonObject().put("url", "http://localhost/api/v1")));
    return OpenAPIContract.from(vertx, served).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void everyRequestSchemaFileIsInTheDocumentAsWritten() throws IOException {
    JsonObject schemas = doc.getJsonObject("components").getJsonObject("schemas");
    Set<String> files = new TreeSet<>();
    try (Stream<Path> list = Files.list(SCHEMA_FILES)) {
      list.forEach(p -> files.add(p.getFileName().toString().replaceFirst("\\.json$", "")));
    }
    assertThat(files).isNotEmpty();
    for (String name : files) {
      JsonObject written = new JsonObject(Files.readString(SCHEMA_FILES.resolve(name + ".json")));
      written.remove("$schema");
      assertThat(schemas.getJsonObject(name)).as("components/schemas/" + name).isEqualTo(written);
      assertThat(OpenApi.get().bodySchema(name)).isEqualTo(written);
    }
    // and nothing still points outside the document
    assertThat(doc.encode()).doesNotContain("../schemas/");
  }

  @Test
  void everyBodyIsOneOfTheValidatedSchemasAndEveryValidatedSchemaIsABody() {
    Set<String> bodies = new TreeSet<>();
    OpenApiDocs.operations(doc).forEach((op, operation) -> {
      JsonObject body = operation.getJsonObject("requestBody");
      if (body != null) {
        String ref = body.getJsonObject("content").getJsonObject("application/json").getJsonObject("schema")
            .getString("$ref");
        assertThat(ref).as(op).startsWith("#/components/schemas/");
        String name = ref.substring("#/components/schemas/".length());
        assertThat(OpenApi.get().bodySchema(name)).as(op).isNotNull();
        bodies.add(name);
      }
    });
    Set<String> files = new TreeSet<>();
    doc.getJsonObject("components").getJsonObject("schemas").fieldNames().stream()
        .filter(n -> Files.exists(SCHEMA_FILES.resolve(n + ".json"))).forEach(files::add);
    assertThat(bodies).isEqualTo(files);
  }

  @Test
  void aSchemaTheDocumentLacksCannotValidateAnything() {
    assertThatThrownBy(() -> JsonBodies.schema("not-documented"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("/openapi/api.json");
  }

  @Test
  void everyOperationSaysWhoMayCallIt() {
    OpenApiDocs.operations(doc).forEach((op, operation) -> {
      JsonArray security = operation.getJsonArray("security");
      JsonArray roles = operation.getJsonArray("x-roles");
      assertThat(operation.getJsonArray("tags")).as(op).isNotEmpty();
      if (security != null && security.isEmpty()) {
        assertThat(roles).as(op + ": public, no roles").isNull();
        assertThat(operation.getString("description")).as(op).endsWith("Public: no token needed.");
      } else {
        assertThat(roles).as(op + " x-roles").isNotEmpty();
        assertThat(ROLES).as(op).containsAll(roles.stream().map(String::valueOf).toList());
        assertThat(operation.getString("description")).as(op)
            .endsWith("Roles: " + String.join(", ", roles.stream().map(String::valueOf).toList()) + ".");
        assertThat(operation.getJsonObject("responses").fieldNames()).as(op).contains("401", "403");
      }
    });
  }

  @Test
  void everyErrorResponseHasTheOneErrorShape() {
    JsonObject responses = doc.getJsonObject("components").getJsonObject("responses");
    OpenApiDocs.operations(doc).forEach((op, operation) -> {
      JsonObject given = operation.getJsonObject("responses");
      assertThat(given.fieldNames().stream().filter(s -> s.startsWith("2"))).as(op + " success").isNotEmpty();
      assertThat(given.fieldNames()).as(op).contains("400", "500", "503");
      if (operation.containsKey("requestBody")) {
        assertThat(given.fieldNames()).as(op).contains("413", "415");
      }
      for (String status : given.fieldNames()) {
        if (status.startsWith("2")) {
          continue;
        }
        String ref = given.getJsonObject(status).getString("$ref");
        assertThat(ref).as(op + " " + status).startsWith("#/components/responses/");
        JsonObject response = responses.getJsonObject(ref.substring("#/components/responses/".length()));
        assertThat(response.getJsonObject("content").getJsonObject("application/json").getJsonObject("schema")
            .getString("$ref")).as(op + " " + status).isEqualTo("#/components/schemas/Error");
        if (List.of("429", "503").contains(status)) {
          assertThat(response.getJsonObject("headers").getJsonObject("Retry-After")).as(op + " " + status).isNotNull();
        }
      }
    });
    JsonObject error = doc.getJsonObject("components").getJsonObject("schemas").getJsonObject("Error")
        .getJsonObject("properties").getJsonObject("error");
    assertThat(error.getJsonObject("properties").fieldNames())
        .containsExactlyInAnyOrder("code", "message", "message_zh", "details", "details_zh");
  }
}
