package com.anmeismart.server.bench.chaos;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * {@code dify-faults}: customers register at a steady {@code rate} (default 5/s) for {@code duration} seconds
 * (default 90) while the welcome's Dify app (the double, as a process of its own, answering in {@code difyMs},
 * default 500 ms) is healthy, stalls (SSE pings, never a word), answers errors (HTTP 500 in Dify's envelope),
 * disappears (its port closed: connection refused, open streams cut) and comes back, with healthy stretches between. Every
 * customer must be welcomed within {@code boundMs} (default 3,000) of registering, by the template while Dify is
 * unwell; the breaker must open and recover through half-open ({@code breakerResetMs}, default 5,000, is the
 * server's {@code DIFY_BREAKER_RESET_MS}, so that it can within each healthy stretch); no job may die. The faults
 * start after {@code warmUp} seconds (default 10) of registrations at the same rate that are not judged, once the
 * breaker is closed.
 */
final class DifyFaults extends Run {

  /** One stretch of the run: what the Dify app does, from which fraction of the duration. */
  private record Phase(String name, double from, String scenario) {
  }

  private static final List<Phase> PHASES = List.of(
      new Phase("healthy", 0.00, "FIXED_DELAY"),
      new Phase("stalls", 0.10, "PINGS_ONLY"),
      new Phase("healthy again", 0.30, "FIXED_DELAY"),
      new Phase("errors (HTTP 500)", 0.45, "HTTP_500"),
      new Phase("healthy again", 0.60, "FIXED_DELAY"),
      new Phase("gone (connection refused)", 0.75, null),
      new Phase("back", 0.85, "FIXED_DELAY"));

  DifyFaults(Map<String, String> params) throws Exception {
    super("dify-faults", params);
  }

  @Override
  Report run() throws Exception {
    double rate = doubleParam("rate", 5);
    double duration = doubleParam("duration", 90);
    long difyMs = intParam("difyMs", 500);
    long boundMs = intParam("boundMs", 3_000);
    int resetMs = intParam("breakerResetMs", 5_000);
    double warmUp = doubleParam("warmUp", 10);
    Report report = new Report(String.format("dify-faults: %.0f registrations/s for %.0f s; the Dify app answers in "
        + "%d ms when healthy; breaker reset %d ms; welcome bound %d ms", rate, duration, difyMs, resetMs, boundMs));
    Map<String, String> env = serverEnv();
    env.put("DATA_DIR", dir.resolve("data").toString());
    env.put("DIFY_BREAKER_RESET_MS", String.valueOf(resetMs));
    DifyProcess dify = new DifyProcess(dir, difyMs);
    Node node = new Node("server", dir, env);
    try {
      dify.start("FIXED_DELAY");
      node.start().awaitReady(Duration.ofSeconds(180));
      difyConfig(node.http(), adminToken(node.http()), dify);
      // warm-up, not judged: a fresh JVM's first welcomes (and the double's) are slow, a steady clinic's are not;
      // the faults start once the breaker is closed again
      Registrations warm = new Registrations(node.baseUrl(), Duration.ofSeconds(120));
      warm.rate("warm_" + prefix, rate, warmUp, Instant.now());
      boolean closed = await(Duration.ofSeconds(60), () -> node.management().get("/ready", null).body()
          .contains("\"CLOSED\""));
      report.line("warm-up: %d registrations over %.0f s (not judged), breaker %s after it", warm.created.get(),
          warmUp, closed ? "closed" : "still not closed 60 s");
      Registrations load = new Registrations(node.baseUrl(), Duration.ofSeconds(120));
      Watch watch = new Watch(node.management(), start, 250);
      double loadStart = at() + 1;
      Background steady = new Background("steady", () -> load.rate(prefix, rate, duration,
          start.plusMillis(Math.round(loadStart * 1000))));
      List<Double> boundaries = new ArrayList<>();
      boolean gone = false;
      for (Phase phase : PHASES) {
        until(loadStart + phase.from() * duration);
        boundaries.add(at());
        if (phase.scenario() == null) {
          dify.down();
          gone = true;
        } else {
          dify.scenario(phase.scenario());
          if (gone) {
            dify.up();
            gone = false;
          }
        }
        report.line("%6.1f s  Dify %s", at(), phase.name());
      }
      steady.join();
      Ledger ledger = Ledger.embedded(node.embeddedPgPort());
      long open = ledger.awaitSettled(prefix, Duration.ofSeconds(120));
      watch.close();
      List<Ledger.Customer> stored = ledger.customers(prefix);

      report.line("per phase (by registration time): customers, welcomes by source, slowest welcome:");
      for (int i = 0; i < PHASES.size(); i++) {
        double from = boundaries.get(i);
        double to = i + 1 < boundaries.size() ? boundaries.get(i + 1) : Double.MAX_VALUE;
        List<Ledger.Customer> in = stored.stream().filter(c -> {
          double t = (c.registeredAt().toEpochMilli() - start.toEpochMilli()) / 1000.0;
          return t >= from && t < to;
        }).toList();
        Map<String, Long> sources = new TreeMap<>(in.stream().collect(Collectors.groupingBy(c -> c.source() == null
            ? "none" : c.source() + (c.fallbackReason() == null ? "" : " (" + c.fallbackReason().replaceAll(":.*", "")
            + ")"), Collectors.counting())));
        long max = in.stream().filter(c -> c.welcomeMs() != null).mapToLong(Ledger.Customer::welcomeMs).max()
            .orElse(-1);
        report.line("  %-26s %4d  %s  max %d ms", PHASES.get(i).name(), in.size(), sources, max);
      }
      List<Ledger.Customer> lateOnes = stored.stream().filter(c -> c.welcomeMs() == null || c.welcomeMs() > boundMs)
          .toList();
      lateOnes.stream().limit(10).forEach(c -> report.line("  late: registered at %.1f s, welcome after %s ms, %s%s",
          (c.registeredAt().toEpochMilli() - start.toEpochMilli()) / 1000.0, c.welcomeMs(), c.source(),
          c.fallbackReason() == null ? "" : " (" + c.fallbackReason() + ")"));
      long late = lateOnes.size();
      report.check(open == 0, "every job settled (" + open + " still open)");
      report.check(late == 0, "every customer welcomed within " + boundMs + " ms of registering (" + late
          + " late or without a welcome)");
      String breaker = watch.changes().stream().map(Watch.Change::what)
          .filter(w -> w.startsWith("/ready breaker ")).findFirst().orElse("/ready breaker (none)");
      List<String> states = watch.values(breaker);
      report.check(opensAndRecovers(states), "the breaker opened and recovered through half-open ("
          + String.join(" → ", states) + ")");
      List<String> gauge = watch.values("dify_breaker_state " + breaker.substring("/ready breaker ".length()));
      report.check(gauge.contains("2 (open)") && gauge.contains("1 (half-open)"),
          "dify_breaker_state in /metrics showed it (" + String.join(" → ", gauge) + ")");
      report.tally(load, stored);
      watchLines(report, watch, List.of("/ready breaker", "dify_breaker_state"));
    } finally {
      node.close();
      dify.close();
    }
    report.line("logs: %s", dir);
    return report;
  }

  /** OPEN, later HALF_OPEN, later CLOSED, and CLOSED at the end. */
  static boolean opensAndRecovers(List<String> states) {
    int open = states.indexOf("OPEN");
    if (open < 0) {
      return false;
    }
    List<String> after = states.subList(open, states.size());
    int half = after.indexOf("HALF_OPEN");
    return half > 0 && after.subList(half, after.size()).contains("CLOSED")
        && "CLOSED".equals(states.get(states.size() - 1));
  }
}
