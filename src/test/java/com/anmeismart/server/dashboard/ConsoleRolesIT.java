package com.anmeismart.server.dashboard;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.testing.BridgeClient;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Who may call the console's endpoints (SPEC §3): an operator sees what an admin sees (dashboard, customers and
 * timelines, jobs, call log, settings, Dify configs, MCP groups and tools without keys) and may retry jobs, one or
 * a batch; every change, every key and the tool test call stay the admin's. Consultants and customers get 403,
 * no token 401. Each new or changed endpoint is called as each role, and the API decides, not the page.
 */
class ConsoleRolesIT {

  static TestApp server;
  static final Map<String, String> tokens = new LinkedHashMap<>();
  static String jobId;
  static String customerId;
  static String groupId;
  static String toolId;
  static String difyId;

  /** One endpoint call: who gets what. */
  record Call(String method, String path, JsonObject body, boolean operatorToo, int adminStatus) {
  }

  @BeforeAll
  static void start() {
    server = TestApp.start(new JsonObject().put("CONSOLE_COUNTERS_MS", "200"));
    String admin = server.adminToken();
    tokens.put("admin", admin);
    tokens.put("operator", Console.staff(server, admin, "operator").token());
    tokens.put("consultant", Console.staff(server, admin, "consultant").token());
    JsonObject customer = server.register("roles_" + UUID.randomUUID().toString().substring(0, 8), null);
    customerId = customer.getString("id");
    tokens.put("customer", server.login(customer.getString("username"), "correct-horse"));
    tokens.put("none", null);
    jobId = Console.awaitJob(server.db(), UUID.fromString(customerId), "succeeded").get("id").toString();
    Http.Res group = server.http.post("/api/v1/mcp/groups", new JsonObject().put("name", "roles_test_group")
        .put("description", "角色测试"), admin);
    assertThat(group.status()).as(group.body()).isEqualTo(201);
    groupId = group.json().getString("id");
    toolId = server.http.get("/api/v1/mcp/tools", admin).json().getJsonArray("items").stream()
        .map(o -> (JsonObject) o).filter(t -> "basic_inquiry".equals(t.getString("tool_name"))).findFirst()
        .orElseThrow().getString("id");
    Http.Res dify = server.http.post("/api/v1/dify/configs", new JsonObject().put("name", "roles-dify")
        .put("base_url", "http://127.0.0.1:" + Console.closedPort() + "/v1").put("api_key", "app-roles")
        .put("enabled", false), admin);
    assertThat(dify.status()).as(dify.body()).isEqualTo(201);
    difyId = dify.json().getString("id");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static List<Call> calls() {
    String ra = "/api/v1/admin/registration-automation";
    List<Call> calls = new ArrayList<>();
    // reads and job retries: admins and operators
    calls.add(new Call("GET", ra + "/dashboard?days=3", null, true, 200));
    calls.add(new Call("GET", ra + "/customers?q=roles_", null, true, 200));
    calls.add(new Call("GET", ra + "/customers/" + customerId + "/timeline", null, true, 200));
    calls.add(new Call("GET", ra + "/settings", null, true, 200));
    calls.add(new Call("GET", ra + "/jobs?status=succeeded", null, true, 200));
    calls.add(new Call("GET", ra + "/jobs/" + jobId, null, true, 200));
    calls.add(new Call("POST", ra + "/jobs/" + jobId + "/retry", new JsonObject(), true, 409)); // succeeded: no
    calls.add(new Call("POST", ra + "/jobs/retry", new JsonObject().put("status", "dead"), true, 200));
    calls.add(new Call("GET", "/api/v1/admin/mcp/metrics", null, true, 200));
    calls.add(new Call("GET", "/api/v1/admin/mcp/calls?limit=5", null, true, 200));
    calls.add(new Call("GET", "/api/v1/mcp/groups", null, true, 200));
    calls.add(new Call("GET", "/api/v1/mcp/tools", null, true, 200));
    calls.add(new Call("GET", "/api/v1/dify/configs", null, true, 200));
    calls.add(new Call("GET", "/api/v1/dify/configs/" + difyId + "/health", null, true, 200));
    // changes, keys and tool runs: admins only
    calls.add(new Call("PUT", ra + "/settings", new JsonObject().put("expected_response_minutes", 5), false, 200));
    calls.add(new Call("POST", "/api/v1/admin/mcp/tools/" + toolId + "/test",
        new JsonObject().put("arguments", new JsonObject().put("question", "营业时间")), false, 200));
    calls.add(new Call("GET", "/api/v1/mcp/groups/" + groupId + "/api-key", null, false, 200));
    calls.add(new Call("POST", "/api/v1/mcp/groups/" + groupId + "/regenerate-key", new JsonObject(), false, 200));
    calls.add(new Call("PUT", "/api/v1/mcp/groups/" + groupId, new JsonObject().put("description", "改"), false, 200));
    calls.add(new Call("PUT", "/api/v1/mcp/tools/" + toolId, new JsonObject().put("timeout_seconds", 5), false, 200));
    calls.add(new Call("POST", "/api/v1/mcp/groups", new JsonObject().put("name", "roles_other_group"), false, 201));
    calls.add(new Call("PUT", "/api/v1/dify/configs/" + difyId, new JsonObject().put("weight", 10), false, 200));
    calls.add(new Call("POST", "/api/v1/dify/configs", new JsonObject().put("name", "roles-dify-2")
        .put("base_url", "http://127.0.0.1:9/v1").put("api_key", "app-x").put("enabled", false), false, 201));
    calls.add(new Call("GET", "/api/v1/admin/users", null, false, 200));
    calls.add(new Call("DELETE", "/api/v1/dify/configs/" + difyId, null, false, 204));
    calls.add(new Call("DELETE", "/api/v1/mcp/groups/" + groupId, null, false, 204));
    return calls;
  }

  @Test
  void everyConsoleEndpointAnswersEachRoleAsSpecified() {
    List<String> wrong = new ArrayList<>();
    // the admin last: its calls change things (a deleted config is a 404 for whoever comes after)
    for (String role : List.of("none", "customer", "consultant", "operator", "admin")) {
      for (Call call : calls()) {
        int expected = switch (role) {
          case "none" -> 401;
          case "customer", "consultant" -> 403;
          case "operator" -> call.operatorToo() ? call.adminStatus() : 403;
          default -> call.adminStatus();
        };
        Http.Res res = send(call, tokens.get(role));
        if (res.status() != expected) {
          wrong.add(role + " " + call.method() + " " + call.path() + ": " + res.status() + " (expected " + expected
              + ") " + res.body());
        }
        if (res.status() >= 400) {
          assertThat(res.json().getJsonObject("error").getString("code")).as(res.body()).isNotBlank();
        }
      }
    }
    assertThat(wrong).isEmpty();
  }

  @Test
  void anOperatorNeverSeesAKey() {
    String operator = tokens.get("operator");
    String groups = server.http.get("/api/v1/mcp/groups", operator).body();
    assertThat(groups).doesNotContain("mcp_key_").doesNotContain("api_key\"");
    Http.Res view = server.http.get("/api/v1/mcp/groups/" + firstGroup() + "/api-key", operator);
    assertThat(view.status()).isEqualTo(403);
    assertThat(view.body()).doesNotContain("mcp_key_");
    String dify = server.http.get("/api/v1/dify/configs", operator).body();
    assertThat(dify).doesNotContain("app-roles");
  }

  @Test
  void adminsAndOperatorsMayListenToTheConsoleAddressOthersMayNot() {
    int port = server.port("HTTP_PORT");
    for (String role : List.of("admin", "operator")) {
      try (BridgeClient page = BridgeClient.connect(port).register(Addresses.CLIENT_ADMINS, tokens.get(role))) {
        page.awaitListening(server.app.vertx().eventBus(), Addresses.CLIENT_ADMINS);
        server.app.vertx().eventBus().publish(Addresses.CLIENT_ADMINS, new JsonObject().put("type", "probe_" + role));
        page.awaitBody(Addresses.CLIENT_ADMINS, "probe_" + role);
      }
    }
    for (String role : List.of("consultant", "customer")) {
      try (BridgeClient page = BridgeClient.connect(port).register(Addresses.CLIENT_ADMINS, tokens.get(role))) {
        assertThat(page.awaitError(1)).as(role).isEqualTo("rejected");
      }
    }
  }

  @Test
  void liveCountersReachAnOpenConsoleAndFollowRegistrations() {
    int port = server.port("HTTP_PORT");
    try (BridgeClient page = BridgeClient.connect(port).register(Addresses.CLIENT_ADMINS, tokens.get("operator"))) {
      page.awaitListening(server.app.vertx().eventBus(), Addresses.CLIENT_ADMINS);
      JsonObject first = page.awaitBody(Addresses.CLIENT_ADMINS, "counters");
      assertThat(first.fieldNames()).contains("date", "registrations", "succeeded", "failed", "dead", "running",
          "fallbacks", "waiting_customers", "consultants_online", "at");
      long before = first.getLong("registrations");
      UUID user = UUID.fromString(server.register("live_" + UUID.randomUUID().toString().substring(0, 8), null)
          .getString("id"));
      Console.awaitJob(server.db(), user, "succeeded");
      JsonObject later = page.await(java.time.Duration.ofSeconds(10), "counters after a registration", f -> {
        JsonObject body = f.getJsonObject("body");
        return Addresses.CLIENT_ADMINS.equals(f.getString("address")) && body != null
            && "counters".equals(body.getString("type")) && body.getLong("registrations") == before + 1
            && body.getLong("succeeded") >= first.getLong("succeeded") + 1;
      });
      assertThat(later).isNotNull();
      // and the dashboard answers the same counters for a page that opens now
      JsonObject today = server.http.get("/api/v1/admin/registration-automation/dashboard?days=1",
          tokens.get("operator")).json().getJsonObject("today");
      assertThat(today.getLong("registrations")).isEqualTo(before + 1);
    }
  }

  static String firstGroup() {
    return server.http.get("/api/v1/mcp/groups", tokens.get("admin")).json().getJsonArray("items").getJsonObject(0)
        .getString("id");
  }

  static Http.Res send(Call call, String token) {
    return switch (call.method()) {
      case "GET" -> server.http.get(call.path(), token);
      case "POST" -> server.http.post(call.path(), call.body(), token);
      case "PUT" -> server.http.put(call.path(), call.body(), token);
      case "DELETE" -> server.http.delete(call.path(), token);
      default -> throw new IllegalArgumentException(call.method());
    };
  }
}
