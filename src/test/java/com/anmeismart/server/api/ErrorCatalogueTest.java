package com.anmeismart.server.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Every error a page can show has its zh-CN text: each code raised in main code (found by reading the sources, so a
 * new code without a catalogue entry fails here), each status, each JSON Schema keyword, each schema property's
 * custom message.
 */
class ErrorCatalogueTest {

  private static final Path MAIN = Path.of("src/main/java");
  private static final Path SCHEMAS = Path.of("src/main/resources/schemas");

  /**
   * Where main code names an error code: {@code new ApiException(409, "code"}, {@code ApiException.withFields(400,
   * "code"}, {@code badRequest("code"}, {@code conflict("code"}, {@code conflictOn("code"}, and a store's
   * {@code new RuleException("code"} (an account rule the admin API answers with that code).
   */
  private static final Pattern CODE = Pattern.compile(
      "(?:new\\s+RuleException\\s*\\(|new\\s+ApiException\\s*\\(\\s*\\d+\\s*,|withFields\\s*\\(\\s*\\d+\\s*,|"
          + "(?:badRequest|conflict|conflictOn)\\s*\\()\\s*\"([a-z0-9_]+)\"");

  @Test
  void everyCodeRaisedInMainCodeHasItsChineseText() throws IOException {
    Map<String, String> codes = new TreeMap<>();
    try (Stream<Path> files = Files.walk(MAIN)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        Matcher m = CODE.matcher(Files.readString(file, StandardCharsets.UTF_8));
        while (m.find()) {
          codes.putIfAbsent(m.group(1), file.getFileName().toString());
        }
      }
    }
    assertThat(codes).as("the scan finds the codes (else the pattern is broken)")
        .containsKeys("invalid_json", "invalid_credentials", "already_claimed", "self_lockout");
    List<String> missing = codes.entrySet().stream().filter(e -> !ErrorCatalogue.has(e.getKey()))
        .map(e -> e.getKey() + " (" + e.getValue() + ")").toList();
    assertThat(missing).as("codes without a zh-CN text in ErrorCatalogue").isEmpty();
    // built from a field name in Responses.duplicateToConflict, so not a literal the scan can see
    assertThat(ErrorCatalogue.has("username_taken")).isTrue();
    assertThat(ErrorCatalogue.has("email_taken")).isTrue();
  }

  @Test
  void everyStatusHasACodeAndChineseText() {
    for (int status : new int[] {400, 401, 403, 404, 405, 406, 409, 413, 414, 415, 417, 429, 431, 500, 503}) {
      String code = ErrorCatalogue.statusCode(status);
      assertThat(ErrorCatalogue.has(code)).as("status %d → %s", status, code).isTrue();
      assertThat(ErrorCatalogue.zh(code, status)).as("status %d", status).matches(".*\\p{IsHan}.*");
    }
    // a status the catalogue does not list still gets a code and Chinese text
    assertThat(ErrorCatalogue.statusCode(418)).isEqualTo("bad_request");
    assertThat(ErrorCatalogue.zh("no_such_code", 502)).isEqualTo(ErrorCatalogue.zh("internal_error", 500));
  }

  @Test
  void everySchemaPropertyWithAnEnglishMessageHasAChineseOne() throws IOException {
    List<String> missing = new ArrayList<>();
    try (Stream<Path> files = Files.list(SCHEMAS)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
        JsonObject schema = new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
        JsonObject props = schema.getJsonObject("properties", new JsonObject());
        for (String name : props.fieldNames()) {
          JsonObject p = props.getJsonObject(name);
          if (p.containsKey("x-error") && !(p.getValue("x-error-zh") instanceof String zh && zh.matches(".*\\p{IsHan}.*"))) {
            missing.add(file.getFileName() + "#" + name);
          }
        }
      }
    }
    assertThat(missing).as("x-error without x-error-zh").isEmpty();
  }

  @Test
  void schemaKeywordsHaveChineseTextsWithTheSchemasLimits() {
    assertThat(SchemaMessages.zh("minLength", 8, false)).isEqualTo("至少 8 个字符");
    assertThat(SchemaMessages.zh("maximum", 100.0, false)).isEqualTo("不能大于 100");
    assertThat(SchemaMessages.zh("type", "integer", false)).isEqualTo("类型不对，应为整数");
    assertThat(SchemaMessages.zh("type", new JsonArray().add("string").add("null"), false)).isEqualTo("类型不对，应为文本或空值");
    assertThat(SchemaMessages.zh("enum", new JsonArray().add("agent").add("chat"), false)).isEqualTo("须为以下之一：agent、chat");
    assertThat(SchemaMessages.zh("format", "uuid", false)).isEqualTo("格式不正确，应为UUID");
    assertThat(SchemaMessages.zh("minLength", 1, true)).isEqualTo("其中一项至少 1 个字符");
    for (String keyword : List.of("required", "type", "enum", "const", "minLength", "maxLength", "pattern", "format",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minItems", "maxItems",
        "uniqueItems", "minProperties", "maxProperties", "additionalProperties", "propertyNames", "dependentRequired",
        "items", "contains")) {
      assertThat(SchemaMessages.zh(keyword, 3, false)).as(keyword).isNotEqualTo("填写有误").matches(".*\\p{IsHan}.*");
    }
  }

  @Test
  void validationGivesEachFieldItsChineseTextByKeywordWhenTheSchemaHasNone() {
    // a schema without x-error texts: the keyword texts apply, with the schema's limits
    JsonObject bare = new JsonObject().put("type", "object").put("required", new JsonArray().add("name"))
        .put("properties", new JsonObject()
            .put("name", new JsonObject().put("type", "string").put("minLength", 3))
            .put("tags", new JsonObject().put("type", "array").put("items", new JsonObject().put("type", "string")))
            .put("level", new JsonObject().put("type", "integer").put("maximum", 9)));
    ApiException e = catchThrowableOfType(ApiException.class, () -> JsonBodies.of(bare)
        .valid(new JsonObject().put("tags", new JsonArray().add("ok").add(5)).put("level", 12)));
    assertThat(e.code()).isEqualTo("validation_failed");
    assertThat(e.details().fieldNames()).containsExactlyInAnyOrder("name", "tags", "level");
    assertThat(e.detailsZh().getMap()).containsEntry("name", "必填").containsEntry("tags", "其中一项类型不对，应为文本")
        .containsEntry("level", "不能大于 9");
  }

  @Test
  void validationUsesTheSchemasOwnChineseTextWhenItHasOne() {
    ApiException e = catchThrowableOfType(ApiException.class, () -> JsonBodies.schema("register")
        .valid(new JsonObject().put("username", "ab").put("email", "x@y.cn").put("password", "short")));
    assertThat(e.details().fieldNames()).containsExactlyInAnyOrder("username", "password");
    assertThat(e.detailsZh().getString("username")).isEqualTo("须为 3 到 32 个字符：字母（可用中文）、数字、_ . -");
    assertThat(e.detailsZh().getString("password")).isEqualTo("须为 8 到 128 个字符");
  }
}
