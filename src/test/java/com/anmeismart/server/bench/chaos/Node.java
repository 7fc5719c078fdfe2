package com.anmeismart.server.bench.chaos;

import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.JarProcess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server under test as an operating-system process ({@code java -jar}), on ports fixed for the whole run, so a
 * server killed and started again is the same address to its clients, as an operator's restart is. Each start logs
 * to a file of its own in the run's directory.
 */
final class Node implements AutoCloseable {

  private static final Pattern EMBEDDED_PORT = Pattern.compile("embedded PostgreSQL in .* on port (\\d+)");

  final String name;
  final int httpPort;
  final int managementPort;
  private final Map<String, String> env;
  private final Path dir;
  private Process process;
  private Path log;
  private int starts;

  /**
   * @param env the server's settings on top of the fixed ports (DATA_DIR or PG_URL, admin, secrets, …)
   */
  Node(String name, Path dir, Map<String, String> env) throws IOException {
    this.name = name;
    this.dir = dir;
    this.env = env;
    this.httpPort = JarProcess.freePort();
    this.managementPort = JarProcess.freePort();
  }

  /** Starts the jar; doesn't wait (see {@link #awaitReady}). */
  Node start() throws IOException {
    starts++;
    log = dir.resolve(name + "-" + starts + ".log");
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        System.getProperty("app.jar", "target/anmeismart-server.jar"))
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.endsWith("_PORT") || k.equals("PG_URL") || k.equals("DATA_DIR"));
    Map<String, String> all = new HashMap<>(Map.of("HTTP_PORT", String.valueOf(httpPort),
        "MANAGEMENT_PORT", String.valueOf(managementPort), "MCP_PORT", "0", "LOCAL_AGENT_PORT", "0",
        "LOG_FORMAT", "text"));
    all.putAll(env);
    pb.environment().putAll(all);
    process = pb.start();
    return this;
  }

  /** Waits until {@code /ready} answers 200 and returns that moment; fails with the log's tail if the process exits. */
  Instant awaitReady(Duration timeout) {
    Http mgmt = management();
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + tail(40));
      }
      try {
        if (mgmt.get("/ready", null).status() == 200) {
          return Instant.now();
        }
      } catch (RuntimeException e) {
        // not listening yet
      }
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
    throw new IllegalStateException(name + " not ready after " + timeout + ":\n" + tail(40));
  }

  /** SIGKILL: no shutdown hook runs, nothing is handed back. Returns once the process is gone. */
  void kill9() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException(name + " (pid " + process.pid() + ") survived SIGKILL for 30 s");
    }
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  int starts() {
    return starts;
  }

  Http http() {
    return new Http("http://127.0.0.1:" + httpPort);
  }

  Http management() {
    return new Http("http://127.0.0.1:" + managementPort);
  }

  String baseUrl() {
    return "http://127.0.0.1:" + httpPort;
  }

  Path log() {
    return log;
  }

  /** The port of the embedded PostgreSQL this start runs (the server logs it), for reading what it stored. */
  int embeddedPgPort() {
    Matcher m = EMBEDDED_PORT.matcher(output());
    int port = -1;
    while (m.find()) {
      port = Integer.parseInt(m.group(1));
    }
    if (port < 0) {
      throw new IllegalStateException(name + " logged no embedded PostgreSQL port");
    }
    return port;
  }

  String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String tail(int lines) {
    var all = output().lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  /** A graceful stop (SIGTERM), then SIGKILL if it takes over 30 s. */
  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
