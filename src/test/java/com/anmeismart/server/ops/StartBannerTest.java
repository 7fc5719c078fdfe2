package com.anmeismart.server.ops;

import com.anmeismart.server.config.AppConfig;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The development-password warning: when it fires, and that it knows the password conf/config.json ships. */
class StartBannerTest {

  private static AppConfig config(String password, String publicUrl) {
    JsonObject json = new JsonObject().put("ADMIN_USERNAME", "admin").put("ADMIN_PASSWORD", password);
    if (publicUrl != null) {
      json.put("PUBLIC_BASE_URL", publicUrl);
    }
    return AppConfig.from(json);
  }

  @Test
  void theDevelopmentPasswordIsTheOneConfConfigJsonShips() throws Exception {
    JsonObject shipped = new JsonObject(Files.readString(Path.of("conf", "config.json")));
    assertThat(shipped.getString("ADMIN_PASSWORD")).isEqualTo(StartBanner.DEV_ADMIN_PASSWORD);
  }

  @Test
  void warnsWhenTheDevelopmentPasswordIsReachableFromOtherMachines() {
    assertThat(StartBanner.devPasswordWarning(config(StartBanner.DEV_ADMIN_PASSWORD, null), "0.0.0.0"))
        .hasValueSatisfying(w -> assertThat(w).contains("development password").contains("0.0.0.0")
            .doesNotContain(StartBanner.DEV_ADMIN_PASSWORD));
    assertThat(StartBanner.devPasswordWarning(config(StartBanner.DEV_ADMIN_PASSWORD, "https://clinic.example.com"),
        "127.0.0.1")).isPresent();
  }

  @Test
  void silentOnLoopbackOnlyOrWithAnotherPassword() {
    assertThat(StartBanner.devPasswordWarning(config(StartBanner.DEV_ADMIN_PASSWORD, null), "127.0.0.1")).isEmpty();
    assertThat(StartBanner.devPasswordWarning(config(StartBanner.DEV_ADMIN_PASSWORD, "http://localhost:8080"),
        "127.0.0.1")).isEmpty();
    assertThat(StartBanner.devPasswordWarning(config("a-real-secret-password", null), "0.0.0.0")).isEmpty();
  }
}
