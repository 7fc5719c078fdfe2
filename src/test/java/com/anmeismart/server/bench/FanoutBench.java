package com.anmeismart.server.bench;

import com.anmeismart.server.accounts.Tokens;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.bus.NewCustomer;
import com.anmeismart.server.bus.NotifyResult;
import com.anmeismart.server.testing.Jwts;
import com.anmeismart.server.testing.TestApp;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Fan-out measurement (issue 6, "measured, not asserted"): N consultants online on the bridge (a separate client
 * JVM, {@link FanoutClients}, loopback only), then R new customers sent to {@code notify.new-customer} the way the
 * automation's consultants_notified step does; for each notification and each client, the time from the request
 * to the client's arrival (wall clock, µs, same machine), and to the page's acknowledgement coming back (each client
 * posts {@code /notifications/{id}/delivered} on arrival, as the consultant page does; an acknowledged live copy is
 * what keeps the alert ladder from pushing). Also the server's heap and RSS per connected client.
 * Run with {@code bench/fanout.sh [clients] [rounds]}; bounded: it stops by itself.
 */
public final class FanoutBench {

  private static final Logger LOG = LoggerFactory.getLogger(FanoutBench.class);
  private static final int WARMUP = 3;

  private FanoutBench() {
  }

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    Path dir = Files.createTempDirectory("fanout-bench");
    TestApp server = TestApp.start(new JsonObject().put("HTTP_INSTANCES", "2"));
    Process clients = null;
    try {
      var db = server.db();
      db.update("INSERT INTO users (username, email, password_hash, role) SELECT 'bench_c' || g, "
          + "'bench_c' || g || '@bench.example', 'not-a-login', 'consultant' FROM generate_series(1, ?) g", n);
      Tokens tokens = new Tokens(server.app.vertx(), Jwts.SECRET, 3600);
      List<String> lines = new ArrayList<>();
      for (Map<String, Object> r : db.rows("SELECT id, username FROM users WHERE role = 'consultant'")) {
        lines.add(r.get("id") + " " + tokens.issue((UUID) r.get("id"), (String) r.get("username"), "consultant"));
      }
      Path tokenFile = Files.write(dir.resolve("tokens.txt"), lines);
      List<UUID[]> customers = new ArrayList<>(); // {customer, conversation}
      for (int i = 0; i < WARMUP + rounds; i++) {
        UUID customer = (UUID) db.one("INSERT INTO users (username, email, password_hash, role) VALUES (?, ?, 'x', "
            + "'customer') RETURNING id", "bench_cust" + i, "bench_cust" + i + "@bench.example").get("id");
        UUID conversation = (UUID) db.one("INSERT INTO conversations (customer_id, title, is_default) VALUES (?, "
            + "'bench', true) RETURNING id", customer).get("id");
        customers.add(new UUID[] {customer, conversation});
      }

      long[] before = memory();
      Path arrivalsFile = dir.resolve("arrivals.txt");
      clients = new ProcessBuilder("java", "-Xmx512m", "-cp", System.getProperty("java.class.path"),
          FanoutClients.class.getName(), Integer.toString(server.port("HTTP_PORT")), tokenFile.toString(),
          arrivalsFile.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      BlockingQueue<String> out = new LinkedBlockingQueue<>();
      BufferedReader reader = new BufferedReader(new InputStreamReader(clients.getInputStream(), StandardCharsets.UTF_8));
      Thread pump = new Thread(() -> reader.lines().forEach(out::add), "clients-out");
      pump.setDaemon(true);
      pump.start();
      Writer toClients = new OutputStreamWriter(clients.getOutputStream(), StandardCharsets.UTF_8);

      long t0 = System.nanoTime();
      expect(out, "READY", 180);
      LOG.info("{} clients online in {} ms; presence rows: {}", n, (System.nanoTime() - t0) / 1_000_000,
          db.count("SELECT count(*) FROM bridge_presence"));
      long[] after = memory();

      Map<String, Long> sentAt = new HashMap<>();
      List<Long> replyMs = new ArrayList<>();
      for (int i = 0; i < customers.size(); i++) {
        UUID[] c = customers.get(i);
        NewCustomer nc = new NewCustomer(c[0], "bench_cust" + i, c[1], Instant.now(), UUID.randomUUID(), 5, false,
            false);
        long start = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
        long startNanos = System.nanoTime();
        NotifyResult result = server.app.vertx().eventBus().<NotifyResult>request(Addresses.NOTIFY_NEW_CUSTOMER, nc,
                new DeliveryOptions().setSendTimeout(30_000)).toCompletionStage().toCompletableFuture()
            .get(30, TimeUnit.SECONDS).body();
        long reply = (System.nanoTime() - startNanos) / 1_000_000;
        expect(out, "DONE " + c[1], 30);
        if (i >= WARMUP) {
          sentAt.put(c[1].toString(), start);
          replyMs.add(reply);
        }
        if (result.online() != n) {
          throw new IllegalStateException("expected " + n + " online, the notifier saw " + result.toJson());
        }
      }
      toClients.write("DUMP\n");
      toClients.flush();
      expect(out, "DUMPED", 30);
      List<Double> latencies = new ArrayList<>();
      for (String line : Files.readAllLines(arrivalsFile)) {
        String[] p = line.split(" ");
        Long start = sentAt.get(p[0]);
        if (start != null) {
          latencies.add((Long.parseLong(p[1]) - start) / 1000.0);
        }
      }
      // the page's acknowledgement (POST /notifications/{id}/delivered) back at the client: notify step → 200
      List<Double> acked = new ArrayList<>();
      for (String line : Files.readAllLines(Path.of(arrivalsFile + ".acks"))) {
        String[] p = line.split(" ");
        Long start = sentAt.get(p[0]);
        if (start != null) {
          acked.add((Long.parseLong(p[1]) - start) / 1000.0);
        }
      }
      acked.sort(Double::compare);
      latencies.sort(Double::compare);
      replyMs.sort(Long::compare);
      JsonObject summary = new JsonObject()
          .put("clients", n).put("rounds", rounds).put("warmup_rounds", WARMUP).put("deliveries", latencies.size())
          .put("latency_ms_p50", pct(latencies, 50)).put("latency_ms_p90", pct(latencies, 90))
          .put("latency_ms_p99", pct(latencies, 99)).put("latency_ms_max", latencies.get(latencies.size() - 1))
          .put("acks", acked.size()).put("ack_round_trip_ms_p50", pct(acked, 50))
          .put("ack_round_trip_ms_p99", pct(acked, 99)).put("ack_round_trip_ms_max", acked.get(acked.size() - 1))
          .put("delivered_rows", db.count("SELECT count(*) FROM notifications WHERE delivered_at IS NOT NULL"))
          .put("notify_reply_ms_p50", replyMs.get(replyMs.size() / 2))
          .put("notify_reply_ms_max", replyMs.get(replyMs.size() - 1))
          .put("heap_bytes_per_client", (after[0] - before[0]) / n)
          .put("rss_bytes_per_client", (after[1] - before[1]) / n)
          .put("heap_mib_before", before[0] >> 20).put("heap_mib_after", after[0] >> 20)
          .put("rss_mib_before", before[1] >> 20).put("rss_mib_after", after[1] >> 20);
      LOG.info("FANOUT RESULT {}", summary.encode());
      toClients.write("QUIT\n");
      toClients.flush();
      clients.waitFor(30, TimeUnit.SECONDS);
    } finally {
      if (clients != null && clients.isAlive()) {
        clients.destroy();
      }
      server.close();
    }
    System.exit(0);
  }

  private static double pct(List<Double> sorted, int p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
  }

  /** Heap used after full GCs, and the process's resident set, in bytes. */
  private static long[] memory() throws Exception {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    long rssKb = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
        .map(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(0L);
    return new long[] {heap, rssKb * 1024};
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
      if (got.startsWith("INVALID")) {
        throw new IllegalStateException("clients received " + got);
      }
    }
  }
}
