package com.anmeismart.server.bench;

import com.anmeismart.server.accounts.Tokens;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.NewCustomer;
import com.anmeismart.server.testing.BridgeClient;
import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Jwts;
import com.anmeismart.server.testing.PushServiceDouble;
import com.anmeismart.server.testing.TestApp;
import com.anmeismart.server.testing.TestPg;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The alert ladder and the assignment rules, measured (issue #14; {@code bench/ladder.sh}), not asserted:
 * <ul>
 *   <li>{@code ladder [consultants=1000] [rounds=3] [ack_seconds=2]}: every consultant online on the bridge (the
 *   {@link FanoutClients} JVM, pages that never acknowledge: a closed laptop lid) and subscribed to Web Push on a push
 *   service double; per new customer, the time from each consultant's live copy (its inbox row's {@code created_at})
 *   to the push request arriving at the push service. Target ≤ ack_seconds + 500 ms.</li>
 *   <li>{@code offers [customers=150]}: two app instances on one database, three consultants online on both,
 *   round_robin; a burst of new customers sent half to each instance; customers offered per second (first request →
 *   last offer row), how the offers spread over the three, and that no customer was offered twice.</li>
 * </ul>
 * Loopback only; stops by itself.
 */
public final class LadderBench {

  private static final Logger LOG = LoggerFactory.getLogger(LadderBench.class);

