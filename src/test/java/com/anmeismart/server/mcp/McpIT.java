package com.anmeismart.server.mcp;

import com.anmeismart.server.security.ContextTokens;
import com.anmeismart.server.security.SecretBox;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** The MCP server end to end: keys and groups, the guard, errors, context tokens, the admin API, the call log. */
class McpIT {

  static TestApp server;
  static Http http;
  static String admin;
  static int port;
  static ContextTokens tokens;

  @BeforeAll
  static void start() {
    server = TestApp.start(null);
    http = server.http;
    admin = server.adminToken();
    port = server.port("MCP_PORT");
    tokens = new ContextTokens(server.app.vertx(), new SecretBox(TestApp.defaults(server.dataDir)
        .getString("SECRETS_KEY")));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static JsonObject group(String name) {
    return http.get("/api/v1/mcp/groups", admin).json().getJsonArray("items").stream().map(o -> (JsonObject) o)
        .filter(g -> g.getString("name").equals(name)).findFirst().orElseThrow();
  }

  static String key(String groupName) {
    Http.Res r = http.get("/api/v1/mcp/groups/" + group(groupName).getString("id") + "/api-key", admin);
    assertThat(r.status()).isEqualTo(200);
    return r.json().getString("api_key");
  }

  static JsonObject tool(String groupName, String toolName) {
    return http.get("/api/v1/mcp/tools?group_id=" + group(groupName).getString("id"), admin).json()
        .getJsonArray("items").stream().map(o -> (JsonObject) o)
        .filter(t -> t.getString("tool_name").equals(toolName)).findFirst().orElseThrow();
  }

  @Test
  void seededGroupsHaveEncryptedKeysAndTheirTools() {
    String k = key("welcome_tools");
    assertThat(k).startsWith("mcp_key_").hasSizeGreaterThanOrEqualTo(8 + 43);
    Map<String, Object> row = server.db().one("SELECT api_key_enc, api_key_hash FROM mcp_tool_groups WHERE name = ?",
        "welcome_tools");
    assertThat(row.get("api_key_enc").toString()).doesNotContain(k.substring(8));
    assertThat(row.get("api_key_hash").toString()).hasSize(64);
    assertThat(server.db().count("SELECT count(*) FROM audit_log WHERE action = 'mcp.key.view'")).isPositive();
    assertThat(group("welcome_tools").getBoolean("requires_context_token")).isTrue();

    Map<String, List<String>> expected = Map.of(
        "system_tools", List.of("backup_restore", "project_metrics", "system_config", "user_management"),
        "medical_tools", List.of("diagnosis_assist", "medical_records", "patient_analysis"),
        "consultation_tools", List.of("consultation_history", "customer_analysis", "get_conversation_data",
            "get_user_profile", "plan_generation"),
        "project_tools", List.of("appointment_booking", "basic_inquiry", "service_info"),
        "welcome_tools", List.of("get_user_profile", "service_info"));
    expected.forEach((name, tools) -> assertThat(new McpClient(port, key(name)).open().toolNames())
        .as(name).isEqualTo(tools));
  }

  @Test
  void keyGuardAnswers401And403BeforeAnyMcpHandling() {
    String init = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
        + "\"2025-03-26\",\"capabilities\":{},\"clientInfo\":{\"name\":\"x\",\"version\":\"1\"}}}";
    McpClient.Res none = new McpClient(port, null).post(init);
    assertThat(none.status()).isEqualTo(401);
    assertThat(new McpClient(port, "mcp_key_" + "A".repeat(43)).post(init).status()).isEqualTo(401);
    assertThat(new McpClient(port, "not-even-a-key").post(init).status()).isEqualTo(401);
    String k = key("project_tools");
    assertThat(new McpClient(port, k).post(init, "Origin", "https://evil.example").status()).isEqualTo(403);
    assertThat(new McpClient(port, k).post(init, "Origin", "http://localhost:3000").status()).isEqualTo(200);

    // a session stays bound to the key that opened it
    McpClient project = new McpClient(port, k).open();
    McpClient other = new McpClient(port, key("medical_tools"));
    other.sessionId = project.sessionId;
    assertThat(other.post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}").status()).isEqualTo(404);

    String id = group("project_tools").getString("id");
    assertThat(http.put("/api/v1/mcp/groups/" + id, new JsonObject().put("enabled", false), admin).status())
        .isEqualTo(200);
    try {
      assertThat(new McpClient(port, k).post(init).status()).isEqualTo(403);
      assertThat(http.get("/api/v1/mcp/tools", null).status()).isEqualTo(401);
    } finally {
      http.put("/api/v1/mcp/groups/" + id, new JsonObject().put("enabled", true), admin);
    }
    assertThat(new McpClient(port, k).post(init).status()).isEqualTo(200);
    assertThat(server.metrics()).contains("mcp_auth_failures");
  }

  @Test
  void hiddenToolsAreUnknownToolsAndTheirErrorsMatch() {
    McpClient welcome = new McpClient(port, key("welcome_tools")).open();
    JsonObject hidden = welcome.call("plan_generation", new JsonObject().put("customer_id", "x"));
    JsonObject missing = welcome.call("no_such_tool", new JsonObject().put("customer_id", "x"));
    assertThat(hidden.getJsonObject("error").getInteger("code")).isEqualTo(-32602);
    assertThat(hidden.getJsonObject("error").getString("message"))
        .isEqualTo(missing.getJsonObject("error").getString("message"));
    // also with arguments of the wrong type: no validation message gives the hidden tool away
    JsonObject hiddenBadArgs = welcome.call("user_management", new JsonObject().put("action", 42));
    assertThat(hiddenBadArgs.getJsonObject("error").getString("message")).isEqualTo("Unknown tool: invalid_tool_name");
  }

  @Test
  void rotationKillsTheOldKeyAtOnce() {
    JsonObject g = group("medical_tools");
    String old = key("medical_tools");
    McpClient session = new McpClient(port, old).open();
    // grace 0: the choice for a leaked key (the default keeps the old key valid for MCP_KEY_GRACE_SECONDS)
    Http.Res rotated = http.post("/api/v1/mcp/groups/" + g.getString("id") + "/regenerate-key",
        new JsonObject().put("grace_seconds", 0), admin);
    assertThat(rotated.status()).isEqualTo(200);
    String fresh = rotated.json().getString("api_key");
    assertThat(fresh).startsWith("mcp_key_").isNotEqualTo(old);
    assertThat(rotated.json().getValue("previous_key_valid_until")).isNull();
    assertThat(session.post("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\"}").status()).isEqualTo(401);
    assertThat(new McpClient(port, fresh).open().toolNames()).contains("medical_records");
    assertThat(key("medical_tools")).isEqualTo(fresh);
    assertThat(server.db().count("SELECT count(*) FROM audit_log WHERE action = 'mcp.key.rotate' AND target_id = ?",
        g.getString("id"))).isEqualTo(1);
  }

  @Test
  void toolChangesApplyToTheNextRequest() {
    McpClient consult = new McpClient(port, key("consultation_tools")).open();
    String id = tool("consultation_tools", "customer_analysis").getString("id");
    assertThat(http.put("/api/v1/mcp/tools/" + id, new JsonObject().put("enabled", false), admin).status())
        .isEqualTo(200);
    try {
      assertThat(consult.toolNames()).doesNotContain("customer_analysis");
      assertThat(consult.call("customer_analysis", new JsonObject()).getJsonObject("error")).isNotNull();
    } finally {
      http.put("/api/v1/mcp/tools/" + id, new JsonObject().put("enabled", true), admin);
    }
    assertThat(consult.toolNames()).contains("customer_analysis");

    // a move: the tool leaves one group for another
    String diag = tool("medical_tools", "diagnosis_assist").getString("id");
    String projectId = group("project_tools").getString("id");
    String medicalId = group("medical_tools").getString("id");
    assertThat(http.put("/api/v1/mcp/tools/" + diag, new JsonObject().put("group_id", projectId), admin).status())
        .isEqualTo(200);
    try {
      assertThat(new McpClient(port, key("project_tools")).open().toolNames()).contains("diagnosis_assist");
      assertThat(new McpClient(port, key("medical_tools")).open().toolNames()).doesNotContain("diagnosis_assist");
    } finally {
      http.put("/api/v1/mcp/tools/" + diag, new JsonObject().put("group_id", medicalId), admin);
    }
    // the same name twice in one group is refused
    String shared = tool("welcome_tools", "get_user_profile").getString("id");
    assertThat(http.put("/api/v1/mcp/tools/" + shared, new JsonObject().put("group_id",
        group("consultation_tools").getString("id")), admin).status()).isEqualTo(409);
    assertThat(server.db().count("SELECT count(*) FROM audit_log WHERE action = 'mcp.tool.update'")).isPositive();
  }

  @Test
  void contextTokensLimitCallsToTheirUser() {
    JsonObject a = server.register("ctx_a_" + UUID.randomUUID().toString().substring(0, 8),
        new JsonObject().put("full_name", "王小美").put("interests", new JsonArray().add("补水").add("光子嫩肤"))
            .put("gender", "female").put("birth_date", "1996-05-17").put("source", "wechat"));
    JsonObject b = server.register("ctx_b_" + UUID.randomUUID().toString().substring(0, 8), null);
    String tokenA = tokens.issue(UUID.fromString(a.getString("id")), Duration.ofMinutes(5));
    McpClient welcome = new McpClient(port, key("welcome_tools")).open();

    assertThat(welcome.toolError("get_user_profile", new JsonObject().put("user_id", a.getString("id"))))
        .contains("requires a context token");
    JsonObject profile = welcome.result("get_user_profile", new JsonObject().put("context_token", tokenA));
    assertThat(profile.getString("id")).isEqualTo(a.getString("id"));
    assertThat(profile.getString("full_name")).isEqualTo("王小美");
    assertThat(profile.getInteger("age")).isPositive();
    assertThat(profile.getBoolean("is_new_user")).isTrue();
    assertThat(profile.getJsonArray("matching_services")).isNotEmpty();
    assertThat(profile.containsKey("email")).isFalse();
    assertThat(welcome.toolError("get_user_profile", new JsonObject().put("context_token", tokenA)
        .put("user_id", b.getString("id")))).contains("another user");
    assertThat(welcome.toolError("get_user_profile", new JsonObject().put("context_token", tokenA + "x")))
        .contains("invalid or expired");

    McpClient header = new McpClient(port, key("welcome_tools"));
    header.open();
    JsonObject viaHeader = new JsonObject(header.post(new JsonObject().put("jsonrpc", "2.0").put("id", 5)
            .put("method", "tools/call").put("params", new JsonObject().put("name", "get_user_profile")
                .put("arguments", new JsonObject())).encode(), "X-Context-Token", tokenA).json()
        .getJsonObject("result").getJsonArray("content").getJsonObject(0).getString("text"));
    assertThat(viaHeader.getString("id")).isEqualTo(a.getString("id"));

    JsonObject services = welcome.result("service_info", new JsonObject().put("context_token", tokenA)
        .put("interest", "补水"));
    assertThat(services.getJsonArray("services").getJsonObject(0).getJsonObject("price_range").getInteger("min"))
        .isPositive();

    // staff groups need no token, but a token still limits them
    McpClient consult = new McpClient(port, key("consultation_tools")).open();
    assertThat(consult.result("get_user_profile", new JsonObject().put("user_id", b.getString("id")))
        .getString("id")).isEqualTo(b.getString("id"));
    assertThat(consult.toolError("consultation_history", new JsonObject().put("customer_id", b.getString("id"))
        .put("context_token", tokenA))).contains("another user");

    // the call log has the calls, without the token
    Poll.until(Duration.ofSeconds(10), "call log rows", () -> server.db().count(
        "SELECT count(*) FROM mcp_call_logs WHERE tool_name = 'get_user_profile' AND success") >= 2);
    assertThat(server.db().count("SELECT count(*) FROM mcp_call_logs WHERE request_data::text LIKE ?",
        "%" + tokenA + "%")).isZero();
    assertThat(server.db().count("SELECT count(*) FROM mcp_call_logs WHERE NOT success AND error_message LIKE "
        + "'%another user%'")).isPositive();
    assertThat(server.metrics())
        .contains("mcp_tool_calls_seconds_count{group=\"welcome_tools\",outcome=\"success\",tool=\"get_user_profile\"}");
    JsonObject metrics = http.get("/api/v1/admin/mcp/metrics", admin).json();
    assertThat(metrics.getLong("total_calls")).isPositive();
    assertThat(metrics.getJsonArray("tools").stream().map(o -> ((JsonObject) o).getString("tool_name")))
        .contains("get_user_profile");
  }

  @Test
  void badRequestsGetProperErrorsAndTheServerKeepsServing() {
    McpClient c = new McpClient(port, key("project_tools")).open();
    McpClient.Res type = c.post("{}", "Content-Type", "text/plain");
    assertThat(type.status()).isEqualTo(415);
    McpClient.Res parse = c.post("{\"jsonrpc\": \"2.0\", \"id\": ");
    assertThat(parse.status()).isEqualTo(400);
    assertThat(new JsonObject(parse.body()).getJsonObject("error").getInteger("code")).isEqualTo(-32700);
    assertThat(c.post("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]").status()).isEqualTo(400);
    assertThat(new JsonObject(c.post("{\"id\":1,\"method\":\"ping\"}").body()).getJsonObject("error")
        .getInteger("code")).isEqualTo(-32600);
    assertThat(c.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", "Accept", "text/html").status())
        .isEqualTo(406);
    assertThat(c.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", "MCP-Protocol-Version", "1999-01-01")
        .status()).isEqualTo(400);
    assertThat(c.request("no/such/method", null).getJsonObject("error").getInteger("code")).isEqualTo(-32601);
    assertThat(c.toolError("appointment_booking", new JsonObject().put("action", 7))).contains("Invalid arguments");
    assertThat(c.toolError("appointment_booking", new JsonObject().put("action", "slots").put("date", "soon")))
        .contains("YYYY-MM-DD");
    String huge = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"x\":\"" + "a".repeat(2_000_000)
        + "\"}}";
    assertThat(c.post(huge).status()).isEqualTo(413);
    McpClient noSession = new McpClient(port, c.key);
    assertThat(noSession.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}").status()).isEqualTo(400);
    noSession.sessionId = UUID.randomUUID().toString();
    assertThat(noSession.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}").status()).isEqualTo(404);
    assertThat(McpClient.send(HttpRequest.newBuilder(URI.create(c.url)).header("Authorization", "Bearer " + c.key)
        .PUT(HttpRequest.BodyPublishers.ofString("{}")).build()).status()).isEqualTo(405);

    assertThat(c.request("ping", null).getJsonObject("result")).isNotNull();
    assertThat(c.delete().status()).isEqualTo(200);
    assertThat(c.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}").status()).isEqualTo(404);
  }

  @Test
  void restPairUsesTheSameKeysAndGuard() {
    String k = key("project_tools");
    Http mcp = new Http("http://127.0.0.1:" + port);
    Http.Res tools = mcp.get("/mcp/tools", k);
    assertThat(tools.status()).isEqualTo(200);
    assertThat(tools.json().getJsonArray("tools").stream().map(o -> ((JsonObject) o).getString("name")))
        .containsExactlyInAnyOrder("basic_inquiry", "service_info", "appointment_booking");
    Http.Res answer = mcp.post("/mcp/call/basic_inquiry", new JsonObject().put("question", "你们营业时间是几点？"), k);
    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.json().getJsonObject("result").getJsonArray("faq").encode()).contains("10:00");
    assertThat(mcp.post("/mcp/call/get_user_profile", new JsonObject(), k).status()).isEqualTo(404);
    assertThat(mcp.get("/mcp/status", k).json().getString("group")).isEqualTo("project_tools");
    assertThat(mcp.get("/mcp/status", "mcp_key_nope").status()).isEqualTo(401);
  }

  @Test
  void aSlotIsNeverBookedTwice() throws Exception {
    JsonObject a = server.register("slot_a_" + UUID.randomUUID().toString().substring(0, 8), null);
    JsonObject b = server.register("slot_b_" + UUID.randomUUID().toString().substring(0, 8), null);
    McpClient c = new McpClient(port, key("project_tools")).open();
    String day = LocalDate.now(ZoneId.of("Asia/Shanghai")).plusDays(3).toString();
    JsonObject slots = c.result("appointment_booking", new JsonObject().put("action", "slots").put("date", day));
    String slot = slots.getJsonArray("slots").getJsonObject(0).getString("slot_id");
    List<CompletableFuture<JsonObject>> attempts = new ArrayList<>();
    for (JsonObject customer : List.of(a, b, a, b)) {
      attempts.add(CompletableFuture.supplyAsync(() -> c.call("appointment_booking", new JsonObject()
          .put("action", "book").put("slot_id", slot).put("service_id", "hydra_facial")
          .put("customer_id", customer.getString("id")))));
    }
    long booked = attempts.stream().map(CompletableFuture::join)
        .filter(r -> !r.getJsonObject("result").getBoolean("isError")).count();
    assertThat(booked).isEqualTo(1);
    assertThat(server.db().count("SELECT count(*) FROM appointments WHERE slot_id = ? AND status = 'booked'",
        UUID.fromString(slot))).isEqualTo(1);
  }

  @Test
  void adminApiCreatesUpdatesAndDeletesGroups() {
    Http.Res created = http.post("/api/v1/mcp/groups", new JsonObject().put("name", "partner_tools")
        .put("description", "合作伙伴").put("allowed_roles", new JsonArray().add("operator")), admin);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String id = created.json().getString("id");
    String k = created.json().getString("api_key");
    assertThat(k).startsWith("mcp_key_");
    assertThat(new McpClient(port, k).open().toolNames()).isEmpty();
    assertThat(http.get("/api/v1/mcp/groups", admin).body()).doesNotContain(k);
    assertThat(http.post("/api/v1/mcp/groups", new JsonObject().put("name", "partner_tools"), admin).status())
        .isEqualTo(409);
    Http.Res bad = http.post("/api/v1/mcp/groups", new JsonObject().put("name", "Bad Name!"), admin);
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.errorDetails().containsKey("name")).isTrue();
    assertThat(http.put("/api/v1/mcp/tools/" + UUID.randomUUID(), new JsonObject().put("timeout_seconds", 0), admin)
        .errorDetails().containsKey("timeout_seconds")).isTrue();
    assertThat(http.delete("/api/v1/mcp/groups/" + id, admin).status()).isEqualTo(204);
    assertThat(new McpClient(port, k).post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}").status())
        .isEqualTo(401);
    assertThat(http.get("/api/v1/mcp/groups", server.login("root_admin", TestApp.ADMIN_PASSWORD)).status())
        .isEqualTo(200);
    String customer = server.login(server.register("cust_" + UUID.randomUUID().toString().substring(0, 8), null)
        .getString("username"), "correct-horse");
    assertThat(http.get("/api/v1/mcp/groups", customer).status()).isEqualTo(403);
    assertThat(http.get("/api/v1/admin/mcp/metrics", customer).status()).isEqualTo(403);
    assertThat(server.db().count("SELECT count(*) FROM audit_log WHERE action IN ('mcp.group.create', "
        + "'mcp.group.delete') AND target_id = ?", id)).isEqualTo(2);
  }

