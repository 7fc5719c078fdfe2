package com.anmeismart.server.ops;

import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * conf/grafana/anmeismart.json queries metrics by name: each of them is in a real server's /metrics once one
 * customer has registered and been welcomed by the local agent (which calls MCP tools), so a renamed metric (or a
 * timer exported as a summary where the dashboard reads histogram buckets) breaks this test instead of an
 * operator's dashboard.
 */
class GrafanaDashboardIT {

  /**
   * Series that appear only with their event: a Dify config's MCP trouble (the label is the config, known only
   * then), and the JVM's GC pauses (the first collection after start: a short test may see none).
   */
  private static final Set<String> ON_EVENT = Set.of("dify_tool_errors_total", "jvm_gc_pause_seconds_sum");
  private static final Pattern METRIC = Pattern.compile("([a-z_:][a-z0-9_:]*)\\{");

  @Test
  void everyMetricTheDashboardQueriesIsExported() throws Exception {
    JsonObject dashboard = new JsonObject(Files.readString(Path.of("conf", "grafana", "anmeismart.json")));
    Set<String> queried = new TreeSet<>();
    for (Object p : dashboard.getJsonArray("panels")) {
      JsonArray targets = ((JsonObject) p).getJsonArray("targets", new JsonArray());
      for (Object t : targets) {
        Matcher m = METRIC.matcher(((JsonObject) t).getString("expr"));
        while (m.find()) {
          queried.add(m.group(1));
        }
      }
    }
    assertThat(queried).hasSizeGreaterThan(25);

    try (TestApp server = TestApp.start(null)) {
      // room for the local agent on a loaded machine: the welcome must come from it (Dify and MCP timers), not
      // the template
      assertThat(server.http.put("/api/v1/admin/registration-automation/settings", new JsonObject()
          .put("welcome_first_text_seconds", 30).put("welcome_completion_seconds", 60), server.adminToken()).status())
          .isEqualTo(200);
      String userId = server.register("dashboard_user", null).getString("id");
      Poll.until(Duration.ofSeconds(30), "the welcome", () -> server.db().count(
          "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id "
              + "WHERE c.customer_id = ?::uuid AND m.kind = 'welcome'", userId) == 1 ? true : null);
      String metrics = Poll.until(Duration.ofSeconds(10), "the automation's meters", () -> {
        String body = server.management().get("/metrics", null).body();
        return body.contains("automation_registration_to_welcome_seconds_count 1") ? body : null;
      });
      for (String name : queried) {
        if (!ON_EVENT.contains(name)) {
          assertThat(metrics).as(name).containsPattern("(?m)^" + Pattern.quote(name) + "[{ ]");
        }
      }
    }
  }
}
