package com.anmeismart.server.dashboard;

import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The console {@code /admin/} in a real headless browser ({@code src/test/browser/admin.mjs}: Debian chromium driven
 * by npm playwright-core): charts with the server's figures, a live dead-job alert, retry from the page, key
 * rotation with its confirmation (old key 401 on {@code /mcp} at once), a bad setting refused next to its field, the
 * customer timeline, every panel at 375 px, an operator without edit controls. The script asks this test, over
 * its stdin and stdout, to kill a job (the Dify gateway undeployed, no retries allowed) and to bring the gateway
 * back. Screenshots go to {@code target/admin-shots} (the README's come from there).
 */
class AdminConsoleIT {

  static final Path BROWSER_DIR = Path.of("src/test/browser");
  static final String RA = "/api/v1/admin/registration-automation";
  static TestApp server;
  static String admin;

  @BeforeAll
  static void start() {
    assertThat(Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium")))
        .as("chromium is needed for the browser tests: apt-get install chromium").exists();
    assertThat(BROWSER_DIR.resolve("node_modules/playwright-core"))
        .as("npm ci in src/test/browser (the Maven build runs it before the integration tests)").exists();
    server = TestApp.start(new JsonObject().put("CONSOLE_COUNTERS_MS", "300"));
    admin = server.adminToken();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void anAdminRunsTheClinicFromTheConsoleAndAnOperatorOnlyWatches() throws Exception {
    settings(new JsonObject().put("welcome_first_text_seconds", 30).put("welcome_completion_seconds", 60));
    Console.Staff consultant = Console.staff(server, admin, "consultant");
    Console.Staff operator = Console.staff(server, admin, "operator");
    // some history for the charts: three welcomed customers, one claimed and answered
    String customerName = "王小美" + UUID.randomUUID().toString().substring(0, 4);
    UUID first = register("console_", new JsonObject().put("full_name", customerName)
        .put("interests", new io.vertx.core.json.JsonArray().add("补水")).put("source", "wechat"));
    UUID second = register("console_", null);
    UUID third = register("console_", null);
    for (UUID u : new UUID[] {first, second, third}) {
      Console.awaitJob(server.db(), u, "succeeded");
    }
    String conversation = server.db().one("SELECT conversation_id::text AS c FROM automation_jobs WHERE user_id = ?",
        first).get("c").toString();
    assertThat(server.http.post("/api/v1/conversations/" + conversation + "/claim", new JsonObject(),
        consultant.token()).status()).isEqualTo(200);
    assertThat(server.http.post("/api/v1/conversations/" + conversation + "/messages",
        new JsonObject().put("content", "您好，我是您的顾问"), consultant.token()).status()).isEqualTo(201);
    Http.Res group = server.http.post("/api/v1/mcp/groups", new JsonObject().put("name", "console_test_tools")
        .put("description", "浏览器测试用工具组"), admin);
    assertThat(group.status()).as(group.body()).isEqualTo(201);

    Path shots = Files.createDirectories(Path.of("target/admin-shots"));
    ProcessBuilder pb = new ProcessBuilder("node", "admin.mjs").directory(BROWSER_DIR.toFile())
        .redirectErrorStream(true);
    pb.environment().put("BASE_URL", "http://127.0.0.1:" + server.port("HTTP_PORT"));
    pb.environment().put("MCP_URL", "http://127.0.0.1:" + server.port("MCP_PORT"));
    pb.environment().put("ADMIN", TestApp.ADMIN);
    pb.environment().put("ADMIN_PASSWORD", TestApp.ADMIN_PASSWORD);
    pb.environment().put("OPERATOR", operator.username());
    pb.environment().put("OPERATOR_PASSWORD", Console.PASSWORD);
    pb.environment().put("GROUP", "console_test_tools");
    pb.environment().put("CUSTOMER", customerName);
    pb.environment().put("SHOTS", shots.toAbsolutePath().toString());
    Process node = pb.start();
    StringBuilder output = new StringBuilder();
    Thread talk = new Thread(() -> converse(node, output), "console-script");
    talk.start();
    boolean done = node.waitFor(180, TimeUnit.SECONDS);
    if (!done) {
      node.destroyForcibly();
    }
    talk.join(10_000);
    String log;
    synchronized (output) {
      log = output.toString();
    }
    assertThat(done).as("the console script finished in time; output:\n" + log).isTrue();
    assertThat(node.exitValue()).as("console script exit code; output:\n" + log).isZero();
    assertThat(log).contains("CONSOLE OK");
    // what the page did happened on the server
    assertThat(server.db().count("SELECT count(*) FROM automation_jobs WHERE status = 'dead'")).isZero();
    assertThat(server.db().count("SELECT count(*) FROM mcp_call_logs WHERE caller_app_id = ?",
        "admin:" + TestApp.ADMIN)).isPositive();
  }

  /** Reads the script's lines; answers its requests (a dead job, the gateway back). */
  private static void converse(Process node, StringBuilder output) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
         OutputStream out = node.getOutputStream()) {
      String line;
      while ((line = in.readLine()) != null) {
        synchronized (output) {
          output.append(line).append('\n');
        }
        String answer = switch (line.trim()) {
          case "NEED dead_job" -> "dead_job " + deadJob();
          case "NEED gateway" -> {
            server.app.deploy("DifyGatewayVerticle").toCompletionStage().toCompletableFuture().join();
            settings(new JsonObject().put("max_retries", 3));
            yield "gateway up";
          }
          default -> null;
        };
        if (answer != null) {
          out.write((answer + "\n").getBytes(StandardCharsets.UTF_8));
          out.flush();
        }
      }
    } catch (IOException | RuntimeException e) {
      synchronized (output) {
        output.append("test side failed: ").append(e).append('\n');
      }
      node.destroyForcibly();
    }
  }

  /** A job that dies now: no one answers its welcome step and no retry is allowed. */
  private static String deadJob() {
    settings(new JsonObject().put("max_retries", 0));
    server.app.undeploy("DifyGatewayVerticle").toCompletionStage().toCompletableFuture().join();
    UUID user = register("doomed_", new JsonObject().put("full_name", "赵失败"));
    return Console.awaitJob(server.db(), user, "dead").get("id").toString();
  }

  private static UUID register(String prefix, JsonObject extra) {
    return UUID.fromString(server.register(prefix + UUID.randomUUID().toString().substring(0, 8), extra)
        .getString("id"));
  }

  private static void settings(JsonObject change) {
    Http.Res res = server.http.put(RA + "/settings", change, admin);
    assertThat(res.status()).as(res.body()).isEqualTo(200);
  }
}
