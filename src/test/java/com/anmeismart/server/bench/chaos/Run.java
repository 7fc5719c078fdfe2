package com.anmeismart.server.bench.chaos;

import com.anmeismart.server.testing.Http;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;

/** What every scenario shares: its parameters, a directory, the server's settings, the admin, the Dify config. */
abstract class Run {

  static final String ADMIN = "chaos_admin";
  static final String ADMIN_PASSWORD = "chaos-admin-password";

  final Map<String, String> params;
  final Path dir;
  /** Usernames of this run start with it (the ledger reads the run's customers by it). */
  final String prefix = "chaos_" + UUID.randomUUID().toString().substring(0, 6) + "_";
  final Instant start = Instant.now();

  Run(String name, Map<String, String> params) throws IOException {
    this.params = params;
    this.dir = Files.createTempDirectory("anmei-chaos-" + name + "-");
  }

  abstract Report run() throws Exception;

  /**
   * The server's settings: this run's admin and secrets (the same for every start, as a deployment's are), no
   * per-IP limit on registrations (every client is 127.0.0.1), the {@code server.*} parameters, product defaults
   * otherwise.
   */
  Map<String, String> serverEnv() {
    SecureRandom random = new SecureRandom();
    byte[] jwt = new byte[48];
    byte[] key = new byte[32];
    random.nextBytes(jwt);
    random.nextBytes(key);
    Map<String, String> env = new HashMap<>(Map.of("ADMIN_USERNAME", ADMIN, "ADMIN_PASSWORD", ADMIN_PASSWORD,
        "JWT_SECRET", Base64.getEncoder().encodeToString(jwt), "SECRETS_KEY", Base64.getEncoder().encodeToString(key),
        "AUTH_RATE_LIMIT_PER_MINUTE", "1000000"));
    // server.KEY=VALUE on the command line: a setting of the server's own (server.ACCESS_LOG=true, …)
    params.forEach((k, v) -> {
      if (k.startsWith("server.")) {
        env.put(k.substring("server.".length()), v);
      }
    });
    return env;
  }

  int intParam(String key, int otherwise) {
    return params.containsKey(key) ? Integer.parseInt(params.get(key)) : otherwise;
  }

  double doubleParam(String key, double otherwise) {
    return params.containsKey(key) ? Double.parseDouble(params.get(key)) : otherwise;
  }

  static String adminToken(Http api) {
    Http.Res res = api.post("/api/v1/auth/login", new JsonObject().put("username_or_email", ADMIN)
        .put("password", ADMIN_PASSWORD), null);
    if (res.status() != 200) {
      throw new IllegalStateException("admin login: " + res.status() + " " + res.body());
    }
    return res.json().getString("access_token");
  }

  /** The welcome's Dify app: the double's key, behind the gateway's breaker like any config. */
  static void difyConfig(Http api, String token, DifyProcess dify) {
    Http.Res res = api.post("/api/v1/dify/configs", new JsonObject().put("name", "chaos")
        .put("base_url", dify.baseUrl()).put("api_key", dify.key), token);
    if (res.status() != 201) {
      throw new IllegalStateException("Dify config: " + res.status() + " " + res.body());
    }
  }

  /** Seconds since the run started. */
  double at() {
    return Duration.between(start, Instant.now()).toMillis() / 1000.0;
  }

  /** Waits until {@code seconds} after the run's start (the scenario's schedule). */
  void until(double seconds) throws InterruptedException {
    long wait = start.toEpochMilli() + Math.round(seconds * 1000) - System.currentTimeMillis();
    if (wait > 0) {
      Thread.sleep(wait); // the fault schedule, not a synchronisation
    }
  }

  /** Waits for a condition with a deadline (true: it held). */
  static boolean await(Duration timeout, java.util.function.BooleanSupplier condition) {
    Instant deadline = Instant.now().plus(timeout);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        return false;
      }
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
    return true;
  }

  /** A background thread running {@code body}, whose failure is rethrown by {@link Background#join}. */
  static final class Background {
    private final Thread thread;
    private volatile Throwable failure;

    Background(String name, ThrowingRunnable body) {
      thread = new Thread(() -> {
        try {
          body.run();
        } catch (Throwable t) {
          failure = t;
        }
      }, name);
      thread.start();
    }

    boolean alive() {
      return thread.isAlive();
    }

    void join() throws Exception {
      thread.join();
      if (failure instanceof Exception e) {
        throw e;
      }
      if (failure != null) {
        throw new IllegalStateException(failure);
      }
    }
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  static void watchLines(Report report, Watch watch, List<String> prefixes) {
    report.line("what monitoring saw (changes only; /ready and /metrics every 250 ms):");
    watch.changes().stream().filter(c -> prefixes.stream().anyMatch(p -> c.what().startsWith(p)))
        .forEach(c -> report.line("  %s", c));
  }
}
