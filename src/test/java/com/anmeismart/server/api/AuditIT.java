package com.anmeismart.server.api;

import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import com.anmeismart.server.testing.TestPg;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The audit log (issue #11's panel reads it): every admin change through the REST API and the MCP admin tools is
 * recorded once, with who, when, what, before and after, never a secret; {@code GET /admin/audit} pages it.
 */
class AuditIT {

  static TestApp server;
  static Http http;
  static Db db;
  static String admin;
  static String adminId;
  /** Every secret the changes below handled: none may appear in the audit log. */
  static final List<String> secrets = new ArrayList<>();
  static final String STAFF_PASSWORD = "staff-secret-pass-1";
  static final String NEW_PASSWORD = "staff-secret-pass-2";
  static final String DIFY_KEY = "app-SECRETdifyKey-QZXW";

  @BeforeAll
  static void start() {
    server = TestApp.start(null);
    http = server.http;
    db = server.db();
    admin = server.adminToken();
    adminId = http.get("/api/v1/auth/me", admin).json().getString("id");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static JsonObject mcpGroup(String name) {
    return http.get("/api/v1/mcp/groups", admin).json().getJsonArray("items").stream().map(o -> (JsonObject) o)
        .filter(g -> g.getString("name").equals(name)).findFirst().orElseThrow();
  }

  static String keyOf(String group) {
    String key = http.get("/api/v1/mcp/groups/" + mcpGroup(group).getString("id") + "/api-key", admin).json()
        .getString("api_key");
    secrets.add(key);
    return key;
  }

  /** The MCP REST pair, as an agent with the system_tools key calls it. */
  static JsonObject mcpCall(String key, String tool, JsonObject args) {
    Http mcp = new Http("http://127.0.0.1:" + server.port("MCP_PORT"));
    Http.Res res = mcp.post("/mcp/call/" + tool, args, key);
    assertThat(res.status()).as(res.body()).isEqualTo(200);
    return res.json();
  }

  static List<JsonObject> audit(String query) {
    Http.Res res = http.get("/api/v1/admin/audit" + query, admin);
    assertThat(res.status()).as(res.body()).isEqualTo(200);
    return res.json().getJsonArray("items").stream().map(o -> (JsonObject) o).toList();
  }

  static JsonObject only(List<JsonObject> rows, String action, String targetId) {
    List<JsonObject> found = rows.stream().filter(r -> r.getString("action").equals(action)
        && (targetId == null || targetId.equals(r.getString("target_id")))).toList();
    assertThat(found).as(action + " on " + targetId).hasSize(1);
    return found.get(0);
  }

  @Test
  void everyKindOfAdminChangeIsRecordedOnceWithWhoWhatBeforeAndAfter() {
    // a full name for the admin first: the log records the display name at the time of each change
    assertThat(http.put("/api/v1/admin/users/" + adminId, new JsonObject().put("full_name", "赵管理"), admin).status())
        .isEqualTo(200);

    // REST: settings, staff, MCP groups, keys, tools, Dify configs, a job retry
    assertThat(http.put("/api/v1/admin/registration-automation/settings",
        new JsonObject().put("expected_response_minutes", 8), admin).status()).isEqualTo(200);
    Http.Res staff = http.post("/api/v1/admin/users", new JsonObject().put("username", "audit_li")
        .put("email", "audit_li@clinic.example").put("password", STAFF_PASSWORD).put("role", "consultant")
        .put("full_name", "李顾问"), admin);
    assertThat(staff.status()).isEqualTo(201);
    String staffId = staff.json().getString("id");
    assertThat(http.put("/api/v1/admin/users/" + staffId, new JsonObject().put("password", NEW_PASSWORD)
        .put("phone", "13800138000"), admin).status()).isEqualTo(200);
    Http.Res group = http.post("/api/v1/mcp/groups", new JsonObject().put("name", "audit_tools"), admin);
    assertThat(group.status()).isEqualTo(201);
    String groupId = group.json().getString("id");
    secrets.add(group.json().getString("api_key"));
    assertThat(http.put("/api/v1/mcp/groups/" + groupId, new JsonObject().put("description", "审计测试"), admin)
        .status()).isEqualTo(200);
    keyOf("audit_tools");
    Http.Res rotated = http.post("/api/v1/mcp/groups/" + groupId + "/regenerate-key", new JsonObject(), admin);
    secrets.add(rotated.json().getString("api_key"));
    String toolId = http.get("/api/v1/mcp/tools?group_id=" + mcpGroup("medical_tools").getString("id"), admin).json()
        .getJsonArray("items").stream().map(o -> (JsonObject) o)
        .filter(t -> t.getString("tool_name").equals("medical_records")).findFirst().orElseThrow().getString("id");
    assertThat(http.put("/api/v1/mcp/tools/" + toolId, new JsonObject().put("timeout_seconds", 20), admin).status())
        .isEqualTo(200);
    Http.Res dify = http.post("/api/v1/dify/configs", new JsonObject().put("name", "审计 Dify")
        .put("base_url", "http://127.0.0.1:1/v1").put("api_key", DIFY_KEY).put("enabled", false), admin);
    assertThat(dify.status()).isEqualTo(201);
    String difyId = dify.json().getString("id");
    secrets.add(DIFY_KEY);
    assertThat(http.put("/api/v1/dify/configs/" + difyId, new JsonObject().put("weight", 30), admin).status())
        .isEqualTo(200);
    assertThat(http.delete("/api/v1/dify/configs/" + difyId, admin).status()).isEqualTo(204);
    assertThat(http.delete("/api/v1/mcp/groups/" + groupId, admin).status()).isEqualTo(204);
    String customer = server.register("audit_customer", null).getString("id");
    Map<String, Object> job = Poll.until(Duration.ofSeconds(20), "job done", () -> db.one("SELECT id FROM "
        + "automation_jobs WHERE user_id = ?::uuid AND status = 'succeeded'", customer));
    db.update("UPDATE automation_jobs SET status = 'dead', last_error = 'test' WHERE id = ?", job.get("id"));
    assertThat(http.post("/api/v1/admin/registration-automation/jobs/" + job.get("id") + "/retry", new JsonObject(),
        admin).status()).isEqualTo(202);

    // MCP admin tools, with the system_tools key
    String key = keyOf("system_tools");
    assertThat(mcpCall(key, "system_config", new JsonObject().put("action", "set").put("key", "registration_automation")
        .put("value_json", "{\"escalation_minutes\": 15}")).getBoolean("is_error")).isFalse();
    assertThat(mcpCall(key, "user_management", new JsonObject().put("action", "deactivate").put("user_id", staffId))
        .getBoolean("is_error")).isFalse();
    JsonObject export = mcpCall(key, "backup_restore", new JsonObject().put("action", "export"))
        .getJsonObject("result");
    for (Object o : export.getJsonArray("mcp_tools")) {
      JsonObject t = (JsonObject) o;
      if (t.getString("tool_name").equals("diagnosis_assist")) {
        t.put("timeout_seconds", 45);
      }
    }
    JsonObject imported = mcpCall(key, "backup_restore", new JsonObject().put("action", "import")
        .put("data", export.encode()).put("dry_run", false)).getJsonObject("result");
    assertThat(imported.getInteger("tools_changed")).isEqualTo(1);
    assertThat(imported.getInteger("settings_changed")).isZero();

    List<JsonObject> rows = audit("?limit=200");
    JsonObject settings = rows.stream().filter(r -> r.getString("action").equals("settings.update")
        && r.getJsonObject("actor").getString("kind").equals("user")).findFirst().orElseThrow();
    assertThat(settings.getJsonObject("actor")).isEqualTo(new JsonObject().put("id", adminId)
        .put("display_name", "赵管理").put("kind", "user"));
    assertThat(settings.getString("target_type")).isEqualTo("settings");
    assertThat(settings.getString("target_id")).isEqualTo("registration_automation");
    assertThat(settings.getJsonObject("after").getInteger("expected_response_minutes")).isEqualTo(8);
    assertThat(settings.getString("at")).endsWith("Z");

    JsonObject created = only(rows, "user.create", staffId);
    assertThat(created.getValue("before")).isNull();
    assertThat(created.getJsonObject("after").getString("full_name")).isEqualTo("李顾问");
    List<JsonObject> staffChanges = rows.stream().filter(r -> r.getString("action").equals("user.update")
        && staffId.equals(r.getString("target_id"))).toList();
    assertThat(staffChanges).hasSize(2); // the admin's password change, the tool's deactivation
    JsonObject byAdmin = staffChanges.stream().filter(r -> r.getJsonObject("actor").getString("kind").equals("user"))
        .findFirst().orElseThrow();
    assertThat(byAdmin.getJsonObject("before").getString("phone")).isNull();
    assertThat(byAdmin.getJsonObject("after").getString("phone")).isEqualTo("13800138000");
    assertThat(byAdmin.getJsonObject("after").getString("password")).isEqualTo("******");

    assertThat(only(rows, "mcp.group.create", groupId).getJsonObject("after").getString("name"))
        .isEqualTo("audit_tools");
    JsonObject groupUpdate = only(rows, "mcp.group.update", groupId);
    assertThat(groupUpdate.getJsonObject("before").getString("description")).isNull();
    assertThat(groupUpdate.getJsonObject("after").getString("description")).isEqualTo("审计测试");
    JsonObject view = only(rows, "mcp.key.view", groupId);
    assertThat(view.getValue("before")).isNull();
    assertThat(view.getValue("after")).isNull();
    assertThat(only(rows, "mcp.key.rotate", groupId).getJsonObject("after").getString("api_key"))
        .isEqualTo("******");
    assertThat(only(rows, "mcp.group.delete", groupId).getValue("after")).isNull();
    JsonObject tool = only(rows, "mcp.tool.update", toolId);
    assertThat(tool.getJsonObject("before").getInteger("timeout_seconds")).isNotEqualTo(20);
    assertThat(tool.getJsonObject("after").getInteger("timeout_seconds")).isEqualTo(20);
    assertThat(only(rows, "dify.config.create", difyId).getJsonObject("after").getString("api_key"))
        .isEqualTo("******");
    JsonObject difyUpdate = only(rows, "dify.config.update", difyId);
    assertThat(difyUpdate.getJsonObject("after").getInteger("weight")).isEqualTo(30);
    assertThat(difyUpdate.getJsonObject("after").containsKey("api_key")).as("the key did not change").isFalse();
    assertThat(only(rows, "dify.config.delete", difyId).getJsonObject("before").getString("name"))
        .isEqualTo("审计 Dify");
    JsonObject retry = only(rows, "job.retry", job.get("id").toString());
    assertThat(retry.getString("target_type")).isEqualTo("automation_job");
    assertThat(retry.getJsonObject("before").getString("status")).isEqualTo("dead");
    assertThat(retry.getJsonObject("after").getString("status")).isEqualTo("pending");

    // every MCP admin write, with the key's group as the actor
    JsonObject mcpActor = new JsonObject().putNull("id").put("display_name", "system_tools").put("kind", "mcp");
    List<JsonObject> byTools = rows.stream().filter(r -> r.getJsonObject("actor").equals(mcpActor)).toList();
    assertThat(byTools).extracting(r -> r.getString("action"))
        .containsExactlyInAnyOrder("settings.update", "user.update", "mcp.tool.update");
    assertThat(byTools.stream().filter(r -> r.getString("action").equals("user.update")).findFirst().orElseThrow()
        .getJsonObject("after").getBoolean("is_active")).isFalse();
    assertThat(byTools.stream().filter(r -> r.getString("action").equals("mcp.tool.update")).findFirst()
        .orElseThrow().getJsonObject("after").getInteger("timeout_seconds")).isEqualTo(45);
    assertThat(byTools.stream().filter(r -> r.getString("action").equals("settings.update")).findFirst()
        .orElseThrow().getJsonObject("after").getInteger("escalation_minutes")).isEqualTo(15);

    // no secret anywhere: not in the rows, not in the API's answer
    secrets.add(STAFF_PASSWORD);
    secrets.add(NEW_PASSWORD);
    db.rows("SELECT password_hash FROM users").forEach(r -> secrets.add(r.get("password_hash").toString()));
    db.rows("SELECT api_key_enc, api_key_hash FROM mcp_tool_groups WHERE api_key_enc IS NOT NULL")
        .forEach(r -> r.values().forEach(v -> secrets.add(v.toString())));
    String stored = db.rows("SELECT * FROM audit_log").stream().map(Object::toString)
        .collect(Collectors.joining("\n"));
    String answered = http.get("/api/v1/admin/audit?limit=200", admin).body();
    for (String secret : secrets) {
      assertThat(stored).doesNotContain(secret);
      assertThat(answered).doesNotContain(secret);
    }
    // not even the last characters the config API shows as a hint
    assertThat(stored).doesNotContain("SECRETdify").doesNotContain("QZXW");
  }

  @Test
  void pagesGoNewestFirstByIdCursor() {
    for (int i = 0; i < 3; i++) {
      http.put("/api/v1/admin/registration-automation/settings", new JsonObject().put("max_retries", 4 + i), admin);
    }
    Http.Res first = http.get("/api/v1/admin/audit?limit=2", admin);
    JsonArray items = first.json().getJsonArray("items");
    assertThat(items).hasSize(2);
    long a = items.getJsonObject(0).getLong("id");
    long b = items.getJsonObject(1).getLong("id");
    assertThat(a).isGreaterThan(b);
    assertThat(first.json().getLong("next_before")).isEqualTo(b);
    assertThat(items.getJsonObject(0).fieldNames()).containsExactly("id", "at", "actor", "action", "target_type",
        "target_id", "before", "after");
    JsonArray second = http.get("/api/v1/admin/audit?limit=2&before=" + b, admin).json().getJsonArray("items");
    assertThat(second.getJsonObject(0).getLong("id")).isLessThan(b);
    long total = db.count("SELECT count(*) FROM audit_log");
    JsonObject all = http.get("/api/v1/admin/audit?limit=200", admin).json();
    assertThat(all.getJsonArray("items")).hasSize((int) total);
    assertThat(all.getValue("next_before")).as("the last page").isNull();
  }

  @Test
  void badQueryValuesAre400NamingTheField() {
    for (String q : List.of("limit=0", "limit=201", "limit=ten", "before=0", "before=-3", "before=abc")) {
      Http.Res res = http.get("/api/v1/admin/audit?" + q, admin);
      assertThat(res.status()).as(q).isEqualTo(400);
      assertThat(res.errorCode()).isEqualTo("invalid_parameter");
      assertThat(res.errorDetails().fieldNames()).containsExactly(q.substring(0, q.indexOf('=')));
    }
  }

  @Test
  void onlyAdminsReadIt() {
    for (String role : List.of("operator", "consultant")) {
      String name = "audit_" + role + "_" + UUID.randomUUID().toString().substring(0, 6);
      assertThat(http.post("/api/v1/admin/users", new JsonObject().put("username", name)
          .put("email", name + "@clinic.example").put("password", "a-long-password").put("role", role), admin)
          .status()).isEqualTo(201);
      assertThat(http.get("/api/v1/admin/audit", server.login(name, "a-long-password")).status()).as(role)
          .isEqualTo(403);
    }
    assertThat(http.get("/api/v1/admin/audit", null).status()).isEqualTo(401);
  }

  @Test
  void theOldMcpAuditRowsMoveIntoTheAuditLog() throws Exception {
    String url = TestPg.newDatabase();
    String jdbc = "jdbc:postgresql://localhost:" + url.replaceAll(".*:(\\d+)/.*", "$1") + "/"
        + url.substring(url.lastIndexOf('/') + 1);
    Flyway.configure().dataSource(jdbc, "postgres", null).locations("classpath:db/migration").target("6").load()
        .migrate();
    UUID user = UUID.randomUUID();
    try (Connection c = TestPg.jdbc(url); Statement s = c.createStatement()) {
      s.execute("INSERT INTO users (id, username, email, password_hash, role, full_name) VALUES ('" + user
          + "', 'old_admin', 'old@x.example', 'h', 'admin', '钱主管')");
      s.execute("INSERT INTO mcp_audit_log (actor_id, action, group_id, tool_id, details, created_at) "
          + "SELECT '" + user + "', 'key_viewed', id, NULL, '{}', '2026-01-02T03:04:05Z' FROM mcp_tool_groups "
          + "WHERE name = 'system_tools'");
      s.execute("INSERT INTO mcp_audit_log (actor_id, action, group_id, tool_id, details) "
          + "SELECT NULL, 'tool_updated', group_id, id, '{\"enabled\": false}' FROM mcp_tools LIMIT 1");
    }
    Flyway.configure().dataSource(jdbc, "postgres", null).locations("classpath:db/migration").load().migrate();
    Db moved = new Db(url);
    List<Map<String, Object>> rows = moved.rows("SELECT actor_id, actor_name, actor_kind, action, target_type, "
        + "after::text AS after, (at AT TIME ZONE 'UTC')::date::text AS day FROM audit_log ORDER BY id");
    assertThat(rows).hasSize(2);
    assertThat(rows.get(0).get("actor_id")).isEqualTo(user);
    assertThat(rows.get(0).get("actor_name")).isEqualTo("钱主管");
    assertThat(rows.get(0).get("action")).isEqualTo("mcp.key.view");
    assertThat(rows.get(0).get("after")).isNull();
    assertThat(rows.get(0).get("day")).isEqualTo("2026-01-02");
    assertThat(rows.get(1).get("actor_name")).isEqualTo("未知用户");
    assertThat(rows.get(1).get("action")).isEqualTo("mcp.tool.update");
    assertThat(rows.get(1).get("target_type")).isEqualTo("mcp_tool");
    assertThat(new JsonObject(rows.get(1).get("after").toString()).getBoolean("enabled")).isFalse();
    assertThat(moved.count("SELECT count(*) FROM information_schema.tables WHERE table_name = 'mcp_audit_log'"))
        .isZero();
  }
}
