package com.anmeismart.server.bench;

import com.anmeismart.server.App;
import com.anmeismart.server.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** What the benchmarks share: a real server, a fixed-rate registration load, waiting for jobs, percentiles. */
public final class BenchSupport {

  private BenchSupport() {
  }

  /** A server as a user runs it: embedded PostgreSQL in a fresh DATA_DIR (or PG_URL when set), free ports. */
  public static final class Server implements AutoCloseable {
    static final String ADMIN = "bench_admin";
    static final String ADMIN_PASSWORD = "bench-admin-password";

    public final App app;
    public final Http http;

    public Server(JsonObject extra) throws Exception {
      Path dataDir = Files.createTempDirectory("anmei-bench");
      JsonObject conf = new JsonObject().put("HTTP_PORT", "0").put("MCP_PORT", "0").put("MANAGEMENT_PORT", "0")
          .put("LOCAL_AGENT_PORT", "0").put("DATA_DIR", dataDir.toString()).put("ADMIN_USERNAME", ADMIN)
          .put("ADMIN_PASSWORD", ADMIN_PASSWORD).put("AUTH_RATE_LIMIT_PER_MINUTE", "1000000");
      if (System.getenv("PG_URL") != null) {
        conf.put("PG_URL", System.getenv("PG_URL"));
      }
      if (extra != null) {
        conf.mergeIn(extra);
      }
      app = App.start(null, conf).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      http = new Http("http://127.0.0.1:" + app.port("HTTP_PORT"));
    }

    public String adminToken() {
      return http.post("/api/v1/auth/login", new JsonObject().put("username_or_email", ADMIN)
          .put("password", ADMIN_PASSWORD), null).json().getString("access_token");
    }

    public void settings(JsonObject change) {
      var res = http.put("/api/v1/admin/registration-automation/settings", change, adminToken());
      if (res.status() != 200) {
        throw new IllegalStateException(res.body());
      }
    }

    /** JDBC to the server's database, for the timestamps the benchmarks read. */
    public Connection jdbc() throws SQLException {
      var o = app.context().database().connectOptions();
      return DriverManager.getConnection("jdbc:postgresql://" + o.getHost() + ":" + o.getPort() + "/"
          + o.getDatabase(), o.getUser(), o.getPassword());
    }

    @Override
    public void close() throws Exception {
      app.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  /**
   * A registration load run.
   *
   * @param prefix         the usernames' prefix (to find this run's rows)
   * @param registeredAt   user id → epoch ms when the 201 arrived
   * @param requestMs      each registration request's duration
   */
  public record Load(String prefix, Map<String, Long> registeredAt, List<Double> requestMs, int sent, int failed,
                     double seconds) {
  }

  /** Registers customers on a fixed schedule (request i at start + i/rate, an open model) and waits for answers. */
  public static Load register(Server server, int rate, int seconds) throws Exception {
    Vertx client = Vertx.vertx();
    HttpClient http = client.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(128));
    int total = rate * seconds;
    String prefix = "b" + UUID.randomUUID().toString().substring(0, 6) + "_";
    Map<String, Long> registeredAt = new ConcurrentHashMap<>();
    List<Double> requestMs = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger failures = new AtomicInteger();
    AtomicInteger sent = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(total);
    int port = server.app.port("HTTP_PORT");
    long periodNs = 1_000_000_000L / rate;
    long start = System.nanoTime();
    client.setPeriodic(2, id -> {
      long due = (System.nanoTime() - start) / periodNs + 1;
      while (sent.get() < Math.min(due, total)) {
        int i = sent.getAndIncrement();
        long t0 = System.nanoTime();
        JsonObject body = new JsonObject().put("username", prefix + i).put("email", prefix + i + "@bench.example")
            .put("password", "bench-password-" + i).put("full_name", "测试客户" + i)
            .put("interests", new JsonArray().add("补水").add("光子嫩肤")).put("source", "wechat");
        http.request(new RequestOptions().setMethod(HttpMethod.POST).setPort(port).setHost("127.0.0.1")
                .setURI("/api/v1/auth/register").putHeader("Content-Type", "application/json"))
            .compose(req -> req.send(body.toBuffer()))
            .compose(res -> res.body().map(b -> {
              if (res.statusCode() != 201) {
                throw new IllegalStateException(res.statusCode() + " " + b);
              }
              registeredAt.put(b.toJsonObject().getString("id"), System.currentTimeMillis());
              requestMs.add((System.nanoTime() - t0) / 1e6);
              return null;
            }))
            .onFailure(t -> failures.incrementAndGet())
            .onComplete(ar -> done.countDown());
      }
      if (sent.get() >= total) {
        client.cancelTimer(id);
      }
    });
    done.await(seconds + 300L, TimeUnit.SECONDS);
    double elapsed = (System.nanoTime() - start) / 1e9;
    client.close();
    return new Load(prefix, registeredAt, requestMs, total, failures.get(), elapsed);
  }

  /** Waits until no job is pending, running or waiting to retry. */
  public static void awaitJobs(Server server) throws Exception {
    try (Connection c = server.jdbc()) {
      Instant deadline = Instant.now().plus(Duration.ofSeconds(300));
      while (Instant.now().isBefore(deadline)) {
        ResultSet rs = c.createStatement().executeQuery(
            "SELECT count(*) FROM automation_jobs WHERE status IN ('pending', 'running', 'failed')");
        rs.next();
        if (rs.getLong(1) == 0) {
          return;
        }
        TimeUnit.MILLISECONDS.sleep(100);
      }
    }
  }

  /** "p50 …, p95 …, p99 …, max … (n=…)" of millisecond samples. */
  public static String percentiles(List<Double> samples) {
    if (samples.isEmpty()) {
      return "no samples";
    }
    List<Double> s = new ArrayList<>(samples);
    Collections.sort(s);
    return String.format("p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms (n=%d)", at(s, 0.50), at(s, 0.95),
        at(s, 0.99), s.get(s.size() - 1), s.size());
  }

  private static double at(List<Double> sorted, double q) {
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1)));
  }
}
