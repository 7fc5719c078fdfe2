package com.anmeismart.server.config;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AppConfigTest {

  @Test
  void defaultsMatchTheSpec() {
    AppConfig c = AppConfig.from(new JsonObject());
    assertThat(c.httpPort()).isEqualTo(8080);
    assertThat(c.mcpPort()).isEqualTo(8000);
    assertThat(c.managementPort()).isEqualTo(9090);
    assertThat(c.localAgentPort()).isEqualTo(8001);
    assertThat(c.dataDir().toString()).isEqualTo("./data");
    assertThat(c.pgUrl()).isNull();
    assertThat(c.timeZone().getId()).isEqualTo("Asia/Shanghai");
  }

  @Test
  void timeZoneIsARegionNameNeverABareOffset() {
    assertThat(AppConfig.from(new JsonObject().put("TIME_ZONE", "Europe/Berlin")).timeZone().getId())
        .isEqualTo("Europe/Berlin");
    assertThat(AppConfig.from(new JsonObject().put("TIME_ZONE", "UTC")).timeZone().getId()).isEqualTo("UTC");
    for (String bad : new String[] {"+08:00", "UTC+8", "GMT+08:00", "Mars/Olympus", "Asia/Shanghai; DROP"}) {
      assertThatThrownBy(() -> AppConfig.from(new JsonObject().put("TIME_ZONE", bad)))
          .as(bad).hasMessageContaining("TIME_ZONE must be a time zone name");
    }
  }

  @Test
  void envStringsAndFileNumbersBothParse() {
    AppConfig c = AppConfig.from(new JsonObject().put("HTTP_PORT", "18080").put("MCP_PORT", 18000));
    assertThat(c.httpPort()).isEqualTo(18080);
    assertThat(c.mcpPort()).isEqualTo(18000);
  }

  @Test
  void everyBadValueIsNamedAtOnce() {
    assertThatThrownBy(() -> AppConfig.from(new JsonObject().put("HTTP_PORT", "eighty").put("MCP_PORT", 70000)
        .put("ADMIN_USERNAME", "root")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("HTTP_PORT must be an integer")
        .hasMessageContaining("MCP_PORT must be between 0 and 65535")
        .hasMessageContaining("ADMIN_PASSWORD must be set");
  }

  @Test
  void secretsNeverAppearInTheLoggedForm() {
    AppConfig c = AppConfig.from(new JsonObject().put("JWT_SECRET", "jwt-very-secret").put("SECRETS_KEY", "aes-key-xyz")
        .put("ADMIN_USERNAME", "root").put("ADMIN_PASSWORD", "admin-pass-123")
        .put("PG_URL", "postgresql://app:db-pass-456@db.example:5432/anmei"));
    String logged = c.toString();
    assertThat(logged).doesNotContain("jwt-very-secret", "aes-key-xyz", "admin-pass-123", "db-pass-456")
        .contains("JWT_SECRET=******").contains("postgresql://app:******@db.example:5432/anmei");
  }

  @Test
  void idleTimeoutsDefaultAndMustOutlastTheKeepAlives() {
    AppConfig c = AppConfig.from(new JsonObject());
    assertThat(c.httpIdleTimeoutSeconds()).isEqualTo(30);
    assertThat(c.mcpIdleTimeoutSeconds()).isEqualTo(60);
    assertThat(c.mcpIdleTimeoutSeconds()).isGreaterThan(c.mcpSseKeepAliveSeconds());
    assertThatThrownBy(() -> AppConfig.from(new JsonObject().put("MCP_IDLE_TIMEOUT_SECONDS", "10")
        .put("MCP_SSE_KEEPALIVE_SECONDS", "15")))
        .hasMessageContaining("MCP_IDLE_TIMEOUT_SECONDS (10) must be greater than MCP_SSE_KEEPALIVE_SECONDS (15)");
  }
}
