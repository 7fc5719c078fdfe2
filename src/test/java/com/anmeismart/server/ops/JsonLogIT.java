package com.anmeismart.server.ops;

import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestPg;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fat jar with {@code LOG_FORMAT=json}: every line on stdout is one JSON object (logback's JsonEncoder), the
 * automation's step lines carry job_id, user_id and conversation_id as fields, the access log (ACCESS_LOG=true)
 * has one line per request with its request_id, the start-up names the URLs and warns about the development admin
 * password, and no secret appears.
 */
class JsonLogIT {

  private static final String JWT_SECRET = "json-log-test-jwt-secret-0123456789abcdef";
  private static final Pattern HTTP_PORT = Pattern.compile("HTTP_PORT=(\\d+)");
  private Process server;

  @AfterEach
  void stop() throws Exception {
    if (server != null && server.isAlive()) {
      server.destroy();
      if (!server.waitFor(30, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
  }

  @Test
  void everyLineIsJsonWithTheIdsAsFields() throws Exception {
    Path out = Files.createTempFile("json-log", ".out");
    Map<String, String> env = env();
    env.put("LOG_FORMAT", "json");
    env.put("ACCESS_LOG", "true");
    env.put("ADMIN_USERNAME", "admin");
    env.put("ADMIN_PASSWORD", StartBanner.DEV_ADMIN_PASSWORD);
    server = launch(env, out);
    int port = awaitPort(out);

    String requestId = "test-request-0001";
    HttpResponse<String> registered = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/api/v1/auth/register"))
        .header("Content-Type", "application/json").header("X-Request-Id", requestId)
        .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"json_log_user\",\"email\":\"jl@example.com\","
            + "\"password\":\"a-long-password\"}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(registered.statusCode()).isEqualTo(201);
    assertThat(registered.headers().firstValue("X-Request-Id")).contains(requestId);
    String userId = new JsonObject(registered.body()).getString("id");

    JsonObject step = Poll.until(Duration.ofSeconds(30), "the welcome_sent step's line",
        () -> lines(out).stream().filter(l -> l.getString("formattedMessage", "").startsWith("step welcome_sent ok"))
            .findFirst().orElse(null));
    server.destroy();
    assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();

    List<JsonObject> lines = lines(out); // fails on any line that is not a JSON object
    assertThat(lines).allSatisfy(l -> assertThat(l.fieldNames()).contains("timestamp", "level", "loggerName",
        "formattedMessage"));
    JsonObject mdc = step.getJsonObject("mdc");
    assertThat(mdc.getString("user_id")).isEqualTo(userId);
    assertThat(mdc.getString("job_id")).isNotBlank();
    assertThat(mdc.getString("conversation_id")).isNotBlank();

    JsonObject access = lines.stream().filter(l -> "access".equals(l.getString("loggerName"))
        && l.getString("formattedMessage").startsWith("POST /api/v1/auth/register 201")).findFirst().orElseThrow();
    assertThat(access.getJsonObject("mdc").getString("request_id")).isEqualTo(requestId);

    assertThat(lines).anySatisfy(l -> assertThat(l.getString("formattedMessage"))
        .contains("/customer/").contains("/consultant/").contains("/admin/").contains("/api/v1"));
    assertThat(lines).anySatisfy(l -> {
      assertThat(l.getString("level")).isEqualTo("WARN");
      assertThat(l.getString("formattedMessage")).contains("development password");
    });
    String raw = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(raw).doesNotContain(JWT_SECRET).doesNotContain(StartBanner.DEV_ADMIN_PASSWORD)
        .doesNotContain("a-long-password");
  }

  /** LOG_FORMAT from the config file alone (no env) applies too: logging is switched once the file is read. */
  @Test
  void theConfigFileCanSetTheFormat() throws Exception {
    Path out = Files.createTempFile("json-log", ".out");
    Path conf = Files.createTempFile("conf", ".json");
    Files.writeString(conf, "{\"LOG_FORMAT\": \"json\"}");
    server = launch(env(), out, "--conf", conf.toString());
    awaitPort(out);
    server.destroy();
    assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
    List<JsonObject> lines = lines(out);
    assertThat(lines).anySatisfy(l -> assertThat(l.getString("formattedMessage")).startsWith("configuration:"));
    assertThat(lines).noneSatisfy(l -> assertThat(l.getString("formattedMessage")).contains("development password"));
  }

  private static Map<String, String> env() throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("PG_URL", TestPg.newDatabase());
    env.put("DATA_DIR", Files.createTempDirectory("anmei-data").toString());
    env.put("JWT_SECRET", JWT_SECRET);
    for (String port : List.of("HTTP_PORT", "MCP_PORT", "MANAGEMENT_PORT", "LOCAL_AGENT_PORT")) {
      env.put(port, "0");
    }
    return env;
  }

  private static Process launch(Map<String, String> env, Path out, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", System.getProperty("app.jar", "target/anmeismart-server.jar")));
    cmd.addAll(List.of(args));
    // stdout alone is checked: the JVM may write its own warnings to stderr
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile())
        .redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().keySet().removeIf(k -> k.startsWith("LOG_") || k.startsWith("ADMIN_") || k.endsWith("_PORT")
        || k.equals("PG_URL") || k.equals("DATA_DIR") || k.equals("ACCESS_LOG"));
    pb.environment().putAll(env);
    // a directory without conf/config.json, so only this test's settings apply
    pb.directory(Files.createTempDirectory("anmei-cwd").toFile());
    return pb.start();
  }

  private int awaitPort(Path out) {
    return Poll.until(Duration.ofSeconds(90), "the server's ready line", () -> {
      assertThat(server.isAlive()).as("the server exited").isTrue();
      Optional<Matcher> m = lines(out).stream().map(l -> l.getString("formattedMessage", ""))
          .filter(msg -> msg.startsWith("ready in")).map(HTTP_PORT::matcher).filter(Matcher::find).findFirst();
      return m.map(x -> Integer.parseInt(x.group(1))).orElse(null);
    });
  }

  /** Every complete line of the file as JSON; a line that is not a JSON object fails the test. */
  private static List<JsonObject> lines(Path out) {
    try {
      String text = Files.readString(out, StandardCharsets.UTF_8);
      int end = text.lastIndexOf('\n');
      List<JsonObject> lines = new ArrayList<>();
      for (String line : (end < 0 ? "" : text.substring(0, end)).split("\n")) {
        if (line.isEmpty()) {
          continue;
        }
        try {
          lines.add(new JsonObject(line));
        } catch (DecodeException e) {
          throw new AssertionError("not a JSON object: " + line, e);
        }
      }
      return lines;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
