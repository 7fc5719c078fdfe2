package com.anmeismart.server.bench.chaos;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code kill-burst}: a burst of registrations ({@code registrations}, default 1,000, {@code concurrency} at a time)
 * while the server is killed with SIGKILL {@code kills} times (default 3, evenly through the burst by registrations
 * answered) and started again on the same {@code DATA_DIR} (embedded PostgreSQL) each time. The welcome comes from
 * a Dify app (the double, answering in {@code difyMs}, default 1,000 ms, so jobs are mid-way at each kill;
 * {@code difyMs=0}: the built-in local agent). Every acknowledged registration must end with exactly one
 * conversation, one welcome and a succeeded job; reports how long after the last restart's {@code /ready} the jobs
 * registered before that kill were done.
 */
final class KillBurst extends Run {

  KillBurst(Map<String, String> params) throws Exception {
    super("kill-burst", params);
  }

  @Override
  Report run() throws Exception {
    int n = intParam("registrations", 1_000);
    int kills = intParam("kills", 3);
    int concurrency = intParam("concurrency", 16);
    long difyMs = intParam("difyMs", 1_000);
    Report report = new Report(String.format("kill-burst: %d registrations, %d at a time, kill -9 ×%d, restarts on "
        + "the same DATA_DIR (embedded PostgreSQL), welcome from %s", n, concurrency, kills,
        difyMs > 0 ? "a Dify app answering in " + difyMs + " ms" : "the local agent"));
    Map<String, String> env = serverEnv();
    env.put("DATA_DIR", dir.resolve("data").toString());
    DifyProcess dify = difyMs > 0 ? new DifyProcess(dir, difyMs) : null;
    Node node = new Node("server", dir, env);
    try {
      if (dify != null) {
        dify.start("FIXED_DELAY");
      }
      node.start().awaitReady(Duration.ofSeconds(180));
      if (dify != null) {
        difyConfig(node.http(), adminToken(node.http()), dify);
      }
      Registrations load = new Registrations(node.baseUrl(), Duration.ofSeconds(300));
      Watch watch = new Watch(node.management(), start, 250);
      Background burst = new Background("burst", () -> load.burst(prefix, n, concurrency));
      Instant lastReady = null;
      Instant lastKill = null;
      List<String> kills0 = new ArrayList<>();
      for (int k = 1; k <= kills; k++) {
        int threshold = n * k / (kills + 1);
        if (!await(Duration.ofMinutes(10), () -> load.created.get() >= threshold || !burst.alive())) {
          throw new IllegalStateException("the burst stalled before " + threshold + " registrations");
        }
        long open = Ledger.embedded(node.embeddedPgPort()).unfinished(prefix);
        int answered = load.created.get();
        lastKill = Instant.now();
        node.kill9();
        double killedAt = at();
        node.start();
        lastReady = node.awaitReady(Duration.ofSeconds(180));
        kills0.add(String.format("kill %d at %.1f s, after %d registrations answered, %d jobs unfinished; "
            + "restarted, /ready %.1f s after the kill", k, killedAt, answered, open,
            Duration.between(lastKill, lastReady).toMillis() / 1000.0));
      }
      burst.join();
      double burstEnd = at();
      Ledger ledger = Ledger.embedded(node.embeddedPgPort());
      long open = ledger.awaitSettled(prefix, Duration.ofSeconds(240));
      watch.close();
      List<Ledger.Customer> stored = ledger.customers(prefix);

      report.line("burst ended at %.1f s (%d registrations acknowledged)", burstEnd, load.created.get());
      kills0.forEach(report::line);
      if (lastReady != null) {
        Instant killed = lastKill;
        Instant ready = lastReady;
        // the jobs the last kill cut off: registered before it, finished after it (by the restarted server)
        List<Instant> cut = stored.stream().filter(c -> c.registeredAt().isBefore(killed) && c.finishedAt() != null
            && c.finishedAt().isAfter(killed)).map(Ledger.Customer::finishedAt).sorted().toList();
        if (!cut.isEmpty()) {
          report.line("the %d job(s) the last kill cut off: the last finished %+d ms from the restarted server's "
              + "/ready answering 200 (negative: before the probe saw it)", cut.size(),
              Duration.between(ready, cut.get(cut.size() - 1)).toMillis());
        }
      }
      stored.stream().map(Ledger.Customer::finishedAt).filter(f -> f != null).max(Instant::compareTo)
          .ifPresent(f -> report.line("last job of the run finished %.1f s after the burst's last answer",
              Duration.between(start.plusMillis(Math.round(burstEnd * 1000)), f).toMillis() / 1000.0));
      report.check(open == 0, "every job settled (" + open + " still open after 240 s)");
      report.check(stored.stream().allMatch(c -> c.conversations() == 1 && c.welcomes() == 1),
          "every customer has exactly one conversation and one welcome");
      report.tally(load, stored);
      watchLines(report, watch, List.of("/ready"));
    } finally {
      node.close();
      if (dify != null) {
        dify.close();
      }
    }
    report.line("logs: %s", dir);
    return report;
  }
}
