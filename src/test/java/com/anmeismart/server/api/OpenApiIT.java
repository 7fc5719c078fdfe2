package com.anmeismart.server.api;

import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OpenAPI document against the running server: served publicly; every route of the {@code /api/v1} router is an
 * operation and every operation a route; each operation's {@code x-roles} is what the server enforces; each request
 * body is checked against the documented schema, field by field; each documented query range is the server's; and
 * every answer the server gives in these tests (success or error) conforms to the document (vertx-openapi's
 * {@link ResponseValidator}: status documented, body matching its schema).
 */
class OpenApiIT {

  static final List<String> ROLES = List.of("customer", "consultant", "doctor", "operator", "admin");

  static TestApp server;
  static Vertx vertx;
  static JsonObject doc;
  static ResponseValidator responses;
  static final Map<String, String> tokens = new LinkedHashMap<>();
  static String customerId;
  static String conversationId;
  static String jobId;

  @BeforeAll
  static void start() throws Exception {
    server = TestApp.start(null);
    vertx = Vertx.vertx();
    doc = OpenApi.get().document();
    responses = ResponseValidator.create(vertx, OpenApiTest.contract(vertx));
    String admin = server.adminToken();
    tokens.put("admin", admin);
    for (String role : List.of("consultant", "doctor", "operator")) {
      String username = "oa_" + role;
      Http.Res res = server.http.post("/api/v1/admin/users", new JsonObject().put("username", username)
          .put("email", username + "@clinic.example").put("password", "staff-password").put("role", role)
          .put("full_name", "文档" + role), admin);
      assertThat(res.status()).as(res.body()).isEqualTo(201);
      tokens.put(role, server.login(username, "staff-password"));
    }
    JsonObject customer = server.register("oa_customer", new JsonObject().put("full_name", "文档客户"));
    customerId = customer.getString("id");
    tokens.put("customer", server.login("oa_customer", "correct-horse"));
    Map<String, Object> job = Poll.until(Duration.ofSeconds(30), "the customer's automation job to succeed", () ->
        server.db().one("SELECT id, conversation_id FROM automation_jobs WHERE user_id = ? AND status = 'succeeded'",
            UUID.fromString(customerId)));
    jobId = job.get("id").toString();
    conversationId = job.get("conversation_id").toString();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (vertx != null) {
      vertx.close();
    }
  }

