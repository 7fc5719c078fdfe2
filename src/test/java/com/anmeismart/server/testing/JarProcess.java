package com.anmeismart.server.testing;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The server as its own operating-system process ({@code java -jar target/anmeismart-server.jar}), for what can't
 * happen inside the test JVM: a {@code kill -9}. Ports are picked free up front so the test knows them.
 */
public final class JarProcess implements AutoCloseable {

  public final Process process;
  public final Path log;
  public final int httpPort;
  public final int managementPort;

  private JarProcess(Process process, Path log, int httpPort, int managementPort) {
    this.process = process;
    this.log = log;
    this.httpPort = httpPort;
    this.managementPort = managementPort;
  }

  /** Starts the jar with these settings (env) on top of free ports and a fresh DATA_DIR; doesn't wait. */
  public static JarProcess start(Map<String, String> env) throws IOException {
    return start(env, List.of());
  }

  /** As {@link #start(Map)}, with these JVM options before {@code -jar}. */
  public static JarProcess start(Map<String, String> env, List<String> jvmOptions) throws IOException {
    int http = freePort();
    int management = freePort();
    Path log = Files.createTempFile("anmei-jar", ".log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", System.getProperty("app.jar", "target/anmeismart-server.jar")));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.endsWith("_PORT") || k.equals("PG_URL") || k.equals("DATA_DIR"));
    Map<String, String> all = new HashMap<>(Map.of("DATA_DIR", Files.createTempDirectory("anmei-jar").toString(),
        "HTTP_PORT", String.valueOf(http), "MANAGEMENT_PORT", String.valueOf(management), "MCP_PORT", "0",
        "LOCAL_AGENT_PORT", "0", "AUTH_RATE_LIMIT_PER_MINUTE", "100000", "HTTP_INSTANCES", "2",
        "PASSWORD_HASH_THREADS", "2"));
    // the test servers' secrets: a jar sharing a database with them must have the deployment's (cluster/Deployment)
    JsonObject secrets = TestApp.defaults(Path.of("."));
    all.put("JWT_SECRET", secrets.getString("JWT_SECRET"));
    all.put("SECRETS_KEY", secrets.getString("SECRETS_KEY"));
    all.putAll(env);
    pb.environment().putAll(all);
    return new JarProcess(pb.start(), log, http, management);
  }

  public Http http() {
    return new Http("http://127.0.0.1:" + httpPort);
  }

  public Http management() {
    return new Http("http://127.0.0.1:" + managementPort);
  }

  /** Waits until {@code /ready} answers 200; fails with the process's log if it exits or takes too long. */
  public JarProcess awaitReady(Duration timeout) {
    Http mgmt = management();
    try {
      Poll.until(timeout, "server ready", () -> {
        if (!process.isAlive()) {
          throw new IllegalStateException("server exited with " + process.exitValue() + ":\n" + output());
        }
        return mgmt.get("/ready", null).status() == 200;
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + output(), e);
    }
    return this;
  }

  /** SIGKILL: no shutdown hook, no graceful hand-back of jobs; returns once the process is gone. */
  public void kill9() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("process " + process.pid() + " survived SIGKILL for 30 s");
    }
  }

  public String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  public List<String> outputLines() {
    return output().lines().toList();
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
