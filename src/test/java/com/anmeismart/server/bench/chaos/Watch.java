package com.anmeismart.server.bench.chaos;

import com.anmeismart.server.testing.Http;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an operator's monitoring sees during the run: {@code /ready} (its status and each check's) and the
 * {@code dify_breaker_state} gauges of {@code /metrics}, read every {@code periodMs} on the management port on a
 * thread of its own. Only changes are kept, with their time since the run's start.
 */
final class Watch implements AutoCloseable {

  /** One change of something watched. */
  record Change(double atSeconds, String what, String from, String to) {
    @Override
    public String toString() {
      return String.format("%7.1f s  %-28s %s → %s", atSeconds, what, from, to);
    }
  }

  private static final Pattern BREAKER = Pattern.compile("^dify_breaker_state\\{[^}]*breaker=\"([^\"]+)\"[^}]*} (\\S+)",
      Pattern.MULTILINE);

  private final Http management;
  private final Instant start;
  private final long periodMs;
  private final Map<String, String> last = new HashMap<>();
  private final List<Change> changes = new ArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;

  Watch(Http management, Instant start, long periodMs) {
    this.management = management;
    this.start = start;
    this.periodMs = periodMs;
    this.thread = new Thread(this::loop, "chaos-watch");
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    while (running) {
      long t0 = System.currentTimeMillis();
      readReady();
      readMetrics();
      long wait = periodMs - (System.currentTimeMillis() - t0);
      if (wait > 0) {
        try {
          Thread.sleep(wait); // the polling period of a monitor
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  private void readReady() {
    Http.Res res;
    try {
      res = management.get("/ready", null);
    } catch (RuntimeException e) {
      note("/ready", "unreachable");
      return;
    }
    note("/ready", "HTTP " + res.status());
    try {
      JsonArray checks = res.json().getJsonArray("checks", new JsonArray());
      for (int i = 0; i < checks.size(); i++) {
        JsonObject check = checks.getJsonObject(i);
        String id = check.getString("id");
        note("/ready " + id, check.getString("status"));
        JsonObject data = check.getJsonObject("data");
        if ("dify".equals(id) && data != null && data.getJsonObject("breakers") != null) {
          data.getJsonObject("breakers").forEach(e -> note("/ready breaker " + e.getKey(), String.valueOf(e.getValue())));
        }
      }
    } catch (RuntimeException e) {
      note("/ready body", "not the health-check JSON");
    }
  }

  private void readMetrics() {
    String body;
    try {
      body = management.get("/metrics", null).body();
    } catch (RuntimeException e) {
      return; // /ready already says unreachable
    }
    Matcher m = BREAKER.matcher(body);
    while (m.find()) {
      String state = switch ((int) Double.parseDouble(m.group(2))) {
        case 0 -> "0 (closed)";
        case 1 -> "1 (half-open)";
        case 2 -> "2 (open)";
        default -> m.group(2);
      };
      note("dify_breaker_state " + m.group(1), state);
    }
  }

  private synchronized void note(String what, String value) {
    String before = last.put(what, value);
    if (!value.equals(before)) {
      changes.add(new Change(Duration.between(start, Instant.now()).toMillis() / 1000.0, what,
          before == null ? "—" : before, value));
    }
  }

  synchronized List<Change> changes() {
    return List.copyOf(changes);
  }

  /** The values {@code what} took, in order (its first value included). */
  synchronized List<String> values(String what) {
    List<String> out = new ArrayList<>();
    for (Change c : changes) {
      if (c.what().equals(what)) {
        out.add(c.to());
      }
    }
    return out;
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.interrupt();
    thread.join(5_000);
  }
}
