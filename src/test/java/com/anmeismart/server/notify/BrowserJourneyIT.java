package com.anmeismart.server.notify;

import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestApp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pages in a real headless browser (Debian chromium driven by npm playwright-core, {@code src/test/browser}):
 * two consultants online, a customer registers on the customer page, both consultants see the notification within
 * seconds, one claims it, the other sees it claimed, the customer sees the welcome and the consultant's reply live.
 * Needs {@code /usr/bin/chromium} (apt-get install chromium); the build runs {@code npm ci} in {@code src/test/browser}.
 */
class BrowserJourneyIT {

  static final Path BROWSER_DIR = Path.of("src/test/browser");
  static TestApp server;

  @BeforeAll
  static void start() {
    assertThat(Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium")))
        .as("chromium is needed for the browser tests: apt-get install chromium").exists();
    assertThat(BROWSER_DIR.resolve("node_modules/playwright-core"))
        .as("npm ci in src/test/browser (the Maven build runs it before the integration tests)").exists();
    server = TestApp.start(null);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void twoConsultantsSeeANewCustomerOneClaimsAndTheCustomerSeesTheWelcome() throws Exception {
    String admin = server.adminToken();
    Staff.disableAllConsultants(server);
    Staff a = Staff.consultant(server, admin, "陈顾问");
    Staff b = Staff.consultant(server, admin, "林顾问");
    Path shots = Files.createDirectories(Path.of("target/browser-shots"));
    Path output = Files.createTempFile("journey", ".log");
    ProcessBuilder pb = new ProcessBuilder("node", "journey.mjs").directory(BROWSER_DIR.toFile())
        .redirectErrorStream(true).redirectOutput(output.toFile());
    pb.environment().put("BASE_URL", "http://127.0.0.1:" + server.port("HTTP_PORT"));
    pb.environment().put("CONSULTANT_A", a.username());
    pb.environment().put("CONSULTANT_B", b.username());
    pb.environment().put("A_NAME", "陈顾问");
    pb.environment().put("B_NAME", "林顾问");
    pb.environment().put("PASSWORD", Staff.PASSWORD);
    pb.environment().put("CUSTOMER", "browser_" + UUID.randomUUID().toString().substring(0, 8));
    pb.environment().put("SHOTS", shots.toAbsolutePath().toString());
    Process node = pb.start();
    boolean done = node.waitFor(120, TimeUnit.SECONDS);
    if (!done) {
      node.destroyForcibly();
    }
    String log = read(output);
    assertThat(done).as("journey finished in time; output:\n" + log).isTrue();
    assertThat(node.exitValue()).as("journey exit code; output:\n" + log).isZero();
    assertThat(log).contains("JOURNEY OK");

    // both pages acknowledged the live notification: that is how the arrival rate is measured
    Poll.until(Duration.ofSeconds(10), "both acknowledgements", () -> server.db().count("SELECT count(*) FROM "
        + "notifications WHERE kind = 'new_customer' AND channel = 'live' AND delivered_at IS NOT NULL "
        + "AND user_id IN (?::uuid, ?::uuid)", a.id(), b.id()) == 2);
  }

  private static String read(Path p) throws IOException {
    return Files.readString(p, StandardCharsets.UTF_8);
  }
}
