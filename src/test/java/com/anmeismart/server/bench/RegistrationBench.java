package com.anmeismart.server.bench;

import com.anmeismart.server.bus.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Registers customers at a fixed rate against a real server (embedded PostgreSQL) and reports the time from
 * registration to the conversation, to the first visible welcome text and to the stored welcome, p50/p95/p99,
 * and the rate at which welcomes were completed.
 *
 * <p>{@code bench/registration.sh [agent|template] [registrations per second] [seconds]}
 */
public final class RegistrationBench {

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "agent";
    int rate = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 60;
    try (BenchServer server = new BenchServer(null)) {
      server.settings(new JsonObject().put("welcome_use_agent", !"template".equals(mode)));
      run(server, mode, rate, seconds);
    }
    System.exit(0);
  }

  static void run(BenchServer server, String mode, int rate, int seconds) throws Exception {
    Map<String, Long> firstChunkAt = new ConcurrentHashMap<>(); // conversation → epoch ms
    server.app.vertx().eventBus().addOutboundInterceptor(ctx -> {
      if (ctx.message().address().startsWith("client.conversation.") && ctx.message().body() instanceof JsonObject b) {
        String conv = ctx.message().address().substring("client.conversation.".length());
        if ("welcome_chunk".equals(b.getString("type")) || "message".equals(b.getString("type"))) {
          firstChunkAt.putIfAbsent(conv, System.currentTimeMillis());
        }
      }
      ctx.next();
    });

    Vertx client = Vertx.vertx();
    HttpClient http = client.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(64));
    int total = rate * seconds;
    Map<String, Long> registeredAt = new ConcurrentHashMap<>(); // user id → epoch ms of the 201
    List<Double> registrationMs = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicInteger failures = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(total);
    AtomicInteger sent = new AtomicInteger();
    String run = UUID.randomUUID().toString().substring(0, 6);
    int port = server.app.port("HTTP_PORT");
    long periodNs = 1_000_000_000L / rate;
    long start = System.nanoTime();
    Instant startedAt = Instant.now();
    // a fixed schedule: request i goes out at start + i/rate, whatever the previous ones are doing (open model)
    client.setPeriodic(5, id -> {
      long due = (System.nanoTime() - start) / periodNs + 1;
      while (sent.get() < Math.min(due, total)) {
        int i = sent.getAndIncrement();
        long t0 = System.nanoTime();
        JsonObject body = new JsonObject().put("username", "b" + run + "_" + i).put("email", "b" + run + "_" + i
            + "@bench.example").put("password", "bench-password-" + i).put("full_name", "测试客户" + i)
            .put("interests", new io.vertx.core.json.JsonArray().add("补水").add("光子嫩肤")).put("source", "wechat");
        http.request(new RequestOptions().setMethod(HttpMethod.POST).setPort(port).setHost("127.0.0.1")
                .setURI("/api/v1/auth/register").putHeader("Content-Type", "application/json"))
            .compose(req -> req.send(body.toBuffer()))
            .compose(res -> res.body().map(b -> {
              if (res.statusCode() != 201) {
                throw new IllegalStateException(res.statusCode() + " " + b);
              }
              registeredAt.put(b.toJsonObject().getString("id"), System.currentTimeMillis());
              registrationMs.add((System.nanoTime() - t0) / 1e6);
              return null;
            }))
            .onFailure(t -> failures.incrementAndGet())
            .onComplete(ar -> done.countDown());
      }
      if (sent.get() >= total) {
        client.cancelTimer(id);
      }
    });
    done.await(seconds + 120L, TimeUnit.SECONDS);
    double sendSeconds = (System.nanoTime() - start) / 1e9;

    // wait for the automation to finish every job
    try (Connection c = server.jdbc()) {
      Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
      while (Instant.now().isBefore(deadline)) {
        ResultSet rs = c.createStatement().executeQuery(
            "SELECT count(*) FROM automation_jobs WHERE status NOT IN ('succeeded', 'dead', 'skipped')");
        rs.next();
        if (rs.getLong(1) == 0) {
          break;
        }
        TimeUnit.MILLISECONDS.sleep(100);
      }
      List<Double> toConversation = new ArrayList<>();
      List<Double> toWelcome = new ArrayList<>();
      List<Double> toFirstText = new ArrayList<>();
      Map<String, Long> sources = new ConcurrentHashMap<>();
      ResultSet rs = c.createStatement().executeQuery("SELECT u.id, c.id AS conv, "
          + "extract(epoch FROM c.created_at - u.created_at) * 1000 AS conv_ms, "
          + "extract(epoch FROM m.created_at - u.created_at) * 1000 AS welcome_ms, m.metadata->>'source' AS source, "
          + "extract(epoch FROM m.created_at) * 1000 AS welcome_epoch, extract(epoch FROM u.created_at) * 1000 AS reg "
          + "FROM users u JOIN conversations c ON c.customer_id = u.id "
          + "JOIN messages m ON m.conversation_id = c.id AND m.kind = 'welcome' WHERE u.username LIKE 'b" + run + "_%'");
      double firstReg = Double.MAX_VALUE;
      double lastWelcome = 0;
      while (rs.next()) {
        toConversation.add(rs.getDouble("conv_ms"));
        toWelcome.add(rs.getDouble("welcome_ms"));
        sources.merge(rs.getString("source"), 1L, Long::sum);
        firstReg = Math.min(firstReg, rs.getDouble("reg"));
        lastWelcome = Math.max(lastWelcome, rs.getDouble("welcome_epoch"));
        Long chunk = firstChunkAt.get(rs.getString("conv"));
        Long reg = registeredAt.get(rs.getString("id"));
        if (chunk != null && reg != null) {
          toFirstText.add((double) Math.max(0, chunk - reg));
        }
      }
      System.out.printf("%nregistration benchmark: mode=%s, %d registrations/s for %d s (started %s)%n", mode, rate,
          seconds, startedAt);
      System.out.printf("  sent %d in %.1f s, failed %d; welcomes %d by source %s%n", total, sendSeconds,
          failures.get(), toWelcome.size(), sources);
      System.out.println("  registration request (argon2id hash included): " + BenchServer.percentiles(registrationMs));
      System.out.println("  registration -> conversation (database clock): " + BenchServer.percentiles(toConversation));
      System.out.println("  registration 201 -> first visible welcome text: " + BenchServer.percentiles(toFirstText));
      System.out.println("  registration -> welcome stored (database clock): " + BenchServer.percentiles(toWelcome));
      System.out.printf("  welcomes completed at %.1f/s over the run%n",
          toWelcome.size() / Math.max(0.001, (lastWelcome - firstReg) / 1000));
    }
    client.close();
  }
}
