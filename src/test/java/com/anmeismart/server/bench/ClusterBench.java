package com.anmeismart.server.bench;

import com.anmeismart.server.accounts.Tokens;
import com.anmeismart.server.testing.ClusterNodes;
import com.anmeismart.server.testing.ClusterNodes.Node;
import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.Http;
import com.anmeismart.server.testing.Jwts;
import com.anmeismart.server.testing.Poll;
import com.anmeismart.server.testing.TestPg;
import io.vertx.core.Vertx;
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
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Clustered mode measured ({@code bench/cluster.sh}): three server processes on this machine ({@code java -jar},
 * Hazelcast over loopback, one PostgreSQL), then
 * <ol>
 *   <li>fan-out: N consultants online, spread evenly over the three nodes (one client JVM per node,
 *   {@link FanoutClients}), R registrations through the nodes in turn; for every consultant and registration the
 *   time from the start of the job's consultants_notified step (its step-log row) to the socket's arrival;</li>
 *   <li>registrations at a steady rate through all nodes: registration → welcome stored (the job's
 *   {@code registered_at} to the welcome message), p50/p99;</li>
 *   <li>failover: a burst held inside welcome_sent, one node killed with SIGKILL: the time from the kill to the
 *   last of its jobs done by the others, and to its sockets no longer counting as online;</li>
 *   <li>memory per node: heap used and resident set, idle with its share of the sockets, and after the load.</li>
 * </ol>
 * Args: consultants (3000), fan-out rounds (20), rate per second (20), seconds (30). Bounded: it stops by itself.
 */
