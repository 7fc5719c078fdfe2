package com.anmeismart.server.settings;

import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #10 point 1 as it was seen: one MCP tool call used to store a settings document that broke every settings
 * read (no more welcomes, the settings API answering 500 and unable to repair it). Now the tool goes through the
 * settings' owner and its rules, and a bad document that gets in anyway (by SQL here) stops nothing.
 */
class SettingsOwnerIT {

  static TestApp server;
  static Http http;
  static Http mcp;
  static Db db;
  static String admin;
  static String systemKey;
  static final List<String> announced = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    // the notifier re-reads its settings on every escalation check: both engines meet a bad document quickly
    server = TestApp.start(new JsonObject().put("ESCALATION_CHECK_MS", "200"));
    http = server.http;
    mcp = new Http("http://127.0.0.1:" + server.port("MCP_PORT"));
    db = server.db();
    admin = server.adminToken();
    String groupId = http.get("/api/v1/mcp/groups", admin).json().getJsonArray("items").stream()
        .map(o -> (JsonObject) o).filter(g -> g.getString("name").equals("system_tools")).findFirst().orElseThrow()
        .getString("id");
    systemKey = http.get("/api/v1/mcp/groups/" + groupId + "/api-key", admin).json().getString("api_key");
    server.app.vertx().eventBus().<String>consumer(Addresses.SETTINGS_CHANGED, m -> announced.add(m.body()));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @AfterEach
  void defaults() {
    assertThat(http.put("/api/v1/admin/registration-automation/settings", AutomationSettings.DEFAULTS.toJson(), admin)
        .status()).isEqualTo(200);
  }

  static JsonObject call(String tool, JsonObject args) {
    Http.Res res = mcp.post("/mcp/call/" + tool, args, systemKey);
    assertThat(res.status()).as(res.body()).isEqualTo(200);
    return res.json();
  }

  static Map<String, Object> storedRow() {
    return db.one("SELECT value::text AS value, updated_at, updated_by FROM system_settings WHERE key = ?",
        "registration_automation");
  }

  static void welcomed(String username) {
    UUID user = UUID.fromString(server.register(username, null).getString("id"));
    Poll.until(Duration.ofSeconds(20), username + " welcomed", () -> db.count("SELECT count(*) FROM messages m "
        + "JOIN conversations c ON c.id = m.conversation_id WHERE c.customer_id = ? AND m.kind = 'welcome'", user) == 1);
  }

  @Test
  void theIssuesToolCallIsAToolErrorThatChangesNothing() {
    Map<String, Object> before = storedRow();
    long audited = db.count("SELECT count(*) FROM audit_log");
    JsonObject answer = call("system_config", new JsonObject().put("action", "set")
        .put("key", "registration_automation").put("value_json", "{\"rollout_percent\":\"50\"}"));
    assertThat(answer.getBoolean("is_error")).isTrue();
    assertThat(answer.getString("error")).contains("nothing changed").contains("rollout_percent")
        .contains("must be an integer from 0 to 100");
    assertThat(storedRow()).isEqualTo(before);
    assertThat(db.count("SELECT count(*) FROM audit_log")).isEqualTo(audited);

    // keys other than the documented documents are refused too: a row nothing reads would be a setting that lies
    JsonObject unknown = call("system_config", new JsonObject().put("action", "set").put("key", "mcp_test.flag")
        .put("value_json", "{\"on\":true}"));
    assertThat(unknown.getBoolean("is_error")).isTrue();
    assertThat(unknown.getString("error")).contains("Unknown settings document").contains("registration_automation");
    assertThat(db.count("SELECT count(*) FROM system_settings WHERE key = 'mcp_test.flag'")).isZero();

    // the same rules as the admin API, and the same change event: engines reload at once
    announced.clear();
    JsonObject ok = call("system_config", new JsonObject().put("action", "set").put("key", "registration_automation")
        .put("value_json", "{\"max_retries\": 2, \"notifications\": {\"web_push\": false}, \"typo_field\": 1}"));
    assertThat(ok.getBoolean("is_error")).as(ok.encode()).isFalse();
    assertThat(ok.getJsonObject("result").getJsonObject("value").getInteger("max_retries")).isEqualTo(2);
    assertThat(ok.getJsonObject("result").getJsonArray("ignored_fields")).containsExactly("typo_field");
    JsonObject inForce = http.get("/api/v1/admin/registration-automation/settings", admin).json();
    assertThat(inForce.getInteger("max_retries")).isEqualTo(2);
    assertThat(inForce.getJsonObject("notifications").getBoolean("web_push")).isFalse();
    assertThat(inForce.getJsonObject("notifications").getBoolean("consultants")).as("switch by switch").isTrue();
    Poll.until(Duration.ofSeconds(5), "settings.changed published", () -> announced.contains("registration_automation"));
    welcomed("after_tool_" + UUID.randomUUID().toString().substring(0, 6));
  }

