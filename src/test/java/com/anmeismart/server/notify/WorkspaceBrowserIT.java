package com.anmeismart.server.notify;

import com.anmeismart.server.dify.DifyDouble;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The consultant workspace and the customer page in headless Chromium ({@code src/test/browser/workspace.mjs}):
 * background-tab alerts (a desktop notification shown with the permission granted, a sound, the count in the
 * title), the customer's card, clicking the notification, claims turning other pages' cards and inbox entries to
 * 已由 X 认领, a page that reconnects, an offer's countdown and acceptance, the customer's interests and a welcome
 * streamed by a slow Dify double (chunks 200 ms apart) seen growing, replies counted in a hidden tab's title, the
 * console's notification settings with field errors. Screenshots at 1280 and 375 px go to
 * {@code target/workspace-shots} (the README's are copied from there into {@code docs/screenshots}).
 */
class WorkspaceBrowserIT {

  static final Path BROWSER_DIR = Path.of("src/test/browser");
  static TestApp server;
  static DifyDouble dify;

  @BeforeAll
  static void start() throws Exception {
    assertThat(Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium")))
        .as("chromium is needed for the browser tests: apt-get install chromium").exists();
    assertThat(BROWSER_DIR.resolve("node_modules/playwright-core"))
        .as("npm ci in src/test/browser (the Maven build runs it before the integration tests)").exists();
    dify = new DifyDouble();
    server = TestApp.start(null);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    dify.close();
  }

  @Test
  void consultantsNeverMissACustomerAndEveryoneIsNamed() throws Exception {
    String admin = server.adminToken();
    // the welcome comes from a Dify app that streams as an agent does: a tool call, then small chunks 200 ms apart
    Http.Res config = server.http.post("/api/v1/dify/configs", new JsonObject().put("name", "流式欢迎")
        .put("base_url", dify.baseUrl()).put("api_key", dify.app(DifyDouble.Scenario.SLOW_CHUNKS))
        .put("version", "1"), admin);
    assertThat(config.status()).as(config.body()).isEqualTo(201);
    assertThat(server.http.put("/api/v1/admin/registration-automation/settings", new JsonObject()
        .put("welcome_first_text_seconds", 10).put("welcome_completion_seconds", 60), admin).status()).isEqualTo(200);
    Staff.disableAllConsultants(server);
    Staff li = Staff.consultant(server, admin, "李顾问");
    Staff wang = Staff.consultant(server, admin, "王顾问");

    Path shots = Files.createDirectories(Path.of("target/workspace-shots"));
    Path output = Files.createTempFile("workspace", ".log");
    ProcessBuilder pb = new ProcessBuilder("node", "workspace.mjs").directory(BROWSER_DIR.toFile())
        .redirectErrorStream(true).redirectOutput(output.toFile());
    pb.environment().put("BASE_URL", "http://127.0.0.1:" + server.port("HTTP_PORT"));
    pb.environment().put("A", li.username());
    pb.environment().put("A_NAME", "李顾问");
    pb.environment().put("B", wang.username());
    pb.environment().put("B_NAME", "王顾问");
    pb.environment().put("PASSWORD", Staff.PASSWORD);
    pb.environment().put("ADMIN", TestApp.ADMIN);
    pb.environment().put("ADMIN_PASSWORD", TestApp.ADMIN_PASSWORD);
    pb.environment().put("CUSTOMER", UUID.randomUUID().toString().substring(0, 4));
    pb.environment().put("SHOTS", shots.toAbsolutePath().toString());
    Process node = pb.start();
    boolean done = node.waitFor(180, TimeUnit.SECONDS);
    if (!done) {
      node.destroyForcibly();
    }
    String log = Files.readString(output, StandardCharsets.UTF_8);
    assertThat(done).as("workspace script finished in time; output:\n" + log).isTrue();
    assertThat(node.exitValue()).as("workspace script exit code; output:\n" + log).isZero();
    assertThat(log).contains("WORKSPACE OK");

    // what the pages did happened on the server: live copies acknowledged (no push for them), the offer accepted
    assertThat(server.db().count("SELECT count(*) FROM notifications WHERE kind = 'new_customer' AND channel = 'live' "
        + "AND delivered_at IS NOT NULL AND user_id IN (?::uuid, ?::uuid)", li.id(), wang.id())).isPositive();
    assertThat(server.db().count("SELECT count(*) FROM assignment_events WHERE event = 'accepted'")).isEqualTo(1);
    assertThat(server.db().count("SELECT count(*) FROM messages WHERE kind = 'welcome' "
        + "AND metadata->>'source' = 'dify'")).isPositive();
  }
}
