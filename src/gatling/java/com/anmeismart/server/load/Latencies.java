package com.anmeismart.server.load;

import static io.gatling.javaapi.core.CoreDsl.exec;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.CoreDsl;
import io.gatling.javaapi.core.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Client-side intervals Gatling cannot time by itself, because they start in one place and end in another: from a
 * registration's 201 to the welcome on the customer's page, or to the new-customer alert on a consultant's socket
 * (another virtual user). Each is measured on this JVM's clock (the bridge frames carry Gatling's own arrival
 * timestamps), summarised at the end ({@link #summary}: count, p50, p95, p99, max, printed on the console), and
 * checked against its bound inside a Gatling group, {@code "<name> ≤ <bound> ms"}: a late or missing one marks the
 * virtual user failed there, so the group has a KO and the simulation's assertion
 * {@code details(group).failedRequests().count().is(0L)} fails the run.
 */
public final class Latencies {

  private static final Logger LOG = LoggerFactory.getLogger(Latencies.class);
  private static final Map<String, ConcurrentLinkedQueue<Long>> SAMPLES = new ConcurrentHashMap<>();
  private static final Map<String, AtomicLong> MISSING = new ConcurrentHashMap<>();

  private Latencies() {
  }

  /** The group name an interval's bound check runs in (what the assertion names). */
  public static String group(String name, long boundMs) {
    return name + " ≤ " + boundMs + " ms";
  }

  /** Records one interval; true when it is within the bound. */
  public static boolean record(String name, long ms, long boundMs) {
    SAMPLES.computeIfAbsent(name, k -> new ConcurrentLinkedQueue<>()).add(ms);
    return ms <= boundMs;
  }

  /** Records an interval that never ended (the event never came). */
  public static void missing(String name) {
    MISSING.computeIfAbsent(name, k -> new AtomicLong()).incrementAndGet();
  }

  /**
   * A chain that records {@code endKey − startKey} (session attributes, epoch ms) as {@code name} and fails the
   * user in the bound's group when it is over the bound or {@code endKey} was never set.
   */
  public static ChainBuilder check(String name, String startKey, String endKey, long boundMs) {
    return CoreDsl.group(group(name, boundMs)).on(exec(session -> verdict(session, name, startKey, endKey, boundMs)));
  }

  private static Session verdict(Session session, String name, String startKey, String endKey, long boundMs) {
    if (!session.contains(startKey) || !session.contains(endKey)) {
      missing(name);
      return session.markAsFailed();
    }
    long ms = session.getLong(endKey) - session.getLong(startKey);
    return record(name, ms, boundMs) ? session : session.markAsFailed();
  }

  /** Count, percentiles and max of every interval recorded, one line each, sorted by name. */
  public static String summary() {
    StringBuilder out = new StringBuilder();
    Map<String, Object> names = new TreeMap<>(SAMPLES);
    MISSING.keySet().forEach(k -> names.putIfAbsent(k, null));
    for (String name : names.keySet()) {
      long[] v = SAMPLES.getOrDefault(name, new ConcurrentLinkedQueue<>()).stream().mapToLong(Long::longValue)
          .sorted().toArray();
      long missing = MISSING.getOrDefault(name, new AtomicLong()).get();
      out.append(String.format("%-44s n=%-6d p50=%-6s p95=%-6s p99=%-6s max=%-6s missing=%d%n", name, v.length,
          pct(v, 50), pct(v, 95), pct(v, 99), v.length == 0 ? "-" : v[v.length - 1] + "ms", missing));
    }
    return out.toString();
  }

  /** Logs the summary (the console of `mvn gatling:test`; bench/gatling.sh copies it next to the report). */
  public static void log(String simulation) {
    LOG.info("client-side intervals of {} (ms, this JVM's clock):\n{}", simulation, summary());
  }

  /** Forgets everything (several simulations run in one JVM in the smoke test). */
  public static void reset() {
    SAMPLES.clear();
    MISSING.clear();
  }

  private static String pct(long[] sorted, int p) {
    if (sorted.length == 0) {
      return "-";
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] + "ms";
  }
}
