package com.anmeismart.server;

import com.anmeismart.server.testing.TestPg;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The real fat jar as a user runs it: {@code java -jar target/anmeismart-server.jar}, configured by file and env. */
class LauncherIT {

  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void killAll() throws Exception {
    for (Process p : processes) {
      p.destroy();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  private Process launch(Map<String, String> env, Path log, String... args) throws IOException {
    String jar = System.getProperty("app.jar", "target/anmeismart-server.jar");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", jar));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.endsWith("_PORT") || k.equals("PG_URL") || k.equals("DATA_DIR"));
    pb.environment().putAll(env);
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  private static Map<String, String> baseEnv(Path dataDir) {
    return Map.of("PG_URL", TestPg.newDatabase(), "DATA_DIR", dataDir.toString(),
        "HTTP_PORT", "0", "MCP_PORT", "0", "MANAGEMENT_PORT", "0", "LOCAL_AGENT_PORT", "0");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static boolean healthy(int port) {
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/health")).timeout(Duration.ofSeconds(2)).build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void awaitHealthy(Process p, int port, Path log) throws Exception {
    Instant deadline = Instant.now().plusSeconds(90);
    while (!healthy(port)) {
      assertThat(p.isAlive()).as("server exited early:\n" + Files.readString(log)).isTrue();
      assertThat(Instant.now()).as("server not healthy in time:\n" + Files.readString(log)).isBefore(deadline);
      p.onExit().completeOnTimeout(p, 200, TimeUnit.MILLISECONDS).get();
    }
  }

  @Test
  void aPortInUseFailsTheStartWithAClearMessageAndNonZeroExit() throws Exception {
    Path log = Files.createTempFile("launch", ".log");
    try (ServerSocket taken = new ServerSocket(0)) {
      Map<String, String> env = new java.util.HashMap<>(baseEnv(Files.createTempDirectory("anmei-data")));
      env.put("MCP_PORT", String.valueOf(taken.getLocalPort()));
      Process p = launch(env, log);
      assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("the process must end by itself").isTrue();
      String out = Files.readString(log, StandardCharsets.UTF_8);
      assertThat(p.exitValue()).as(out).isNotZero();
      assertThat(out).contains("MCP_PORT=" + taken.getLocalPort()).contains("already in use");
      assertThat(out).as("a clear message, not a stack trace").doesNotContain("\tat io.vertx");
    }
  }

  @Test
  void envBeatsTheFileAndTheFileBeatsDefaults() throws Exception {
    Path dataDir = Files.createTempDirectory("anmei-data");
    int filePort = freePort();
    int envPort = freePort();
    int fileOnlyPort = freePort();
    Path conf = Files.createTempFile("conf", ".json");
    Files.writeString(conf, "{\"MANAGEMENT_PORT\": " + filePort + ", \"HTTP_PORT\": " + fileOnlyPort
        + ", \"JWT_SECRET\": \"file-secret-value-0123456789\"}");
    Map<String, String> env = new java.util.HashMap<>(baseEnv(dataDir));
    env.remove("HTTP_PORT"); // left to the file
    env.put("MANAGEMENT_PORT", String.valueOf(envPort));
    Path log = Files.createTempFile("launch", ".log");
    Process p = launch(env, log, "--conf", conf.toString());

    awaitHealthy(p, envPort, log);
    assertThat(healthy(filePort)).as("the file's MANAGEMENT_PORT lost to env").isFalse();
    try (Socket s = new Socket("127.0.0.1", fileOnlyPort)) {
      assertThat(s.isConnected()).as("HTTP_PORT came from the file").isTrue();
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(out).contains("JWT_SECRET=******").doesNotContain("file-secret-value-0123456789");
  }

  @Test
  void aClusterWithoutAnExternalDatabaseIsAClearErrorAndNonZeroExit() throws Exception {
    Path log = Files.createTempFile("launch", ".log");
    Map<String, String> env = new java.util.HashMap<>(baseEnv(Files.createTempDirectory("anmei-data")));
    env.remove("PG_URL");
    env.put("CLUSTER", "true");
    env.put("CLUSTER_MEMBERS", "127.0.0.1:5701");
    Process p = launch(env, log);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the process must end by itself").isTrue();
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isNotZero();
    assertThat(out).contains("CLUSTER=true needs PG_URL").doesNotContain("\tat ")
        .as("refused before anything started").doesNotContain("embedded PostgreSQL in");
  }

  @Test
  void aMissingConfigFileIsAClearError() throws Exception {
    Path log = Files.createTempFile("launch", ".log");
    Process p = launch(baseEnv(Files.createTempDirectory("anmei-data")), log, "--conf", "/nonexistent/x.json");
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isNotZero();
    assertThat(Files.readString(log)).contains("config file not found: /nonexistent/x.json");
  }
}