  @Test
  void everyToolWorksOnTheDatabase() {
    McpClient system = new McpClient(port, key("system_tools")).open();
    assertThat(system.result("user_management", new JsonObject().put("action", "list").put("role", "admin"))
        .getJsonArray("users")).isNotEmpty();
    assertThat(system.toolError("system_config", new JsonObject().put("action", "set").put("key", "mcp_test.flag")
        .put("value_json", "{\"on\":true}"))).contains("Unknown settings document");
    assertThat(system.result("system_config", new JsonObject().put("action", "set")
        .put("key", "registration_automation").put("value_json", "{\"expected_response_minutes\":6}"))
        .getJsonObject("value").getInteger("expected_response_minutes")).isEqualTo(6);
    JsonObject export = system.result("backup_restore", new JsonObject().put("action", "export"));
    assertThat(export.getJsonArray("mcp_tools")).isNotEmpty();
    assertThat(export.encode()).doesNotContain("mcp_key_").doesNotContain("api_key");
    JsonObject imported = system.result("backup_restore", new JsonObject().put("action", "import")
        .put("data", export.encode()).put("dry_run", false));
    assertThat(imported.getInteger("tools_applied")).isEqualTo(export.getJsonArray("mcp_tools").size());
    assertThat(imported.getInteger("tools_changed")).isZero(); // the export is what is stored: nothing to change
    assertThat(system.result("project_metrics", new JsonObject()).getLong("customers")).isPositive();

    String lin = "00000000-0000-4000-8000-00000000d001";
    String chen = "00000000-0000-4000-8000-00000000d002";
    McpClient medical = new McpClient(port, key("medical_tools")).open();
    assertThat(medical.result("medical_records", new JsonObject().put("patient_id", lin)).getJsonArray("records"))
        .hasSize(3);
    assertThat(medical.result("patient_analysis", new JsonObject().put("patient_id", chen)).encode())
        .contains("anticoagulants").contains("ha_filler");
    JsonObject diag = medical.result("diagnosis_assist", new JsonObject().put("concern", "想做玻尿酸填充苹果肌")
        .put("patient_id", chen));
    assertThat(diag.getString("disclaimer")).contains("不构成医疗诊断");
    assertThat(diag.getJsonArray("suggestions").stream().map(o -> (JsonObject) o)
        .filter(s -> s.getString("service_id").equals("ha_filler")).findFirst().orElseThrow()
        .getBoolean("suitable")).isFalse();

    McpClient consult = new McpClient(port, key("consultation_tools")).open();
    for (String type : List.of("basic", "detailed", "predictive")) {
      JsonObject analysis = consult.result("customer_analysis", new JsonObject().put("user_id", lin)
          .put("analysis_type", type));
      assertThat(analysis.getString("customer_segment")).isNotBlank();
      assertThat(analysis.containsKey("churn_probability")).isEqualTo(type.equals("predictive"));
    }
    JsonObject plan = consult.result("plan_generation", new JsonObject().put("customer_id", lin));
    assertThat(plan.getString("plan_id")).isNotBlank();
    assertThat(plan.getJsonArray("items")).isNotEmpty();
    assertThat(server.db().count("SELECT count(*) FROM treatment_plans WHERE customer_id = ?", UUID.fromString(lin)))
        .isPositive();
    assertThat(consult.result("consultation_history", new JsonObject().put("customer_id", lin))
        .getJsonArray("conversations")).isNotNull();
    assertThat(consult.toolError("get_conversation_data", new JsonObject().put("conversation_id",
        UUID.randomUUID().toString()))).contains("No conversation");
  }
}
