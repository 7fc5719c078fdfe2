package com.anmeismart.server.bench.chaos;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The load generator: customers registering over real HTTP, each behaving as a careful client would through a fault.
 * A refused connection (the server is down: nothing was sent) is tried again shortly; a 503 or 429 again after its
 * {@code Retry-After}; a request that was sent but got no answer (the connection broke, or no answer in time) leaves
 * the client not knowing whether it registered, so it tries again and takes a 409 "username taken" as "it did".
 * Every answer is counted as the client saw it. A registration gives up after {@code giveUp}.
 *
 * <p>With several servers (a cluster's nodes), registration {@code i} goes to node {@code i mod n} first, and a
 * client whose node refuses the connection or breaks it moves on to the next node, as behind a load balancer that
 * takes a dead node out.
 */
final class Registrations {

  /** How one registration ended, for the client. */
  enum Outcome {
    /** 201 */
    CREATED,
    /** an earlier attempt got no answer, a later one 409: the first one registered */
    CREATED_ANSWER_LOST,
    /** a 4xx other than 409-after-a-lost-answer, 429 and 503: refused for good */
    REFUSED,
    /** still no 201 when the client gave up */
    GAVE_UP
  }

  record Result(String username, Outcome outcome, Instant at, int attempts, String detail) {
  }

  private static final String PASSWORD = "correct-horse-battery";
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final List<URI> register;
  private final Duration giveUp;
  private final Map<String, Result> results = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> seen = new ConcurrentHashMap<>();
  final AtomicInteger created = new AtomicInteger();

  Registrations(String baseUrl, Duration giveUp) {
    this(List.of(baseUrl), giveUp);
  }

  Registrations(List<String> baseUrls, Duration giveUp) {
    this.register = baseUrls.stream().map(b -> URI.create(b + "/api/v1/auth/register")).toList();
    this.giveUp = giveUp;
  }

  /** {@code n} registrations, {@code concurrency} at a time, as fast as the server answers. */
  void burst(String prefix, int n, int concurrency) throws InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    for (int i = 0; i < n; i++) {
      String name = prefix + i;
      int node = i % register.size();
      pool.execute(() -> register(name, node));
    }
    pool.shutdown();
    if (!pool.awaitTermination(giveUp.toSeconds() * n, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the burst did not end");
    }
  }

  /**
   * An open model: registration {@code i} leaves at start + i / rate whatever the earlier ones are doing (each on a
   * thread of its own while it waits out retries), for {@code seconds}.
   */
  void rate(String prefix, double perSecond, double seconds, Instant start) throws InterruptedException {
    int n = (int) Math.round(perSecond * seconds);
    ExecutorService pool = Executors.newCachedThreadPool();
    for (int i = 0; i < n; i++) {
      long due = start.toEpochMilli() + Math.round(i * 1000 / perSecond);
      long wait = due - System.currentTimeMillis();
      if (wait > 0) {
        Thread.sleep(wait); // the schedule of an open model, not a synchronisation
      }
      String name = prefix + i;
      int node = i % register.size();
      pool.execute(() -> register(name, node));
    }
    pool.shutdown();
    if (!pool.awaitTermination(giveUp.toSeconds() + 120, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the registrations did not end");
    }
  }

  private void register(String username, int firstNode) {
    int node = firstNode;
    String body = new JsonObject().put("username", username).put("email", username + "@example.com")
        .put("password", PASSWORD).encode();
    Instant deadline = Instant.now().plus(giveUp);
    boolean answerLost = false;
    int attempts = 0;
    String last = "";
    while (Instant.now().isBefore(deadline)) {
      attempts++;
      HttpRequest req = HttpRequest.newBuilder(register.get(node)).timeout(Duration.ofSeconds(60))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
      long backoffMs;
      try {
        HttpResponse<String> res = client.send(req, HttpResponse.BodyHandlers.ofString());
        int status = res.statusCode();
        String retryAfter = res.headers().firstValue("Retry-After").orElse(null);
        count(status + (status == 503 || status == 429 ? (retryAfter == null ? " without Retry-After"
            : " with Retry-After") : ""));
        if (status == 201) {
          created.incrementAndGet();
          done(username, Outcome.CREATED, attempts, "");
          return;
        }
        if (status == 409 && answerLost) {
          created.incrementAndGet();
          done(username, Outcome.CREATED_ANSWER_LOST, attempts, "");
          return;
        }
        if (status == 503 || status == 429) {
          backoffMs = retryAfter == null ? 1_000 : Math.min(10_000, Long.parseLong(retryAfter.trim()) * 1_000);
        } else if (status >= 500) {
          backoffMs = 1_000; // a 5xx other than 503 is a bug the summary reports; a client tries again
        } else {
          done(username, Outcome.REFUSED, attempts, status + " " + res.body());
          return;
        }
        last = String.valueOf(status);
      } catch (ConnectException e) {
        count("connection refused (nothing sent)");
        backoffMs = 200;
        node = (node + 1) % register.size();
        last = "connection refused";
      } catch (HttpTimeoutException e) {
        count("no answer within 60 s (sent)");
        answerLost = true;
        backoffMs = 200;
        last = "timeout";
      } catch (IOException e) {
        count("connection lost before the answer (sent): " + e.getMessage());
        answerLost = true;
        backoffMs = 200;
        node = (node + 1) % register.size();
        last = e.getClass().getSimpleName() + ": " + e.getMessage();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      try {
        Thread.sleep(backoffMs); // the client's back-off between attempts
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    done(username, Outcome.GAVE_UP, attempts, last);
  }

  private void done(String username, Outcome outcome, int attempts, String detail) {
    results.put(username, new Result(username, outcome, Instant.now(), attempts, detail));
  }

  private void count(String what) {
    seen.computeIfAbsent(what, k -> new LongAdder()).increment();
  }

  List<Result> results() {
    return List.copyOf(results.values());
  }

  /** Every answer or failure the clients saw, by kind (one registration may see several). */
  Map<String, Long> seen() {
    Map<String, Long> out = new TreeMap<>();
    seen.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}