  @Test
  void aDocumentCorruptedBySqlStopsNothingRaisesOneAlertAndTheApiRepairsIt() {
    db.update("INSERT INTO system_settings (key, value) VALUES ('registration_automation', "
        + "'{\"rollout_percent\": \"50\", \"expected_response_minutes\": 7, \"notifications\": {\"admins\": true}}') "
        + "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value");
    // caches drop what they hold (as after any change), so the very next claim reads the bad document
    server.app.vertx().eventBus().publish(Addresses.SETTINGS_CHANGED, "registration_automation");
    welcomed("corrupt_a_" + UUID.randomUUID().toString().substring(0, 6));

    // one admin alert, however many reads (two engines in this process) meet the bad document
    Poll.until(Duration.ofSeconds(15), "the settings_invalid alert", () -> db.count("SELECT count(*) FROM notifications "
        + "WHERE kind = 'admin_alert' AND body->>'kind' = 'settings_invalid'") > 0);
    welcomed("corrupt_b_" + UUID.randomUUID().toString().substring(0, 6));
    assertThat(db.count("SELECT count(*) FROM notifications WHERE kind = 'admin_alert' "
        + "AND body->>'kind' = 'settings_invalid'")).isEqualTo(db.count("SELECT count(*) FROM users "
        + "WHERE role = 'admin' AND is_active"));
    JsonObject alert = new JsonObject(db.one("SELECT body::text AS b FROM notifications WHERE kind = 'admin_alert' "
        + "AND body->>'kind' = 'settings_invalid'").get("b").toString());
    assertThat(alert.getString("message")).contains("自动化设置");
    assertThat(alert.getJsonObject("details").getJsonObject("errors").fieldNames()).containsExactly("rollout_percent");

    // the API still reads it, shows the problem, and a PUT overwrites it
    Http.Res read = http.get("/api/v1/admin/registration-automation/settings", admin);
    assertThat(read.status()).isEqualTo(200);
    JsonObject body = read.json();
    assertThat(body.getInteger("rollout_percent")).as("the default stands in for the bad value").isEqualTo(100);
    assertThat(body.getInteger("expected_response_minutes")).as("valid fields are kept").isEqualTo(7);
    JsonObject stored = body.getJsonObject("stored_document");
    assertThat(stored.getBoolean("valid")).isFalse();
    assertThat(stored.getJsonObject("errors").getString("rollout_percent")).isEqualTo("must be an integer from 0 to 100");
    assertThat(stored.getJsonObject("value").getString("rollout_percent")).isEqualTo("50");

    Http.Res repaired = http.put("/api/v1/admin/registration-automation/settings",
        new JsonObject().put("rollout_percent", 50), admin);
    assertThat(repaired.status()).as(repaired.body()).isEqualTo(200);
    JsonObject now = http.get("/api/v1/admin/registration-automation/settings", admin).json();
    assertThat(now.getJsonObject("stored_document").getBoolean("valid")).isTrue();
    assertThat(now.getInteger("rollout_percent")).isEqualTo(50);
    assertThat(now.getInteger("expected_response_minutes")).isEqualTo(7);
    JsonObject audit = http.get("/api/v1/admin/audit?limit=1", admin).json().getJsonArray("items").getJsonObject(0);
    assertThat(audit.getString("action")).isEqualTo("settings.update");
    assertThat(audit.getJsonObject("before").getString("rollout_percent")).as("the broken document, as it was")
        .isEqualTo("50");
    assertThat(audit.getJsonObject("after").getInteger("rollout_percent")).isEqualTo(50);
  }

  @Test
  void anImportWithABadSettingsDocumentImportsNothing() {
    long byTools = db.count("SELECT count(*) FROM audit_log WHERE actor_kind = 'mcp'");
    // a row an older version's tool stored under a free key: not a settings document, so not exported
    db.update("INSERT INTO system_settings (key, value) VALUES ('legacy.flag', '{\"on\": true}') "
        + "ON CONFLICT DO NOTHING");
    JsonObject export = call("backup_restore", new JsonObject().put("action", "export")).getJsonObject("result");
    assertThat(export.getJsonArray("system_settings").encode()).doesNotContain("legacy.flag");
    JsonObject clean = call("backup_restore", new JsonObject().put("action", "import").put("data", export.encode()))
        .getJsonObject("result");
    assertThat(clean.getJsonArray("problems")).as("an export imports as it is").isEmpty();
    export.getJsonArray("system_settings").clear().add(new JsonObject().put("key", "registration_automation")
        .put("value", new JsonObject().put("rollout_percent", "50")));
    Object before = db.one("SELECT timeout_seconds FROM mcp_tools WHERE tool_name = 'patient_analysis'")
        .get("timeout_seconds");
    export.getJsonArray("mcp_tools").stream().map(o -> (JsonObject) o)
        .filter(t -> t.getString("tool_name").equals("patient_analysis")).forEach(t -> t.put("timeout_seconds", 77));

    JsonObject dry = call("backup_restore", new JsonObject().put("action", "import").put("data", export.encode()))
        .getJsonObject("result");
    assertThat(dry.getBoolean("dry_run")).isTrue();
    assertThat(dry.getJsonArray("problems").encode()).contains("rollout_percent");
    JsonObject refused = call("backup_restore", new JsonObject().put("action", "import").put("data", export.encode())
        .put("dry_run", false));
    assertThat(refused.getBoolean("is_error")).isTrue();
    assertThat(refused.getString("error")).startsWith("Nothing imported").contains("rollout_percent");
    assertThat(db.one("SELECT timeout_seconds FROM mcp_tools WHERE tool_name = 'patient_analysis'")
        .get("timeout_seconds")).isEqualTo(before);
    assertThat(db.count("SELECT count(*) FROM audit_log WHERE actor_kind = 'mcp'")).isEqualTo(byTools);
  }
}
