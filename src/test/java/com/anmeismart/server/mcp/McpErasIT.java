package com.anmeismart.server.mcp;

import com.anmeismart.server.mcp.tools.ToolDef;
import com.anmeismart.server.mcp.tools.Tools;
import com.anmeismart.server.security.ContextTokens;
import com.anmeismart.server.security.SecretBox;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Both protocol eras on one {@code /mcp}, raw on the wire: the tool definitions published exactly as declared,
 * annotations and output schemas, structured results that match their schemas, revision-dependent fields, the
 * stateless era's calls logged and counted like the others, notifications acknowledged at once, invalid params.
 */
class McpErasIT {

  static final String LIN = "00000000-0000-4000-8000-00000000d001";
  static final String CHEN = "00000000-0000-4000-8000-00000000d002";
  static TestApp server;
  static String admin;
  static int port;
  static Map<String, ToolDef> declared = new LinkedHashMap<>();

  @BeforeAll
  static void start() {
    server = TestApp.start(null);
    admin = server.adminToken();
    port = server.port("MCP_PORT");
    Tools.all(null, null, null, java.time.ZoneId.of("Asia/Shanghai")).forEach(d -> declared.put(d.name(), d)); // the definitions as the code declares them
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static String key(String group) {
    String id = server.http.get("/api/v1/mcp/groups", admin).json().getJsonArray("items").stream()
        .map(o -> (JsonObject) o).filter(g -> g.getString("name").equals(group)).findFirst().orElseThrow()
        .getString("id");
    return server.http.get("/api/v1/mcp/groups/" + id + "/api-key", admin).json().getString("api_key");
  }

  static McpClient.Res stateless(String key, String method, JsonObject params, String clientName) {
    return new McpClient(port, key).stateless(method, params, clientName);
  }

  @Test
  void everyEraPublishesTheDeclaredSchemasByteForByte() {
    for (String group : List.of("system_tools", "medical_tools", "consultation_tools", "project_tools",
        "welcome_tools")) {
      String key = key(group);
      McpClient session = new McpClient(port, key).open("2025-11-25");
      String handshake = session.post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}").body();
      String modern = stateless(key, "tools/list", null, "eras-it").body();
      String rest = new Http("http://127.0.0.1:" + port).get("/mcp/tools", key).body();
      JsonArray tools = new JsonObject(handshake).getJsonObject("result").getJsonArray("tools");
      assertThat(tools).isNotEmpty();
      for (Object o : tools) {
        ToolDef def = declared.get(((JsonObject) o).getString("name"));
        // the bytes of the declared schema appear as they are, with nothing added (no __absolute_uri__)
        String input = "\"inputSchema\":" + def.inputSchema().encode();
        assertThat(handshake).as(def.name()).contains(input);
        assertThat(modern).as(def.name()).contains(input);
        assertThat(rest).as(def.name()).contains("\"input_schema\":" + def.inputSchema().encode());
        if (def.outputSchema() != null) {
          assertThat(handshake).contains("\"outputSchema\":" + def.outputSchema().encode());
          assertThat(modern).contains("\"outputSchema\":" + def.outputSchema().encode());
        }
        JsonObject hints = ((JsonObject) o).getJsonObject("annotations");
        assertThat(hints.fieldNames()).as(def.name())
            .containsExactlyInAnyOrder("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint");
        assertThat(hints.getBoolean("readOnlyHint")).isEqualTo(def.hints().readOnly());
        assertThat(hints.getBoolean("destructiveHint")).isEqualTo(def.hints().destructive());
      }
      assertThat(handshake + modern + rest).doesNotContain("__absolute_uri__");
      // the stateless list holds the same definitions, in the same order
      assertThat(new JsonObject(modern).getJsonObject("result").getJsonArray("tools")).isEqualTo(tools);
    }
  }