  private LadderBench() {
  }

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "ladder";
    if (mode.equals("offers")) {
      offers(args.length > 1 ? Integer.parseInt(args[1]) : 150);
    } else {
      ladder(args.length > 1 ? Integer.parseInt(args[1]) : 1000, args.length > 2 ? Integer.parseInt(args[2]) : 3,
          args.length > 3 ? Integer.parseInt(args[3]) : 2);
    }
    System.exit(0);
  }

  private static void ladder(int n, int rounds, int ackSeconds) throws Exception {
    Path dir = Files.createTempDirectory("ladder-bench");
    TestApp server = TestApp.start(new JsonObject().put("HTTP_INSTANCES", "2"));
    PushServiceDouble pushService = new PushServiceDouble();
    Process clients = null;
    try {
      Db db = server.db();
      settings(server, new JsonObject().put("ack_seconds", ackSeconds));
      db.update("INSERT INTO users (username, email, password_hash, role) SELECT 'ladder_c' || g, "
          + "'ladder_c' || g || '@bench.example', 'not-a-login', 'consultant' FROM generate_series(1, ?) g", n);
      Tokens tokens = new Tokens(server.app.vertx(), Jwts.SECRET, 3600);
      List<String> lines = new ArrayList<>();
      for (Map<String, Object> r : db.rows("SELECT id, username FROM users WHERE role = 'consultant'")) {
        String token = tokens.issue((UUID) r.get("id"), (String) r.get("username"), "consultant");
        Http.Res sub = server.http.post("/api/v1/push/subscriptions", pushService.subscription("/push/" + r.get("id")),
            token);
        if (sub.status() != 201) {
          throw new IllegalStateException("subscription: " + sub.status() + " " + sub.body());
        }
        lines.add(r.get("id") + " " + token);
      }
      Path tokenFile = Files.write(dir.resolve("tokens.txt"), lines);
      clients = new ProcessBuilder("java", "-Xmx512m", "-cp", System.getProperty("java.class.path"),
          FanoutClients.class.getName(), Integer.toString(server.port("HTTP_PORT")), tokenFile.toString(),
          dir.resolve("arrivals.txt").toString(), "no-ack").redirectError(ProcessBuilder.Redirect.INHERIT).start();
      BlockingQueue<String> out = pump(clients);
      expect(out, "READY", 180);
      LOG.info("{} consultants online and subscribed; ack_seconds = {}", n, ackSeconds);

      List<Double> afterLive = new ArrayList<>();
      List<Double> afterDue = new ArrayList<>();
      for (int i = 0; i < rounds; i++) {
        UUID[] c = customer(db, "ladder_cust" + i);
        server.app.vertx().eventBus().request(Addresses.NOTIFY_NEW_CUSTOMER, new NewCustomer(c[0], "ladder_cust" + i,
            c[1], Instant.now(), UUID.randomUUID(), 5, true, false), new DeliveryOptions().setSendTimeout(60_000))
            .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        expect(out, "DONE " + c[1], 30);
        String conversation = c[1].toString();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ackSeconds + 60L);
        List<PushServiceDouble.Received> pushes;
        while ((pushes = pushService.received.stream().filter(r -> r.payload() != null
            && conversation.equals(r.payload().getString("conversation_id"))).toList()).size() < n) {
          if (System.nanoTime() > deadline) {
            LOG.warn("round {}: only {} of {} pushes arrived; problems at the push service: {}; the rows: {}", i + 1,
                pushes.size(), n, pushService.received.stream().filter(r -> r.problem() != null)
                    .map(PushServiceDouble.Received::problem).distinct().toList(),
                db.rows("SELECT status, reason, attempts, error, count(*) AS n FROM offline_sends "
                    + "WHERE conversation_id = ?::uuid GROUP BY 1, 2, 3, 4", c[1]));
            break;
          }
          Thread.sleep(100); // a bench's wait for an outside process, not a test's synchronisation
        }
        Map<String, Instant[]> times = new HashMap<>(); // consultant → {live copy, due}
        for (Map<String, Object> r : db.rows("SELECT n.user_id::text AS u, n.created_at, s.due_at FROM notifications n "
            + "JOIN offline_sends s ON s.notification_id = n.id WHERE n.conversation_id = ?::uuid "
            + "AND s.reason = 'unacknowledged'", c[1])) {
          times.put((String) r.get("u"), new Instant[] {((Timestamp) r.get("created_at")).toInstant(),
              ((Timestamp) r.get("due_at")).toInstant()});
        }
        for (PushServiceDouble.Received p : pushes) {
          Instant[] t = times.get(p.path().substring("/push/".length()));
          if (t == null) {
            continue; // an offline consultant's push (its socket dropped): no live copy to measure from
          }
          afterLive.add(Duration.between(t[0], p.at()).toNanos() / 1e6);
          afterDue.add(Duration.between(t[1], p.at()).toNanos() / 1e6);
        }
        LOG.info("round {}: {} pushes", i + 1, pushes.size());
      }
      afterLive.sort(Double::compare);
      afterDue.sort(Double::compare);
      JsonObject sends = new JsonObject();
      for (Map<String, Object> r : db.rows("SELECT status, count(*) AS n FROM offline_sends GROUP BY status")) {
        sends.put((String) r.get("status"), r.get("n"));
      }
      JsonObject summary = new JsonObject().put("consultants", n).put("rounds", rounds).put("ack_seconds", ackSeconds)
          .put("pushes", afterLive.size())
          .put("live_to_push_ms_p50", pct(afterLive, 50)).put("live_to_push_ms_p90", pct(afterLive, 90))
          .put("live_to_push_ms_p99", pct(afterLive, 99)).put("live_to_push_ms_max", pct(afterLive, 100))
          .put("due_to_push_ms_p50", pct(afterDue, 50)).put("due_to_push_ms_p99", pct(afterDue, 99))
          .put("target_ms", ackSeconds * 1000 + 500)
          .put("sends", sends);
      LOG.info("LADDER RESULT {}", summary.encode());
      Writer toClients = new OutputStreamWriter(clients.getOutputStream(), StandardCharsets.UTF_8);
      toClients.write("QUIT\n");
      toClients.flush();
      clients.waitFor(30, TimeUnit.SECONDS);
    } finally {
      if (clients != null && clients.isAlive()) {
        clients.destroy();
      }
      pushService.close();
      server.close();
    }
  }

  private static void offers(int customers) throws Exception {
    String pgUrl = TestPg.newDatabase();
    try (TestApp one = TestApp.start(pgUrl, null); TestApp two = TestApp.start(pgUrl, null)) {
      settings(one, new JsonObject().put("assignment_mode", "round_robin").put("offer_seconds", 600)
          .put("max_open_conversations", 500));
      Db db = one.db();
      Tokens tokens = new Tokens(one.app.vertx(), Jwts.SECRET, 3600);
      List<BridgeClient> pages = new ArrayList<>();
      List<String> consultants = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        UUID id = (UUID) db.one("INSERT INTO users (username, email, password_hash, role, display_name) VALUES (?, ?, "
            + "'not-a-login', 'consultant', ?) RETURNING id", "rr_c" + i, "rr_c" + i + "@bench.example", "顾问" + i)
            .get("id");
        consultants.add(id.toString());
        String token = tokens.issue(id, "rr_c" + i, "consultant");
        // the two instances are not clustered (#16): a page on each, as the two-process test does
        for (TestApp node : List.of(one, two)) {
          BridgeClient page = BridgeClient.connect(node.port("HTTP_PORT")).register(Addresses.clientConsultant(
              id.toString()), token);
          page.awaitBody(Addresses.clientConsultant(id.toString()), "presence");
          pages.add(page);
        }
      }
      List<UUID[]> burst = new ArrayList<>();
      for (int i = 0; i < customers; i++) {
        burst.add(customer(db, "rr_cust" + i));
      }
      Instant start = Instant.now();
      List<java.util.concurrent.CompletableFuture<?>> replies = new ArrayList<>();
      for (int i = 0; i < customers; i++) {
        TestApp node = i % 2 == 0 ? one : two;
        UUID[] c = burst.get(i);
        replies.add(node.app.vertx().eventBus().request(Addresses.NOTIFY_NEW_CUSTOMER, new NewCustomer(c[0],
                "rr_cust" + i, c[1], Instant.now(), UUID.randomUUID(), 5, false, false),
            new DeliveryOptions().setSendTimeout(120_000)).toCompletionStage().toCompletableFuture());
      }
      java.util.concurrent.CompletableFuture.allOf(replies.toArray(java.util.concurrent.CompletableFuture[]::new))
          .get(120, TimeUnit.SECONDS);
      Map<String, Object> span = db.one("SELECT count(*) AS offers, count(DISTINCT conversation_id) AS customers, "
          + "max(at) AS last FROM assignment_events WHERE event = 'offered'");
      double seconds = Duration.between(start, ((Timestamp) span.get("last")).toInstant()).toNanos() / 1e9;
      JsonObject spread = new JsonObject();
      for (Map<String, Object> r : db.rows("SELECT u.display_name AS who, count(*) AS n FROM assignment_events e "
          + "JOIN users u ON u.id = e.consultant_id WHERE e.event = 'offered' GROUP BY u.display_name ORDER BY 1")) {
        spread.put((String) r.get("who"), r.get("n"));
      }
      long frames = 0;
      for (BridgeClient page : pages) {
        frames += page.count(f -> "rec".equals(f.getString("type")) && f.getValue("body") instanceof JsonObject o
            && "offer".equals(o.getString("type")));
      }
      JsonObject summary = new JsonObject().put("customers", customers).put("instances", 2).put("consultants", 3)
          .put("offers", span.get("offers")).put("customers_offered", span.get("customers"))
          .put("seconds", Math.round(seconds * 1000) / 1000.0)
          .put("customers_offered_per_second", Math.round(customers / seconds * 10) / 10.0)
          .put("offers_per_consultant", spread).put("offer_frames_received", frames)
          .put("customers_offered_twice", db.count("SELECT count(*) FROM (SELECT conversation_id FROM "
              + "assignment_events WHERE event = 'offered' GROUP BY conversation_id HAVING count(*) > 1) t"));
      LOG.info("OFFERS RESULT {}", summary.encode());
      pages.forEach(BridgeClient::close);
    }
  }

  private static void settings(TestApp app, JsonObject change) {
    Http.Res res = app.http.put("/api/v1/admin/notification-settings", change, app.adminToken());
    if (res.status() != 200) {
      throw new IllegalStateException("settings: " + res.status() + " " + res.body());
    }
  }

  /** A customer and their conversation, written directly (the automation's steps are not what is measured). */
  private static UUID[] customer(Db db, String username) {
    UUID customer = (UUID) db.one("INSERT INTO users (username, email, password_hash, role) VALUES (?, ?, 'x', "
        + "'customer') RETURNING id", username, username + "@bench.example").get("id");
    UUID conversation = (UUID) db.one("INSERT INTO conversations (customer_id, title, is_default) VALUES (?, "
        + "'bench', true) RETURNING id", customer).get("id");
    return new UUID[] {customer, conversation};
  }

  private static BlockingQueue<String> pump(Process p) {
    BlockingQueue<String> out = new LinkedBlockingQueue<>();
    BufferedReader reader = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    Thread t = new Thread(() -> reader.lines().forEach(out::add), "clients-out");
    t.setDaemon(true);
    t.start();
    return out;
  }

  private static void expect(BlockingQueue<String> out, String line, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      String got = out.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (got == null) {
        throw new IllegalStateException("clients did not say '" + line + "' within " + seconds + " s");
      }
      if (got.equals(line)) {
        return;
      }
    }
  }

  private static double pct(List<Double> sorted, int p) {
    int i = Math.min(sorted.size() - 1, Math.max(0, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    return Math.round(sorted.get(i) * 10) / 10.0;
  }
}
