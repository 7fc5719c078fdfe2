package com.anmeismart.server.bench.chaos;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * {@code node-kill}: three nodes from {@code bench/cluster.sh up 3} (clustered mode, their own PostgreSQL), customers
 * registering at a steady {@code rate} (default 2/s) for {@code duration} seconds (default 45), spread over the nodes
 * (a client whose node is gone moves on to the next, as behind a load balancer). At {@code killAt} (0.35 of the
 * duration) node {@code victim} (2) is killed with SIGKILL ({@code bench/cluster.sh kill}) as soon as it holds at
 * least one job of the run; at {@code restartAt} (0.7) it is started again ({@code start}, which returns once every
 * node sees it). The welcome comes from a Dify app (the double, answering in {@code difyMs}, default 2,000 ms, so the
 * victim is mid-way through jobs). Every acknowledged registration must end with exactly one conversation, one
 * welcome and a succeeded job; the jobs the victim held must be finished by the others; reports how long after the
 * kill the last of them was, and how long until the survivors saw two members.
 */
final class NodeKill extends Run {

  NodeKill(Map<String, String> params) throws Exception {
    super("node-kill", params);
  }

  @Override
  Report run() throws Exception {
    double rate = doubleParam("rate", 2);
    double duration = doubleParam("duration", 45);
    int victim = intParam("victim", 2);
    long difyMs = intParam("difyMs", 2_000);
    double killAt = doubleParam("killAt", 0.35);
    double restartAt = doubleParam("restartAt", 0.7);
    Report report = new Report(String.format("node-kill: 3 nodes (bench/cluster.sh, Hazelcast on loopback, one "
        + "PostgreSQL), %.1f registrations/s for %.0f s spread over the nodes, node %d killed with SIGKILL, started "
        + "again later; welcome from a Dify app answering in %d ms", rate, duration, victim, difyMs));
    DifyProcess dify = new DifyProcess(dir, difyMs);
    ClusterScript cluster = new ClusterScript(dir, serverEnv());
    try {
      dify.start("FIXED_DELAY");
      cluster.up(3);
      report.line("%6.1f s  cluster up: 3 nodes, every one sees 3 members", at());
      difyConfig(cluster.http(1), adminToken(cluster.http(1)), dify);
      int instance = instance(cluster, victim);
      Ledger ledger = new Ledger(cluster.jdbcUrl());
      Registrations load = new Registrations(cluster.baseUrls(), Duration.ofSeconds(180));
      int survivor = victim == 1 ? 2 : 1;
      Watch watch = new Watch(cluster.management(survivor), start, 250);
      double loadStart = at() + 1;
      Background steady = new Background("steady", () -> load.rate(prefix, rate, duration,
          start.plusMillis(Math.round(loadStart * 1000))));

      until(loadStart + duration * killAt);
      // kill while it is mid-way through jobs: that is the failover to measure
      List<UUID> held = List.of();
      Instant look = Instant.now().plusSeconds(15);
      while (held.isEmpty() && Instant.now().isBefore(look)) {
        held = ledger.runningOn(prefix, instance);
        if (held.isEmpty()) {
          LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
      }
      long openAtKill = ledger.unfinished(prefix);
      Instant killed = cluster.kill(victim);
      report.line("%6.1f s  node %d (instance %d) killed with SIGKILL, holding %d job(s) of the run; %d job(s) of the "
          + "run unfinished in all", at(), victim, instance, held.size(), openAtKill);
      cluster.await(2);
      report.line("%6.1f s  the survivors see 2 members (%d ms after the kill)", at(),
          Duration.between(killed, Instant.now()).toMillis());

      until(loadStart + duration * restartAt);
      Instant restart = Instant.now();
      report.line("%6.1f s  node %d starting again", at(), victim);
      cluster.start(victim);
      report.line("%6.1f s  node %d back (new instance %d) %d ms after its start; every node sees 3 members", at(),
          victim, instance(cluster, victim), Duration.between(restart, Instant.now()).toMillis());

      steady.join();
      report.line("%6.1f s  load ended (%d registrations acknowledged)", at(), load.created.get());
      long open = ledger.awaitSettled(prefix, Duration.ofSeconds(180));
      report.line("%6.1f s  jobs settled", at());
      watch.close();
      List<Ledger.Customer> stored = ledger.customers(prefix);

      // the victim's jobs at the kill: those seen running under its lease just before it, and those it claimed in the
      // moment between that look and the SIGKILL (taken over, so claimed twice)
      Set<UUID> cut = new LinkedHashSet<>(held);
      cut.addAll(ledger.reclaimed(prefix, killed));
      List<Ledger.Job> taken = ledger.jobs(List.copyOf(cut));
      goneLines(cluster, victim, instance, killed).forEach(l -> report.line("%s", l));
      List<Ledger.Job> afterKill = taken.stream().filter(j -> j.finishedAt() != null && j.finishedAt().isAfter(killed))
          .toList();
      Map<String, Long> finishers = new TreeMap<>(taken.stream().collect(Collectors.groupingBy(
          j -> "instance " + j.instance(), Collectors.counting())));
      afterKill.stream().map(Ledger.Job::finishedAt).max(Instant::compareTo).ifPresent(last -> report.line(
          "the killed node's %d job(s): finished by %s; the first %d ms, the last %d ms after the kill "
              + "(attempts: %s)", taken.size(), finishers,
          afterKill.stream().map(Ledger.Job::finishedAt).min(Instant::compareTo)
              .map(f -> Duration.between(killed, f).toMillis()).orElse(0L),
          Duration.between(killed, last).toMillis(),
          taken.stream().map(j -> String.valueOf(j.attempts())).sorted().collect(Collectors.joining(", "))));
      report.check(!cut.isEmpty(), "the kill cut off jobs in flight (" + cut.size() + " held by the victim)");
      report.check(taken.stream().allMatch(j -> "succeeded".equals(j.status()) && j.instance() != null
          && j.instance() != instance), "every job the victim held was finished by another instance");
      report.check(watch.values("/ready").stream().allMatch("HTTP 200"::equals),
          "node " + survivor + " stayed ready through the kill and the restart (/ready: "
              + String.join(" → ", watch.values("/ready")) + ")");
      report.check(open == 0, "every job settled (" + open + " still open after 180 s)");
      report.check(stored.stream().allMatch(c -> c.conversations() == 1 && c.welcomes() == 1),
          "every customer has exactly one conversation and one welcome");
      report.tally(load, stored);
      watchLines(report, watch, List.of("/ready"));
    } finally {
      cluster.close();
      dify.close();
    }
    report.line("logs: %s (nodes: %s)", dir, cluster.dir());
    return report;
  }

  private static final Pattern GONE = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) .*instance (\\d+) is gone "
      + "\\(its lock is free\\): its (\\d+) running job\\(s\\) are due now");

  /** What the survivors logged on finding the victim's instance gone (the server's own account of the take-over). */
  private static List<String> goneLines(ClusterScript cluster, int victim, int instance, Instant killed)
      throws IOException {
    List<String> out = new ArrayList<>();
    for (int node = 1; node <= 3; node++) {
      if (node == victim) {
        continue;
      }
      for (String line : Files.readAllLines(cluster.dir().resolve("node-" + node + ".log"), StandardCharsets.UTF_8)) {
        Matcher m = GONE.matcher(line);
        if (m.find() && Integer.parseInt(m.group(2)) == instance) {
          // the nodes log local wall-clock time, on this machine's zone like this JVM
          LocalTime at = LocalTime.parse(m.group(1));
          LocalTime kill = LocalTime.ofInstant(killed, ZoneId.systemDefault());
          out.add(String.format("node %d found instance %d gone %+d ms after the kill: its %s running job(s) due now",
              node, instance, Duration.between(kill, at).toMillis(), m.group(3)));
        }
      }
    }
    return out;
  }

  /** The server instance number a node holds (db/InstanceLock), from its /ready. */
  private static int instance(ClusterScript cluster, int node) {
    JsonArray checks = cluster.management(node).get("/ready", null).json().getJsonArray("checks");
    for (int i = 0; i < checks.size(); i++) {
      JsonObject check = checks.getJsonObject(i);
      if ("instance".equals(check.getString("id"))) {
        return check.getJsonObject("data").getInteger("number");
      }
    }
    throw new IllegalStateException("node " + node + " reports no instance on /ready");
  }
}