public final class ClusterBench {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterBench.class);
  private static final int WARMUP = 3;

  private ClusterBench() {
  }

  public static void main(String[] args) throws Exception {
    int consultants = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int rate = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 30;
    // its own PostgreSQL (the test one): the bench reads the rows it times through TestPg
    String pgUrl = TestPg.newDatabase();
    Db db = new Db(pgUrl);
    Path dir = Files.createTempDirectory("cluster-bench");
    List<Process> clients = new ArrayList<>();
    JsonObject result = new JsonObject().put("nodes", 3).put("consultants", consultants);
    // the JVM's defaults, as in production (the tests' nodes start with C1 only)
    try (ClusterNodes cluster = ClusterNodes.start(List.of(), pgUrl, Map.of("HTTP_INSTANCES", "2", "PASSWORD_HASH_THREADS", "2",
        "AUTOMATION_SWEEP_MS", "1000"), "node-a", "node-b", "node-c")) {
      List<Node> nodes = cluster.live();
      result.put("memory_idle", memory(nodes));

      // consultants, their tokens, one client JVM per node with a third of them
      db.update("INSERT INTO users (username, email, password_hash, role) SELECT 'bench_c' || g, "
          + "'bench_c' || g || '@bench.example', 'not-a-login', 'consultant' FROM generate_series(1, ?) g", consultants);
      Vertx vertx = Vertx.vertx();
      Tokens tokens = new Tokens(vertx, Jwts.SECRET, 7200);
      List<List<String>> perNode = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
      int i = 0;
      for (Map<String, Object> r : db.rows("SELECT id, username FROM users WHERE role = 'consultant'")) {
        perNode.get(i++ % 3).add(r.get("id") + " " + tokens.issue((UUID) r.get("id"), (String) r.get("username"),
            "consultant"));
      }
      List<BlockingQueue<String>> outs = new ArrayList<>();
      List<Writer> ins = new ArrayList<>();
      List<Path> arrivalFiles = new ArrayList<>();
      long t0 = System.nanoTime();
      for (int n = 0; n < 3; n++) {
        Path tokenFile = Files.write(dir.resolve("tokens-" + n + ".txt"), perNode.get(n));
        Path arrivals = dir.resolve("arrivals-" + n + ".txt");
        arrivalFiles.add(arrivals);
        Process p = new ProcessBuilder("java", "-Xmx512m", "-cp", System.getProperty("java.class.path"),
            FanoutClients.class.getName(), Integer.toString(nodes.get(n).httpPort()), tokenFile.toString(),
            arrivals.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        clients.add(p);
        BlockingQueue<String> out = new LinkedBlockingQueue<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Thread pump = new Thread(() -> reader.lines().forEach(out::add), "clients-" + n);
        pump.setDaemon(true);
        pump.start();
        outs.add(out);
        ins.add(new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8));
      }
      for (BlockingQueue<String> out : outs) {
        expect(out, "READY", 300);
      }
      LOG.info("{} consultants online over 3 nodes in {} ms", consultants, (System.nanoTime() - t0) / 1_000_000);
      result.put("memory_with_sockets", memory(nodes));

      // 1. fan-out: registrations through the nodes in turn
      Map<String, Long> stepStartMicros = new HashMap<>();
      for (int r = 0; r < WARMUP + rounds; r++) {
        Node via = nodes.get(r % 3);
        UUID user = register(via, "bench_f" + r + "_" + UUID.randomUUID().toString().substring(0, 6));
        String conversation = Poll.until(Duration.ofSeconds(60), "conversation", () -> {
          var rows = db.rows("SELECT conversation_id::text AS c FROM automation_jobs WHERE user_id = ? "
              + "AND conversation_id IS NOT NULL", user);
          return rows.isEmpty() ? null : (String) rows.get(0).get("c");
        });
        for (BlockingQueue<String> out : outs) {
          expect(out, "DONE " + conversation, 60);
        }
        if (r >= WARMUP) {
          Map<String, Object> step = Poll.until(Duration.ofSeconds(30), "step logged", () -> {
            var rows = db.rows("SELECT (extract(epoch FROM s.created_at) * 1000000)::bigint - s.duration_ms * 1000 "
                + "AS start_us FROM automation_job_steps s JOIN automation_jobs j ON j.id = s.job_id "
                + "WHERE j.user_id = ? AND s.step = 'consultants_notified' AND s.success", user);
            return rows.isEmpty() ? null : rows.get(0);
          });
          stepStartMicros.put(conversation, ((Number) step.get("start_us")).longValue());
        }
      }
      List<Double> fanout = new ArrayList<>();
      for (int n = 0; n < 3; n++) {
        ins.get(n).write("DUMP\n");
        ins.get(n).flush();
        expect(outs.get(n), "DUMPED", 60);
        for (String line : Files.readAllLines(arrivalFiles.get(n))) {
          String[] p = line.split(" ");
          Long start = stepStartMicros.get(p[0]);
          if (start != null) {
            fanout.add((Long.parseLong(p[1]) - start) / 1000.0);
          }
        }
      }
      result.put("fanout_rounds", rounds).put("fanout_deliveries", fanout.size())
          .put("fanout_from_notify_step", BenchSupport.percentiles(fanout));

      // 2. a steady rate through all nodes
      String prefix = "bench_r" + UUID.randomUUID().toString().substring(0, 6) + "_";
      int total = rate * seconds;
      long periodNs = 1_000_000_000L / rate;
      long start = System.nanoTime();
      List<CompletableFuture<UUID>> sent = new ArrayList<>();
      for (int k = 0; k < total; k++) {
        long due = start + k * periodNs;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait); // the load's schedule (an open model), not a synchronisation
        }
        Node via = nodes.get(k % 3);
        String name = prefix + k;
        sent.add(CompletableFuture.supplyAsync(() -> register(via, name)));
      }
      List<UUID> users = sent.stream().map(CompletableFuture::join).toList();
      Poll.until(Duration.ofSeconds(300), "every job done", () -> db.count("SELECT count(*) FROM automation_jobs "
          + "WHERE user_id = ANY(?::uuid[]) AND status IN ('succeeded', 'dead')",
          (Object) users.stream().map(UUID::toString).toArray(String[]::new)) == users.size());
      List<Double> welcome = db.rows("SELECT extract(epoch FROM m.created_at - j.registered_at) * 1000 AS ms "
              + "FROM automation_jobs j JOIN messages m ON m.id = j.welcome_message_id WHERE j.user_id = ANY(?::uuid[])",
          (Object) users.stream().map(UUID::toString).toArray(String[]::new)).stream()
          .map(r -> ((Number) r.get("ms")).doubleValue()).collect(Collectors.toList());
      Map<String, Long> byInstance = db.rows("SELECT lease_instance FROM automation_jobs WHERE user_id = ANY(?::uuid[])",
              (Object) users.stream().map(UUID::toString).toArray(String[]::new)).stream()
          .collect(Collectors.groupingBy(r -> String.valueOf(r.get("lease_instance")), Collectors.counting()));
      result.put("rate_per_s", rate).put("seconds", seconds).put("registrations", total)
          .put("registration_to_welcome", BenchSupport.percentiles(welcome))
          .put("jobs_by_instance", new JsonObject(new HashMap<String, Object>(byInstance)));
      result.put("memory_after_load", memory(nodes));

      // 3. failover: a burst held inside welcome_sent, node-c killed, the others finish its jobs
      Node victim = nodes.get(2);
      int victimInstance = victim.instance();
      String victimId = victim.check("cluster").getJsonObject("data").getString("node_id");
      List<UUID> burst = new ArrayList<>();
      long killed;
      try (Connection lock = TestPg.jdbc(pgUrl)) {
        lock.setAutoCommit(false);
        lock.createStatement().execute("LOCK TABLE messages IN SHARE ROW EXCLUSIVE MODE");
        List<CompletableFuture<UUID>> b = new ArrayList<>();
        for (int k = 0; k < 30; k++) {
          Node via = nodes.get(k % 3);
          String name = "bench_k" + k + "_" + UUID.randomUUID().toString().substring(0, 6);
          b.add(CompletableFuture.supplyAsync(() -> register(via, name)));
        }
        b.forEach(f -> burst.add(f.join()));
        String[] ids = burst.stream().map(UUID::toString).toArray(String[]::new);
        Poll.until(Duration.ofSeconds(120), "the burst inside welcome_sent", () -> db.count("SELECT count(*) FROM "
            + "automation_jobs WHERE status = 'running' AND last_step = 'welcome_generated' "
            + "AND user_id = ANY(?::uuid[])", (Object) ids) == burst.size());
        long held = db.count("SELECT count(*) FROM automation_jobs WHERE lease_instance = ? "
            + "AND user_id = ANY(?::uuid[])", victimInstance, ids);
        result.put("failover_jobs_on_killed_node", held);
        victim.process().kill9();
        killed = System.nanoTime();
        lock.rollback();
      }
      String[] ids = burst.stream().map(UUID::toString).toArray(String[]::new);
      Poll.until(Duration.ofSeconds(120), "the burst done", () -> db.count("SELECT count(*) FROM automation_jobs "
          + "WHERE status = 'succeeded' AND user_id = ANY(?::uuid[])", (Object) ids) == burst.size());
      result.put("failover_last_job_done_ms", (System.nanoTime() - killed) / 1_000_000);
      Poll.until(Duration.ofSeconds(120), "its sockets offline", () -> db.count("SELECT count(*) FROM "
          + "bridge_presence WHERE split_part(node, '/', 1) = ? AND seen_at > now() - interval '60 seconds'",
          victimId) == 0);
      result.put("failover_sockets_offline_ms", (System.nanoTime() - killed) / 1_000_000);
      result.put("failover_duplicates", db.count("SELECT count(*) FROM (SELECT j.id FROM automation_jobs j "
          + "JOIN automation_job_steps s ON s.job_id = j.id AND s.success WHERE j.user_id = ANY(?::uuid[]) "
          + "GROUP BY j.id, s.step HAVING count(*) > 1) d", (Object) ids));
      vertx.close();
      LOG.info("CLUSTER RESULT {}", result.encodePrettily());
    } finally {
      clients.forEach(Process::destroy);
    }
    System.exit(0);
  }

  private static UUID register(Node node, String username) {
    Http.Res res = node.http().post("/api/v1/auth/register", new JsonObject().put("username", username)
        .put("email", username + "@bench.example").put("password", "bench-password-1").put("full_name", "测试客户")
        .put("interests", new io.vertx.core.json.JsonArray().add("补水")), null);
    if (res.status() != 201) {
      throw new IllegalStateException("register " + res.status() + " " + res.body());
    }
    return UUID.fromString(res.json().getString("id"));
  }

  /** Each live node's heap used (its own metrics) and resident set (/proc), in MiB. */
  private static JsonObject memory(List<Node> nodes) throws Exception {
    JsonObject out = new JsonObject();
    for (Node n : nodes) {
      if (!n.process().process.isAlive()) {
        continue;
      }
      double heap = n.management().get("/metrics", null).body().lines()
          .filter(l -> l.startsWith("jvm_memory_used_bytes{") && l.contains("area=\"heap\""))
          .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
      long rssKb = Files.readAllLines(Path.of("/proc/" + n.process().process.pid() + "/status")).stream()
          .filter(l -> l.startsWith("VmRSS:")).map(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst()
          .orElse(0L);
      out.put(n.name(), new JsonObject().put("heap_mib", Math.round(heap / (1 << 20)))
          .put("rss_mib", rssKb >> 10));
    }
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
      if (got.startsWith("INVALID")) {
        throw new IllegalStateException("clients received " + got);
      }
    }
  }
}
