package com.anmeismart.server.bench.chaos;

import com.anmeismart.server.dify.DifyDoubleProcess;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.JarProcess;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The Dify double ({@link DifyDoubleProcess}) as a child process: one app key, its behaviour switched through the
 * control port, including disappearing (connection refused) and coming back on the same port.
 */
final class DifyProcess implements AutoCloseable {

  final int port;
  final int controlPort;
  final String key = "app-chaos-" + UUID.randomUUID().toString().substring(0, 8);
  private final Path dir;
  private final long fixedDelayMs;
  private Process process;
  private int starts;

  DifyProcess(Path dir, long fixedDelayMs) throws IOException {
    this.dir = dir;
    this.fixedDelayMs = fixedDelayMs;
    this.port = JarProcess.freePort();
    this.controlPort = JarProcess.freePort();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + port + "/v1";
  }

  /** Starts the double answering with {@code scenario}; returns once both ports listen. */
  DifyProcess start(String scenario) throws IOException {
    starts++;
    Path log = dir.resolve("dify-" + starts + ".log");
    process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-cp", System.getProperty("java.class.path"), DifyDoubleProcess.class.getName(), String.valueOf(port),
        String.valueOf(controlPort), key, scenario, String.valueOf(fixedDelayMs))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Instant deadline = Instant.now().plusSeconds(60);
    while (!Files.readString(log, StandardCharsets.UTF_8).contains("dify double ready")) {
      if (!process.isAlive() || Instant.now().isAfter(deadline)) {
        throw new IllegalStateException("the Dify double did not start:\n" + Files.readString(log));
      }
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
    return this;
  }

  /** Switches what the app does (a {@code DifyDouble.Scenario} name). */
  void scenario(String scenario) {
    control("/scenario/" + scenario);
  }

  /** Dify disappears: its port refuses connections, open streams break off. */
  void down() {
    control("/down");
  }

  /** Dify is back on its port. */
  void up() {
    control("/up");
  }

  private void control(String path) {
    Http.Res res = new Http("http://127.0.0.1:" + controlPort).put(path, new JsonObject(), null);
    if (res.status() != 200) {
      throw new IllegalStateException("the double's " + path + ": " + res.status() + " " + res.body());
    }
  }

  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the Dify double survived SIGKILL");
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      kill();
    }
  }
}