  @Test
  void recordToolsAnswerWithStructuredContentTheirSchemaAccepts() {
    String future = LocalDate.now(ZoneId.of("Asia/Shanghai")).plusDays(5).toString();
    JsonObject customer = server.register("eras_" + UUID.randomUUID().toString().substring(0, 8),
        new JsonObject().put("full_name", "赵小雨").put("interests", new JsonArray().add("补水").add("抗衰")));
    String token = new ContextTokens(server.app.vertx(), new SecretBox(TestApp.defaults(server.dataDir)
        .getString("SECRETS_KEY"))).issue(UUID.fromString(customer.getString("id")), Duration.ofMinutes(5));
    McpClient consult = new McpClient(port, key("consultation_tools")).open("2025-06-18");
    McpClient medical = new McpClient(port, key("medical_tools")).open("2025-11-25");
    McpClient project = new McpClient(port, key("project_tools")).open("2025-06-18");
    String conversation = Poll.until(Duration.ofSeconds(20), "the customer's default conversation", () ->
        structured(consult, "get_user_profile", new JsonObject().put("user_id", customer.getString("id")))
            .getString("default_conversation_id"));
    String slot = structured(project, "appointment_booking", new JsonObject().put("action", "slots")
        .put("date", future)).getJsonArray("slots").getJsonObject(0).getString("slot_id");
    JsonObject booked = structured(project, "appointment_booking", new JsonObject().put("action", "book")
        .put("slot_id", slot).put("service_id", "hydra_facial").put("customer_id", customer.getString("id")));
    Object[][] calls = {
        {consult, "get_user_profile", new JsonObject().put("user_id", LIN).put("include_details", true)},
        {consult, "customer_analysis", new JsonObject().put("user_id", LIN).put("analysis_type", "basic")},
        {consult, "customer_analysis", new JsonObject().put("user_id", CHEN).put("analysis_type", "predictive")},
        {consult, "consultation_history", new JsonObject().put("customer_id", customer.getString("id"))},
        {consult, "get_conversation_data", new JsonObject().put("conversation_id", conversation)},
        {consult, "plan_generation", new JsonObject().put("customer_id", LIN).put("goals", "补水,抗衰,祛斑")
            .put("budget_max", 3000)},
        {medical, "medical_records", new JsonObject().put("patient_id", LIN)},
        {medical, "patient_analysis", new JsonObject().put("patient_id", CHEN)},
        {medical, "diagnosis_assist", new JsonObject().put("concern", "玻尿酸填充").put("patient_id", CHEN)},
        {project, "service_info", new JsonObject().put("keyword", "补水")},
        {project, "basic_inquiry", new JsonObject().put("question", "营业时间？")},
        {project, "appointment_booking", new JsonObject().put("action", "list")
            .put("customer_id", customer.getString("id"))},
        {project, "appointment_booking", new JsonObject().put("action", "cancel")
            .put("appointment_id", booked.getString("appointment_id"))},
    };
    for (Object[] c : calls) {
      structured((McpClient) c[0], (String) c[1], (JsonObject) c[2]);
    }
    // the stateless era answers the same way
    McpClient.Res modern = stateless(key("welcome_tools"), "tools/call", new JsonObject().put("name",
        "get_user_profile").put("arguments", new JsonObject().put("context_token", token)), "eras-it");
    JsonObject result = modern.json().getJsonObject("result");
    assertThat(result.getString("resultType")).isEqualTo("complete");
    assertValid("get_user_profile", result.getJsonObject("structuredContent"));
    assertThat(result.getJsonObject("structuredContent").getString("full_name")).isEqualTo("赵小雨");

    // a session older than 2025-06-18 gets neither field, and the text as before
    McpClient old = new McpClient(port, key("project_tools")).open("2025-03-26");
    JsonObject listed = old.request("tools/list", null).getJsonObject("result");
    assertThat(listed.encode()).doesNotContain("outputSchema").contains("readOnlyHint");
    JsonObject oldCall = old.call("service_info", new JsonObject().put("keyword", "补水")).getJsonObject("result");
    assertThat(oldCall.containsKey("structuredContent")).isFalse();
    assertThat(oldCall.getJsonArray("content").getJsonObject(0).getString("text")).contains("hydra_facial");
  }

  /** Calls the tool, checks the structured result against its published schema and the text; returns it. */
  static JsonObject structured(McpClient c, String tool, JsonObject args) {
    JsonObject result = c.call(tool, args).getJsonObject("result");
    assertThat(result.getBoolean("isError")).as(tool + " " + result.encode()).isFalse();
    JsonObject structured = result.getJsonObject("structuredContent");
    assertThat(structured).as(tool + " sends structuredContent").isNotNull();
    assertThat(new JsonObject(result.getJsonArray("content").getJsonObject(0).getString("text")))
        .as("the text content is the same record").isEqualTo(structured);
    assertValid(tool, structured);
    return structured;
  }

