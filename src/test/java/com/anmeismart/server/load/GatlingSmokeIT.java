package com.anmeismart.server.load;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import com.anmeismart.server.testing.TestApp;
import io.gatling.app.Gatling$;
import io.gatling.shared.cli.GatlingCliOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * A short run of each Gatling simulation (seconds, a handful of users) against a real server, so the simulations
 * never rot: Gatling runs in this JVM (its CLI entry point, the one the Maven plugin's fork calls), one simulation
 * after another, without HTML reports; its exit status is the verdict (0 passed, 2 an assertion failed). The same
 * assertions as a full run apply, at small numbers: every request succeeds (≥ 99 %), every customer gets its
 * conversation and welcome, every consultant socket gets every new customer broadcast (and ClinicDay: every offer is
 * accepted, every broadcast customer claimed). The time bounds are relaxed to
 * {@link #BOUNDS} here: this run shares the machine with the server and the build, and performance is judged by
 * bench/gatling.sh runs (docs/performance.md), not by a timer in a test. {@link #aFailedAssertionFailsTheRun} shows
 * that a failed assertion fails the test, and so the build.
 */
class GatlingSmokeIT {

  private static final int PASSED = 0;
  /** Gatling's status when the run completed but an assertion failed (io.gatling.app.cli.StatusCode). */
  private static final int ASSERTIONS_FAILED = 2;

  /** The welcome and alert bounds of the smoke runs (ms): generous, see the class comment. */
  private static final String[] BOUNDS = {"welcomeBoundMs=8000", "alertBoundMs=5000"};

  private static TestApp server;
  private static final List<String> SERVER_PROPERTIES = List.of("baseUrl", "mcpUrl", "adminUsername", "adminPassword");

  @BeforeAll
  static void start() {
    // the smoke runs check that the simulations work, not this machine's hash capacity: a build machine busy with
    // other work starves the (nice 10) hashing threads, and the 5 s admission bound would answer 503 server_busy
    // (OverloadIT tests that bound; bench/gatling.sh runs the product's defaults)
    server = TestApp.start(new JsonObject().put("PASSWORD_HASH_MAX_WAIT_MS", "60000"));
    System.setProperty("baseUrl", "http://127.0.0.1:" + server.port("HTTP_PORT"));
    System.setProperty("mcpUrl", "http://127.0.0.1:" + server.port("MCP_PORT"));
    System.setProperty("adminUsername", TestApp.ADMIN);
    System.setProperty("adminPassword", TestApp.ADMIN_PASSWORD);
  }

  @AfterAll
  static void stop() {
    SERVER_PROPERTIES.forEach(System::clearProperty);
    if (server != null) {
      server.close();
    }
  }

  @Test
  void registrationBurst() {
    assertThat(gatling("RegistrationBurst", "users=10", "welcomeBoundMs=5000", "warmUp=2", "warmUpSeconds=1"))
        .isEqualTo(PASSED);
  }

  @Test
  void steadyOnboarding() {
    assertThat(gatling("SteadyOnboarding", "rate=4", "duration=3", "consultants=2", "lead=1")).isEqualTo(PASSED);
  }

  @Test
  void consultantFanout() {
    assertThat(gatling("ConsultantFanout", "consultants=10", "customers=2", "interval=0.5", "rampSeconds=1"))
        .isEqualTo(PASSED);
  }

  @Test
  void difyStyleMcp() {
    assertThat(gatling("DifyStyleMcp", "rate=10", "duration=2", "warmUp=1")).isEqualTo(PASSED);
  }

  /**
   * Round robin with one open conversation each: the first two customers are offered (one to each page, which
   * accepts), the third is offered to nobody and broadcast (both pages must get it in time).
   */
  @Test
  void clinicDay() {
    assertThat(gatling("ClinicDay", "rate=1", "duration=3", "consultants=2", "adminPollSeconds=1", "think=0.2",
        "lead=1", "assignment=round_robin", "maxOpen=1")).isEqualTo(PASSED);
  }

  /** No welcome can arrive within 0 ms: the bound's assertion fails, and so does the run. */
  @Test
  void aFailedAssertionFailsTheRun() {
    assertThat(gatling("RegistrationBurst", "users=2", "welcomeBoundMs=0", "warmUp=0")).isEqualTo(ASSERTIONS_FAILED);
  }

  /** Runs one simulation with {@code key=value} parameters as system properties; returns Gatling's exit status. */
  private static int gatling(String simulation, String... params) {
    List<String> keys = new ArrayList<>();
    List<String> all = new ArrayList<>(List.of(BOUNDS));
    all.addAll(List.of(params)); // later values win: a test may set its own bound
    for (String kv : all) {
      int eq = kv.indexOf('=');
      keys.add(kv.substring(0, eq));
      System.setProperty(kv.substring(0, eq), kv.substring(eq + 1));
    }
    try {
      return Gatling$.MODULE$.fromArgs(new String[] {
          GatlingCliOptions.Simulation.shortOption(), "com.anmeismart.server.load." + simulation,
          GatlingCliOptions.ResultsFolder.shortOption(), "target/gatling-smoke",
          GatlingCliOptions.NoReports.shortOption()});
    } finally {
      keys.forEach(System::clearProperty);
      restartLogging();
    }
  }

  /** Gatling stops logback when a run ends (its CLI expects the JVM to exit): start it again for what follows. */
  private static void restartLogging() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    try {
      new ContextInitializer(context).autoConfig();
    } catch (Exception e) {
      throw new IllegalStateException("logging could not be restarted", e);
    }
  }
}
