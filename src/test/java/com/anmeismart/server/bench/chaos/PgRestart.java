package com.anmeismart.server.bench.chaos;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code pg-restart}: the server on a PostgreSQL of its own ({@code PG_URL}; zonky's binaries, a separate server
 * process) while customers register at a steady {@code rate} (default 5/s) for {@code duration} seconds (default
 * 60); PostgreSQL is stopped twice for {@code downSeconds} (default 8) and started again: first a fast shutdown
 * (an operator's restart: sessions terminated), then an immediate one (as in a crash: WAL replay at the start). The
 * server is never restarted. Every acknowledged registration must end with its welcome; {@code /ready} must report
 * the outage (its {@code database} check DOWN) while it lasts; API requests during it must get 503 with
 * {@code Retry-After}, never a 500. The welcome is the built-in local agent's (which reads the customer through
 * MCP, so from PostgreSQL too).
 */
final class PgRestart extends Run {

  PgRestart(Map<String, String> params) throws Exception {
    super("pg-restart", params);
  }

  @Override
  Report run() throws Exception {
    double rate = doubleParam("rate", 5);
    double duration = doubleParam("duration", 60);
    double down = doubleParam("downSeconds", 8);
    Report report = new Report(String.format("pg-restart: %.0f registrations/s for %.0f s on an external PostgreSQL, "
        + "stopped twice for %.0f s (fast, then immediate), the server not restarted", rate, duration, down));
    ExternalPg pg = new ExternalPg(dir);
    Map<String, String> env = serverEnv();
    Node node = new Node("server", dir, env);
    try {
      pg.start();
      env.put("PG_URL", pg.pgUrl());
      node.start().awaitReady(Duration.ofSeconds(180));
      long pid = node.pid();
      Registrations load = new Registrations(node.baseUrl(), Duration.ofSeconds(180));
      Watch watch = new Watch(node.management(), start, 250);
      double loadStart = at() + 1;
      Background steady = new Background("steady", () -> load.rate(prefix, rate, duration,
          start.plusMillis(Math.round(loadStart * 1000))));

      until(loadStart + duration * 0.25);
      report.line("%6.1f s  PostgreSQL: fast shutdown", at());
      pg.stopFast();
      report.line("%6.1f s  PostgreSQL: stopped", at());
      until(loadStart + duration * 0.25 + down);
      pg.start();
      report.line("%6.1f s  PostgreSQL: started again", at());

      until(loadStart + duration * 0.6);
      report.line("%6.1f s  PostgreSQL: immediate shutdown (SIGQUIT to the postmaster)", at());
      pg.crash();
      report.line("%6.1f s  PostgreSQL: gone", at());
      until(loadStart + duration * 0.6 + down);
      pg.start();
      report.line("%6.1f s  PostgreSQL: started again (crash recovery)", at());

      steady.join();
      report.line("%6.1f s  load ended", at());
      Ledger ledger = new Ledger(pg.jdbcUrl());
      long open = ledger.awaitSettled(prefix, Duration.ofSeconds(180));
      report.line("%6.1f s  jobs settled", at());
      watch.close();
      List<Ledger.Customer> stored = ledger.customers(prefix);

      report.check(node.alive() && node.pid() == pid && node.starts() == 1,
          "the server ran through both outages without a restart (pid " + pid + ")");
      List<String> database = watch.values("/ready database");
      long downs = database.stream().filter("DOWN"::equals).count();
      report.check(downs >= 2 && "UP".equals(database.get(database.size() - 1)),
          "/ready reported each outage (database check: " + String.join(" → ", database) + ")");
      report.check(load.seen().keySet().stream().anyMatch(k -> k.startsWith("503")),
          "registrations during the outages got 503 (" + load.seen().getOrDefault("503 with Retry-After", 0L)
              + " with Retry-After)");
      report.check(open == 0, "every job settled (" + open + " still open after 180 s)");
      report.tally(load, stored);
      watchLines(report, watch, List.of("/ready"));
    } finally {
      node.close();
      pg.close();
    }
    report.line("logs: %s", dir);
    return report;
  }
}