  static void assertValid(String tool, JsonObject structured) {
    Validator v = Validator.create(JsonSchema.of(declared.get(tool).outputSchema().copy()), new JsonSchemaOptions()
        .setDraft(Draft.DRAFT202012).setBaseUri("app:///").setOutputFormat(OutputFormat.Basic));
    OutputUnit out = v.validate(structured);
    assertThat(out.getValid()).as(tool + ": " + out.getErrors() + " in " + structured.encode()).isTrue();
  }

  @Test
  void statelessCallsAreGuardedLoggedAndCountedLikeTheOthers() {
    String key = key("welcome_tools");
    McpClient.Res refused = stateless(key, "tools/call", new JsonObject().put("name", "get_user_profile")
        .put("arguments", new JsonObject().put("user_id", LIN)), "stateless-guard-it");
    assertThat(refused.json().getJsonObject("result").getJsonArray("content").getJsonObject(0).getString("text"))
        .contains("requires a context token");
    McpClient.Res hidden = stateless(key, "tools/call", new JsonObject().put("name", "plan_generation")
        .put("arguments", new JsonObject()), "stateless-guard-it");
    assertThat(hidden.status()).isEqualTo(200);
    assertThat(hidden.json().getJsonObject("error").getString("message")).isEqualTo("Unknown tool: invalid_tool_name");
    Poll.until(Duration.ofSeconds(10), "the stateless calls in the call log", () -> server.db().count(
        "SELECT count(*) FROM mcp_call_logs l JOIN mcp_tool_groups g ON g.id = l.group_id "
            + "WHERE l.caller_app_id = 'stateless-guard-it' AND g.name = 'welcome_tools'") == 2);
    String metrics = server.metrics();
    assertThat(metrics).contains("mcp_requests_total{era=\"stateless\"}")
        .contains("mcp_tool_calls_seconds_count{group=\"welcome_tools\",outcome=\"error\",tool=\"get_user_profile\"}");
  }

  @Test
  void notificationsAreAcknowledgedAtOnceEvenWithAnOpenListeningStream() throws Exception {
    McpClient c = new McpClient(port, key("project_tools")).open("2025-11-25");
    HttpClient http = HttpClient.newHttpClient();
    CompletableFuture<HttpResponse<InputStream>> listening = http.sendAsync(HttpRequest.newBuilder(URI.create(c.url))
        .header("Authorization", "Bearer " + c.key).header("Mcp-Session-Id", c.sessionId)
        .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    HttpResponse<InputStream> stream = listening.get(10, TimeUnit.SECONDS);
    try {
      assertThat(stream.statusCode()).isEqualTo(200);
      for (String method : List.of("notifications/roots/list_changed", "notifications/cancelled",
          "notifications/whatever")) {
        long t0 = System.nanoTime();
        McpClient.Res r = c.post("{\"jsonrpc\":\"2.0\",\"method\":\"" + method + "\",\"params\":{\"requestId\":1}}");
        assertThat(r.status()).as(method).isEqualTo(202);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as(method).isLessThan(5_000);
      }
      // the session still serves requests
      assertThat(c.toolNames()).contains("service_info");
    } finally {
      stream.body().close();
    }
  }

  @Test
  void invalidParamsAreMinus32602WithAPlainMessage() {
    McpClient c = new McpClient(port, key("project_tools")).open("2025-11-25");
    for (String params : List.of("", ",\"params\":{}", ",\"params\":{\"level\":5}", ",\"params\":{\"level\":{}}",
        ",\"params\":[1]")) {
      JsonObject error = new JsonObject(c.post("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"logging/setLevel\""
          + params + "}").body()).getJsonObject("error");
      assertThat(error.getInteger("code")).as(params).isEqualTo(-32602);
      assertThat(error.getString("message")).startsWith("Invalid params:").doesNotContain("java")
          .doesNotContain("Exception").doesNotContain("jackson");
    }
    for (String params : List.of("{}", "{\"name\":7}", "{\"name\":\"service_info\",\"arguments\":[1]}", "[]")) {
      McpClient.Res r = c.post("{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"tools/call\",\"params\":" + params + "}");
      assertThat(r.status()).as(params).isEqualTo(200);
      assertThat(r.json().getJsonObject("error").getInteger("code")).as(params).isEqualTo(-32602);
    }
    assertThat(c.request("logging/setLevel", new JsonObject().put("level", "warning")).containsKey("result"))
        .isTrue();
  }
}