  @Test
  void theDocumentIsServedToAnyoneAsJson() {
    Http.Res res = server.http.get("/api/v1/openapi.json", null);
    assertThat(res.status()).isEqualTo(200);
    assertThat(res.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    assertThat(res.json()).isEqualTo(OpenApi.get().document());
    assertThat(res.json().getString("openapi")).isEqualTo("3.1.0");
    conforms("openapi", res);
  }

  /** Read from the real router: an extra instance of the API verticle, deployed on the test server's Vert.x. */
  @Test
  void everyRouteIsDocumentedAndEveryDocumentedOperationIsARoute() throws Exception {
    HttpApiVerticle extra = new HttpApiVerticle(server.app.context());
    String id = server.app.vertx().deployVerticle(extra).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    try {
      Set<String> routes = new TreeSet<>();
      for (Route route : extra.apiRouter().getRoutes()) {
        // the guards (api.route("/admin/*"), the body handler, …) have no method: they are not operations
        if (route.getPath() != null && route.methods() != null && !route.methods().isEmpty()) {
          String path = route.getPath().replaceAll(":([A-Za-z_][A-Za-z0-9_]*)", "{$1}");
          route.methods().forEach(m -> routes.add(m.name() + " " + path));
        }
      }
      Set<String> documented = new TreeSet<>(OpenApiDocs.operations(doc).keySet());
      assertThat(routes).as("routes of the /api/v1 router").hasSizeGreaterThan(40);
      assertThat(new TreeSet<>(difference(routes, documented))).as("routes missing from resources/openapi/api.json")
          .isEmpty();
      assertThat(new TreeSet<>(difference(documented, routes))).as("documented operations with no route").isEmpty();
    } finally {
      server.app.vertx().undeploy(id).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void eachOperationsRolesAreTheOnesTheServerLetsIn() {
    List<String> checked = new ArrayList<>();
    OpenApiDocs.operations(doc).forEach((op, operation) -> {
      String method = op.substring(0, op.indexOf(' '));
      String path = withIds(op.substring(op.indexOf(' ') + 1));
      JsonObject body = operation.containsKey("requestBody") ? new JsonObject() : null;
      JsonArray roles = operation.getJsonArray("x-roles");
      String opId = operation.getString("operationId");
      if (roles == null) {
        Http.Res res = call(method, path, body, null);
        assertThat(res.status()).as(op + " is public").isNotIn(401, 403);
        conforms(opId, res);
        return;
      }
      Http.Res anonymous = call(method, path, body, null);
      assertThat(anonymous.status()).as(op + " without a token").isEqualTo(401);
      conforms(opId, anonymous);
      for (String role : ROLES) {
        Http.Res res = call(method, path, body, tokens.get(role));
        if (roles.contains(role)) {
          assertThat(res.status()).as(op + " as " + role + ": " + res.body()).isNotIn(401, 403);
        } else {
          assertThat(res.status()).as(op + " as " + role + ": " + res.body()).isEqualTo(403);
          assertThat(res.errorCode()).isEqualTo("forbidden");
        }
        conforms(opId, res);
      }
      checked.add(op);
    });
    assertThat(checked).hasSizeGreaterThanOrEqualTo(40);
  }

  /**
   * Each body's every documented property sent with a value its schema refuses: the answer names every one of them
   * (details and details_zh), so the server checks exactly the published schema.
   */
  @Test
  void bodiesAreCheckedAgainstTheDocumentedSchemaFieldByField() {
    JsonObject schemas = doc.getJsonObject("components").getJsonObject("schemas");
    int bodies = 0;
    for (Map.Entry<String, JsonObject> e : OpenApiDocs.operations(doc).entrySet()) {
      JsonObject operation = e.getValue();
      if (!operation.containsKey("requestBody")) {
        continue;
      }
      String ref = operation.getJsonObject("requestBody").getJsonObject("content").getJsonObject("application/json")
          .getJsonObject("schema").getString("$ref");
      JsonObject schema = schemas.getJsonObject(ref.substring(ref.lastIndexOf('/') + 1));
      JsonObject wrong = new JsonObject();
      schema.getJsonObject("properties").forEach(p -> {
        Object value = refused((JsonObject) p.getValue());
        if (value != null) {
          wrong.put(p.getKey(), value);
        }
      });
      String op = e.getKey();
      String role = callerFor(operation);
      Http.Res res = call(op.substring(0, op.indexOf(' ')), withIds(op.substring(op.indexOf(' ') + 1)),
          wrong, role == null ? null : tokens.get(role));
      assertThat(res.status()).as(op + " " + wrong.encode() + " → " + res.body()).isEqualTo(400);
      assertThat(res.errorCode()).as(op).isEqualTo("validation_failed");
      assertThat(res.errorDetails().fieldNames()).as(op + " names every wrong field")
          .containsExactlyInAnyOrderElementsOf(wrong.fieldNames());
      assertThat(res.json().getJsonObject("error").getJsonObject("details_zh").fieldNames()).as(op)
          .containsExactlyInAnyOrderElementsOf(wrong.fieldNames());
      conforms(operation.getString("operationId"), res);

      JsonArray required = schema.getJsonArray("required", new JsonArray());
      if (!required.isEmpty()) {
        Http.Res empty = call(op.substring(0, op.indexOf(' ')), withIds(op.substring(op.indexOf(' ') + 1)),
            new JsonObject(), role == null ? null : tokens.get(role));
        assertThat(empty.status()).as(op + " {}").isEqualTo(400);
        assertThat(empty.errorDetails().fieldNames()).as(op + " {} names the required fields")
            .containsExactlyInAnyOrderElementsOf(required.stream().map(String::valueOf).toList());
      }
      bodies++;
    }
    assertThat(bodies).isGreaterThanOrEqualTo(14);
  }

  /**
   * Every documented query parameter with a range, a list of values, a format or a length: just outside it is a 400
   * naming the parameter; at the documented limit it is accepted.
   */
  @Test
  void queryParametersHaveTheDocumentedRanges() {
    int checked = 0;
    for (Map.Entry<String, JsonObject> e : OpenApiDocs.operations(doc).entrySet()) {
      String op = e.getKey();
      String method = op.substring(0, op.indexOf(' '));
      String path = withIds(op.substring(op.indexOf(' ') + 1));
      String token = tokens.get(callerFor(e.getValue()));
      String opId = e.getValue().getString("operationId");
      for (JsonObject param : OpenApiDocs.parameters(doc, op)) {
        if (!"query".equals(param.getString("in"))) {
          continue;
        }
        String name = param.getString("name");
        JsonObject schema = OpenApiDocs.resolve(doc, param.getJsonObject("schema"));
        Map<String, Boolean> probes = probes(schema); // value → accepted?
        for (Map.Entry<String, Boolean> probe : probes.entrySet()) {
          Http.Res res = call(method, path + "?" + name + "=" + URLEncoder.encode(probe.getKey(), StandardCharsets.UTF_8),
              null, token);
          String what = op + " ?" + name + "=" + probe.getKey() + " → " + res.body();
          if (probe.getValue()) {
            assertThat(res.status()).as(what).isNotEqualTo(400);
          } else {
            assertThat(res.status()).as(what).isEqualTo(400);
            assertThat(res.errorDetails().fieldNames()).as(what).containsExactly(name);
          }
          conforms(opId, res);
          checked++;
        }
        if (param.getBoolean("required", false)) {
          Http.Res res = call(method, path, null, token);
          assertThat(res.status()).as(op + " without " + name).isEqualTo(400);
          assertThat(res.errorDetails().fieldNames()).as(op).containsExactly(name);
        }
      }
    }
    assertThat(checked).isGreaterThan(50);
  }

  /** The success answers, on real resources, as the document describes them. */
  @Test
  void successAnswersOnRealResourcesConform() {
    String admin = tokens.get("admin");
    String consultant = tokens.get("consultant");
    String customer = tokens.get("customer");
    conforms("getJob", ok(server.http.get("/api/v1/admin/registration-automation/jobs/" + jobId, admin), 200));
    conforms("retryJob", ok(server.http.post("/api/v1/admin/registration-automation/jobs/" + jobId + "/retry",
        new JsonObject(), admin), 409));
    conforms("customerTimeline", ok(server.http.get("/api/v1/admin/registration-automation/customers/" + customerId
        + "/timeline", admin), 200));
    conforms("listConversations", ok(server.http.get("/api/v1/conversations", customer), 200));
    conforms("listMessages", ok(server.http.get("/api/v1/conversations/" + conversationId + "/messages", customer), 200));
    conforms("claimConversation", ok(server.http.post("/api/v1/conversations/" + conversationId + "/claim",
        new JsonObject(), consultant), 200));
    conforms("sendMessage", ok(server.http.post("/api/v1/conversations/" + conversationId + "/messages",
        new JsonObject().put("content", "您好，我是您的顾问"), consultant), 201));
    conforms("getConversation", ok(server.http.get("/api/v1/conversations/" + conversationId, customer), 200));
    conforms("catalogueServices", ok(server.http.get("/api/v1/catalogue/services", null), 200));
    conforms("getNotificationSettings", ok(server.http.get("/api/v1/admin/notification-settings",
        tokens.get("operator")), 200));
    Http.Res inbox = ok(server.http.get("/api/v1/notifications", consultant), 200);
    conforms("listNotifications", inbox);
    String notification = inbox.json().getJsonArray("items").getJsonObject(0).getString("id");
    conforms("readNotification", ok(server.http.post("/api/v1/notifications/" + notification + "/read",
        new JsonObject(), consultant), 200));
    conforms("deliveredNotification", ok(server.http.post("/api/v1/notifications/" + notification + "/delivered",
        new JsonObject(), consultant), 200));
    conforms("vapidPublicKey", ok(server.http.get("/api/v1/push/vapid-public-key", consultant), 200));
    JsonObject subscription = new JsonObject().put("endpoint", "https://push.example.com/oa-1").put("keys",
        new JsonObject().put("p256dh", "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM")
            .put("auth", "tBHItJI5svbpez7KI4CCXg"));
    conforms("subscribePush", ok(server.http.post("/api/v1/push/subscriptions", subscription, consultant), 201));
    conforms("subscribePush", ok(server.http.post("/api/v1/push/subscriptions", subscription, consultant), 200));
    conforms("unsubscribePush", ok(server.http.delete("/api/v1/push/subscriptions?endpoint="
        + URLEncoder.encode("https://push.example.com/oa-1", StandardCharsets.UTF_8), consultant), 204));

    conforms("closeConversation", ok(server.http.post("/api/v1/conversations/" + conversationId + "/close",
        new JsonObject(), consultant), 200));

    Http.Res group = ok(server.http.post("/api/v1/mcp/groups", new JsonObject().put("name", "oa_tools"), admin), 201);
    conforms("createMcpGroup", group);
    String groupId = group.json().getString("id");
    conforms("updateMcpGroup", ok(server.http.put("/api/v1/mcp/groups/" + groupId,
        new JsonObject().put("description", "文档测试"), admin), 200));
    conforms("viewMcpKey", ok(server.http.get("/api/v1/mcp/groups/" + groupId + "/api-key", admin), 200));
    conforms("rotateMcpKey", ok(server.http.post("/api/v1/mcp/groups/" + groupId + "/regenerate-key",
        new JsonObject().put("grace_seconds", 600), admin), 200));
    conforms("revokePreviousMcpKey", ok(server.http.post("/api/v1/mcp/groups/" + groupId + "/revoke-previous-key",
        new JsonObject(), admin), 200));
    conforms("previewWelcomeGuard", ok(server.http.post("/api/v1/admin/registration-automation/welcome-guard/preview",
        new JsonObject().put("text", "王小美您好，欢迎来到安美智享。我们提供水光针等项目。"), tokens.get("operator")), 200));
    conforms("deleteMcpGroup", ok(server.http.delete("/api/v1/mcp/groups/" + groupId, admin), 204));
    // an id that names nothing is a 404 (these two once threw inside onSuccess and never answered)
    conforms("updateMcpGroup", ok(server.http.put("/api/v1/mcp/groups/" + groupId,
        new JsonObject().put("description", "已删除"), admin), 404));
    conforms("updateMcpTool", ok(server.http.put("/api/v1/mcp/tools/" + UUID.randomUUID(),
        new JsonObject().put("description", "无此工具"), admin), 404));
    String toolId = server.http.get("/api/v1/mcp/tools", admin).json().getJsonArray("items").stream()
        .map(o -> (JsonObject) o).filter(t -> "get_user_profile".equals(t.getString("tool_name"))).findFirst()
        .orElseThrow().getString("id");
    conforms("updateMcpTool", ok(server.http.put("/api/v1/mcp/tools/" + toolId,
        new JsonObject().put("description", "客户资料"), admin), 200));
    conforms("testMcpTool", ok(server.http.post("/api/v1/admin/mcp/tools/" + toolId + "/test",
        new JsonObject().put("arguments", new JsonObject().put("user_id", customerId)), admin), 200));

    Http.Res dify = ok(server.http.post("/api/v1/dify/configs", new JsonObject().put("name", "oa-dify")
        .put("base_url", "http://127.0.0.1:9/v1").put("api_key", "app-oa-secret").put("enabled", false), admin), 201);
    conforms("createDifyConfig", dify);
    String difyId = dify.json().getString("id");
    conforms("updateDifyConfig", ok(server.http.put("/api/v1/dify/configs/" + difyId,
        new JsonObject().put("weight", 50), admin), 200));
    conforms("difyConfigHealth", ok(server.http.get("/api/v1/dify/configs/" + difyId + "/health", admin), 200));
    conforms("deleteDifyConfig", ok(server.http.delete("/api/v1/dify/configs/" + difyId, admin), 204));

    Http.Res staff = ok(server.http.post("/api/v1/admin/users", new JsonObject().put("username", "oa_extra")
        .put("email", "oa_extra@clinic.example").put("password", "staff-password").put("role", "consultant"), admin), 201);
    conforms("createUser", staff);
    conforms("updateUser", ok(server.http.put("/api/v1/admin/users/" + staff.json().getString("id"),
        new JsonObject().put("full_name", "新顾问"), admin), 200));
    conforms("createUser", ok(server.http.post("/api/v1/admin/users", new JsonObject().put("username", "oa_extra")
        .put("email", "oa_extra@clinic.example").put("password", "staff-password").put("role", "consultant"), admin), 409));
  }

  // ---- helpers

  /** The answer conforms to the operation in the document: a documented status, its body matching the schema. */
  static void conforms(String operationId, Http.Res res) {
    Map<String, String> headers = new HashMap<>();
    res.headers().map().forEach((k, v) -> headers.put(k, v.get(0)));
    // the media type without its parameters: vertx-openapi matches "application/json" exactly, not "…; charset=utf-8"
    String type = res.headers().firstValue("Content-Type").map(t -> t.replaceFirst(";.*", "").strip()).orElse(null);
    ValidatableResponse response = res.body().isEmpty() ? ValidatableResponse.create(res.status(), headers)
        : ValidatableResponse.create(res.status(), headers, Buffer.buffer(res.body()), type);
    try {
      responses.validate(response, operationId).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      String body = res.body().length() > 600 ? res.body().substring(0, 600) + "…" : res.body();
      throw new AssertionError(operationId + ": " + res.status() + " " + body + " does not conform: "
          + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
    }
  }

  private static Http.Res ok(Http.Res res, int status) {
    assertThat(res.status()).as(res.body()).isEqualTo(status);
    return res;
  }

  /** The role a body or parameter check calls as: admin when allowed, else the first allowed role; null if public. */
  private static String callerFor(JsonObject operation) {
    JsonArray roles = operation.getJsonArray("x-roles");
    return roles == null ? null : roles.contains("admin") ? "admin" : roles.getString(0);
  }

  /** The API path with a fresh UUID for every path parameter (they name nothing: 404 when the caller may ask). */
  private static String withIds(String path) {
    return "/api/v1" + path.replaceAll("\\{[a-z_]+}", UUID.randomUUID().toString());
  }

  private static Http.Res call(String method, String path, JsonObject body, String token) {
    return switch (method) {
      case "GET" -> server.http.get(path, token);
      case "DELETE" -> server.http.delete(path, token);
      case "PUT" -> server.http.put(path, body == null ? new JsonObject() : body, token);
      case "POST" -> body == null ? server.http.raw("POST", path, null, new byte[0], token)
          : server.http.post(path, body, token);
      default -> throw new IllegalArgumentException(method);
    };
  }

  /** A value the property's schema refuses, or null when it takes anything. */
  private static Object refused(JsonObject property) {
    Validator validator = Validator.create(JsonSchema.of(property),
        new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri("app:///").setOutputFormat(OutputFormat.Flag));
    for (Object candidate : new Object[] {true, 1.5, new JsonArray().add(1), new JsonObject().put("x", 1), "~"}) {
      if (!Boolean.TRUE.equals(validator.validate(candidate).getValid())) {
        return candidate;
      }
    }
    return null;
  }

  /** Query values at and just beyond the schema's limits: value → whether the server must accept it. */
  private static Map<String, Boolean> probes(JsonObject schema) {
    Map<String, Boolean> out = new LinkedHashMap<>();
    if (schema.containsKey("minimum")) {
      long min = schema.getLong("minimum");
      out.put(Long.toString(min), true);
      out.put(Long.toString(min - 1), false);
    }
    if (schema.containsKey("maximum")) {
      long max = schema.getLong("maximum");
      out.put(Long.toString(max), true);
      out.put(Long.toString(max + 1), false);
    }
    if ("integer".equals(schema.getString("type"))) {
      out.put("1.5", false);
    }
    if ("boolean".equals(schema.getString("type"))) {
      out.put("true", true);
      out.put("yes", false);
    }
    if (schema.containsKey("enum")) {
      schema.getJsonArray("enum").forEach(v -> out.put(String.valueOf(v), true));
      out.put("not_one_of_them", false);
    }
    if (schema.containsKey("maxLength")) {
      int max = schema.getInteger("maxLength");
      out.put("x".repeat(max), true);
      out.put("x".repeat(max + 1), false);
    }
    String format = schema.getString("format");
    if ("uuid".equals(format)) {
      out.put(UUID.randomUUID().toString(), true);
      out.put("not-a-uuid", false);
    } else if ("date-time".equals(format)) {
      out.put("2026-12-01T00:00:00Z", true);
      out.put("2026-12-01T08:00:00+08:00", true);
      out.put("yesterday", false);
    }
    return out;
  }

  private static <T> Set<T> difference(Set<T> a, Set<T> b) {
    Set<T> out = new TreeSet<>(a);
    out.removeAll(b);
    return out;
  }
}
