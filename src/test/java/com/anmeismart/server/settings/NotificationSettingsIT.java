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
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code /admin/notification-settings} (SPEC §7): the values and ranges, a bad value a 400 naming the field with
 * nothing changed, omitted fields kept, unknown ones ignored, every change audited and announced; operators read,
 * only admins change; the MCP {@code system_config} tool and backup/restore apply the same rules.
 */
class NotificationSettingsIT {

  static final String PATH = "/api/v1/admin/notification-settings";
  static TestApp server;
  static Http http;
  static Http mcp;
  static Db db;
  static String admin;
  static String systemKey;
  static final List<String> announced = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    server = TestApp.start(null);
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
    assertThat(http.put(PATH, NotificationSettings.DEFAULTS.toJson(), admin).status()).isEqualTo(200);
  }

  static String staff(String role) {
    String name = role + "_" + UUID.randomUUID().toString().substring(0, 8);
    assertThat(http.post("/api/v1/admin/users", new JsonObject().put("username", name).put("email", name + "@c.example")
        .put("password", "staff-pass-1").put("role", role), admin).status()).isEqualTo(201);
    return server.login(name, "staff-pass-1");
  }

  @Test
  void valuesInRangeAreSavedAuditedAndAnnouncedAndABadOneChangesNothing() {
    JsonObject defaults = http.get(PATH, admin).json();
    assertThat(defaults.getString("assignment_mode")).isEqualTo("broadcast");
    assertThat(defaults.getInteger("offer_seconds")).isEqualTo(60);
    assertThat(defaults.getInteger("ack_seconds")).isEqualTo(10);
    assertThat(defaults.getInteger("max_open_conversations")).isEqualTo(20);
    assertThat(defaults.getJsonObject("stored_document").getBoolean("valid")).isTrue();

    long audited = db.count("SELECT count(*) FROM audit_log");
    Object stored = db.one("SELECT count(*) AS n FROM system_settings WHERE key = 'notification_settings'").get("n");
    for (JsonObject bad : List.of(new JsonObject().put("assignment_mode", "random"),
        new JsonObject().put("offer_seconds", 2), new JsonObject().put("offer_seconds", 601),
        new JsonObject().put("ack_seconds", 1), new JsonObject().put("ack_seconds", 301),
        new JsonObject().put("ack_seconds", "10"), new JsonObject().put("max_open_conversations", 0),
        new JsonObject().put("max_open_conversations", 501), new JsonObject().put("max_open_conversations", 2.5))) {
      Http.Res res = http.put(PATH, bad.copy().put("offer_seconds", bad.getValue("offer_seconds", 30)), admin);
      String field = bad.fieldNames().iterator().next();
      assertThat(res.status()).as(bad.encode()).isEqualTo(400);
      assertThat(res.errorCode()).isEqualTo("validation_failed");
      assertThat(res.errorDetails().fieldNames()).as(bad.encode()).containsExactly(field);
      assertThat(res.json().getJsonObject("error").getJsonObject("details_zh").getString(field)).matches(".*[须].*");
    }
    assertThat(http.get(PATH, admin).json().getInteger("offer_seconds")).as("nothing changed").isEqualTo(60);
    assertThat(db.count("SELECT count(*) FROM audit_log")).isEqualTo(audited);
    assertThat(db.one("SELECT count(*) AS n FROM system_settings WHERE key = 'notification_settings'").get("n"))
        .isEqualTo(stored);

    announced.clear();
    Http.Res saved = http.put(PATH, new JsonObject().put("assignment_mode", "round_robin").put("ack_seconds", 5)
        .put("colour", "pink"), admin);
    assertThat(saved.status()).as(saved.body()).isEqualTo(200);
    JsonObject now = http.get(PATH, admin).json();
    assertThat(now.getString("assignment_mode")).isEqualTo("round_robin");
    assertThat(now.getInteger("ack_seconds")).isEqualTo(5);
    assertThat(now.getInteger("offer_seconds")).as("omitted fields keep their values").isEqualTo(60);
    assertThat(now.containsKey("colour")).as("a field no setting has is ignored, not stored").isFalse();
    assertThat(now.getBoolean("wecom_enabled")).as("WeCom off: nothing saved, no WECOM_* env").isFalse();
    assertThat(now.getBoolean("wecom_secret_set")).isFalse();
    JsonObject audit = http.get("/api/v1/admin/audit?limit=1", admin).json().getJsonArray("items").getJsonObject(0);
    assertThat(audit.getString("action")).isEqualTo("settings.update");
    assertThat(audit.getString("target_id")).isEqualTo("notification_settings");
    assertThat(audit.getJsonObject("after").getString("assignment_mode")).isEqualTo("round_robin");
    Poll.until(Duration.ofSeconds(5), "settings.changed", () -> announced.contains("notification_settings"));
  }

  @Test
  void operatorsReadOnlyAdminsChange() {
    String operator = staff("operator");
    String consultant = staff("consultant");
    assertThat(http.get(PATH, operator).status()).isEqualTo(200);
    assertThat(http.put(PATH, new JsonObject().put("ack_seconds", 20), operator).status()).isEqualTo(403);
    assertThat(http.get(PATH, consultant).status()).isEqualTo(403);
    assertThat(http.get(PATH, null).status()).isEqualTo(401);
  }

  static JsonObject call(String tool, JsonObject args) {
    Http.Res res = mcp.post("/mcp/call/" + tool, args, systemKey);
    assertThat(res.status()).as(res.body()).isEqualTo(200);
    return res.json();
  }

  @Test
  void theMcpToolAndBackupRestoreGoThroughTheSameRules() {
    JsonObject list = call("system_config", new JsonObject().put("action", "list")).getJsonObject("result");
    assertThat(list.getJsonArray("settings").stream().map(o -> ((JsonObject) o).getString("key")))
        .containsExactly("registration_automation", "notification_settings");
    JsonObject refused = call("system_config", new JsonObject().put("action", "set").put("key", "notification_settings")
        .put("value_json", "{\"ack_seconds\": 1}"));
    assertThat(refused.getBoolean("is_error")).isTrue();
    assertThat(refused.getString("error")).contains("nothing changed").contains("ack_seconds");
    JsonObject ok = call("system_config", new JsonObject().put("action", "set").put("key", "notification_settings")
        .put("value_json", "{\"offer_seconds\": 30}"));
    assertThat(ok.getBoolean("is_error")).as(ok.encode()).isFalse();
    assertThat(http.get(PATH, admin).json().getInteger("offer_seconds")).isEqualTo(30);

    JsonObject export = call("backup_restore", new JsonObject().put("action", "export")).getJsonObject("result");
    JsonObject doc = export.getJsonArray("system_settings").stream().map(o -> (JsonObject) o)
        .filter(d -> d.getString("key").equals("notification_settings")).findFirst().orElseThrow();
    assertThat(doc.getJsonObject("value").getInteger("offer_seconds")).isEqualTo(30);
    doc.getJsonObject("value").put("max_open_conversations", 0);
    JsonObject bad = call("backup_restore", new JsonObject().put("action", "import").put("data", export.encode())
        .put("dry_run", false));
    assertThat(bad.getBoolean("is_error")).isTrue();
    assertThat(bad.getString("error")).contains("max_open_conversations");
    doc.getJsonObject("value").put("max_open_conversations", 7);
    JsonObject applied = call("backup_restore", new JsonObject().put("action", "import").put("data", export.encode())
        .put("dry_run", false));
    assertThat(applied.getBoolean("is_error")).as(applied.encode()).isFalse();
    assertThat(http.get(PATH, admin).json().getInteger("max_open_conversations")).isEqualTo(7);
  }
}
